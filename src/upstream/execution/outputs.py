"""What a step's function handed back, sorted per asset: the value to store (if any) and
the metadata to record. Covers a bare value, `Output`, `MaterializeResult`, a tuple in
`outs` order, and what a generator yielded, with Dagster's rules for each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from upstream.model.asset import AssetsDefinition, MaterializeResult
from upstream.model.errors import UpstreamError
from upstream.model.keys import AssetKey
from upstream.model.multi_asset import MultiAssetsDefinition
from upstream.model.outputs import DEFAULT_OUTPUT, Output

__all__ = ["OutputError", "Produced", "collect_outputs"]


class OutputError(UpstreamError):
    """A step's function handed back outputs that do not match what it declares."""


@dataclass
class Produced:
    """One asset materialized by a step: its value, whether the IO manager stores it, and
    the metadata to record with it."""

    key: AssetKey
    value: Any
    store: bool
    metadata: dict[str, Any] = field(default_factory=dict)


def collect_outputs(
    asset: AssetsDefinition,
    selected: Sequence[AssetKey],
    handed: Any,
    yielded: bool,
    context_metadata: Mapping[str | None, Mapping[str, Any]],
) -> list[Produced]:
    """The assets `handed` (a return value, or with `yielded` the list of yielded items)
    materializes, in yield/declaration order. Raises `OutputError` naming the asset and the
    fix for a required output missing, one unknown, unselected or given twice."""
    label = asset.op_name or asset.key.to_user_string()
    names = _output_names(asset)
    items = list(handed) if yielded else _returned(asset, selected, handed, names, label)
    produced: dict[AssetKey, Produced] = {}
    for item in items:
        made = _one(asset, item, names, label)
        if made.key not in selected:
            raise OutputError(
                f"{label!r} produced {made.key.to_user_string()!r}, which this run did not "
                f"select; yield only context.selected_output_names"
            )
        if made.key in produced:
            raise OutputError(
                f"{label!r} produced {made.key.to_user_string()!r} twice; yield each output once"
            )
        produced[made.key] = made
    for key in selected:
        if key not in produced and _required(asset, key):
            output = names[key]
            raise OutputError(
                f"{label!r} did not return an output for non-optional output {output!r}; "
                "return or yield it, or declare it optional (AssetOut(is_required=False), "
                "AssetSpec(skippable=True), @asset(output_required=False))"
            )
    for made in produced.values():
        extra = context_metadata.get(names[made.key])
        if extra is None and not isinstance(asset, MultiAssetsDefinition):
            extra = context_metadata.get(None)
        made.metadata = {**(extra or {}), **made.metadata}
    return list(produced.values())


def _output_names(asset: AssetsDefinition) -> dict[AssetKey, str]:
    if isinstance(asset, MultiAssetsDefinition):
        return {o.key: o.output_name for o in asset.outputs}
    return {asset.key: DEFAULT_OUTPUT}


def _required(asset: AssetsDefinition, key: AssetKey) -> bool:
    if isinstance(asset, MultiAssetsDefinition):
        return asset.output(key).is_required
    return asset.output_required


def _returned(
    asset: AssetsDefinition,
    selected: Sequence[AssetKey],
    value: Any,
    names: Mapping[AssetKey, str],
    label: str,
) -> list[Any]:
    """A return value as the list of items it stands for."""
    if not isinstance(asset, MultiAssetsDefinition):
        return [value]
    if value is None and all(_is_spec(asset, k) for k in selected):
        return [MaterializeResult(asset_key=k) for k in selected]  # specs store nothing
    if len(selected) == 1 and not isinstance(value, tuple):
        return [
            value
            if isinstance(value, Output | MaterializeResult)
            else Output(value, names[selected[0]])
        ]
    if not isinstance(value, tuple) or len(value) != len(selected):
        wanted = ", ".join(repr(names[k]) for k in selected)
        got = f"a tuple of {len(value)}" if isinstance(value, tuple) else type(value).__name__
        raise OutputError(
            f"{label!r} must return a tuple of {len(selected)} values ({wanted}, in outs "
            f"order), got {got}; or yield Output(value, output_name=...) per output"
        )
    return [
        item if isinstance(item, Output | MaterializeResult) else Output(item, names[key])
        for key, item in zip(selected, value, strict=True)
    ]


def _is_spec(asset: MultiAssetsDefinition, key: AssetKey) -> bool:
    return asset.output(key).from_spec


def _one(asset: AssetsDefinition, item: Any, names: Mapping[AssetKey, str], label: str) -> Produced:
    if isinstance(item, MaterializeResult):
        if item.asset_key is None:
            if isinstance(asset, MultiAssetsDefinition) and len(asset.outputs) > 1:
                raise OutputError(
                    f"{label!r} produces several assets: give each MaterializeResult its "
                    "asset_key=..."
                )
            key = asset.key
        else:
            key = AssetKey.from_coercible(item.asset_key)
            if key not in names:
                known = ", ".join(repr(k.to_user_string()) for k in names)
                raise OutputError(
                    f"{label!r} returned a MaterializeResult for {key.to_user_string()!r}, "
                    f"which it does not produce; it produces {known}"
                )
        return Produced(key, item.value, item.value is not None, dict(item.metadata))
    if isinstance(item, Output):
        by_name = {name: key for key, name in names.items()}
        key_for = by_name.get(item.output_name)
        if key_for is None:
            known = ", ".join(repr(n) for n in by_name)
            raise OutputError(
                f"{label!r} yielded Output(output_name={item.output_name!r}); its outputs "
                f"are {known}"
            )
        return Produced(key_for, item.value, True, dict(item.metadata))
    if isinstance(asset, MultiAssetsDefinition):
        raise OutputError(
            f"{label!r} yielded {type(item).__name__}; a multi-asset yields "
            "Output(value, output_name=...) or MaterializeResult(asset_key=...)"
        )
    return Produced(asset.key, item, True)
