"""Wire messages (msgpack, versioned) for everything that crosses a process boundary."""

from upstream.protocol.messages import (
    PROTOCOL_VERSION,
    ErrorInfo,
    LogLine,
    ProtocolError,
    ResultMessage,
    TaskMessage,
    decode_results,
    decode_tasks,
    encode_results,
    encode_tasks,
)

__all__ = [
    "PROTOCOL_VERSION",
    "ErrorInfo",
    "LogLine",
    "ProtocolError",
    "ResultMessage",
    "TaskMessage",
    "decode_results",
    "decode_tasks",
    "encode_results",
    "encode_tasks",
]
