"""Dagster's module loaders: the assets defined in modules and packages, deduplicated, with
an optional group and key prefix. Importing a package's submodules is why this lives here."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import TypeAlias, TypeGuard

from upstream.model.asset import AssetsDefinition
from upstream.model.errors import DefinitionsError, DuplicateAssetKey
from upstream.model.external import SourceAsset
from upstream.model.keys import AssetKey, CoercibleToKeyPrefix, coerce_prefix
from upstream.model.spec import AssetSpec
from upstream.model.with_attributes import with_group, with_prefix

__all__ = [
    "assets_in_module",
    "load_assets_from_current_module",
    "load_assets_from_modules",
    "load_assets_from_package_module",
    "load_assets_from_package_name",
    "modules_in_package",
]


Loaded: TypeAlias = AssetsDefinition | SourceAsset | AssetSpec


def assets_in_module(module: ModuleType, *, include_specs: bool = True) -> Iterator[Loaded]:
    """What Dagster counts as the module's assets: each module attribute that is an asset
    (an `@asset`, a `SourceAsset`, and with `include_specs` an `AssetSpec`), and each element
    of an attribute that is a list of nothing but those. Imported ones too (deduplicated
    later, by identity)."""

    def counts(value: object) -> TypeGuard[Loaded]:
        if isinstance(value, AssetSpec):
            return include_specs
        return isinstance(value, AssetsDefinition | SourceAsset)

    for attr in dir(module):
        value = getattr(module, attr)
        if counts(value):
            yield value
        elif isinstance(value, list) and value and all(counts(v) for v in value):
            yield from value


def _collect(modules: Iterable[ModuleType], include_specs: bool) -> list[Loaded]:
    """Every asset once (by identity); two different assets with one key is an error
    naming both modules."""
    by_id: dict[int, Loaded] = {}
    by_key: dict[AssetKey, tuple[Loaded, str]] = {}
    for module in modules:
        if not isinstance(module, ModuleType):
            raise DefinitionsError(
                f"load_assets_from_modules takes modules (import them first); got {module!r}"
            )
        for found in assets_in_module(module, include_specs=include_specs):
            first = by_key.get(found.key)
            if first is not None and first[0] is not found:
                raise DuplicateAssetKey(
                    found.key.to_user_string(),
                    f"{_origin(first[0])} (found in module {first[1]})",
                    f"{_origin(found)} (found in module {module.__name__})",
                )
            by_key.setdefault(found.key, (found, module.__name__))
            by_id.setdefault(id(found), found)
    return list(by_id.values())


def load_assets_from_modules(
    modules: Iterable[ModuleType],
    group_name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    *,
    include_specs: bool = False,
) -> list[Loaded]:
    """The assets defined in `modules`, each once: `@asset`s and `SourceAsset`s, and with
    `include_specs` `AssetSpec`s (Dagster's default leaves them out). `group_name` puts the
    `@asset`s in that group (one already in another non-default group is an error);
    `key_prefix` prefixes their keys, and dependencies among them follow the new keys.
    External assets keep their keys and groups, as Dagster's `key_prefix` leaves source
    assets alone. The assets returned are copies; the module's own objects are unchanged."""
    found = _collect(modules, include_specs)
    assets = [a for a in found if isinstance(a, AssetsDefinition)]
    prefix = coerce_prefix(key_prefix)
    if prefix:
        assets = with_prefix(assets, prefix)
    if group_name is not None:
        assets = [with_group(a, group_name, loader="load_assets_from_modules") for a in assets]
    return [*assets, *(a for a in found if not isinstance(a, AssetsDefinition))]


def load_assets_from_current_module(
    group_name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    *,
    include_specs: bool = False,
) -> list[Loaded]:
    """`load_assets_from_modules` on the module that calls it (its assets defined so far)."""
    caller = sys._getframe(1).f_globals.get("__name__")
    module = sys.modules.get(caller) if isinstance(caller, str) else None
    if module is None:
        raise DefinitionsError("load_assets_from_current_module: the caller is not a module")
    return load_assets_from_modules(
        [module], group_name=group_name, key_prefix=key_prefix, include_specs=include_specs
    )


def modules_in_package(package: ModuleType) -> Iterator[ModuleType]:
    """The package and every module below it, imported (Dagster's walk)."""
    yield package
    path = getattr(package, "__path__", None)
    if path is None:  # a plain module: nothing below it
        return
    for info in pkgutil.walk_packages(path, prefix=package.__name__ + "."):
        yield importlib.import_module(info.name)


def load_assets_from_package_module(
    package_module: ModuleType,
    group_name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    *,
    include_specs: bool = False,
) -> list[Loaded]:
    """The assets of a package and all its submodules (imported here), as
    `load_assets_from_modules` loads them."""
    return load_assets_from_modules(
        list(modules_in_package(package_module)),
        group_name=group_name,
        key_prefix=key_prefix,
        include_specs=include_specs,
    )


def load_assets_from_package_name(
    package_name: str,
    group_name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    *,
    include_specs: bool = False,
) -> list[Loaded]:
    """`load_assets_from_package_module` on the package imported by name."""
    return load_assets_from_package_module(
        importlib.import_module(package_name),
        group_name=group_name,
        key_prefix=key_prefix,
        include_specs=include_specs,
    )


def _origin(item: Loaded) -> str:
    return item.origin if isinstance(item, AssetsDefinition) else f"{type(item).__name__}"
