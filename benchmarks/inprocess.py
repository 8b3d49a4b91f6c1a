"""One in-process measurement, in a fresh interpreter: `python -m benchmarks.inprocess
FRAMEWORK KIND N` prints one JSON line {"seconds": ..., "ok": ..., "detail": ...}.

A fresh process per sample keeps samples independent (no leftover memory or caches from a
larger graph) and lets the parent enforce a timeout. Only the `materialize` call is timed;
building the asset list is not. upstream and Dagster each first materialize a tiny graph,
so lazy imports and first-call setup are not billed to the graph being measured.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from benchmarks.graphs import KINDS, Kind, as_kind, expected_last, name, topology

Outcome = tuple[float, bool, str]


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def run_upstream(kind: Kind, n: int) -> Outcome:
    """`upstream.materialize(assets)`: values in memory, run recorded in in-memory SQLite."""
    from benchmarks.graphs import upstream_assets
    from upstream import materialize

    materialize(upstream_assets(topology(kind, 2)))  # warm-up
    topo = topology(kind, n)
    assets = upstream_assets(topo)
    seconds, result = _timed(lambda: materialize(assets))
    value = result.output_for(name(n - 1))
    return seconds, bool(result.success) and value == expected_last(topo), f"last={value}"


def run_dagster(kind: Kind, n: int) -> Outcome:
    """`dagster.materialize(assets)` with the in-memory IO manager, as upstream's keeps
    values in memory (Dagster's filesystem default measured ~8% slower at N=100)."""
    import dagster as dg

    from benchmarks.dagster_graphs import dagster_assets

    memory = {"io_manager": dg.mem_io_manager}
    dg.materialize(dagster_assets(topology(kind, 2)), resources=memory)  # warm-up
    topo = topology(kind, n)
    assets = dagster_assets(topo)
    seconds, result = _timed(lambda: dg.materialize(assets, resources=memory))
    value = result.output_for_node(name(n - 1))
    return seconds, bool(result.success) and value == expected_last(topo), f"last={value}"


def run_dagster_multiprocess(kind: Kind, n: int) -> Outcome:
    """`execute_job` of a reconstructable job on the multiprocess executor: each step in
    its own process, values through the filesystem IO manager of a temporary instance."""
    import dagster as dg

    job = dg.build_reconstructable_job(
        "benchmarks.dagster_graphs",
        "multiprocess_job",
        reconstructable_args=(kind, n),  # type: ignore[arg-type]  # Dagster hints a 1-tuple
    )
    with tempfile.TemporaryDirectory() as home, dg.DagsterInstance.local_temp(home) as instance:
        began = time.perf_counter()
        with dg.execute_job(job, instance=instance) as result:
            seconds = time.perf_counter() - began
            return seconds, bool(result.success), f"run {result.run_id}"


RUNNERS: dict[str, Callable[[Kind, int], Outcome]] = {
    "upstream": run_upstream,
    "dagster": run_dagster,
    "dagster-mp": run_dagster_multiprocess,
}


def main(argv: list[str]) -> int:
    framework, n = argv[0], int(argv[2])
    kind = as_kind(argv[1])
    if framework not in RUNNERS or kind is None:
        print(f"usage: FRAMEWORK({'|'.join(RUNNERS)}) KIND({'|'.join(KINDS)}) N", file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore")  # Dagster's preview/deprecation warnings
    seconds, ok, detail = RUNNERS[framework](kind, n)
    print(json.dumps({"seconds": seconds, "ok": ok, "detail": detail[:200]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
