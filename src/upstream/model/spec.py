"""`AssetSpec`: the description of one asset without its function, as Dagster's.

Used here by `@multi_asset(specs=[...])`; the same frozen record describes external assets
(another branch builds those), so the two can be merged into this one module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from upstream.model.keys import AssetKey, CoercibleToAssetKey

__all__ = ["AssetSpec"]


@dataclass(frozen=True, init=False)
class AssetSpec:
    """An asset's key and attributes. `skippable=True` lets a multi-asset leave it
    unmaterialized in a run (Dagster's name for an optional output)."""

    key: AssetKey
    deps: tuple[AssetKey, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    group_name: str | None = None
    skippable: bool = False
    code_version: str | None = None
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset()

    def __init__(
        self,
        key: CoercibleToAssetKey,
        *,
        deps: Iterable[Any] | None = None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        skippable: bool = False,
        code_version: str | None = None,
        owners: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> None:
        put = object.__setattr__  # frozen: set once, here
        put(self, "key", AssetKey.from_coercible(key))
        put(self, "deps", tuple(_dep_key(d) for d in deps or ()))
        put(self, "description", description)
        put(self, "metadata", dict(metadata or {}))
        put(self, "group_name", group_name)
        put(self, "skippable", bool(skippable))
        put(self, "code_version", code_version)
        put(self, "owners", tuple(owners or ()))
        put(self, "tags", dict(tags or {}))
        put(self, "kinds", frozenset(kinds or ()))


def _dep_key(dep: Any) -> AssetKey:
    """A dep given as a key, a string, an AssetSpec or an asset definition (its `key`)."""
    key = getattr(dep, "key", None)
    if isinstance(key, AssetKey):
        return key
    return AssetKey.from_coercible(dep)
