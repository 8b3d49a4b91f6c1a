"""Protocol 7: a task of a partitioned step carries its run's partition, sent only when set."""

from __future__ import annotations

import msgpack
import pytest

from upstream.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    TaskMessage,
    decode_tasks,
    encode_tasks,
)

TASK = TaskMessage("r1", "daily", 1, "loc", "hash")


def _record(task: TaskMessage) -> dict[str, object]:
    record: dict[str, object] = msgpack.unpackb(encode_tasks([task]))["items"][0]
    return record


def test_an_unpartitioned_task_sends_no_partition_field() -> None:
    assert PROTOCOL_VERSION == 7
    assert "partition" not in _record(TASK)
    assert decode_tasks(encode_tasks([TASK]))[0].partition == ()


@pytest.mark.parametrize("partition", [("2024-01-01",), ("2024-01-01", "2024-01-31")])
def test_a_key_or_a_range_survives_the_wire(partition: tuple[str, ...]) -> None:
    task = TaskMessage("r1", "daily", 1, "loc", "hash", partition=partition)
    assert _record(task)["partition"] == list(partition)
    assert decode_tasks(encode_tasks([task])) == [task]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([], "'partition' must be a list of 1 string (a key) or 2"),
        (["a", "b", "c"], "must be a list of 1 string"),
        ([1], "must be a list of 1 string"),
        ("a", "field 'partition' must be list"),
    ],
)
def test_a_bad_partition_is_a_protocol_error(value: object, words: str) -> None:
    record = _record(TASK)
    record["partition"] = value
    body = msgpack.packb({"v": PROTOCOL_VERSION, "kind": "tasks", "items": [record]})
    with pytest.raises(ProtocolError, match=words.replace("(", r"\(").replace(")", r"\)")):
        decode_tasks(body)
