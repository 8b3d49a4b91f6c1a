"""`AssetSpec`: an asset's attributes without a function; alone in `Definitions`, an external
asset (produced elsewhere, loaded by downstreams through its IO manager), as in Dagster."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from upstream.model.asset_attributes import check_owners, check_tags, resolve_kinds
from upstream.model.errors import DefinitionsError
from upstream.model.keys import AssetKey, CoercibleToAssetKey
from upstream.model.partitions import PartitionsDefinition

__all__ = ["IO_MANAGER_KEY_METADATA", "AssetSpec", "coerce_dep_keys"]

# Where `with_io_manager_key` puts the key; Dagster's name, so ported metadata keeps working.
IO_MANAGER_KEY_METADATA = "dagster/io_manager_key"


def coerce_dep_keys(label: str, deps: Iterable[Any] | None) -> tuple[AssetKey, ...]:
    """Keys of `deps` (keys, strings, lists, anything with a `.key`); a repeat is an error,
    as in Dagster."""
    keys: list[AssetKey] = []
    for dep in deps or ():
        if getattr(dep, "partition_mapping", None) is not None:
            raise DefinitionsError(
                f"asset {label!r}: an AssetSpec's deps take no partition_mapping yet; give "
                "the mapping on the multi_asset's deps=[AssetDep(..., partition_mapping=...)]"
            )
        key = getattr(dep, "key", dep)
        key = key if isinstance(key, AssetKey) else AssetKey.from_coercible(key)
        if key in keys:
            raise DefinitionsError(
                f"asset {label!r}: deps names {key.to_user_string()!r} twice; list it once"
            )
        keys.append(key)
    return tuple(keys)


def check_partitions_def(label: str, partitions_def: object) -> None:
    if partitions_def is not None and not isinstance(partitions_def, PartitionsDefinition):
        raise DefinitionsError(
            f"asset {label!r}: partitions_def takes a PartitionsDefinition, got {partitions_def!r}"
        )


@dataclass(frozen=True, init=False)
class AssetSpec:
    """An asset's key, deps and catalog attributes (fields in Dagster's order).

    `Definitions(assets=[AssetSpec("raw")])` declares an external asset: it is in the graph
    and catalog, downstreams may load it by parameter name or order after it with `deps=`,
    and upstream never materializes it.
    """

    key: AssetKey
    deps: tuple[AssetKey, ...]
    description: str | None
    metadata: Mapping[str, Any]
    group_name: str | None
    skippable: bool
    code_version: str | None
    owners: tuple[str, ...]
    tags: Mapping[str, str]
    kinds: frozenset[str]
    partitions_def: PartitionsDefinition | None

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
        owners: Sequence[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
        partitions_def: PartitionsDefinition | None = None,
    ) -> None:
        asset_key = AssetKey.from_coercible(key)
        label = asset_key.to_user_string()
        checked_tags = check_tags(label, tags)  # Dagster's rules, as for @asset
        kind_set = frozenset(resolve_kinds(label, kinds, None, checked_tags))
        values = {
            "key": asset_key,
            "deps": coerce_dep_keys(label, deps),
            "description": description,
            "metadata": dict(metadata or {}),
            "group_name": group_name,
            "skippable": skippable,
            "code_version": code_version,
            "owners": check_owners(label, owners),
            "tags": checked_tags,
            "kinds": kind_set,
            "partitions_def": partitions_def,
        }
        check_partitions_def(label, partitions_def)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def io_manager_key(self) -> str | None:
        """The IO manager downstreams load this asset with (None: the default one)."""
        value = self.metadata.get(IO_MANAGER_KEY_METADATA)
        return value if isinstance(value, str) else None

    def with_io_manager_key(self, io_manager_key: str) -> AssetSpec:
        """A copy whose downstreams load it through the IO manager `io_manager_key`."""
        return self.replace_attributes(
            metadata={**self.metadata, IO_MANAGER_KEY_METADATA: io_manager_key}
        )

    def replace_attributes(self, **changes: Any) -> AssetSpec:
        """A copy with the named attributes replaced (`key=`, `deps=`, `metadata=`, ...)."""
        unknown = sorted(set(changes) - set(self.__dataclass_fields__))
        if unknown:
            raise DefinitionsError(f"AssetSpec has no attribute {', '.join(map(repr, unknown))}")
        return AssetSpec(**{**self._fields(), **changes})

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def merge_attributes(
        self,
        *,
        deps: Iterable[Any] = (),
        metadata: Mapping[str, Any] | None = None,
        owners: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] = (),
    ) -> AssetSpec:
        """A copy with deps, owners and kinds added and metadata and tags merged in."""
        return self.replace_attributes(
            deps=(*self.deps, *coerce_dep_keys(self.key.to_user_string(), deps)),
            metadata={**self.metadata, **(metadata or {})},
            owners=(*self.owners, *owners),
            tags={**self.tags, **(tags or {})},
            kinds=self.kinds | set(kinds),
        )
