"""`MultiPartitionsDefinition`: the cross product of two dimensions, keys like "2024-01-01|a".

Pure. Dagster's rules: exactly two named dimensions, each static, time window or dynamic;
a key joins the dimensions' keys with "|" in the order of the dimension names; the keys run
through the first dimension (by name) slowest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionsDefinition,
    partitions_def_from_spec,
    register_partitions_spec,
)
from upstream.model.partitions.dynamic import DynamicPartitionsDefinition
from upstream.model.partitions.static import StaticPartitionsDefinition
from upstream.model.partitions.time_window import TimeWindowPartitionsDefinition

__all__ = [
    "MULTIPARTITION_KEY_DELIMITER",
    "MultiPartitionKey",
    "MultiPartitionsDefinition",
    "PartitionDimensionDefinition",
    "PartitionDimensionKey",
]

MULTIPARTITION_KEY_DELIMITER = "|"
_INVALID_KEY_CHARACTERS = set("|,[]")


class PartitionDimensionKey(NamedTuple):
    """One dimension's part of a `MultiPartitionKey`."""

    dimension_name: str
    partition_key: str


class PartitionDimensionDefinition(NamedTuple):
    """One named dimension of a `MultiPartitionsDefinition`."""

    name: str
    partitions_def: PartitionsDefinition


class MultiPartitionKey(str):
    """Dagster's: a str ("2024-01-01|a", the dimensions' keys in the order of their names)
    that also knows its key in each dimension."""

    _names: tuple[str, ...]
    _parts: tuple[str, ...]

    def __new__(cls, keys_by_dimension: Mapping[str, str]) -> MultiPartitionKey:
        names = tuple(sorted(keys_by_dimension))
        parts = tuple(keys_by_dimension[name] for name in names)
        for name, part in zip(names, parts, strict=True):
            if not isinstance(part, str):
                raise DefinitionsError(
                    f"the key of dimension {name!r} must be a string, got {part!r}"
                )
        return cls._of(names, parts)

    @classmethod
    def _of(cls, names: tuple[str, ...], parts: tuple[str, ...]) -> MultiPartitionKey:
        """The key of `parts` in dimensions `names` (already sorted): no checks, for bulk."""
        made = str.__new__(cls, MULTIPARTITION_KEY_DELIMITER.join(parts))
        made._names, made._parts = names, parts
        return made

    def __getnewargs__(self) -> tuple[dict[str, str]]:  # type: ignore[override]
        return (self.keys_by_dimension,)

    @property
    def dimension_keys(self) -> list[PartitionDimensionKey]:
        return [PartitionDimensionKey(n, p) for n, p in zip(self._names, self._parts, strict=True)]

    @property
    def keys_by_dimension(self) -> dict[str, str]:
        return dict(zip(self._names, self._parts, strict=True))


_DIMENSION_TYPES = (
    StaticPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    DynamicPartitionsDefinition,
)


class MultiPartitionsDefinition(PartitionsDefinition):
    """Dagster's: `{dimension_name: partitions_def}` with exactly two dimensions."""

    def __init__(self, partitions_defs: Mapping[str, PartitionsDefinition]) -> None:
        if len(partitions_defs) != 2:
            raise DefinitionsError(
                "a MultiPartitionsDefinition has exactly 2 dimensions (Dagster's rule); "
                f"got {len(partitions_defs)}: {sorted(partitions_defs)}"
            )
        for name, partitions_def in partitions_defs.items():
            if not isinstance(name, str) or not name:
                raise DefinitionsError(f"dimension name {name!r} must be a non-empty string")
            if not isinstance(partitions_def, _DIMENSION_TYPES):
                raise DefinitionsError(
                    f"dimension {name!r} is a {type(partitions_def).__name__}; a dimension is a "
                    "StaticPartitionsDefinition, a TimeWindowPartitionsDefinition (daily, "
                    "hourly, ...) or a DynamicPartitionsDefinition"
                )
            if isinstance(partitions_def, StaticPartitionsDefinition):
                bad = [
                    key
                    for key in partitions_def.get_partition_keys()
                    if _INVALID_KEY_CHARACTERS & set(key)
                ]
                if bad:
                    raise DefinitionsError(
                        f"dimension {name!r} has partition keys {bad} with one of the characters "
                        "| , [ ] that a multi-partition key cannot contain"
                    )
        self._dimensions = [
            PartitionDimensionDefinition(name, partitions_defs[name])
            for name in sorted(partitions_defs)
        ]

    @property
    def partitions_defs(self) -> Sequence[PartitionDimensionDefinition]:
        """The dimensions, ordered by name."""
        return list(self._dimensions)

    def dynamic_names(self) -> tuple[str, ...]:
        names = (n for d in self._dimensions for n in d.partitions_def.dynamic_names())
        return tuple(dict.fromkeys(names))

    @property
    def partition_dimension_names(self) -> list[str]:
        return [dimension.name for dimension in self._dimensions]

    def get_partitions_def_for_dimension(self, dimension_name: str) -> PartitionsDefinition:
        for dimension in self._dimensions:
            if dimension.name == dimension_name:
                return dimension.partitions_def
        raise DefinitionsError(
            f"{self!r} has no dimension {dimension_name!r}; its dimensions are "
            f"{self.partition_dimension_names}"
        )

    def _primary_and_secondary(
        self,
    ) -> tuple[PartitionDimensionDefinition, PartitionDimensionDefinition]:
        timed = [
            d
            for d in self._dimensions
            if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)
        ]
        if len(timed) == 1:
            other = next(d for d in self._dimensions if d is not timed[0])
            return timed[0], other
        return self._dimensions[0], self._dimensions[1]

    @property
    def primary_dimension(self) -> PartitionDimensionDefinition:
        """Dagster's: the time dimension if there is exactly one, else the first by name."""
        return self._primary_and_secondary()[0]

    @property
    def secondary_dimension(self) -> PartitionDimensionDefinition:
        return self._primary_and_secondary()[1]

    @property
    def time_window_dimension(self) -> PartitionDimensionDefinition | None:
        """The only time window dimension, None if there is none or two."""
        timed = [
            d
            for d in self._dimensions
            if isinstance(d.partitions_def, TimeWindowPartitionsDefinition)
        ]
        return timed[0] if len(timed) == 1 else None

    def get_partition_key_from_str(self, partition_key_str: str) -> MultiPartitionKey:
        """The `MultiPartitionKey` whose string form is `partition_key_str`."""
        parts = partition_key_str.split(MULTIPARTITION_KEY_DELIMITER)
        if len(parts) != len(self._dimensions):
            raise DefinitionsError(
                f"partition key {partition_key_str!r} is not a key of {self!r}: expected "
                f"{len(self._dimensions)} keys joined by '|' "
                f"({'|'.join(self.partition_dimension_names)})"
            )
        return MultiPartitionKey(
            {d.name: part for d, part in zip(self._dimensions, parts, strict=True)}
        )

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        names = tuple(self.partition_dimension_names)
        per_dimension = [
            d.partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
            for d in self._dimensions
        ]
        make = MultiPartitionKey._of
        return [make(names, parts) for parts in itertools.product(*per_dimension)]

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        if not isinstance(partition_key, MultiPartitionKey):
            if partition_key.count(MULTIPARTITION_KEY_DELIMITER) != len(self._dimensions) - 1:
                return False
            partition_key = self.get_partition_key_from_str(partition_key)
        keys = partition_key.keys_by_dimension
        if set(keys) != set(self.partition_dimension_names):
            return False
        return all(
            d.partitions_def.has_partition_key(keys[d.name], current_time, dynamic_partitions_store)
            for d in self._dimensions
        )

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "multi",
            "dimensions": {d.name: d.partitions_def.to_spec() for d in self._dimensions},
        }

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MultiPartitionsDefinition) and self._dimensions == other._dimensions
        )

    def __hash__(self) -> int:
        return hash(tuple((d.name, d.partitions_def) for d in self._dimensions))

    def __repr__(self) -> str:
        shown = ", ".join(f"{d.name!r}: {d.partitions_def!r}" for d in self._dimensions)
        return f"MultiPartitionsDefinition({{{shown}}})"


def _from_spec(spec: Mapping[str, Any]) -> PartitionsDefinition:
    return MultiPartitionsDefinition(
        {name: partitions_def_from_spec(sub) for name, sub in spec["dimensions"].items()}
    )


register_partitions_spec("multi", _from_spec)
