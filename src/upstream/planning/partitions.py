"""A run's partition target checked against the assets it selects. Pure.

A run targets at most one partition key or one key range (Dagster's run tags), and every
partitioned asset of the run covers it; so the partitioned assets of one run must share
one partitions definition, as in a Dagster job.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import datetime

from upstream.model.errors import SelectionError, did_you_mean
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
)

__all__ = [
    "InvalidPartition",
    "RunPartitions",
    "check_partition",
    "expand_partition",
    "shared_partitions_def",
]

# Keys searched for "did you mean": beyond this, the error gives the first and last key only.
_HINT_MAX = 10_000

RunPartitions = tuple[frozenset[str], tuple[str, ...]]  # partitioned steps, keys covered


class InvalidPartition(SelectionError):
    """A partition key or range that the selected assets cannot take; nothing ran."""


def check_partition(
    graph: AssetGraph,
    keys: Sequence[AssetKey],
    partition: PartitionKeyRange | None,
    *,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> RunPartitions:
    """The steps of `keys` whose assets are partitioned, and `partition` expanded to the
    keys they cover. Raises `InvalidPartition` (Dagster's rules, `dagster asset
    materialize`): partitioned assets of different definitions; a partition for a selection
    with none partitioned; a partitioned selection without a partition; a key not in the
    definition; a range whose start comes after its end."""
    shared = shared_partitions_def(graph, keys)
    if shared is None:
        if partition is not None:
            raise InvalidPartition(
                f"partition {_shown(partition)} given, but none of the selected assets is "
                "partitioned; leave the partition out, or select partitioned assets"
            )
        return frozenset(), ()
    definition, members = shared
    if partition is None:
        raise InvalidPartition(
            f"{_names(members)} {'is' if len(members) == 1 else 'are'} partitioned "
            f"({definition!r}), but no partition was given; name a partition key or range "
            "(--partition KEY, --partition-range START...END or --all-partitions; "
            "materialize(partition_key=...))"
        )
    expanded = expand_partition(
        definition,
        partition,
        dynamic_partitions_store=dynamic_partitions_store,
        current_time=current_time,
    )
    return frozenset(graph.step_key(key) for key in members), expanded


def expand_partition(
    definition: PartitionsDefinition,
    partition: PartitionKeyRange,
    *,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> tuple[str, ...]:
    """The keys `partition` covers in `definition`, in its order: one key, or a range with
    both ends (`InvalidPartition` names a missing one, or a range that runs backwards)."""
    start, end = partition
    for key in dict.fromkeys((start, end)):
        if not definition.has_partition_key(key, current_time, dynamic_partitions_store):
            raise InvalidPartition(
                _unknown(definition, key, dynamic_partitions_store, current_time)
            )
    if start == end:
        return (start,)
    keys = tuple(definition.get_partition_keys_in_range(partition, dynamic_partitions_store))
    if not keys:
        raise InvalidPartition(
            f"partition range {start}...{end} runs backwards: {start!r} comes after {end!r} "
            f"in {definition!r}; give it as {end}...{start}"
        )
    return keys


def shared_partitions_def(
    graph: AssetGraph, keys: Sequence[AssetKey]
) -> tuple[PartitionsDefinition, list[AssetKey]] | None:
    """The one partitions definition of the partitioned assets among `keys`, with them; None
    when none is partitioned; `InvalidPartition` when they have several. Definitions are
    compared by identity first: assets sharing one object (the usual case) cost no
    comparison of specs."""
    if not graph.has_partitions:
        return None
    by_object: dict[int, tuple[PartitionsDefinition, list[AssetKey]]] = {}
    for key in keys:
        definition = graph.node(key).partitions_def
        if definition is not None:
            by_object.setdefault(id(definition), (definition, []))[1].append(key)
    groups: list[tuple[PartitionsDefinition, list[AssetKey]]] = []
    for definition, members in by_object.values():
        same = next((g for g in groups if g[0] == definition), None)
        if same is None:
            groups.append((definition, list(members)))
        else:
            same[1].extend(members)
    if not groups:
        return None
    if len(groups) > 1:
        each = "; ".join(f"{definition!r}: {_names(members)}" for definition, members in groups)
        raise InvalidPartition(
            "selected assets must have the same partitions definitions, but the selected "
            f"assets have different partitions definitions: {each}; materialize each "
            "definition's assets in a run of their own"
        )
    return groups[0]


def _unknown(
    definition: PartitionsDefinition,
    key: str,
    store: DynamicPartitionsStore | None,
    current_time: datetime | None,
) -> str:
    """Dagster's "could not find a partition with key", with the keys there are (a dynamic
    definition's: with the command that adds it)."""
    keys = definition.get_partition_keys(current_time, store)
    if isinstance(definition, DynamicPartitionsDefinition):
        return (
            f"partition key {key!r} is not in {definition!r}, which has "
            f"{len(keys)} key{'' if len(keys) == 1 else 's'}; add it first: "
            f"upstream partitions add {shlex.quote(definition.name)} {shlex.quote(key)}"
        )
    if not keys:
        return f"partition key {key!r} is not in {definition!r}, which has no partitions yet"
    hint = did_you_mean(key, keys) if len(keys) <= _HINT_MAX else ""
    span = f"its {len(keys)} keys run from {keys[0]!r} to {keys[-1]!r}"
    return f"partition key {key!r} is not in {definition!r}; {hint + ' ' if hint else ''}{span}"


def _names(keys: Sequence[AssetKey]) -> str:
    shown = ", ".join(repr(k.to_user_string()) for k in keys[:5])
    more = f" (and {len(keys) - 5} more)" if len(keys) > 5 else ""
    return f"asset{'s' if len(keys) > 1 else ''} {shown}{more}"


def _shown(partition: PartitionKeyRange) -> str:
    start, end = partition
    return repr(start) if start == end else f"{start}...{end}"
