"""Partition mappings: which upstream partitions a downstream partition reads, and back.

Pure. Each mapping has a JSON-safe spec, so a graph snapshot carries the mapping of each
partitioned edge (`partition_mapping_from_spec`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import DynamicPartitionsStore, PartitionsDefinition

__all__ = [
    "AllPartitionMapping",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "PartitionMapping",
    "SpecificPartitionsPartitionMapping",
    "StaticPartitionMapping",
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


class StaticPartitionMapping(PartitionMapping):
    """Dagster's: an explicit table from each upstream key to the downstream key(s) it feeds."""

    def __init__(
        self,
        downstream_partition_keys_by_upstream_partition_key: Mapping[str, str | Collection[str]],
    ) -> None:
        table: dict[str, tuple[str, ...]] = {}
        for upstream, downstream in downstream_partition_keys_by_upstream_partition_key.items():
            table[upstream] = (downstream,) if isinstance(downstream, str) else tuple(downstream)
        self.downstream_partition_keys_by_upstream_partition_key = table

    def _check(
        self,
        keys: Sequence[str],
        partitions_def: PartitionsDefinition,
        side: str,
        store: DynamicPartitionsStore | None,
    ) -> None:
        unknown = [k for k in keys if not partitions_def.has_partition_key(k, None, store)]
        if unknown:
            raise DefinitionsError(
                f"StaticPartitionMapping names {side} partition keys {unknown} that are not in "
                f"{partitions_def!r}; fix the mapping's table"
            )

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        table = self.downstream_partition_keys_by_upstream_partition_key
        self._check(list(table), upstream_def, "upstream", dynamic_partitions_store)
        if downstream_keys is None:
            return list(upstream_def.get_partition_keys(current_time, dynamic_partitions_store))
        wanted = set(downstream_keys)
        readers = {up for up, downs in table.items() if wanted.intersection(downs)}
        keys = upstream_def.get_partition_keys(current_time, dynamic_partitions_store)
        return [k for k in keys if k in readers]

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        table = self.downstream_partition_keys_by_upstream_partition_key
        targets = {d for up in upstream_keys for d in table.get(up, ())}
        self._check(sorted(targets), downstream_def, "downstream", dynamic_partitions_store)
        keys = downstream_def.get_partition_keys(current_time, dynamic_partitions_store)
        return [k for k in keys if k in targets]

    def to_spec(self) -> dict[str, Any]:
        table = self.downstream_partition_keys_by_upstream_partition_key
        return {"type": "static", "table": {up: list(downs) for up, downs in table.items()}}

    def __repr__(self) -> str:
        table = self.downstream_partition_keys_by_upstream_partition_key
        return f"StaticPartitionMapping({ {k: list(v) for k, v in table.items()} })"


class SpecificPartitionsPartitionMapping(PartitionMapping):
    """Dagster's: every downstream partition reads the upstream partitions `partition_keys`."""

    def __init__(self, partition_keys: Sequence[str]) -> None:
        if isinstance(partition_keys, str):
            raise DefinitionsError(
                f"partition_keys must be a list of keys, got the string {partition_keys!r}; "
                f"write [{partition_keys!r}]"
            )
        self.partition_keys = list(partition_keys)

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        unknown = [
            k
            for k in self.partition_keys
            if not upstream_def.has_partition_key(k, current_time, dynamic_partitions_store)
        ]
        if unknown:
            raise DefinitionsError(
                f"SpecificPartitionsPartitionMapping reads upstream partitions {unknown} that "
                f"are not in {upstream_def!r}; name existing partitions"
            )
        return list(dict.fromkeys(self.partition_keys))

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if not set(upstream_keys).intersection(self.partition_keys):
            return []
        return list(downstream_def.get_partition_keys(current_time, dynamic_partitions_store))

    def to_spec(self) -> dict[str, Any]:
        return {"type": "specific", "partition_keys": list(self.partition_keys)}

    def __repr__(self) -> str:
        return f"SpecificPartitionsPartitionMapping({self.partition_keys!r})"


def default_partition_mapping(
    upstream_def: PartitionsDefinition, downstream_def: PartitionsDefinition | None
) -> PartitionMapping:
    """The mapping an edge from a partitioned asset gets when none is given (Dagster's
    `infer_partition_mapping`): all partitions to an unpartitioned reader; between a
    multi-partitioned asset and a single-dimension one sharing a dimension (or the multi's
    only time dimension), `MultiToSingleDimensionPartitionMapping`; between two time
    definitions, `TimeWindowPartitionMapping` (so a daily asset reads its 24 hours); else
    the identity."""
    from upstream.model.partitions.multi_mapping import (
        MultiToSingleDimensionPartitionMapping,
        shared_dimension,
    )
    from upstream.model.partitions.time_mapping import TimeWindowPartitionMapping
    from upstream.model.partitions.time_window import TimeWindowPartitionsDefinition

    if downstream_def is None:
        return AllPartitionMapping()
    if shared_dimension(upstream_def, downstream_def) is not None:
        return MultiToSingleDimensionPartitionMapping()
    if isinstance(upstream_def, TimeWindowPartitionsDefinition) and isinstance(
        downstream_def, TimeWindowPartitionsDefinition
    ):
        return TimeWindowPartitionMapping()
    return IdentityPartitionMapping()


_FROM_SPEC: dict[str, Callable[[Mapping[str, Any]], PartitionMapping]] = {
    "identity": lambda _: IdentityPartitionMapping(),
    "all": lambda _: AllPartitionMapping(),
    "last": lambda _: LastPartitionMapping(),
    "static": lambda spec: StaticPartitionMapping(spec["table"]),
    "specific": lambda spec: SpecificPartitionsPartitionMapping(spec["partition_keys"]),
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
