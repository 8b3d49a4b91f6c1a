"""A plan: the steps of one run and the edges between them, cut from the asset graph."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.planning.selection import select

__all__ = ["Plan", "build_plan", "cut_plan", "materializable"]


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


def build_plan(graph: AssetGraph, selection: str | Sequence[str] | None = None) -> Plan:
    """Resolve `selection` against `graph` (raises SelectionError) and cut the plan."""
    if selection is None:
        text = "*"
    elif isinstance(selection, str):
        text = selection
    else:
        text = ",".join(selection)
    chosen = select(graph, selection)
    return cut_plan(graph, materializable(graph, chosen, text), text)


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
