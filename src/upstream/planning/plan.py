"""A plan: the steps of one run and the edges between them, cut from the asset graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.planning.selection import Selection, recorded_text, select

__all__ = ["Plan", "build_plan", "cut_plan"]


@dataclass(frozen=True)
class Plan:
    """Steps (asset keys as user strings) in topological order, each with its in-plan parents.

    Parents outside the selection are not steps: their stored values are loaded as they are.
    """

    steps: tuple[str, ...]
    parents: dict[str, tuple[str, ...]]
    selection: str
    queues: dict[str, str] = field(default_factory=dict)  # steps routed off the default queue

    def __len__(self) -> int:
        return len(self.steps)


def build_plan(graph: AssetGraph, selection: Selection = None) -> Plan:
    """Resolve `selection` (a string, a list of strings or an AssetSelection) against
    `graph` (raises SelectionError) and cut the plan."""
    keys = select(graph, selection)
    return cut_plan(graph, keys, recorded_text(graph, selection, keys))


def cut_plan(graph: AssetGraph, keys: Sequence[AssetKey], selection: str) -> Plan:
    """The plan for exactly `keys` (e.g. a stored run's steps, to resume it)."""
    names = {key: key.to_user_string() for key in keys}  # also the set of chosen keys
    get = names.get  # one lookup per edge: an AssetKey's hash is a Python call
    parents = {
        name: tuple([n for p in node.parents if (n := get(p)) is not None])
        for node in graph.nodes
        if (name := get(node.key)) is not None
    }
    queues = {names[k]: q for k in keys if (q := graph.node(k).queue) is not None}
    return Plan(steps=tuple(parents), parents=parents, selection=selection, queues=queues)
