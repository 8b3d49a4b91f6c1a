"""Dynamic partitions for pure code: keys read from storage (async), held in memory (sync).

The planner and the partitions definitions are pure and synchronous, and take a
`DynamicPartitionsStore`; storage answers asynchronously. So a caller reads the names it
needs first (`load_dynamic_partitions`) and hands the pure code this snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from upstream.model.graph import AssetGraph
from upstream.model.partitions import PartitionsDefinition
from upstream.storage.base import RunStorage

__all__ = [
    "FetchedDynamicPartitions",
    "dynamic_store_for",
    "dynamic_store_for_graph",
    "load_dynamic_partitions",
]


class FetchedDynamicPartitions:
    """A `DynamicPartitionsStore` over keys already fetched: name -> keys in added order.
    A name never fetched has no keys (as an unknown name has none in storage)."""

    def __init__(self, keys: Mapping[str, Sequence[str]]) -> None:
        self._keys = {name: list(found) for name, found in keys.items()}
        self._sets = {name: frozenset(found) for name, found in keys.items()}

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        return list(self._keys.get(partitions_def_name, ()))

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self._sets.get(partitions_def_name, frozenset())


async def load_dynamic_partitions(
    storage: RunStorage, names: Iterable[str]
) -> FetchedDynamicPartitions:
    """Read the keys of each of `names` (one query each) into a sync store."""
    found = {name: await storage.get_dynamic_partitions(name) for name in dict.fromkeys(names)}
    return FetchedDynamicPartitions(found)


async def dynamic_store_for(
    storage: RunStorage, definition: PartitionsDefinition
) -> FetchedDynamicPartitions:
    """The dynamic keys `definition` needs (none for a static or time one), fetched."""
    return await load_dynamic_partitions(storage, definition.dynamic_names())


async def dynamic_store_for_graph(
    storage: RunStorage, graph: AssetGraph
) -> FetchedDynamicPartitions | None:
    """The keys of every dynamic definition of `graph`, fetched (one query a name); None,
    with no query, for a graph without one (the planner needs no store then)."""
    names = graph.dynamic_partition_names
    return await load_dynamic_partitions(storage, names) if names else None
