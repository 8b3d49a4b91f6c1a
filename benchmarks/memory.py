"""The 100,000-asset layered graph: planning time and the coordinator's peak memory.

Two measurements. The planning probe (always): a fresh process loads the graph from its
snapshot, plans it and walks the ready set, reporting times and peak RSS. The real run
(when its estimated duration fits the time limit): a fresh coordinator and 2 workers run the
whole graph; the coordinator's VmHWM is read before it stops.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.cluster import cluster
from benchmarks.graphs import GEN_DIR, module_file, snapshot_file
from benchmarks.procs import PYTHON, BenchError, bench_env, run_bounded

SIZE = 100_000
WORKERS = 2


@dataclass
class MemoryReport:
    """What the 100k section prints; a None field was not measured (with `why`)."""

    probe: dict[str, float] = field(default_factory=dict)
    run_seconds: float | None = None
    coordinator_peak_mb: float | None = None
    coordinator_cpu_s: float | None = None
    why_no_run: str | None = None
    error: str | None = None


def planning_probe(timeout: float) -> dict[str, float]:
    """Plan the 100k graph from its snapshot in a fresh interpreter; its JSON report."""
    done = run_bounded(
        [PYTHON, "-m", "benchmarks.planning_probe", str(snapshot_file("layered", SIZE))],
        timeout=timeout,
        env=bench_env(),
        cwd=GEN_DIR,
        log=GEN_DIR / "planning_probe.err",
    )
    if done.returncode != 0:
        raise BenchError(f"planning probe exited {done.returncode}: {done.log}")
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def distributed_run(timeout: float) -> tuple[float, float, float]:
    """Run the 100k graph on a fresh coordinator and 2 workers.

    Returns (seconds, coordinator peak MB, coordinator CPU seconds). Submitted through the
    API, not the CLI: the CLI's follower reads every step row each 0.2 s, which at this
    size would compete with the run for the two cores."""
    module: Path = module_file("layered", SIZE)
    with cluster("mem") as found:
        found.start_workers(module, WORKERS, ready_timeout=300)
        timing = found.submit_and_wait(module, timeout)
        return timing.seconds, found.coordinator_peak_mb(), timing.cpu["coordinator"]


def measure(run_estimate: float | None, max_seconds: float) -> MemoryReport:
    """The probe, and the real run unless it is estimated to exceed `max_seconds`."""
    report = MemoryReport()
    try:
        report.probe = planning_probe(timeout=max_seconds)
        if run_estimate is None:
            report.why_no_run = "no 2-worker layered timing to estimate it from"
        elif run_estimate > max_seconds:
            report.why_no_run = f"skipped (est. {run_estimate:.0f}s > {max_seconds:.0f}s)"
        else:
            seconds, peak, cpu = distributed_run(timeout=max(3 * run_estimate, 120))
            report.run_seconds, report.coordinator_peak_mb, report.coordinator_cpu_s = (
                seconds,
                peak,
                cpu,
            )
    except BenchError as exc:
        report.error = str(exc)
    return report
