"""Wire messages (msgpack, versioned) for everything that crosses a process boundary."""

from upstream.protocol.messages import (
    LEASE_LOST_AFTER,
    LEASE_SECONDS,
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
    "LEASE_LOST_AFTER",
    "LEASE_SECONDS",
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
