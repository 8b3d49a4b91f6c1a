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
    decode_result,
    decode_task,
    encode,
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
    asset_key=text,
    attempt=st.integers(1, 1000),
    code_location=text,
    definitions_hash=text,
    partition=st.none() | text,
    run_config=st.dictionaries(text, json_values, max_size=4),
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
)


@given(tasks)
def test_a_task_survives_the_wire(task: TaskMessage) -> None:
    """Encoding then decoding a task gives the same task."""
    assert decode_task(encode(task)) == task


@given(results)
def test_a_result_survives_the_wire(result: ResultMessage) -> None:
    """Encoding then decoding a result gives the same result, error and logs included."""
    assert decode_result(encode(result)) == result


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_protocol_errors(body: bytes) -> None:
    """Garbage never crashes a decoder with anything but ProtocolError."""
    for decode in (decode_task, decode_result):
        with contextlib.suppress(ProtocolError):
            decode(body)


@settings(max_examples=500)
@given(
    st.dictionaries(
        st.sampled_from(
            _fields := [
                "v",
                "kind",
                "run_id",
                "step_key",
                "asset_key",
                "attempt",
                "code_location",
                "definitions_hash",
                "partition",
                "run_config",
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
    """Maps with real field names and wrong values are refused cleanly."""
    body = msgpack.packb(fields)
    for decode in (decode_task, decode_result):
        with contextlib.suppress(ProtocolError):
            decode(body)


def _task_fields() -> dict[str, Any]:
    task = TaskMessage("run", "a", "a", 1, "loc", "hash")
    fields: dict[str, Any] = msgpack.unpackb(encode(task))
    return fields


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": PROTOCOL_VERSION + 1}, "unsupported protocol version"),
        ({"kind": "result"}, "expected a task message"),
        ({"attempt": "1"}, "field 'attempt' must be int"),
        ({"attempt": True}, "field 'attempt' must be int"),
        ({"attempt": 0}, "'attempt' must be >= 1"),
        ({"surprise": 1}, "unknown fields ['surprise']"),
        ({"run_id": None}, "field 'run_id' must be str"),
    ],
)
def test_a_bad_task_names_what_is_wrong(change: dict[str, Any], message: str) -> None:
    """The error names the offending field, so the dead-letter log says what to fix."""
    fields = {**_task_fields(), **change}
    with pytest.raises(ProtocolError, match=message.replace("[", r"\[").replace("]", r"\]")):
        decode_task(msgpack.packb(fields))


def test_a_missing_required_field_is_named() -> None:
    """A task without its run id is refused, naming the field."""
    fields = _task_fields()
    del fields["run_id"]
    with pytest.raises(ProtocolError, match="lacks required field 'run_id'"):
        decode_task(msgpack.packb(fields))


def test_no_pickle_on_the_wire() -> None:
    """Messages are msgpack maps: a pickled object is refused, not loaded."""
    import pickle

    with pytest.raises(ProtocolError):
        decode_task(pickle.dumps(TaskMessage("r", "a", "a", 1, "l", "h")))
