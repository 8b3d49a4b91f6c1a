"""Dynamic partition keys for the steps a worker runs, read from the state store.

Keys are added while workers run (`upstream partitions add`), so the keys read are kept
only `ttl` seconds, and read again at once when a step's own partition is not among them.
A graph with no dynamic partitions never asks: its steps get no store.
"""

from __future__ import annotations

import time

from upstream.model.graph import AssetGraph
from upstream.model.partitions import PartitionKeyRange, PartitionsDefinition
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import FetchedDynamicPartitions, load_dynamic_partitions

__all__ = ["DYNAMIC_KEYS_TTL", "DynamicKeys"]

DYNAMIC_KEYS_TTL = 2.0  # seconds the keys read are used before they are read again


class DynamicKeys:
    """The keys of `graph`'s dynamic definitions, read from `storage` when a step needs them."""

    def __init__(self, storage: RunStorage, graph: AssetGraph, ttl: float = DYNAMIC_KEYS_TTL):
        self._storage = storage
        self._names = graph.dynamic_partition_names
        self._ttl = ttl
        self._keys: FetchedDynamicPartitions | None = None
        self._read_at = 0.0

    async def for_step(
        self, definition: PartitionsDefinition | None, partition: PartitionKeyRange | None
    ) -> FetchedDynamicPartitions | None:
        """The store for a step of `definition` over `partition` (None: the graph has no
        dynamic definition). A cached store that lacks the step's keys is read again."""
        if not self._names:
            return None
        keys = self._keys
        if keys is None or time.monotonic() - self._read_at > self._ttl:
            return await self._read()
        if definition is not None and partition is not None and definition.dynamic_names():
            for key in dict.fromkeys(partition):
                if not definition.has_partition_key(key, dynamic_partitions_store=keys):
                    return await self._read()  # added since the last read
        return keys

    async def _read(self) -> FetchedDynamicPartitions:
        self._keys = await load_dynamic_partitions(self._storage, self._names)
        self._read_at = time.monotonic()
        return self._keys


def dynamic_keys_in(storage: RunStorage, graph: AssetGraph) -> DynamicKeys | None:
    """A `DynamicKeys` for workers of `graph` (None when it has no dynamic definition)."""
    return DynamicKeys(storage, graph) if graph.dynamic_partition_names else None
