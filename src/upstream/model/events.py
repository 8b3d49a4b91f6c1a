"""`AssetMaterialization`: a materialization an asset reports of another asset (a table it
also wrote, an external asset it refreshed), logged with `context.log_event`, as in Dagster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.keys import AssetKey, CoercibleToAssetKey

__all__ = ["AssetMaterialization"]


class AssetMaterialization:
    """A runtime materialization of `asset_key`, recorded with the step that logged it: in
    the run's event log and the catalog, with its own metadata."""

    __slots__ = ("asset_key", "description", "metadata", "tags")

    def __init__(
        self,
        asset_key: CoercibleToAssetKey,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        partition: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        if partition is not None:
            raise DefinitionsError(
                "AssetMaterialization(partition=...): partitions are not supported yet "
                "(issue 18); leave partition out"
            )
        self.asset_key = AssetKey.from_coercible(asset_key)
        self.description = description
        self.metadata = dict(metadata or {})
        self.tags = dict(tags or {})

    def __repr__(self) -> str:
        return f"AssetMaterialization(asset_key={self.asset_key.to_user_string()!r})"
