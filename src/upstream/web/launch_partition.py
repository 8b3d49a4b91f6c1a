"""Partitions in the API: the `partition` a launch names, and the keys a launch dialog offers.

The same JSON shape both ways (`web.schema.partition_json`): null, "key", or {"start",
"end"}. What a partition means is checked by the planner where the run is submitted, so the
API and the CLI refuse the same targets with the same words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.model.partitions import DynamicPartitionsStore, PartitionKeyRange, partition_tags
from upstream.planning.partitions import InvalidPartition, shared_partitions_def
from upstream.web.errors import BadRequest

__all__ = ["MAX_OFFERED_KEYS", "parse_partition", "partition_choices", "with_partition"]

# Keys a launch dialog is sent to pick from; beyond this it takes the key typed instead.
MAX_OFFERED_KEYS = 10_000
_MAX_KEY = 1_000  # characters in a partition key sent to launch


def parse_partition(value: Any) -> PartitionKeyRange | None:
    """A launch's `partition` field as a target; `BadRequest` naming the right shape."""
    if value is None:
        return None
    if isinstance(value, str):
        start = end = value
    elif isinstance(value, dict) and set(value) == {"start", "end"}:
        start, end = value["start"], value["end"]
    else:
        raise BadRequest(
            '"partition" must be a key ("2024-01-01") or a range '
            '({"start": "2024-01-01", "end": "2024-01-31"})'
        )
    for key in (start, end):
        if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
            raise BadRequest(
                f'"partition" keys must be non-empty strings of at most {_MAX_KEY} characters'
            )
    return PartitionKeyRange(start, end)


def with_partition(tags: dict[str, str], partition: PartitionKeyRange | None) -> dict[str, str]:
    """`tags` with the target's tags (Dagster's names) when a partition was given."""
    return tags if partition is None else {**tags, **partition_tags(partition)}


def partition_choices(
    graph: AssetGraph,
    keys: Sequence[AssetKey],
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
) -> dict[str, Any]:
    """What a launch dialog needs for the selection `keys`: `partitions` (null when nothing
    selected is partitioned: the definition's text, key count, first and last key, and the
    keys themselves up to `MAX_OFFERED_KEYS`, else null) and `partitions_error` (why one run
    cannot take them: assets of different definitions)."""
    try:
        shared = shared_partitions_def(graph, keys)
    except InvalidPartition as exc:
        return {"partitions": None, "partitions_error": str(exc)}
    if shared is None:
        return {"partitions": None, "partitions_error": None}
    definition, members = shared
    every = list(definition.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store))
    return {
        "partitions": {
            "definition": repr(definition),
            "assets": [k.to_user_string() for k in members],
            "count": len(every),
            "first": every[0] if every else None,
            "last": every[-1] if every else None,
            "keys": every if len(every) <= MAX_OFFERED_KEYS else None,
        },
        "partitions_error": None,
    }
