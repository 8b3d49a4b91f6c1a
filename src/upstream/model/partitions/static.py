"""`StaticPartitionsDefinition`: a fixed list of keys, in the order given."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionsDefinition,
    register_partitions_spec,
)

__all__ = ["StaticPartitionsDefinition"]


class StaticPartitionsDefinition(PartitionsDefinition):
    """Dagster's: the keys given, unique, in their order."""

    def __init__(self, partition_keys: Sequence[str]) -> None:
        keys = list(partition_keys)
        duplicates = sorted(k for k, n in Counter(keys).items() if n > 1)
        if duplicates:
            raise DefinitionsError(
                f"StaticPartitionsDefinition has duplicate partition keys {duplicates}; "
                "each key must appear once"
            )
        for key in keys:
            if not isinstance(key, str):
                raise DefinitionsError(f"partition key {key!r} is not a string")
        self._keys = tuple(keys)

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return list(self._keys)

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        return partition_key in self._keys

    def to_spec(self) -> dict[str, Any]:
        return {"type": "static", "keys": list(self._keys)}

    def __repr__(self) -> str:
        shown = ", ".join(repr(k) for k in self._keys[:5])
        return f"StaticPartitionsDefinition([{shown}{', ...' if len(self._keys) > 5 else ''}])"


def _from_spec(spec: Mapping[str, Any]) -> PartitionsDefinition:
    return StaticPartitionsDefinition(spec["keys"])


register_partitions_spec("static", _from_spec)
