"""The arguments of `materialize()` made into what a run needs: the definitions (with test
resources, or in-memory IO managers), the plan (from any of Dagster's selection forms),
and a clear error for what is not supported yet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

from upstream.execution.io_managers import InMemoryIOManager
from upstream.model.asset import AssetsDefinition
from upstream.model.definitions import Definitions
from upstream.model.errors import ConfigurationError, SelectionError, UpstreamError
from upstream.model.external import SourceAsset
from upstream.model.graph import AssetGraph
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    MultiPartitionsDefinition,
    PartitionKeyRange,
    PartitionsDefinition,
    partition_from_tags,
)
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
    "run_dynamic_keys",
    "run_partition",
    "unsupported",
]


@runtime_checkable
class ResolvableSelection(Protocol):
    """An `AssetSelection`-like object: resolves to asset keys against a graph."""

    def resolve(self, graph: AssetGraph) -> Iterable[AssetKey]: ...


CoercibleToSelection: TypeAlias = (
    "str | Sequence[str] | Sequence[AssetKey | AssetsDefinition] | ResolvableSelection | None"
)


def unsupported(*, instance: Any) -> None:
    """Refuse, by name and reason, the arguments upstream cannot honour yet."""
    if instance is not None:
        raise ConfigurationError(
            "materialize(instance=...): upstream has no DagsterInstance; every in-process run "
            "is recorded in a throwaway store and returned as the result; leave instance out"
        )


def run_partition(partition_key: str | None, tags: Mapping[str, str]) -> PartitionKeyRange | None:
    """The run's target: `partition_key`, else the key or range its tags name (Dagster's
    `dagster/partition`, or `dagster/asset_partition_range_start` and `_end`)."""
    if partition_key is not None:
        if not isinstance(partition_key, str):
            raise ConfigurationError(
                f"partition_key must be a string, got {type(partition_key).__name__}: "
                f"{partition_key!r}"
            )
        return PartitionKeyRange(partition_key, partition_key)
    return partition_from_tags(tags)


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


def run_dynamic_keys(
    graph: AssetGraph, partition: PartitionKeyRange | None
) -> dict[str, list[str]]:
    """The dynamic keys an in-process run's ephemeral store holds: the run's own key (or
    range ends) in each dynamic definition of `graph`, a multi-partition's dynamic dimension
    included. Dagster's `materialize` reads them from the `instance=` a test filled first
    (`instance.add_dynamic_partitions`); with no instance here, the run's key is taken as
    added."""
    if partition is None or not graph.dynamic_partition_names:
        return {}
    found: dict[str, list[str]] = {}
    definitions = {id(n.partitions_def): n.partitions_def for n in graph.nodes}
    for definition in definitions.values():
        for key in dict.fromkeys(partition):
            for name, part in _dynamic_parts(definition, key):
                found.setdefault(name, [])
                if part not in found[name]:
                    found[name].append(part)
    return found


def _dynamic_parts(definition: PartitionsDefinition | None, key: str) -> list[tuple[str, str]]:
    if isinstance(definition, DynamicPartitionsDefinition):
        return [(definition.name, key)]
    if isinstance(definition, MultiPartitionsDefinition) and definition.dynamic_names():
        try:
            parts = definition.get_partition_key_from_str(key).keys_by_dimension
        except UpstreamError:
            return []  # not a key of this definition: the planner says so
        return [
            pair
            for dimension in definition.partitions_defs
            for pair in _dynamic_parts(dimension.partitions_def, parts[dimension.name])
        ]
    return []


def plan_for(
    definitions: Definitions,
    selection: CoercibleToSelection,
    partition: PartitionKeyRange | None = None,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
) -> Plan:
    """The plan of a selection string (or clauses), of exact keys or assets, or of an
    `AssetSelection`-like object, for `partition`. Raises `SelectionError` (a bad partition:
    `InvalidPartition`) before anything runs."""
    graph = definitions.graph
    store = dynamic_partitions_store
    if selection is None or isinstance(selection, str | AssetSelection):
        return build_plan(graph, selection, partition, dynamic_partitions_store=store)
    if isinstance(selection, ResolvableSelection):
        keys = list(selection.resolve(graph))
        text = ",".join(k.to_user_string() for k in keys)
        return cut_plan(graph, _known(graph, keys), text, partition, dynamic_partitions_store=store)
    items = list(selection)
    if all(isinstance(item, str) for item in items):
        texts = [str(item) for item in items]
        return build_plan(graph, texts, partition, dynamic_partitions_store=store)
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
    text = ",".join(k.to_user_string() for k in keys)
    return cut_plan(graph, _known(graph, keys), text, partition, dynamic_partitions_store=store)


def _known(graph: AssetGraph, keys: Sequence[AssetKey]) -> list[AssetKey]:
    known = set(graph.keys)
    missing = [k.to_user_string() for k in keys if k not in known]
    if missing:
        raise SelectionError(f"selection names assets not in these definitions: {missing}")
    if not keys:
        raise SelectionError("the selection matches no asset")
    return list(dict.fromkeys(keys))
