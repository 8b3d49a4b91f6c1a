"""Wire messages: exact round trips, and nothing but ProtocolError from bad input."""

from __future__ import annotations

import contextlib
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upstream.protocol import (
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

text = st.text(max_size=40)
finite = st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | finite | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10,
)

tasks = st.builds(
    TaskMessage,
    run_id=text,
    step_key=text,
    attempt=st.integers(1, 1000),
    code_location=text,
    definitions_hash=text,
    trace=st.dictionaries(text, text, max_size=2),
    assets=st.lists(text, max_size=3).map(tuple),
    run_config=st.dictionaries(text, json_values, max_size=3),
)
results = st.builds(
    ResultMessage,
    run_id=text,
    step_key=text,
    attempt=st.integers(1, 1000),
    status=st.sampled_from(["success", "failure"]),
    started_at=finite,
    ended_at=finite,
    worker_id=text,
    metadata=st.dictionaries(text, json_values, max_size=4),
    error=st.none() | st.builds(ErrorInfo, text, text, text),
    logs=st.lists(st.builds(LogLine, finite, text, text), max_size=3).map(tuple),
    outputs=st.none() | st.dictionaries(text, st.dictionaries(text, json_values, max_size=2)),
)


@given(st.lists(tasks, min_size=1, max_size=4))
def test_tasks_survive_the_wire(batch: list[TaskMessage]) -> None:
    """Encoding then decoding a message of tasks gives the same tasks, in order."""
    assert decode_tasks(encode_tasks(batch)) == batch


@given(st.lists(results, min_size=1, max_size=4))
def test_results_survive_the_wire(batch: list[ResultMessage]) -> None:
    """Encoding then decoding results gives the same results, errors and logs included."""
    assert decode_results(encode_results(batch)) == batch


def test_an_empty_message_is_neither_sent_nor_accepted() -> None:
    """A message holds at least one record."""
    with pytest.raises(ValueError, match="at least one"):
        encode_tasks([])
    body = msgpack.packb({"v": PROTOCOL_VERSION, "kind": "tasks", "items": []})
    with pytest.raises(ProtocolError, match="'items' must be a non-empty list"):
        decode_tasks(body)


def test_one_bad_record_spoils_the_message_and_is_named() -> None:
    """The error names which record is wrong, so the dead-letter log says what to fix."""
    good = _task_fields()
    body = msgpack.packb(
        {"v": PROTOCOL_VERSION, "kind": "tasks", "items": [good, {**good, "attempt": "2"}]}
    )
    with pytest.raises(ProtocolError, match="tasks item 1: field 'attempt' must be int"):
        decode_tasks(body)
    bad_trace = {**good, "trace": {"traceparent": 1}}
    body = msgpack.packb({"v": PROTOCOL_VERSION, "kind": "tasks", "items": [bad_trace]})
    with pytest.raises(ProtocolError, match="'trace' must map str to str"):
        decode_tasks(body)


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_protocol_errors(body: bytes) -> None:
    """Garbage never crashes a decoder with anything but ProtocolError."""
    for decode in (decode_tasks, decode_results):
        with contextlib.suppress(ProtocolError):
            decode(body)


@settings(max_examples=500)
@given(
    st.dictionaries(
        st.sampled_from(
            _fields := [
                "v",
                "kind",
                "items",
                "run_id",
                "step_key",
                "attempt",
                "code_location",
                "definitions_hash",
                "trace",
                "after",
                "status",
                "started_at",
                "ended_at",
                "worker_id",
                "metadata",
                "error",
                "logs",
                "extra",
            ]
        ),
        json_values,
        max_size=len(_fields),
    )
)
def test_random_maps_raise_only_protocol_errors(fields: dict[str, Any]) -> None:
    """Maps with real field names and wrong values are refused cleanly, as messages and
    as records inside a well-formed envelope."""
    for kind in ("tasks", "results"):
        envelope = {"v": PROTOCOL_VERSION, "kind": kind, "items": [fields]}
        for body in (msgpack.packb(fields), msgpack.packb(envelope)):
            for decode in (decode_tasks, decode_results):
                with contextlib.suppress(ProtocolError):
                    decode(body)


def _task_fields() -> dict[str, Any]:
    task = TaskMessage("run", "a", 1, "loc", "hash")
    fields: dict[str, Any] = msgpack.unpackb(encode_tasks([task]))["items"][0]
    return fields


def _message(record: dict[str, Any], **envelope: Any) -> bytes:
    body = {"v": PROTOCOL_VERSION, "kind": "tasks", "items": [record], **envelope}
    packed: bytes = msgpack.packb(body)
    return packed


@pytest.mark.parametrize(
    ("envelope", "change", "message"),
    [
        ({"v": PROTOCOL_VERSION + 1}, {}, "unsupported protocol version"),
        ({"v": 1}, {}, "unsupported protocol version 1; this build speaks 7"),
        ({"v": 6}, {}, "version 6; this build speaks 7 \\(run the coordinator"),
        ({"kind": "results"}, {}, "expected a tasks message"),
        ({"extra": 1}, {}, "message has unknown fields ['extra']"),
        ({}, {"attempt": "1"}, "field 'attempt' must be int"),
        ({}, {"attempt": True}, "field 'attempt' must be int"),
        ({}, {"attempt": 0}, "'attempt' must be >= 1"),
        ({}, {"surprise": 1}, "item 0 has unknown fields ['surprise']"),
        ({}, {"asset_key": "a"}, "item 0 has unknown fields ['asset_key']"),
        ({}, {"partition": None}, "field 'partition' must be list, got NoneType"),
        ({}, {"run_config": []}, "field 'run_config' must be dict"),
        ({}, {"run_config": None}, "field 'run_config' must be dict"),
        ({}, {"run_id": None}, "field 'run_id' must be str"),
        ({}, {"after": "a"}, "field 'after' must be list"),
        ({}, {"after": [1]}, "field 'after' must be a list of str"),
        ({}, {"after": ["a"]}, "'after' names 'a', which is not an earlier task"),
    ],
)
def test_a_bad_task_names_what_is_wrong(
    envelope: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    """The error names the offending field, so the dead-letter log says what to fix."""
    body = _message({**_task_fields(), **change}, **envelope)
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode_tasks(body)


def test_a_task_waits_only_for_earlier_tasks_of_its_run() -> None:
    """`after` survives the wire, and may name only a task before it in the same message
    and run: a worker could otherwise wait for a step it never receives."""
    first = TaskMessage("r", "a", 1, "l", "h")
    then = TaskMessage("r", "b", 1, "l", "h", after=("a",))
    assert decode_tasks(encode_tasks([first, then])) == [first, then]
    for bad in ([then, first], [TaskMessage("other", "a", 1, "l", "h"), then]):
        with pytest.raises(ProtocolError, match=r"tasks item [01]: field 'after' names 'a'"):
            decode_tasks(encode_tasks(bad))


def test_a_missing_required_field_is_named() -> None:
    """A task without its run id is refused, naming the field."""
    fields = _task_fields()
    del fields["run_id"]
    with pytest.raises(ProtocolError, match="item 0 lacks required field 'run_id'"):
        decode_tasks(_message(fields))


def test_no_pickle_on_the_wire() -> None:
    """Messages are msgpack maps: a pickled object is refused, not loaded."""
    import pickle

    with pytest.raises(ProtocolError):
        decode_tasks(pickle.dumps([TaskMessage("r", "a", 1, "l", "h")]))


def test_a_task_carries_its_run_config_as_plain_msgpack() -> None:
    """Run config travels as msgpack maps (no pickle): nested values come back equal."""
    config = {"ops": {"sales__revenue": {"config": {"rate": 2.5, "tags": ["a"], "n": None}}}}
    task = TaskMessage("run", "sales/revenue", 1, "loc", "hash", run_config=config)
    body = encode_tasks([task])
    assert msgpack.unpackb(body)["items"][0]["run_config"] == config
    assert decode_tasks(body) == [task]
    plain = encode_tasks([TaskMessage("run", "a", 1, "loc", "hash")])
    assert "run_config" not in msgpack.unpackb(plain)["items"][0]  # none: not on the wire
