"""Partition mappings: which upstream partitions a downstream partition reads, and back.

Pure. Each mapping has a JSON-safe spec, so a graph snapshot carries the mapping of each
partitioned edge (`partition_mapping_from_spec`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import DynamicPartitionsStore, PartitionsDefinition

__all__ = [
    "AllPartitionMapping",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "PartitionMapping",
    "default_partition_mapping",
    "partition_mapping_from_spec",
    "register_mapping_spec",
]


class PartitionMapping(ABC):
    """Dagster's `PartitionMapping`, asked in keys: a downstream partition's upstream keys."""

    @abstractmethod
    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The upstream keys that `downstream_keys` read, in `upstream_def`'s order
        (`downstream_keys` None: the downstream asset is not partitioned)."""

    @abstractmethod
    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The downstream keys that read any of `upstream_keys`, in `downstream_def`'s order."""

    @abstractmethod
    def to_spec(self) -> dict[str, Any]:
        """A JSON-safe description with a "type" field."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionMapping) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(repr(self.to_spec()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class IdentityPartitionMapping(PartitionMapping):
    """Each downstream partition reads the upstream partition of the same key."""

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if downstream_keys is None:
            return list(upstream_def.get_partition_keys(current_time, dynamic_partitions_store))
        keys = upstream_def.get_partition_keys(current_time, dynamic_partitions_store)
        wanted = set(downstream_keys)
        return [k for k in keys if k in wanted]

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        keys = downstream_def.get_partition_keys(current_time, dynamic_partitions_store)
        wanted = set(upstream_keys)
        return [k for k in keys if k in wanted]

    def to_spec(self) -> dict[str, Any]:
        return {"type": "identity"}


class AllPartitionMapping(PartitionMapping):
    """Every downstream partition reads every upstream partition."""

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        return list(upstream_def.get_partition_keys(current_time, dynamic_partitions_store))

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if not upstream_keys:
            return []
        return list(downstream_def.get_partition_keys(current_time, dynamic_partitions_store))

    def to_spec(self) -> dict[str, Any]:
        return {"type": "all"}


class LastPartitionMapping(PartitionMapping):
    """Every downstream partition reads the upstream's last partition."""

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        last = upstream_def.get_last_partition_key(current_time, dynamic_partitions_store)
        return [] if last is None else [last]

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        last = upstream_def.get_last_partition_key(current_time, dynamic_partitions_store)
        if last is None or last not in upstream_keys:
            return []
        return list(downstream_def.get_partition_keys(current_time, dynamic_partitions_store))

    def to_spec(self) -> dict[str, Any]:
        return {"type": "last"}


def default_partition_mapping(
    upstream_def: PartitionsDefinition, downstream_def: PartitionsDefinition | None
) -> PartitionMapping:
    """The mapping an edge from a partitioned asset gets when none is given (Dagster's
    inference): all partitions to an unpartitioned reader, else the identity."""
    if downstream_def is None:
        return AllPartitionMapping()
    return IdentityPartitionMapping()


_FROM_SPEC: dict[str, Callable[[Mapping[str, Any]], PartitionMapping]] = {
    "identity": lambda _: IdentityPartitionMapping(),
    "all": lambda _: AllPartitionMapping(),
    "last": lambda _: LastPartitionMapping(),
}


def register_mapping_spec(
    kind: str, build: Callable[[Mapping[str, Any]], PartitionMapping]
) -> None:
    """Let `partition_mapping_from_spec` rebuild specs whose "type" is `kind`."""
    _FROM_SPEC[kind] = build


def partition_mapping_from_spec(spec: Mapping[str, Any]) -> PartitionMapping:
    """The mapping `PartitionMapping.to_spec` described."""
    build = _FROM_SPEC.get(str(spec.get("type")))
    if build is None:
        raise DefinitionsError(f"unknown partition mapping type {spec.get('type')!r}")
    return build(spec)
