"""A plan: the steps of one run and the edges between them, cut from the asset graph."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.model.partitions import DynamicPartitionsStore, PartitionKeyRange
from upstream.model.steps import step_parents
from upstream.planning.partitions import check_partition
from upstream.planning.selection import Selection, recorded_text, select

__all__ = ["Plan", "build_plan", "check_subsets", "cut_plan", "materializable", "step_assets"]


@dataclass(frozen=True)
class Plan:
    """Steps (asset keys as user strings) in topological order, each with its in-plan parents.

    Parents outside the selection are not steps: their stored values are loaded as they are.
    """

    steps: tuple[str, ...]
    parents: dict[str, tuple[str, ...]]
    selection: str
    queues: dict[str, str] = field(default_factory=dict)  # steps routed off the default queue
    # A multi-asset's step (its op name) -> the asset keys it materializes in this run.
    assets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A step that may leave assets unmaterialized -> {such asset: the steps that read it}:
    # those are skipped when it does (`skips_after`).
    optional: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    # The run's partition key (start == end) or range; None: an unpartitioned run.
    partition: PartitionKeyRange | None = None
    partition_keys: tuple[str, ...] = ()  # `partition` expanded, in its definition's order
    partitioned: frozenset[str] = frozenset()  # steps whose assets are partitioned

    def task_partition(self, step: str) -> tuple[str, ...]:
        """`step`'s partition as a task carries it: () unpartitioned, (key,) or (start, end)."""
        if self.partition is None or step not in self.partitioned:
            return ()
        start, end = self.partition
        return (start,) if start == end else (start, end)

    def step_partitions(self, step: str) -> tuple[str, ...]:
        """The partition keys `step` covers (its outcome's `partitions`); () unpartitioned."""
        if not self.partitioned or step not in self.partitioned:
            return ()
        return self.partition_keys

    def asset_keys(self, step: str) -> tuple[str, ...]:
        """The asset keys `step` materializes in this run."""
        return self.assets.get(step, (step,))

    def skips_after(self, step: str, materialized: Collection[str] | None) -> frozenset[str]:
        """The steps to skip because `step` succeeded without materializing an optional
        asset they read (`materialized` None: all of its assets)."""
        optional = self.optional.get(step)
        if not optional or materialized is None:
            return frozenset()
        return frozenset(c for key, cs in optional.items() if key not in materialized for c in cs)

    def __len__(self) -> int:
        return len(self.steps)


def build_plan(
    graph: AssetGraph,
    selection: Selection = None,
    partition: PartitionKeyRange | None = None,
    *,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> Plan:
    """Resolve `selection` (a string, a list of strings or an AssetSelection) against
    `graph` (raises SelectionError) and cut the plan of the run targeting `partition` (a
    key: start == end; raises `InvalidPartition`, see `check_partition`)."""
    keys = select(graph, selection)
    text = recorded_text(graph, selection, keys)
    return cut_plan(
        graph,
        materializable(graph, keys, text),
        text,
        partition,
        dynamic_partitions_store=dynamic_partitions_store,
        current_time=current_time,
    )


def materializable(graph: AssetGraph, keys: Sequence[AssetKey], text: str) -> list[AssetKey]:
    """`keys` without external assets (never steps: upstream does not produce them).
    A selection of external assets alone is a SelectionError saying so."""
    steps = [key for key in keys if not graph.node(key).is_external]
    if keys and not steps:
        names = ", ".join(repr(k.to_user_string()) for k in keys[:5])
        more = f" (and {len(keys) - 5} more)" if len(keys) > 5 else ""
        raise SelectionError(
            f"selection {text!r} names only external assets ({names}{more}), which upstream "
            "does not materialize: they are produced elsewhere (AssetSpec, SourceAsset); "
            "select the assets that depend on them, or record an observable one with "
            "`upstream observe`"
        )
    return steps


def cut_plan(
    graph: AssetGraph,
    keys: Sequence[AssetKey],
    selection: str,
    partition: PartitionKeyRange | None = None,
    *,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> Plan:
    """The plan for exactly `keys` (e.g. a stored run's steps, to resume it), targeting
    `partition`; a graph with no partitioned asset and no partition costs nothing more."""
    plan = _cut(graph, keys, selection)
    if partition is None and not graph.has_partitions:
        return plan
    partitioned, expanded = check_partition(
        graph,
        keys,
        partition,
        dynamic_partitions_store=dynamic_partitions_store,
        current_time=current_time,
    )
    if not partitioned:
        return plan
    return replace(plan, partition=partition, partition_keys=expanded, partitioned=partitioned)


def _cut(graph: AssetGraph, keys: Sequence[AssetKey], selection: str) -> Plan:
    if graph.ops or graph.has_optional:
        return _cut_steps(graph, keys, selection)
    names = {key: key.to_user_string() for key in keys}  # also the set of chosen keys
    get = names.get  # one lookup per edge: an AssetKey's hash is a Python call
    parents = {
        name: tuple([n for p in node.parents if (n := get(p)) is not None])
        for node in graph.nodes
        if (name := get(node.key)) is not None
    }
    queues = {names[k]: q for k in keys if (q := graph.node(k).queue) is not None}
    return Plan(steps=tuple(parents), parents=parents, selection=selection, queues=queues)


def _cut_steps(graph: AssetGraph, keys: Sequence[AssetKey], selection: str) -> Plan:
    """`cut_plan` where steps are not simply assets: multi-assets, optional outputs."""
    check_subsets(graph, keys)
    parents = step_parents(graph, keys)
    chosen = set(keys)
    assets: dict[str, list[str]] = {}
    queues: dict[str, str] = {}
    optional: dict[str, dict[str, tuple[str, ...]]] = {}
    for key in keys:
        node = graph.node(key)
        step = node.step_key
        if node.op is not None:
            assets.setdefault(step, []).append(key.to_user_string())
        if node.queue is not None:
            queues[step] = node.queue
        if not node.required:
            readers = {graph.step_key(c) for c in graph.children(key) if c in chosen}
            readers.discard(step)
            optional.setdefault(step, {})[key.to_user_string()] = tuple(sorted(readers))
    return Plan(
        steps=tuple(parents),
        parents=parents,
        selection=selection,
        queues=queues,
        assets={step: tuple(found) for step, found in assets.items()},
        optional=optional,
    )


def check_subsets(graph: AssetGraph, keys: Collection[AssetKey]) -> None:
    """A selection holding some but not all assets of a multi-asset that cannot be subset is
    a `SelectionError` naming the multi-asset and every key (Dagster's rule)."""
    chosen = set(keys)
    for op, members in graph.ops.items():
        picked = [k for k in members if k in chosen]
        if not picked or len(picked) == len(members) or graph.node(members[0]).can_subset:
            continue
        every = ", ".join(repr(k.to_user_string()) for k in members)
        some = ", ".join(repr(k.to_user_string()) for k in picked)
        rest = ", ".join(repr(k.to_user_string()) for k in members if k not in chosen)
        raise SelectionError(
            f"multi_asset {op!r} produces {every}, but the selection holds only {some}; it "
            "cannot be subset (can_subset=False): select all asset keys produced by this "
            f"asset, e.g. add {rest}"
        )


def step_assets(graph: AssetGraph, steps: Sequence[str], selection: str) -> list[AssetKey]:
    """The asset keys of a stored run's `steps`: a multi-asset's op name gives its keys
    (those `selection` picks, when it can be subset); a step key that is neither an asset
    nor an op of `graph` is left out."""
    keys: list[AssetKey] = []
    picked: set[AssetKey] | None = None
    for step in steps:
        members = graph.ops.get(step)
        if members is not None:
            if graph.node(members[0]).can_subset:
                if picked is None:
                    picked = set(select(graph, selection or None))
                members = [k for k in members if k in picked]
            keys.extend(members)
            continue
        try:
            key = AssetKey.from_user_string(step)
        except ValueError:
            continue
        if key in graph:
            keys.append(key)
    return keys
