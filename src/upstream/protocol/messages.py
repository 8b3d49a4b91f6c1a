"""Every message that crosses a process boundary: typed records, msgpack on the wire.

No pickle: a task names its asset by key and code location, and the worker imports the code.
A message carries one or more records of one kind (tasks or results): per-message broker
work, not per-record work, is what a distributed run mostly pays for. Decoding checks the
version, the kind and every record's fields, and raises `ProtocolError`; one bad record
makes the whole message bad.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

import msgpack

from upstream.execution.records import ErrorInfo, LogLine
from upstream.model.errors import UpstreamError

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

# 2: a message holds a list of records; a task carries its trace. 3: a task may wait for
# earlier tasks of its message (`after`). 4: a task drops what nothing read (`asset_key`,
# the same as its step key; `partition`; `run_config`). 5: a result may say "running" (a
# lease, see `LEASE_SECONDS`). 6: a task carries the run config its step needs
# (`run_config`: its own op entry and the resources part; msgpack maps, never pickle).
# Optional fields, sent only when set so that other messages stay as they were: a task's
# `assets` (the keys a multi-asset's step makes), `run_config`, and a result's `outputs`
# (metadata per asset key made). 7: a task of a partitioned step carries its run's partition
# (`partition`: [key] or [start, end]; sent only when set).
PROTOCOL_VERSION = 7

# A worker that has held a task message this long takes it under lease: it says its steps
# are "running", acks the message (so no broker ack timeout can redeliver it, however long
# the steps take), and says so again every LEASE_SECONDS until their results are out. The
# coordinator publishes again the steps of a lease not renewed for LEASE_LOST_AFTER.
LEASE_SECONDS = 5.0
LEASE_LOST_AFTER = 6 * LEASE_SECONDS


class ProtocolError(UpstreamError):
    """A message that is not valid upstream protocol; it is dead-lettered, never retried."""


@dataclass(frozen=True, slots=True)
class TaskMessage:
    """Materialize one asset for one run; `step_key` is the asset's key, as a string.
    `trace` holds the W3C trace context of the coordinator's step span (`traceparent`), as
    message headers would for one task. `after` names earlier tasks of the same message
    (steps of the same run) that must succeed before this one runs; if one does not, this
    one is not run and gets no result (the coordinator skips it, as it skips every
    descendant of a failed step). `run_config` is the part of the run's normalised run
    config this step reads: `{"ops": {its op name: ...}, "resources": ...}`, or empty."""

    KIND: ClassVar[str] = "tasks"
    run_id: str
    step_key: str
    attempt: int
    code_location: str
    definitions_hash: str
    trace: dict[str, str] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()  # a multi-asset's step: the keys to make (empty: all)
    run_config: dict[str, Any] = field(default_factory=dict)
    partition: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResultMessage:
    """What happened when a worker ran a task; or, with status "running", that it still
    holds the task under lease (`LEASE_SECONDS`)."""

    KIND: ClassVar[str] = "results"
    run_id: str
    step_key: str
    attempt: int
    status: str  # "success" | "failure" | "running"
    started_at: float
    ended_at: float
    worker_id: str
    metadata: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    logs: tuple[LogLine, ...] = ()
    # Asset key -> metadata, per asset the step materialized: a multi-asset's step, or one
    # that may make nothing. None: the step's one asset, with `metadata`.
    outputs: dict[str, dict[str, Any]] | None = None


_OPTIONAL = ("assets", "outputs", "partition")  # left out of a record when unset

_TYPES: dict[str, tuple[type, ...]] = {
    "run_id": (str,),
    "step_key": (str,),
    "attempt": (int,),
    "code_location": (str,),
    "definitions_hash": (str,),
    "trace": (dict,),
    "after": (list,),
    "run_config": (dict,),
    "status": (str,),
    "started_at": (float, int),
    "ended_at": (float, int),
    "worker_id": (str,),
    "metadata": (dict,),
    "error": (list, type(None)),
    "logs": (list,),
    "assets": (list,),
    "partition": (list,),
    "outputs": (dict, type(None)),
}

Message = TaskMessage | ResultMessage
M = TypeVar("M", TaskMessage, ResultMessage)

# Per message class, computed once (every step encodes and decodes two messages): its field
# names in order, and for decoding each field's allowed types and whether it is required.
_NAMES: dict[type[Message], tuple[str, ...]] = {
    cls: tuple(f.name for f in fields(cls)) for cls in (TaskMessage, ResultMessage)
}
_FIELDS: dict[type[Message], frozenset[str]] = {cls: frozenset(_NAMES[cls]) for cls in _NAMES}
_ABSENT = object()
_CHECKS: dict[type[Message], tuple[tuple[str, tuple[type, ...], bool], ...]] = {
    cls: tuple(
        (f.name, _TYPES[f.name], f.default is MISSING and f.default_factory is MISSING)
        for f in fields(cls)
    )
    for cls in (TaskMessage, ResultMessage)
}


def _record(message: Message) -> dict[str, Any]:
    body = {name: getattr(message, name) for name in _NAMES[type(message)]}
    for name in _OPTIONAL:
        if name in body and not body[name] and body[name] != {}:
            del body[name]  # () or None: as messages were before the field
    if isinstance(message, TaskMessage) and not message.run_config:
        del body["run_config"]  # most runs have none: no bytes for it on the wire
    if isinstance(message, ResultMessage):  # the two fields msgpack cannot pack as they are
        if message.error is not None:
            body["error"] = [message.error.type, message.error.message, message.error.traceback]
        body["logs"] = [[line.timestamp, line.level, line.message] for line in message.logs]
    return body


def _encode(kind: str, messages: Sequence[Message]) -> bytes:
    if not messages:
        raise ValueError(f"a {kind} message needs at least one record")
    body = {"v": PROTOCOL_VERSION, "kind": kind, "items": [_record(m) for m in messages]}
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return packed


def encode_tasks(tasks: Sequence[TaskMessage]) -> bytes:
    """One message holding `tasks` (at least one), with its kind and the protocol version."""
    return _encode(TaskMessage.KIND, tasks)


def encode_results(results: Sequence[ResultMessage]) -> bytes:
    """One message holding `results` (at least one)."""
    return _encode(ResultMessage.KIND, results)


def _unpack(body: bytes, cls: type[M]) -> list[dict[str, Any]]:
    """The records of a message of `cls`'s kind, each field type-checked."""
    try:
        data = msgpack.unpackb(body, raw=False, strict_map_key=True)
    except Exception as exc:
        raise ProtocolError(f"not a msgpack message ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"expected a map, got {type(data).__name__}")
    version = data.get("v")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"unsupported protocol version {version!r}; this build speaks {PROTOCOL_VERSION}"
            " (run the coordinator and workers on the same upstream release)"
        )
    kind = data.get("kind")
    if kind != cls.KIND:
        raise ProtocolError(f"expected a {cls.KIND} message, got kind {kind!r}")
    unknown = set(data).difference(("v", "kind", "items"))
    if unknown:
        raise ProtocolError(f"{cls.KIND} message has unknown fields {sorted(unknown)}")
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise ProtocolError(f"{cls.KIND} message field 'items' must be a non-empty list")
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise ProtocolError(f"{cls.KIND} item {number} must be a map")
        _check(item, cls, number)
    return items


def _check(record: dict[str, Any], cls: type[M], number: int) -> None:
    """Every field known, every required one present, each of an allowed type. Exact types:
    msgpack decodes to exactly str, int, float, bool, list, dict or None, and a bool is
    never an int here."""
    if not record.keys() <= _FIELDS[cls]:
        unknown = sorted(set(record).difference(_FIELDS[cls]))
        raise ProtocolError(f"{cls.KIND} item {number} has unknown fields {unknown}")
    for name, allowed, required in _CHECKS[cls]:
        value = record.get(name, _ABSENT)
        if value is _ABSENT:
            if required:
                raise ProtocolError(f"{cls.KIND} item {number} lacks required field {name!r}")
        elif type(value) not in allowed:
            names = " or ".join(t.__name__ for t in allowed)
            raise ProtocolError(
                f"{cls.KIND} item {number}: field {name!r} must be {names}, "
                f"got {type(value).__name__}"
            )


def decode_tasks(body: bytes) -> list[TaskMessage]:
    """Validate and decode a tasks message; raises ProtocolError naming the bad field."""
    tasks = []
    earlier: set[tuple[str, str]] = set()  # (run id, step key) of the tasks before
    for number, data in enumerate(_unpack(body, TaskMessage)):
        if data["attempt"] < 1:
            raise ProtocolError(f"tasks item {number}: field 'attempt' must be >= 1")
        trace = data.get("trace", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in trace.items()):
            raise ProtocolError(f"tasks item {number}: field 'trace' must map str to str")
        if "after" in data:
            after = data["after"] = tuple(data["after"])
            if not all(type(step) is str for step in after):
                raise ProtocolError(f"tasks item {number}: field 'after' must be a list of str")
            stray = [s for s in after if (data["run_id"], s) not in earlier]
            if stray:
                raise ProtocolError(
                    f"tasks item {number}: field 'after' names {stray[0]!r}, which is not "
                    "an earlier task of the same run in this message"
                )
        if "assets" in data:
            assets = data["assets"] = tuple(data["assets"])
            if not all(type(key) is str for key in assets):
                raise ProtocolError(f"tasks item {number}: field 'assets' must be a list of str")
        if "partition" in data:
            partition = data["partition"] = tuple(data["partition"])
            if len(partition) not in (1, 2) or not all(type(k) is str for k in partition):
                raise ProtocolError(
                    f"tasks item {number}: field 'partition' must be a list of 1 string (a "
                    f"key) or 2 (a range's start and end), got {list(partition)!r}"
                )
        earlier.add((data["run_id"], data["step_key"]))
        tasks.append(TaskMessage(**data))
    return tasks


def decode_results(body: bytes) -> list[ResultMessage]:
    """Validate and decode a results message; raises ProtocolError naming the bad field."""
    return [_result(number, data) for number, data in enumerate(_unpack(body, ResultMessage))]


def _result(number: int, data: dict[str, Any]) -> ResultMessage:
    where = f"results item {number}"
    if data["status"] not in ("success", "failure", "running"):
        raise ProtocolError(
            f"{where}: field 'status' must be success, failure or running, got {data['status']!r}"
        )
    error = data.get("error")
    if error is not None:
        if len(error) != 3 or not all(isinstance(part, str) for part in error):
            raise ProtocolError(f"{where}: field 'error' must be [type, message, traceback]")
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
            raise ProtocolError(f"{where}: field 'logs' must hold [time, level, message] entries")
        logs.append(LogLine(float(line[0]), line[1], line[2]))
    data["logs"] = tuple(logs)
    outputs = data.get("outputs")
    if outputs is not None and not all(
        isinstance(key, str) and isinstance(found, dict) for key, found in outputs.items()
    ):
        raise ProtocolError(f"{where}: field 'outputs' must map asset keys to metadata maps")
    return ResultMessage(**data)
