"""The asset graph: nodes, edges, traversal. Pure data, buildable from a snapshot.

The coordinator plans from this object alone, so it never needs to import user code.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from upstream.model.errors import AssetCycle, DefinitionsError
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    BackfillPolicy,
    PartitionMapping,
    PartitionsDefinition,
    default_partition_mapping,
    partition_mapping_from_spec,
    partitions_def_from_spec,
)
from upstream.model.steps import check_steps

__all__ = ["MATERIALIZATION", "AssetGraph", "AssetNode"]

MATERIALIZATION = "materialization"


@dataclass(frozen=True, slots=True)
class AssetNode:
    """One asset as the planner sees it: its key, its parents and what the catalog shows."""

    key: AssetKey
    parents: tuple[AssetKey, ...] = ()
    group: str = "default"
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)  # normalised, JSON-safe
    tags: Mapping[str, str] = field(default_factory=dict)
    external_deps: tuple[AssetKey, ...] = ()  # deps on keys no asset here produces
    queue: str | None = None  # None: the default task queue
    code_version: str = ""  # explicit, or the fingerprint of the asset's source
    # Dagster's AssetExecutionType: "materialization" (an @asset), or an external asset,
    # never a step: "observation" (observable) or "unexecutable" (an AssetSpec)
    execution_type: str = MATERIALIZATION
    op: str | None = None  # a multi-asset's op name: its step key (None: the key's string)
    can_subset: bool = False  # a multi-asset's: may a run select some of its assets
    required: bool = True  # False: a run's step may leave this asset unmaterialized
    kinds: tuple[str, ...] = ()  # sorted; `compute_kind` included
    owners: tuple[str, ...] = ()  # emails or `team:name`, in the order given
    partitions_def: PartitionsDefinition | None = None  # None: not partitioned
    # Mappings given on the asset's inputs/deps (AssetIn / AssetDep), by parent; the others
    # take the default (`AssetGraph.partition_mapping`).
    partition_mappings: Mapping[AssetKey, PartitionMapping] = field(default_factory=dict)
    backfill_policy: BackfillPolicy | None = None

    @property
    def is_external(self) -> bool:
        return self.execution_type != MATERIALIZATION

    @property
    def step_key(self) -> str:
        """The key of the step that materializes this asset."""
        return self.op if self.op is not None else self.key.to_user_string()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {  # optional fields only when set: plain graphs keep hashes
            "key": self.key.to_user_string(),
            "parents": [p.to_user_string() for p in self.parents],
            "group": self.group,
            "description": self.description,
            "metadata": dict(self.metadata),
            "tags": dict(self.tags),
            "external_deps": [d.to_user_string() for d in self.external_deps],
            "queue": self.queue,
            "code_version": self.code_version,
        }
        if self.is_external:
            data["execution_type"] = self.execution_type
        if self.op is not None:
            data["op"] = self.op
            data["can_subset"] = self.can_subset
        if not self.required:
            data["required"] = False
        if self.kinds:
            data["kinds"] = list(self.kinds)
        if self.owners:
            data["owners"] = list(self.owners)
        if self.partitions_def is not None:
            data["partitions_def"] = self.partitions_def.to_spec()
        if self.partition_mappings:
            data["partition_mappings"] = {
                k.to_user_string(): m.to_spec() for k, m in sorted(self.partition_mappings.items())
            }
        if self.backfill_policy is not None:
            data["backfill_policy"] = self.backfill_policy.max_partitions_per_run
        return data

    @staticmethod
    def from_dict(
        data: Mapping[str, Any],
        parse_key: Callable[[str], AssetKey] = AssetKey.from_user_string,
    ) -> AssetNode:
        """The node `to_dict` wrote. `parse_key` turns each key string into an AssetKey
        (`from_snapshot` passes one that parses each distinct string once)."""
        return AssetNode(
            key=parse_key(data["key"]),
            parents=tuple(map(parse_key, data.get("parents", ()))),
            group=data.get("group", "default"),
            description=data.get("description"),
            metadata=dict(data.get("metadata", {})),
            tags=dict(data.get("tags", {})),
            external_deps=tuple(map(parse_key, data.get("external_deps", ()))),
            queue=data.get("queue"),
            code_version=data.get("code_version", ""),
            execution_type=data.get("execution_type", MATERIALIZATION),
            op=data.get("op"),
            can_subset=bool(data.get("can_subset", False)),
            required=bool(data.get("required", True)),
            kinds=tuple(data.get("kinds", ())),  # older snapshots have neither
            owners=tuple(data.get("owners", ())),
            partitions_def=(
                partitions_def_from_spec(data["partitions_def"])
                if "partitions_def" in data
                else None
            ),
            partition_mappings={
                parse_key(k): partition_mapping_from_spec(m)
                for k, m in data.get("partition_mappings", {}).items()
            },
            backfill_policy=(
                BackfillPolicy(max_partitions_per_run=data["backfill_policy"])
                if "backfill_policy" in data
                else None
            ),
        )


class AssetGraph:
    """A validated DAG of assets. Raises `AssetCycle` naming the cycle, in dependency order."""

    def __init__(self, nodes: Iterable[AssetNode]) -> None:
        self._nodes: dict[AssetKey, AssetNode] = {}
        for node in nodes:
            if node.key in self._nodes:
                raise DefinitionsError(f"asset key {node.key.to_user_string()!r} appears twice")
            self._nodes[node.key] = node
        self._children: dict[AssetKey, list[AssetKey]] = {key: [] for key in self._nodes}
        children_of = self._children.get  # one lookup per edge: a key's hash is a Python call
        for node in self._nodes.values():
            for parent in node.parents:
                children = children_of(parent)
                if children is None:
                    raise DefinitionsError(
                        f"asset {node.key.to_user_string()!r} depends on "
                        f"{parent.to_user_string()!r}, which is not in the graph"
                    )
                children.append(node.key)
        self._order = self._toposort()
        self._ops: dict[str, list[AssetKey]] = {}
        self._optional = False
        for key in self._order:
            node = self._nodes[key]
            if node.op is not None:
                self._ops.setdefault(node.op, []).append(key)
            self._optional = self._optional or not node.required
        if self._ops:
            check_steps(self)

    def _toposort(self) -> list[AssetKey]:
        waiting = {key: len(node.parents) for key, node in self._nodes.items()}
        queue = deque(key for key, count in waiting.items() if count == 0)
        order: list[AssetKey] = []
        while queue:
            key = queue.popleft()
            order.append(key)
            for child in self._children[key]:
                left = waiting[child] - 1
                waiting[child] = left
                if left == 0:
                    queue.append(child)
        if len(order) < len(self._nodes):
            raise AssetCycle([k.to_user_string() for k in self._find_cycle(waiting)])
        return order

    def _find_cycle(self, waiting: Mapping[AssetKey, int]) -> list[AssetKey]:
        """Walk parents among the unsorted nodes until a node repeats: that loop is a cycle."""
        stuck = {key for key, count in waiting.items() if count > 0}
        start = min(stuck)
        seen: dict[AssetKey, int] = {}
        path: list[AssetKey] = []
        key = start
        while key not in seen:
            seen[key] = len(path)
            path.append(key)
            key = min(p for p in self._nodes[key].parents if p in stuck)
        loop = path[seen[key] :]
        loop.reverse()  # parents were walked; report upstream -> downstream
        return loop

    # -- lookup -------------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        return key in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def node(self, key: AssetKey) -> AssetNode:
        return self._nodes[key]

    @property
    def keys(self) -> list[AssetKey]:
        """Every key, in a topological order (parents before children)."""
        return list(self._order)

    @property
    def nodes(self) -> list[AssetNode]:
        return [self._nodes[key] for key in self._order]

    def parents(self, key: AssetKey) -> tuple[AssetKey, ...]:
        return self._nodes[key].parents

    def children(self, key: AssetKey) -> Sequence[AssetKey]:
        return self._children[key]

    @property
    def ops(self) -> Mapping[str, Sequence[AssetKey]]:
        """Each multi-asset's op name -> its asset keys, in topological order."""
        return self._ops

    @property
    def has_optional(self) -> bool:
        """Whether some asset may be left unmaterialized by its step (an optional output)."""
        return self._optional

    @functools.cached_property
    def has_partitions(self) -> bool:
        """Whether some asset is partitioned: planning an unpartitioned graph skips the
        partition checks (computed once per graph)."""
        return any(node.partitions_def is not None for node in self._nodes.values())

    @functools.cached_property
    def dynamic_partition_names(self) -> tuple[str, ...]:
        """The names of the dynamic partitions the graph's definitions read (computed once
        per graph): () and no storage query for a graph without dynamic partitions."""
        definitions = {id(n.partitions_def): n.partitions_def for n in self._nodes.values()}
        names = (n for d in definitions.values() if d is not None for n in d.dynamic_names())
        return tuple(dict.fromkeys(names))

    def siblings(self, key: AssetKey) -> tuple[AssetKey, ...]:
        """Every asset materialized by `key`'s step (`key` itself included): the query
        behind `AssetSelection.required_multi_asset_neighbors`."""
        op = self._nodes[key].op
        return (key,) if op is None else tuple(self._ops[op])

    def required_neighbors(self, key: AssetKey) -> tuple[AssetKey, ...]:
        """What a selection of `key` must also select: its siblings unless its multi-asset
        can be subset (Dagster's `required_multi_asset_neighbors`)."""
        node = self._nodes[key]
        return self.siblings(key) if node.op is not None and not node.can_subset else (key,)

    def step_key(self, key: AssetKey) -> str:
        return self._nodes[key].step_key

    def partition_mapping(self, key: AssetKey, parent: AssetKey) -> PartitionMapping | None:
        """How `key`'s partitions read `parent`'s: the mapping given on the edge, else
        Dagster's default; None when `parent` is not partitioned."""
        upstream = self._nodes[parent].partitions_def
        if upstream is None:
            return None
        node = self._nodes[key]
        given = node.partition_mappings.get(parent)
        return (
            given if given is not None else default_partition_mapping(upstream, node.partitions_def)
        )

    def groups(self) -> dict[str, list[AssetKey]]:
        out: dict[str, list[AssetKey]] = {}
        for key in self._order:
            out.setdefault(self._nodes[key].group, []).append(key)
        return out

    def ancestors(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        """Upstream of `keys` up to `depth` hops (None: all), excluding `keys` themselves."""
        return self._walk(keys, depth, self.parents)

    def descendants(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        """Downstream of `keys` up to `depth` hops (None: all), excluding `keys` themselves."""
        return self._walk(keys, depth, self.children)

    @staticmethod
    def _walk(keys: Iterable[AssetKey], depth: int | None, step: Any) -> set[AssetKey]:
        frontier = list(dict.fromkeys(keys))
        start = set(frontier)
        seen: set[AssetKey] = set()
        hops = 0
        while frontier and (depth is None or hops < depth):
            hops += 1
            nxt: list[AssetKey] = []
            for key in frontier:
                for other in step(key):
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
            frontier = nxt
        return seen - start

    # -- snapshot -----------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-safe description that `from_snapshot` rebuilds; stable across processes."""
        return {"assets": [self._nodes[key].to_dict() for key in sorted(self._nodes)]}

    @staticmethod
    def from_snapshot(snapshot: Mapping[str, Any]) -> AssetGraph:
        """The graph `to_snapshot` described. Pure: the services that load large stored
        graphs pause the garbage collector around it (`storage.snapshots`)."""
        # A key string recurs as a parent of each of its children: parse it once, and let
        # every node share the one AssetKey (dict lookups then match it by identity).
        parse_key = functools.cache(AssetKey.from_user_string)
        return AssetGraph(AssetNode.from_dict(item, parse_key) for item in snapshot["assets"])

    def snapshot_hash(self) -> str:
        """sha256 of the canonical snapshot: equal graphs, equal hashes."""
        text = json.dumps(self.to_snapshot(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()
