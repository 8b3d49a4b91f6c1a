"""`AssetDep`: a dependency given in `deps=` with how its partitions map (Dagster's)."""

from __future__ import annotations

from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.keys import AssetKey
from upstream.model.partitions import PartitionMapping

__all__ = ["AssetDep"]


class AssetDep:
    """A dependency on `asset` (a key, an `@asset`, an `AssetSpec` or a `SourceAsset`) for
    `deps=[...]`; `partition_mapping` says which of its partitions each partition of the
    dependent asset needs (default: Dagster's inference)."""

    __slots__ = ("asset_key", "partition_mapping")

    def __init__(self, asset: Any, *, partition_mapping: PartitionMapping | None = None) -> None:
        keys = getattr(asset, "keys", None)
        if isinstance(keys, tuple) and len(keys) > 1:
            raise DefinitionsError(
                f"Cannot create an AssetDep from {asset!r}, which produces several assets; "
                "pass the key of the one it depends on"
            )
        if partition_mapping is not None and not isinstance(partition_mapping, PartitionMapping):
            raise DefinitionsError(
                f"AssetDep(partition_mapping=...) takes a PartitionMapping, got "
                f"{type(partition_mapping).__name__}"
            )
        key = getattr(asset, "key", asset)
        self.asset_key = key if isinstance(key, AssetKey) else AssetKey.from_coercible(key)
        self.partition_mapping = partition_mapping

    @property
    def key(self) -> AssetKey:
        """The key depended on (what `deps=` reads of any dependency)."""
        return self.asset_key

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AssetDep)
            and other.asset_key == self.asset_key
            and other.partition_mapping == self.partition_mapping
        )

    def __hash__(self) -> int:
        return hash((self.asset_key, self.partition_mapping))

    def __repr__(self) -> str:
        mapping = self.partition_mapping
        shown = f", partition_mapping={mapping!r}" if mapping is not None else ""
        return f"AssetDep({self.asset_key.to_user_string()!r}{shown})"


def dep_partition_mappings(deps: Any) -> dict[AssetKey, PartitionMapping]:
    """The partition mappings given by the `AssetDep`s among `deps`, by the key depended on."""
    return {
        dep.asset_key: dep.partition_mapping
        for dep in deps or ()
        if isinstance(dep, AssetDep) and dep.partition_mapping is not None
    }
