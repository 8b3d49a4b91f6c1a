"""A run's partitions, kept in its tags under Dagster's names (so scripts carry over)."""

from __future__ import annotations

from collections.abc import Mapping

from upstream.model.partitions.base import PartitionKeyRange

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "PARTITION_NAME_TAG",
    "partition_from_tags",
    "partition_tags",
]

PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
BACKFILL_ID_TAG = "dagster/backfill"


def partition_tags(target: PartitionKeyRange) -> dict[str, str]:
    """The tags of a run of one partition (`start == end`) or of a range (Dagster's)."""
    if target.start == target.end:
        return {PARTITION_NAME_TAG: target.start}
    return {
        ASSET_PARTITION_RANGE_START_TAG: target.start,
        ASSET_PARTITION_RANGE_END_TAG: target.end,
    }


def partition_from_tags(tags: Mapping[str, str]) -> PartitionKeyRange | None:
    """The partition key or range a run targets, from its tags; None: unpartitioned."""
    key = tags.get(PARTITION_NAME_TAG)
    if key is not None:
        return PartitionKeyRange(key, key)
    start = tags.get(ASSET_PARTITION_RANGE_START_TAG)
    end = tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start is not None and end is not None:
        return PartitionKeyRange(start, end)
    return None
