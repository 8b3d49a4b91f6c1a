"""Wire messages (msgpack, versioned) for everything that crosses a process boundary."""

from upstream.protocol.messages import (
    PROTOCOL_VERSION,
    ErrorInfo,
    LogLine,
    ProtocolError,
    ResultMessage,
    TaskMessage,
    decode_result,
    decode_task,
    encode,
)

__all__ = [
    "PROTOCOL_VERSION",
    "ErrorInfo",
    "LogLine",
    "ProtocolError",
    "ResultMessage",
    "TaskMessage",
    "decode_result",
    "decode_task",
    "encode",
]
