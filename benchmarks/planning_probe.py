"""The coordinator's planning work alone, in a fresh interpreter: `python -m
benchmarks.planning_probe SNAPSHOT.json` prints one JSON line of times and peak memory.

What the coordinator does for a run, minus the I/O: parse the registered snapshot
(`parse_snapshot`, as the stores do), build the graph (`graph_from_snapshot`, which
validates and toposorts), freeze the heap as the cluster coordinator does once it holds a
graph, and build the plan (`build_plan`), then walk a `ReadySet` feeding `succeeded()` for
every step, as results arrive. Peak RSS is the process's VmHWM, interpreter and imports
included.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from pathlib import Path

from upstream.planning import ReadySet, build_plan
from upstream.storage.snapshots import graph_from_snapshot, parse_snapshot


def rss_mb(field: str = "VmHWM") -> float:
    """This process's peak (VmHWM) or current (VmRSS) resident set, in MB.

    From /proc, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child of a
    large benchmark process would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: best effort


def walk(ready: ReadySet) -> int:
    """Succeed every step as soon as it is ready; return how many ran."""
    pending = ready.initial()
    done = 0
    while pending:
        step = pending.pop()
        done += 1
        pending.extend(ready.succeeded(step))
    return done


def main(path: Path) -> dict[str, float]:
    baseline = rss_mb("VmRSS")
    began = time.perf_counter()
    snapshot = parse_snapshot(path.read_text())
    parsed = time.perf_counter()
    graph = graph_from_snapshot(snapshot)
    del snapshot
    gc.freeze()  # ClusterCoordinator._graph
    built = time.perf_counter()
    plan = build_plan(graph)
    planned = time.perf_counter()
    ran = walk(ReadySet(plan.parents))
    walked = time.perf_counter()
    if ran != len(plan):
        raise SystemExit(f"the walk ran {ran} of {len(plan)} steps")
    return {
        "steps": len(plan),
        "load_plan_s": planned - began,
        "json_s": parsed - began,
        "graph_s": built - parsed,
        "plan_s": planned - built,
        "walk_s": walked - planned,
        "baseline_mb": baseline,
        "peak_mb": rss_mb(),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
