"""Stored snapshots read back with the garbage collector paused, and left as it was found."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from upstream.model.errors import AssetCycle
from upstream.storage.snapshots import graph_from_snapshot, parse_snapshot

CHAIN = {"assets": [{"key": f"a{i}", "parents": [f"a{i - 1}"] if i else []} for i in range(5000)]}
CYCLE = {"assets": [{"key": "a", "parents": ["b"]}, {"key": "b", "parents": ["a"]}]}


@pytest.fixture(params=[True, False], ids=["gc-enabled", "gc-disabled"])
def collector(request: pytest.FixtureRequest) -> Iterator[bool]:
    """The collector switched on or off for the test, restored afterwards."""
    was = gc.isenabled()
    (gc.enable if request.param else gc.disable)()
    try:
        yield request.param
    finally:
        (gc.enable if was else gc.disable)()


def collections_during(load: Callable[[], Any]) -> int:
    """How many automatic collections started while `load` ran."""
    started: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(phase)

    gc.callbacks.append(note)
    try:
        load()
    finally:
        gc.callbacks.remove(note)
    return len(started)


def test_a_large_snapshot_loads_without_repeated_collections(collector: bool) -> None:
    """5,000 assets allocate far past the collector's threshold (unpaused: 14 collections to
    parse, 49 to build), yet at most one runs: the scan of the new objects once restored."""
    text = json.dumps(CHAIN)
    assert collections_during(lambda: parse_snapshot(text)) <= 1
    assert collections_during(lambda: graph_from_snapshot(CHAIN)) <= 1
    assert gc.isenabled() is collector


def test_the_collector_is_restored_after_an_error(collector: bool) -> None:
    """A refused snapshot still hands the collector back as it was."""
    with pytest.raises(AssetCycle):
        graph_from_snapshot(CYCLE)
    assert gc.isenabled() is collector
    with pytest.raises(json.JSONDecodeError):
        parse_snapshot("{not json")
    assert gc.isenabled() is collector


def test_a_snapshot_reads_back_as_the_graph_it_describes() -> None:
    """Parsing and building give what `json.loads` and `from_snapshot` would."""
    text = json.dumps(CHAIN)
    assert parse_snapshot(text) == CHAIN
    graph = graph_from_snapshot(parse_snapshot(text))
    assert graph.to_snapshot() == graph_from_snapshot(CHAIN).to_snapshot()
    assert len(graph) == 5000
