"""`materialize(partition_key=...)`: Dagster's in-process run of one partition. The run is
tagged `dagster/partition` (a range: Dagster's range tags, which also select it), the worker
hands each partitioned step its target, and a bad target raises before anything runs."""

from __future__ import annotations

from typing import Any

import pytest
from tests.partitioned import LETTERS

import upstream.worker.service
from upstream import Definitions, asset, materialize, materialize_to_memory
from upstream.model.partitions import PartitionKeyRange
from upstream.planning.partitions import InvalidPartition


@asset(partitions_def=LETTERS)
def daily() -> int:
    return 1


@asset(partitions_def=LETTERS)
def report(daily: int) -> int:
    return daily + 1


@asset
def lookup() -> int:
    return 0


def _defs() -> Definitions:
    return Definitions([daily, report, lookup])


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Step key -> the `partition` the worker passed to `execute_step`."""
    seen: dict[str, Any] = {}
    real = upstream.worker.service.execute_step

    async def spy(definitions: Any, key: Any, **kwargs: Any) -> Any:
        seen[str(key.to_user_string() if hasattr(key, "to_user_string") else key)] = kwargs.get(
            "partition"
        )
        return await real(definitions, key, **kwargs)

    monkeypatch.setattr(upstream.worker.service, "execute_step", spy)
    return seen


def test_a_partition_key_tags_the_run_and_reaches_each_partitioned_step(
    handed: dict[str, Any],
) -> None:
    """Dagster: `materialize(assets, partition_key="b")` records `dagster/partition`."""
    result = materialize(_defs(), partition_key="b", selection="daily,report,lookup")
    assert result.success
    assert result.dagster_run.tags == {"dagster/partition": "b"}
    assert handed == {
        "daily": PartitionKeyRange("b", "b"),
        "report": PartitionKeyRange("b", "b"),
        "lookup": None,
    }


def test_range_tags_target_a_range_as_in_dagster(handed: dict[str, Any]) -> None:
    """Dagster's test_partitioned_assets materializes a range through the range tags."""
    tags = {
        "dagster/asset_partition_range_start": "a",
        "dagster/asset_partition_range_end": "c",
    }
    result = materialize(_defs(), tags=tags, selection="daily")
    assert result.success and result.dagster_run.tags == tags
    assert handed == {"daily": PartitionKeyRange("a", "c")}


def test_materialize_to_memory_takes_a_partition_key_too() -> None:
    """Its refusal of `partition_key` is gone: an unpartitioned selection says why instead."""
    with pytest.raises(InvalidPartition, match="none of the selected assets is partitioned"):
        materialize_to_memory([lookup], partition_key="a")


@pytest.mark.parametrize(
    ("selection", "key", "words"),
    [
        ("daily", "z", "partition key 'z' is not in StaticPartitionsDefinition"),
        ("lookup", "a", "none of the selected assets is partitioned"),
        ("daily", None, "asset 'daily' is partitioned"),
    ],
)
def test_a_bad_target_raises_before_anything_runs(
    selection: str, key: str | None, words: str, handed: dict[str, Any]
) -> None:
    with pytest.raises(InvalidPartition, match=words):
        materialize(_defs(), partition_key=key, selection=selection)
    assert handed == {}


def test_asset_value_reads_the_partition_the_run_made() -> None:
    """Dagster: `result.asset_value(key)` of a partitioned run loads that run's partition;
    a range run's value (mem_io_manager keeps it as is) comes back whole."""

    @asset(partitions_def=LETTERS)
    def letter(context: Any) -> str:
        return "".join(context.partition_keys)

    @asset(partitions_def=LETTERS)
    def shout(letter: str) -> str:
        return letter.upper()

    one = materialize([letter, shout], partition_key="c")
    assert one.asset_value("letter") == "c" and one.asset_value("shout") == "C"
    ranged = materialize(
        [letter, shout],
        tags={
            "dagster/asset_partition_range_start": "a",
            "dagster/asset_partition_range_end": "b",
        },
    )
    assert ranged.asset_value("letter") == "ab" and ranged.asset_value("shout") == "AB"
