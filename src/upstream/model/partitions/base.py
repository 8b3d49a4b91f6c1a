"""What every partitions definition answers: its keys, in order, and a JSON-safe spec.

Pure. The spec travels in the graph snapshot, so the coordinator and the web expand keys and
ranges without importing user code (`partitions_def_from_spec`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from upstream.model.errors import DefinitionsError

__all__ = [
    "DynamicPartitionsStore",
    "PartitionKeyRange",
    "PartitionsDefinition",
    "partitions_def_from_spec",
    "register_partitions_spec",
]


class PartitionKeyRange(NamedTuple):
    """Dagster's inclusive range of partition keys, `start` to `end` in the definition's order."""

    start: str
    end: str


class DynamicPartitionsStore(Protocol):
    """Where a `DynamicPartitionsDefinition`'s keys live (storage; Dagster's instance)."""

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]: ...

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool: ...


class PartitionsDefinition(ABC):
    """Dagster's `PartitionsDefinition`: an ordered set of string keys."""

    @abstractmethod
    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        """Every key, in order (time partitions: those that have ended by `current_time`,
        default now, with `end_offset`)."""

    @abstractmethod
    def to_spec(self) -> dict[str, Any]:
        """A JSON-safe description with a "type" field; `partitions_def_from_spec` rebuilds it."""

    def dynamic_names(self) -> tuple[str, ...]:
        """The names of the dynamic partitions whose keys (kept in storage) this definition
        reads; () for one that needs none, so callers query storage only when they must."""
        return ()

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return partition_key in self.get_partition_keys(current_time, dynamic_partitions_store)

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        """The keys from `start` to `end`, both included; a key not in the definition is a
        `DefinitionsError` naming it."""
        keys = self.get_partition_keys(dynamic_partitions_store=dynamic_partitions_store)
        index = {key: i for i, key in enumerate(keys)}
        start, end = partition_key_range
        for key in (start, end):
            if key not in index:
                raise DefinitionsError(f"partition key {key!r} is not in {self!r}")
        return list(keys[index[start] : index[end] + 1])

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[0] if keys else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[-1] if keys else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionsDefinition) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_spec().items())))


_FROM_SPEC: dict[str, Callable[[Mapping[str, Any]], PartitionsDefinition]] = {}


def register_partitions_spec(
    kind: str, build: Callable[[Mapping[str, Any]], PartitionsDefinition]
) -> None:
    """Let `partitions_def_from_spec` rebuild specs whose "type" is `kind`."""
    _FROM_SPEC[kind] = build


def partitions_def_from_spec(spec: Mapping[str, Any]) -> PartitionsDefinition:
    """The definition `PartitionsDefinition.to_spec` described."""
    build = _FROM_SPEC.get(str(spec.get("type")))
    if build is None:
        raise DefinitionsError(f"unknown partitions definition type {spec.get('type')!r}")
    return build(spec)
