"""The optional fields multi-assets added: a task's `assets`, a result's `outputs`. Sent
only when set, so every other message is byte for byte what it was (no version bump)."""

from __future__ import annotations

import msgpack
import pytest

from upstream.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    ResultMessage,
    TaskMessage,
    decode_results,
    decode_tasks,
    encode_results,
    encode_tasks,
)

TASK = TaskMessage("r1", "a", 1, "loc", "hash")
RESULT = ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")


def _items(body: bytes) -> list[dict[str, object]]:
    items: list[dict[str, object]] = msgpack.unpackb(body)["items"]
    return items


def test_a_plain_task_and_result_leave_the_fields_out() -> None:
    assert "assets" not in _items(encode_tasks([TASK]))[0]
    assert "outputs" not in _items(encode_results([RESULT]))[0]


def test_a_multi_asset_task_names_its_keys_and_a_result_its_outputs() -> None:
    task = TaskMessage("r1", "split", 1, "loc", "hash", assets=("a", "b/c"))
    result = ResultMessage(
        "r1", "split", 1, "success", 1.0, 2.0, "w1", outputs={"a": {}, "b/c": {"n": {}}}
    )
    assert decode_tasks(encode_tasks([task])) == [task]
    assert decode_results(encode_results([result])) == [result]


def test_an_empty_outputs_map_survives_meaning_nothing_was_made() -> None:
    result = ResultMessage("r1", "m", 1, "success", 1.0, 2.0, "w1", outputs={})
    assert decode_results(encode_results([result]))[0].outputs == {}


@pytest.mark.parametrize(
    ("kind", "field", "value", "words"),
    [
        ("tasks", "assets", [1], "'assets' must be a list of str"),
        ("tasks", "assets", "a", "'assets' must be list"),
        ("results", "outputs", {"a": 1}, "'outputs' must map asset keys to metadata maps"),
        ("results", "outputs", [], "'outputs' must be dict or NoneType"),
    ],
)
def test_bad_fields_are_protocol_errors(kind: str, field: str, value: object, words: str) -> None:
    record = _items(encode_tasks([TASK]) if kind == "tasks" else encode_results([RESULT]))[0]
    record[field] = value
    body = msgpack.packb({"v": PROTOCOL_VERSION, "kind": kind, "items": [record]})
    decode = decode_tasks if kind == "tasks" else decode_results
    with pytest.raises(ProtocolError, match=words):
        decode(body)
