"""Copies of assets with a new key prefix or group, for the module loaders (Dagster's
`with_attributes`): dependencies among the copied assets follow their new keys."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace

from upstream.model.asset import DEFAULT_GROUP, AssetsDefinition
from upstream.model.errors import DefinitionsError
from upstream.model.keys import AssetKey

__all__ = ["with_group", "with_prefix"]


def with_prefix(
    assets: Sequence[AssetsDefinition], prefix: Sequence[str]
) -> list[AssetsDefinition]:
    """Each asset under `prefix`; a parameter, `ins` key or `deps` entry naming another of
    `assets` by its old key names its new key, as Dagster's loaders rewrite them."""
    replacements = {a.key: a.key.with_prefix(prefix) for a in assets}
    return [_replaced(a, replacements) for a in assets]


def _replaced(
    asset: AssetsDefinition, replacements: Mapping[AssetKey, AssetKey]
) -> AssetsDefinition:
    inputs = []
    for param in asset.inputs:
        old = param.key if param.key is not None else AssetKey([param.parameter])
        new = replacements.get(old)
        inputs.append(replace(param, key=new) if new is not None else param)
    out = copy.copy(asset)
    out.key = replacements[asset.key]
    out.inputs = tuple(inputs)
    out.deps = tuple(replacements.get(d, d) for d in asset.deps)
    out.dep_partition_mappings = {
        replacements.get(d, d): m for d, m in asset.dep_partition_mappings.items()
    }
    return out


def with_group(asset: AssetsDefinition, group_name: str, *, loader: str) -> AssetsDefinition:
    """A copy in `group_name`. An asset already given another group is an error (Dagster's
    rule): the loader would silently move it."""
    if asset.group_name == group_name:
        return asset
    if asset.group_name != DEFAULT_GROUP:
        raise DefinitionsError(
            f"asset {asset.key.to_user_string()!r} has group name {asset.group_name!r}, which "
            f"conflicts with the group name {group_name!r} given to {loader}; drop one of them"
        )
    out = copy.copy(asset)
    out.group_name = group_name
    return out
