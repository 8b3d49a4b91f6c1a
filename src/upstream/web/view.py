"""The workspace as the UI sees it: every code location's assets as one graph, each
asset's live status, and the graph's layout cached per definitions hash. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.storage.records import AssetState, Materialization, RunStatus, StepStatus
from upstream.web.layout import LayoutInput, layout_graph
from upstream.web.workspace import LocationState

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "GraphView",
    "asset_status",
    "locations_hash",
    "merge_locations",
    "statuses",
]

ACTIVE_RUN_STATUSES = frozenset(s for s in RunStatus if not s.ended)


@dataclass
class GraphView:
    """The union of the loaded code locations' graphs (a key served twice: the first wins)."""

    graph: AssetGraph
    location_of: dict[str, str]
    definitions_hash: str
    _layout: bytes | None = field(default=None, repr=False)
    _steps: dict[str, str] | None = field(default=None, repr=False)  # multi-assets' keys

    def layout_json(self) -> bytes:
        """The /api/graph body, encoded; computed once per view (once per definitions hash)."""
        if self._layout is None:
            inputs = [
                LayoutInput(
                    key=key,
                    group=node.group,
                    code_location=self.location_of[key],
                    parents=tuple(p.to_user_string() for p in node.parents),
                    external=node.is_external,
                )
                for node in self.graph.nodes
                if (key := node.key.to_user_string())
            ]
            body = {"definitions_hash": self.definitions_hash, **layout_graph(inputs)}
            self._layout = json.dumps(body, separators=(",", ":")).encode()
        return self._layout

    def step(self, key: str) -> str:
        """The step key of asset `key`: its multi-asset's op name, or the key itself."""
        if self._steps is None:
            self._steps = {
                k.to_user_string(): op for op, keys in self.graph.ops.items() for k in keys
            }
        return self._steps.get(key, key)

    def node(self, key: str) -> AssetNode | None:
        if key not in self.location_of:
            return None
        return self.graph.node(AssetKey.from_user_string(key))


def locations_hash(locations: Sequence[LocationState]) -> str:
    """Names the set of graphs shown: changes exactly when a location's definitions do."""
    digest = hashlib.sha256()
    for state in locations:
        if state.graph is not None:
            digest.update(f"{state.name}\0{state.definitions_hash}\0".encode())
    return digest.hexdigest()


def merge_locations(locations: Sequence[LocationState]) -> GraphView:
    """One graph over every location that has one (a lone graph is used as it is)."""
    loaded = [state for state in locations if state.graph is not None]
    nodes: dict[str, AssetNode] = {}
    location_of: dict[str, str] = {}
    for state in loaded:
        assert state.graph is not None
        for node in state.graph.nodes:
            key = node.key.to_user_string()
            if key not in nodes:
                nodes[key] = node
                location_of[key] = state.name
    only = loaded[0].graph if len(loaded) == 1 else None
    graph = only if only is not None else AssetGraph(nodes.values())
    return GraphView(graph, location_of, locations_hash(locations))


def asset_status(state: AssetState | None, latest: Materialization | None) -> dict[str, Any]:
    """`never`, `materialized`, `failed` or `running`, with the time and run behind it.

    A step waiting or executing in a run that has not ended is `running`; a newest step
    that failed after the last materialization is `failed`. A step left queued by a run
    that ended early (canceled) says nothing about the asset, so it is ignored."""
    if state is not None:
        step = state.step
        if step.status is StepStatus.QUEUED and state.run_status in ACTIVE_RUN_STATUSES:
            return _status("running", latest, step.run_id)
        if step.status is StepStatus.FAILURE:
            failed_at = step.ended_at or step.queued_at or 0.0
            if latest is None or latest.timestamp <= failed_at:
                return _status("failed", latest, step.run_id)
    if latest is not None:
        return _status("materialized", latest, latest.run_id)
    return _status("never", None, None)


def _status(word: str, latest: Materialization | None, run_id: str | None) -> dict[str, Any]:
    return {
        "status": word,
        "at": latest.timestamp if latest is not None else None,
        "run_id": run_id,
    }


def statuses(
    keys: Sequence[str],
    states: Mapping[str, AssetState],
    latest: Mapping[str, Materialization],
    step: Callable[[str], str] = str,
) -> dict[str, dict[str, Any]]:
    """Each asset's status: its step's newest state (`states` is keyed by step key; `step`
    maps an asset key to it) and its own newest materialization."""
    return {key: asset_status(states.get(step(key)), latest.get(key)) for key in keys}
