"""The arguments of `materialize()` made into what a run needs: the definitions (with test
resources, or in-memory IO managers), the plan (from any of Dagster's selection forms),
and a clear error for what is not supported yet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from upstream.execution.io_managers import InMemoryIOManager
from upstream.model.asset import AssetsDefinition
from upstream.model.definitions import Definitions
from upstream.model.errors import ConfigurationError, SelectionError
from upstream.model.external import SourceAsset
from upstream.model.graph import AssetGraph
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import AssetKey
from upstream.model.resources import provides_io_manager
from upstream.model.spec import AssetSpec
from upstream.planning.asset_selection import AssetSelection
from upstream.planning.plan import Plan, build_plan, cut_plan

__all__ = [
    "CoercibleToSelection",
    "ResolvableSelection",
    "definitions_for",
    "in_memory",
    "plan_for",
    "unsupported",
]


@runtime_checkable
class ResolvableSelection(Protocol):
    """An `AssetSelection`-like object: resolves to asset keys against a graph."""

    def resolve(self, graph: AssetGraph) -> Iterable[AssetKey]: ...


CoercibleToSelection: TypeAlias = (
    "str | Sequence[str] | Sequence[AssetKey | AssetsDefinition] | ResolvableSelection | None"
)


def unsupported(*, instance: Any, partition_key: Any) -> None:
    """Refuse, by name and reason, the arguments upstream cannot honour yet."""
    if instance is not None:
        raise ConfigurationError(
            "materialize(instance=...): upstream has no DagsterInstance; every in-process run "
            "is recorded in a throwaway store and returned as the result; leave instance out"
        )
    if partition_key is not None:
        raise ConfigurationError(
            "materialize(partition_key=...): partitions are not supported yet (issue 18); "
            "leave partition_key out"
        )


def definitions_for(
    assets: Definitions | Sequence[AssetsDefinition | AssetSpec | SourceAsset],
    resources: Mapping[str, Any] | None,
) -> Definitions:
    """`assets` as `Definitions`, with `resources` added to (and overriding) its own."""
    if isinstance(assets, Definitions):
        if not resources:
            return assets
        return Definitions(assets.all_assets, {**assets.resources, **resources})
    if isinstance(assets, AssetsDefinition):
        raise ConfigurationError(
            f"materialize takes a list of assets; wrap {assets!r} in a list: [{assets.key.name}]"
        )
    return Definitions(assets, resources)


def in_memory(definitions: Definitions) -> Definitions:
    """The same assets with every IO manager (each `io_manager_key` used, and any resource
    that is an IO manager) replaced by one `InMemoryIOManager`."""
    memory = InMemoryIOManager()
    keys = {a.io_manager_key for a in definitions.assets} | {DEFAULT_IO_MANAGER_KEY}
    keys |= {k for k, v in definitions.resources.items() if provides_io_manager(v)}
    return Definitions(
        definitions.all_assets, {**definitions.resources, **dict.fromkeys(keys, memory)}
    )


def plan_for(definitions: Definitions, selection: CoercibleToSelection) -> Plan:
    """The plan of a selection string (or clauses), of exact keys or assets, or of an
    `AssetSelection`-like object. Raises `SelectionError` before anything runs."""
    graph = definitions.graph
    if selection is None or isinstance(selection, str | AssetSelection):
        return build_plan(graph, selection)
    if isinstance(selection, ResolvableSelection):
        keys = list(selection.resolve(graph))
        return cut_plan(graph, _known(graph, keys), ",".join(k.to_user_string() for k in keys))
    items = list(selection)
    if all(isinstance(item, str) for item in items):
        return build_plan(graph, [str(item) for item in items])
    keys = []
    for item in items:
        if isinstance(item, AssetsDefinition):
            keys.append(item.key)
        elif isinstance(item, AssetKey):
            keys.append(item)
        else:
            raise SelectionError(
                f"selection takes a string, asset keys or assets; got {item!r} in the list"
            )
    return cut_plan(graph, _known(graph, keys), ",".join(k.to_user_string() for k in keys))


def _known(graph: AssetGraph, keys: Sequence[AssetKey]) -> list[AssetKey]:
    known = set(graph.keys)
    missing = [k.to_user_string() for k in keys if k not in known]
    if missing:
        raise SelectionError(f"selection names assets not in these definitions: {missing}")
    if not keys:
        raise SelectionError("the selection matches no asset")
    return list(dict.fromkeys(keys))
