"""Run config checked against the assets before anything runs: every op it names is an
asset, and every selected asset's `Config` accepts its entry (or its defaults)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from upstream.model.asset import AssetsDefinition
from upstream.model.config import (
    RunConfigError,
    RunConfigInput,
    build_config,
    normalize_run_config,
    op_name,
)
from upstream.model.definitions import Definitions
from upstream.model.errors import did_you_mean
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey

__all__ = ["check_op_names", "validate_run_config"]

_ENTRY_KEYS = ("config",)


def check_op_names(run_config: RunConfigInput, keys: Iterable[AssetKey]) -> dict[str, Any]:
    """The normalised run config, once every op it names is one of `keys` and each entry
    holds only 'config'; what can be checked from the graph alone (a cluster's web UI)."""
    normalized = normalize_run_config(run_config)
    by_op = {op_name(key): key for key in keys}
    for name, entry in (normalized.get("ops") or {}).items():
        if name not in by_op:
            hint = did_you_mean(name, by_op) or (
                "run config names assets by op name: key parts joined by '__'"
            )
            raise RunConfigError(f"run config: ops names {name!r}, which is no asset; {hint}")
        extra = [k for k in entry if k not in _ENTRY_KEYS]
        if extra:
            raise RunConfigError(
                f"run config for asset {by_op[name].to_user_string()!r}: unknown key "
                f"{extra[0]!r} in ops.{name}; an asset's entry holds only 'config'"
            )
    return normalized


def validate_run_config(
    definitions: Definitions, run_config: RunConfigInput, steps: Iterable[str] | None = None
) -> dict[str, Any]:
    """The normalised run config, once it fits: raises `RunConfigError` naming the asset
    and field. `steps` (asset keys as user strings; all assets if None) are those whose
    config is built to check it; an entry for an asset outside them is accepted unused, so
    a run re-executed in part keeps its config. The `resources` part is carried as is:
    the resources' own check reads it."""
    normalized = check_op_names(run_config, [config_key(asset) for asset in definitions.assets])
    chosen = definitions.assets if steps is None else [definitions.get_step(step) for step in steps]
    for asset in chosen:
        if asset.config_type is not None:
            build_config(asset.config_type, normalized, config_key(asset))
    return normalized


def config_key(asset: AssetsDefinition) -> AssetKey:
    """The key whose op name is `asset`'s entry in run config's `ops`: a multi-asset's op
    name, else the asset's key (`prefix__name`, as Dagster's op)."""
    return AssetKey([asset.op_name]) if asset.op_name is not None else asset.key


def config_keys(graph: AssetGraph) -> list[AssetKey]:
    """`config_key` of every step of `graph`, from the graph alone (a cluster's web UI)."""
    keys = [node.key for node in graph.nodes if node.op is None and not node.is_external]
    return keys + [AssetKey([op]) for op in graph.ops]
