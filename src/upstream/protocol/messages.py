"""Every message that crosses a process boundary: typed records, msgpack on the wire.

No pickle: a task names its asset by key and code location, and the worker imports the code.
Decoding checks the version, the kind and every field's type, and raises `ProtocolError`.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

import msgpack

from upstream.definitions.errors import UpstreamError
from upstream.execution.records import ErrorInfo, LogLine

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

PROTOCOL_VERSION = 1


class ProtocolError(UpstreamError):
    """A message that is not valid upstream protocol; it is dead-lettered, never retried."""


@dataclass(frozen=True, slots=True)
class TaskMessage:
    """Materialize one asset for one run."""

    KIND: ClassVar[str] = "task"
    run_id: str
    step_key: str
    asset_key: str
    attempt: int
    code_location: str
    definitions_hash: str
    partition: str | None = None
    run_config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultMessage:
    """What happened when a worker ran a task."""

    KIND: ClassVar[str] = "result"
    run_id: str
    step_key: str
    attempt: int
    status: str  # "success" | "failure"
    started_at: float
    ended_at: float
    worker_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    logs: tuple[LogLine, ...] = ()


_TYPES: dict[str, tuple[type, ...]] = {
    "run_id": (str,),
    "step_key": (str,),
    "asset_key": (str,),
    "attempt": (int,),
    "code_location": (str,),
    "definitions_hash": (str,),
    "partition": (str, type(None)),
    "run_config": (dict,),
    "status": (str,),
    "started_at": (float, int),
    "ended_at": (float, int),
    "worker_id": (str,),
    "metadata": (dict,),
    "error": (list, type(None)),
    "logs": (list,),
}

Message = TaskMessage | ResultMessage
M = TypeVar("M", TaskMessage, ResultMessage)

# Per message class, computed once (every step encodes and decodes two messages): its field
# names in order, and for decoding each field's allowed types and whether it is required.
_NAMES: dict[type[Message], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in (TaskMessage, ResultMessage)
}
_CHECKS: dict[type[Message], tuple[tuple[str, tuple[type, ...], bool], ...]] = {
    cls: tuple(
        (f.name, _TYPES[f.name], f.default is MISSING and f.default_factory is MISSING)
        for f in fields(cls)
    )
    for cls in (TaskMessage, ResultMessage)
}


def encode(message: Message) -> bytes:
    """Serialise a message with its kind and the protocol version."""
    body: dict[str, Any] = {"v": PROTOCOL_VERSION, "kind": message.KIND}
    for name in _NAMES[type(message)]:
        value = getattr(message, name)
        if isinstance(value, ErrorInfo):
            value = [value.type, value.message, value.traceback]
        elif name == "logs":
            value = [[line.timestamp, line.level, line.message] for line in value]
        body[name] = value
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


def _unpack(body: bytes, cls: type[M]) -> dict[str, Any]:
    try:
        data = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as exc:
        raise ProtocolError(f"not a msgpack message ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a map, got {type(data).__name__}")
    version = data.pop("v", None)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"unsupported protocol version {version!r}; this build speaks {PROTOCOL_VERSION}"
        )
    kind = data.pop("kind", None)
    if kind != cls.KIND:
        raise ProtocolError(f"expected a {cls.KIND} message, got kind {kind!r}")
    unknown = set(data).difference(_NAMES[cls])
    if unknown:
        raise ProtocolError(f"{cls.KIND} message has unknown fields {sorted(unknown)}")
    for name, allowed, required in _CHECKS[cls]:
        if name not in data:
            if required:
                raise ProtocolError(f"{cls.KIND} message lacks required field {name!r}")
            continue
        value = data[name]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            names = " or ".join(t.__name__ for t in allowed)
            raise ProtocolError(
                f"{cls.KIND} field {name!r} must be {names}, got {type(value).__name__}"
            )
    return data


def decode_task(body: bytes) -> TaskMessage:
    """Validate and decode a task; raises ProtocolError naming the bad field."""
    data = _unpack(body, TaskMessage)
    if data["attempt"] < 1:
        raise ProtocolError("task field 'attempt' must be >= 1")
    return TaskMessage(**data)


def decode_result(body: bytes) -> ResultMessage:
    """Validate and decode a result; raises ProtocolError naming the bad field."""
    data = _unpack(body, ResultMessage)
    if data["status"] not in ("success", "failure"):
        raise ProtocolError(
            f"result field 'status' must be success or failure, got {data['status']!r}"
        )
    error = data.get("error")
    if error is not None:
        if len(error) != 3 or not all(isinstance(part, str) for part in error):
            raise ProtocolError("result field 'error' must be [type, message, traceback] strings")
        data["error"] = ErrorInfo(*error)
    logs = []
    for line in data.get("logs", ()):
        if (
            not isinstance(line, list)
            or len(line) != 3
            or not isinstance(line[0], float | int)
            or not isinstance(line[1], str)
            or not isinstance(line[2], str)
        ):
            raise ProtocolError("result field 'logs' must hold [time, level, message] entries")
        logs.append(LogLine(float(line[0]), line[1], line[2]))
    data["logs"] = tuple(logs)
    return ResultMessage(**data)
