"""Stored graph snapshots read back with the cyclic garbage collector paused.

Parsing a snapshot and building its graph keep every object they allocate (a few per
asset, none in a reference cycle), so the collector would rescan the whole growing heap
several times for nothing. This tuning belongs to the services that load stored graphs
(the adapters, the cluster coordinator, the web), not to the pure `definitions`.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from upstream.model.graph import AssetGraph

__all__ = ["graph_from_snapshot", "parse_snapshot"]


def parse_snapshot(text: str | bytes) -> dict[str, Any]:
    """A stored snapshot's JSON, parsed with the collector paused: 100,000 assets ~0.14 s
    instead of ~0.43 s."""
    with _collector_paused():
        return dict(json.loads(text))


def graph_from_snapshot(snapshot: Mapping[str, Any]) -> AssetGraph:
    """`AssetGraph.from_snapshot` with the collector paused: four full collections, ~0.65 s,
    saved on a 100,000-asset graph."""
    with _collector_paused():
        return AssetGraph.from_snapshot(snapshot)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic collector; restored afterwards (also on an error), it scans the new
    objects once. A collector already disabled is left so."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
