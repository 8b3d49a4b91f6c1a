"""`DynamicPartitionsDefinition`: keys added and deleted at run time, kept in storage.

Pure. The keys live in a `DynamicPartitionsStore` (storage, read by the caller); the
definition only names them. Requests to add or delete keys are records the caller applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionsDefinition,
    register_partitions_spec,
)

__all__ = [
    "AddDynamicPartitionsRequest",
    "DeleteDynamicPartitionsRequest",
    "DynamicPartitionsDefinition",
]


class AddDynamicPartitionsRequest(NamedTuple):
    """Dagster's: add `partition_keys` to the dynamic partitions named `partitions_def_name`."""

    partitions_def_name: str
    partition_keys: Sequence[str]


class DeleteDynamicPartitionsRequest(NamedTuple):
    """Dagster's: delete `partition_keys` from the dynamic partitions `partitions_def_name`."""

    partitions_def_name: str
    partition_keys: Sequence[str]


class DynamicPartitionsDefinition(PartitionsDefinition):
    """Dagster's: the keys stored under `name`, in the order they were added."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise DefinitionsError(
                "DynamicPartitionsDefinition needs a name (the keys are stored under it), "
                "e.g. DynamicPartitionsDefinition(name='customers')"
            )
        self.name = name

    def dynamic_names(self) -> tuple[str, ...]:
        return (self.name,)

    def _store(self, store: DynamicPartitionsStore | None) -> DynamicPartitionsStore:
        if store is None:
            raise DefinitionsError(
                f"the keys of {self!r} live in storage; pass dynamic_partitions_store= "
                "(the instance's store of dynamic partitions) to read them"
            )
        return store

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return list(self._store(dynamic_partitions_store).get_dynamic_partitions(self.name))

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        store = self._store(dynamic_partitions_store)
        return store.has_dynamic_partition(self.name, partition_key)

    def build_add_request(self, partition_keys: Sequence[str]) -> AddDynamicPartitionsRequest:
        """A request (for a sensor, say) to add `partition_keys`."""
        return AddDynamicPartitionsRequest(self.name, list(_keys(partition_keys)))

    def build_delete_request(self, partition_keys: Sequence[str]) -> DeleteDynamicPartitionsRequest:
        """A request to delete `partition_keys`."""
        return DeleteDynamicPartitionsRequest(self.name, list(_keys(partition_keys)))

    def to_spec(self) -> dict[str, Any]:
        return {"type": "dynamic", "name": self.name}

    def __repr__(self) -> str:
        return f"DynamicPartitionsDefinition(name={self.name!r})"


def _keys(partition_keys: Sequence[str]) -> Sequence[str]:
    if isinstance(partition_keys, str):
        raise DefinitionsError(
            f"partition_keys must be a list of keys, got the string {partition_keys!r}; "
            f"write [{partition_keys!r}]"
        )
    for key in partition_keys:
        if not isinstance(key, str):
            raise DefinitionsError(f"partition key {key!r} is not a string")
    return partition_keys


def _from_spec(spec: Mapping[str, Any]) -> PartitionsDefinition:
    return DynamicPartitionsDefinition(spec["name"])


register_partitions_spec("dynamic", _from_spec)
