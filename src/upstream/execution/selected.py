"""Which of a step's assets a run selected: a task may name some keys of a multi-asset
that can be subset; naming none means all of them."""

from __future__ import annotations

from collections.abc import Sequence

from upstream.model.asset import AssetsDefinition
from upstream.model.errors import UpstreamError
from upstream.model.keys import AssetKey
from upstream.model.multi_asset import MultiAssetsDefinition
from upstream.model.outputs import DEFAULT_OUTPUT

__all__ = ["output_names", "selected_keys"]


def selected_keys(asset: AssetsDefinition, assets: Sequence[str]) -> tuple[AssetKey, ...]:
    """The keys `asset`'s step materializes: those `assets` names (in declaration order),
    or all. A key it does not produce is an error naming the ones it does."""
    if not assets:
        return asset.keys
    wanted = {AssetKey.from_user_string(text) for text in assets}
    unknown = wanted.difference(asset.keys)
    if unknown:
        label = asset.op_name or asset.key.to_user_string()
        known = ", ".join(k.to_user_string() for k in asset.keys)
        raise UpstreamError(
            f"{label!r} does not produce {sorted(k.to_user_string() for k in unknown)}; "
            f"it produces {known}"
        )
    return tuple(k for k in asset.keys if k in wanted)


def output_names(asset: AssetsDefinition, keys: Sequence[AssetKey]) -> frozenset[str]:
    """The output names of `keys` (Dagster's `context.selected_output_names`)."""
    if isinstance(asset, MultiAssetsDefinition):
        return frozenset(asset.output(key).output_name for key in keys)
    return frozenset({DEFAULT_OUTPUT})
