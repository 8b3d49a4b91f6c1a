"""A backfill cut into run units: which runs it launches, and which must wait for which. Pure.

A unit is the assets of one partitions definition that the backfill targets × a chunk of
consecutive keys (a `PartitionKeyRange`), sized by the strictest `BackfillPolicy` among its
assets; each unpartitioned selected asset is a unit of its own. A unit waits for the units
holding the upstream partitions it reads (through `AssetGraph.partition_mapping`), and only
for those inside the backfill. `ReadySet` tracks the units as it tracks steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    BACKFILL_ID_TAG,
    BackfillPolicy,
    DynamicPartitionsStore,
    IdentityPartitionMapping,
    PartitionKeyRange,
    PartitionsDefinition,
    partition_tags,
)
from upstream.planning.ready import ReadySet

__all__ = ["BackfillPlan", "BackfillTarget", "RunUnit", "plan_backfill", "unit_id"]


@dataclass(frozen=True)
class BackfillTarget:
    """The partitions a backfill asks for: `keys`, or a `range`, or every partition (neither).
    JSON-safe through `to_dict` / `from_dict`, so the stored backfill replans the same."""

    keys: tuple[str, ...] | None = None
    range: PartitionKeyRange | None = None

    @property
    def all(self) -> bool:
        return self.keys is None and self.range is None

    def to_dict(self) -> dict[str, Any]:
        if self.keys is not None:
            return {"keys": list(self.keys)}
        if self.range is not None:
            return {"range": [self.range.start, self.range.end]}
        return {"all": True}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> BackfillTarget:
        if "keys" in data:
            return BackfillTarget(keys=tuple(data["keys"]))
        if "range" in data:
            start, end = data["range"]
            return BackfillTarget(range=PartitionKeyRange(start, end))
        return BackfillTarget()

    def describe(self) -> str:
        if self.keys is not None:
            shown = ", ".join(self.keys[:3]) + (", ..." if len(self.keys) > 3 else "")
            return f"{len(self.keys)} partition(s): {shown}"
        if self.range is not None:
            return f"{self.range.start}...{self.range.end}"
        return "all partitions"


def unit_id(selection: str, partition: PartitionKeyRange | None) -> str:
    """A unit's id, which its runs also give (their selection and partition tags): so a
    stored run finds its unit again after a restart, with no extra column or tag."""
    if partition is None:
        return selection
    return f"{selection}|{partition.start}|{partition.end}"


@dataclass(frozen=True)
class RunUnit:
    """One run of the backfill: `assets` over `partition` (None: unpartitioned assets)."""

    id: str
    assets: tuple[AssetKey, ...]
    partition: PartitionKeyRange | None
    keys: tuple[str, ...] = ()  # `partition` expanded (one key: (key,))

    @property
    def selection(self) -> str:
        return ",".join(k.to_user_string() for k in self.assets)

    def tags(self, backfill_id: str) -> dict[str, str]:
        """The run's tags: Dagster's backfill id and partition tags."""
        tags = {BACKFILL_ID_TAG: backfill_id}
        if self.partition is not None:
            tags.update(partition_tags(self.partition))
        return tags


@dataclass(frozen=True)
class BackfillPlan:
    """Units in order (upstream groups first, keys in their definition's order) and the
    units each waits for."""

    units: dict[str, RunUnit]
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def tracker(self) -> ReadySet:
        return ReadySet(self.parents)

    def unit_for(self, selection: str, partition: PartitionKeyRange | None) -> RunUnit | None:
        return self.units.get(unit_id(selection, partition))

    @property
    def partitions(self) -> list[str]:
        """Every partition key the backfill targets, each once, in order."""
        return list(dict.fromkeys(k for unit in self.units.values() for k in unit.keys))

    def __len__(self) -> int:
        return len(self.units)


def plan_backfill(
    graph: AssetGraph,
    asset_keys: Sequence[AssetKey],
    target: BackfillTarget,
    *,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> BackfillPlan:
    """Cut the backfill of `asset_keys` over `target` into units. The requested keys apply to
    the root partitioned assets (no partitioned parent selected), which must share one
    partitions definition (Dagster's `AssetBackfillData.from_asset_partitions`); the others
    get the keys their mappings derive. Every partition: each asset its definition's keys.
    Raises `SelectionError` naming what does not fit."""
    chosen = [k for k in graph.keys if k in set(asset_keys) and not graph.node(k).is_external]
    if not chosen:
        raise SelectionError("the backfill selects no materializable asset")
    opts: dict[str, Any] = {
        "current_time": current_time,
        "dynamic_partitions_store": dynamic_partitions_store,
    }
    same = _SameDef()
    keys = _asset_keys(graph, chosen, target, opts, same)
    units: dict[str, RunUnit] = {}
    where: dict[AssetKey, dict[str, str]] = {}  # asset -> partition key -> unit id
    single: dict[AssetKey, str] = {}  # unpartitioned asset -> its unit id
    for group, members in _groups(graph, chosen, keys):
        definition = graph.node(members[0]).partitions_def
        if definition is None:
            unit = RunUnit(unit_id(members[0].to_user_string(), None), tuple(members), None)
            units[unit.id] = unit
            single[members[0]] = unit.id
            continue
        size = _chunk_size([graph.node(k).backfill_policy for k in members])
        for chunk in _chunks(definition, group, size, opts):
            selection = ",".join(k.to_user_string() for k in members)
            partition = PartitionKeyRange(chunk[0], chunk[-1])
            unit = RunUnit(unit_id(selection, partition), tuple(members), partition, chunk)
            units[unit.id] = unit
            for member in members:
                at = where.setdefault(member, {})
                for key in chunk:
                    at[key] = unit.id
    parents = _edges(graph, units, where, single, opts, same)
    return BackfillPlan(units, parents)


def _asset_keys(
    graph: AssetGraph,
    chosen: list[AssetKey],
    target: BackfillTarget,
    opts: dict[str, Any],
    same: _SameDef,
) -> dict[AssetKey, tuple[str, ...]]:
    """Each partitioned chosen asset's keys, in its definition's order."""
    inside = set(chosen)
    partitioned = {k for k in chosen if graph.node(k).partitions_def is not None}
    roots = {
        graph.node(k).partitions_def
        for k in partitioned
        if not any(p in partitioned for p in graph.parents(k))
    }
    if len(roots) > 1 and not target.all:
        names = ", ".join(sorted(repr(d) for d in roots))
        raise SelectionError(
            f"the backfill's root partitioned assets have different partitions definitions "
            f"({names}); the partition keys asked for must belong to one: select assets of one "
            "definition, or use --all-partitions"
        )
    out: dict[AssetKey, tuple[str, ...]] = {}
    for key in chosen:  # topological: parents first
        definition = graph.node(key).partitions_def
        if definition is None:
            continue
        every = definition.get_partition_keys(
            opts["current_time"], opts["dynamic_partitions_store"]
        )
        if target.all:
            out[key] = tuple(every)
            continue
        ups = [p for p in graph.parents(key) if p in inside and p in out]
        if not ups:
            out[key] = _requested(key, definition, every, target)
            continue
        derived: set[str] = set()
        for parent in ups:
            mapping = graph.partition_mapping(key, parent)
            parent_def = graph.node(parent).partitions_def
            if mapping is None or parent_def is None:
                continue
            if isinstance(mapping, IdentityPartitionMapping) and same(parent_def, definition):
                derived.update(out[parent])
                continue
            derived.update(
                mapping.downstream_partition_keys(out[parent], parent_def, definition, **opts)
            )
        out[key] = tuple(k for k in every if k in derived)
    return out


def _requested(
    key: AssetKey, definition: PartitionsDefinition, every: Sequence[str], target: BackfillTarget
) -> tuple[str, ...]:
    """The requested keys of a root asset, checked against its definition."""
    index = {k: i for i, k in enumerate(every)}
    if target.range is not None:
        for end in target.range:
            if end not in index:
                raise SelectionError(_not_in(end, key, definition))
        lo, hi = index[target.range.start], index[target.range.end]
        if lo > hi:
            raise SelectionError(
                f"partition range {target.range.start}...{target.range.end} of asset "
                f"{key.to_user_string()!r} ends before it starts; swap --from and --to"
            )
        return tuple(every[lo : hi + 1])
    wanted = set(target.keys or ())
    for k in target.keys or ():
        if k not in index:
            raise SelectionError(_not_in(k, key, definition))
    return tuple(k for k in every if k in wanted)


def _not_in(partition: str, key: AssetKey, definition: PartitionsDefinition) -> str:
    return (
        f"partition key {partition!r} is not in {definition!r} of asset "
        f"{key.to_user_string()!r}; pick keys of that definition "
        "(`upstream assets show KEY --partitions` lists them)"
    )


def _groups(
    graph: AssetGraph, chosen: list[AssetKey], keys: Mapping[AssetKey, tuple[str, ...]]
) -> list[tuple[tuple[str, ...], list[AssetKey]]]:
    """Partitioned assets grouped by (definition, keys), in topological order of their first
    member; each unpartitioned asset alone (keys ())."""
    groups: dict[Any, tuple[tuple[str, ...], list[AssetKey]]] = {}
    for key in chosen:
        definition = graph.node(key).partitions_def
        if definition is None:
            groups[("one", key)] = ((), [key])
            continue
        mine = keys[key]
        if not mine:
            continue  # its mappings derive no key of this backfill
        groups.setdefault((definition, mine), (mine, []))[1].append(key)
    return list(groups.values())


def _chunk_size(policies: Sequence[BackfillPolicy | None]) -> int | None:
    """Keys per run: the strictest policy's; no policy is Dagster's default for an asset
    backfill, a run per partition; None: one run (single_run)."""
    sizes = [1 if p is None else p.max_partitions_per_run for p in policies]
    bounded = [s for s in sizes if s is not None]
    return min(bounded) if bounded else None


def _chunks(
    definition: PartitionsDefinition,
    keys: tuple[str, ...],
    size: int | None,
    opts: dict[str, Any],
) -> list[tuple[str, ...]]:
    """`keys` cut into runs of at most `size` keys consecutive in `definition` (a run covers
    one range, so a gap in the keys asked for starts a new chunk)."""
    every = definition.get_partition_keys(opts["current_time"], opts["dynamic_partitions_store"])
    index = {k: i for i, k in enumerate(every)}
    chunks: list[tuple[str, ...]] = []
    current: list[str] = []
    for key in keys:
        gap = current and index[key] != index[current[-1]] + 1
        if current and (gap or (size is not None and len(current) == size)):
            chunks.append(tuple(current))
            current = []
        current.append(key)
    if current:
        chunks.append(tuple(current))
    return chunks


def _edges(
    graph: AssetGraph,
    units: Mapping[str, RunUnit],
    where: Mapping[AssetKey, Mapping[str, str]],
    single: Mapping[AssetKey, str],
    opts: dict[str, Any],
    same: _SameDef,
) -> dict[str, tuple[str, ...]]:
    """Each unit's parent units: those holding an upstream partition (or unpartitioned
    asset) one of its assets reads, inside the backfill; never itself."""
    parents: dict[str, tuple[str, ...]] = {}
    for unit in units.values():
        found: dict[str, None] = {}
        members = set(unit.assets)
        for asset in unit.assets:
            definition = graph.node(asset).partitions_def
            for parent in graph.parents(asset):
                if parent in single:
                    found[single[parent]] = None
                    continue
                at = where.get(parent)
                if at is None:
                    continue  # outside the backfill
                if parent in members and _same_keys(graph, asset, parent, definition, same):
                    continue  # identity within the run: its own steps order them
                mapping = graph.partition_mapping(asset, parent)
                parent_def = graph.node(parent).partitions_def
                if mapping is None or parent_def is None:
                    continue
                keys = None if unit.partition is None else list(unit.keys)
                if isinstance(mapping, IdentityPartitionMapping) and same(parent_def, definition):
                    ups: Sequence[str] = keys if keys is not None else list(at)
                else:
                    ups = mapping.upstream_partition_keys(keys, definition, parent_def, **opts)
                for key in ups:
                    owner = at.get(key)
                    if owner is not None and owner != unit.id:
                        found[owner] = None
        parents[unit.id] = tuple(found)
    return parents


def _same_keys(
    graph: AssetGraph,
    asset: AssetKey,
    parent: AssetKey,
    definition: PartitionsDefinition | None,
    same: _SameDef,
) -> bool:
    mapping = graph.partition_mapping(asset, parent)
    return isinstance(mapping, IdentityPartitionMapping) and (
        same(graph.node(parent).partitions_def, definition)
    )


class _SameDef:
    """`a == b` of two definitions, remembered by identity for one planning call (the graph
    holds them, so ids stay theirs): two definitions rebuilt from one snapshot are equal
    objects, and comparing their specs (3,650 keys) on every edge of every unit costs
    seconds."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, int], bool] = {}

    def __call__(self, a: PartitionsDefinition | None, b: PartitionsDefinition | None) -> bool:
        if a is b:
            return True
        if a is None or b is None:
            return False
        key = (id(a), id(b))
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = a == b
        return found
