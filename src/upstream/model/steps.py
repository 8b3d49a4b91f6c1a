"""Steps over the asset graph: a plain asset is a step of its own, a multi-asset's assets
share one step keyed by its op name. Pure; used to validate graphs and to cut plans."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from upstream.model.errors import AssetCycle, DefinitionsError
from upstream.model.keys import AssetKey

if TYPE_CHECKING:
    from upstream.model.graph import AssetGraph

__all__ = ["check_steps", "step_parents"]


def check_steps(graph: AssetGraph) -> None:
    """A multi-asset's op name may not be another step's asset key, and the steps must form
    a DAG (a multi-asset whose assets sit both above and below another step cannot run)."""
    for op, keys in graph.ops.items():
        try:
            clash = AssetKey.from_user_string(op)
        except ValueError:
            continue
        if clash in graph and clash not in keys:
            raise DefinitionsError(
                f"multi_asset {op!r}: its op name is the step key of its one step, and asset "
                f"{op!r} is another step's key; rename one of them (multi_asset(name=...))"
            )
    step_parents(graph, graph.keys)


def step_parents(graph: AssetGraph, keys: Iterable[AssetKey]) -> dict[str, tuple[str, ...]]:
    """The steps that materialize `keys`, each with its parent steps among them, in a
    topological order. Raises `AssetCycle` naming steps if they depend on each other."""
    chosen = list(dict.fromkeys(keys))
    inside = set(chosen)
    parents: dict[str, dict[str, None]] = {}
    for key in chosen:
        step = graph.step_key(key)
        mine = parents.setdefault(step, {})
        for parent in graph.parents(key):
            if parent in inside:
                up = graph.step_key(parent)
                if up != step:
                    mine[up] = None
    return {step: tuple(parents[step]) for step in _toposort(parents)}


def _toposort(parents: dict[str, dict[str, None]]) -> list[str]:
    children: dict[str, list[str]] = {step: [] for step in parents}
    waiting = {step: len(ups) for step, ups in parents.items()}
    for step, ups in parents.items():
        for up in ups:
            children[up].append(step)
    ready = deque(step for step, count in waiting.items() if count == 0)
    order: list[str] = []
    while ready:
        step = ready.popleft()
        order.append(step)
        for child in children[step]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(order) < len(parents):
        stuck = sorted(step for step, count in waiting.items() if count > 0)
        raise AssetCycle(_cycle(stuck, parents))
    return order


def _cycle(stuck: list[str], parents: dict[str, dict[str, None]]) -> list[str]:
    """A loop among the stuck steps, upstream first (as `AssetCycle` reports asset loops)."""
    blocked = set(stuck)
    seen: dict[str, int] = {}
    path: list[str] = []
    step = stuck[0]
    while step not in seen:
        seen[step] = len(path)
        path.append(step)
        step = min(p for p in parents[step] if p in blocked)
    loop = path[seen[step] :]
    loop.reverse()
    return loop
