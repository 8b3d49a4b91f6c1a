"""`.venv/bin/python benchmarks/backfill.py [--days 3650] [--repeat 3]`: backfill rows.

A daily-partitioned asset with 10 years of partitions and a daily downstream asset (identity
mapping), backfilled whole on the cluster (a coordinator and 2 workers, RabbitMQ and
PostgreSQL, real processes, as `benchmarks/cluster.py` runs them):

- multi-run: a run per partition (no BackfillPolicy, Dagster's default), 3,650 runs;
- single-run: `BackfillPolicy.single_run()`, one run covering the whole range.

Timed from the backfill's `created_at`: "launched" when its last run was created (every run
is QUEUED in the store by then), "done" at its `ended_at`; both read back from PostgreSQL.
The assets are `DailyPartitionsDefinition(start_date=..., end_date=...)` no-ops that store
nothing (`-> None`, `deps=`): what is measured is the orchestration.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cluster import DATABASE_URL, cluster
from benchmarks.graphs import GEN_DIR
from benchmarks.procs import BenchError

START = "2015-01-01"
# Dagster's asset backfill daemon submits about one run a second (dagster-io/dagster#28998),
# and sleeps between iterations (#11649): its time for N runs is at least N seconds.
DAGSTER_RUNS_PER_SECOND = 1.0

MODULE = """
from upstream import BackfillPolicy, DailyPartitionsDefinition, Definitions, asset

DAYS = DailyPartitionsDefinition(start_date="{start}", end_date="{end}")
POLICY = {policy}


# No-op assets that store nothing through the IO manager (`-> None`), so that the same
# module serves the single-run row, whose one step covers the whole range.
@asset(partitions_def=DAYS, backfill_policy=POLICY)
def raw() -> None:
    pass


@asset(partitions_def=DAYS, backfill_policy=POLICY, deps=[raw])
def daily() -> None:
    pass


defs = Definitions(assets=[raw, daily])
"""


def write_module(days: int, single: bool) -> Path:
    from datetime import date, timedelta

    end = (date.fromisoformat(START) + timedelta(days=days)).isoformat()
    policy = "BackfillPolicy.single_run()" if single else "None"
    path = GEN_DIR / f"backfill_{'single' if single else 'multi'}_{days}.py"
    GEN_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(MODULE.format(start=START, end=end, days=days, policy=policy))
    return path


async def _backfill(namespace: str, module: Path, limit_s: float) -> tuple[float, float, int]:
    """Launch a backfill of every partition as `upstream backfill launch` does; return
    (launched, done, runs) in seconds from its creation."""
    from upstream.locations import load_code_location
    from upstream.planning.backfill import BackfillTarget
    from upstream.runs.backfills import new_backfill
    from upstream.storage.postgres import open_postgres_storage

    location = load_code_location(None, str(module))
    storage = await open_postgres_storage(DATABASE_URL, schema=namespace, max_size=1)
    try:
        record, plan = await new_backfill(
            storage,
            location.definitions.graph,
            code_location=location.name,
            definitions_hash=location.definitions.hash,
            selection=None,
            target=BackfillTarget(),
        )
        deadline = time.monotonic() + limit_s
        while True:
            found = await storage.get_backfill(record.backfill_id)
            if found is not None and found.status.ended:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"backfill did not finish in {limit_s:.0f}s")
            await asyncio.sleep(0.2)
        if found.status.value != "COMPLETED" or found.ended_at is None:
            raise BenchError(f"backfill ended {found.status}: {found.message}")
        runs = await storage.backfill_runs(record.backfill_id)
        if len(runs) != len(plan):
            raise BenchError(f"{len(runs)} runs for {len(plan)} units")
        launched = max(r.created_at for r in runs) - found.created_at
        return launched, found.ended_at - found.created_at, len(runs)
    finally:
        await storage.close()


def measure(days: int, single: bool, repeat: int, limit_s: float) -> list[tuple[float, float, int]]:
    module = write_module(days, single)
    samples = []
    with cluster("backfill") as found:
        found.start_workers(module, 2)
        for _ in range(repeat):
            samples.append(asyncio.run(_backfill(found.namespace, module, limit_s)))
    return samples


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3650)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=600)
    options = parser.parse_args(argv)
    head = "| backfill (2 daily assets, 2 workers) | runs | launched (s) | done (s) |"
    print(head + " Dagster daemon (s) |")
    print("|---|---|---|---|---|")
    for single in (False, True):
        samples = measure(options.days, single, options.repeat, options.max_seconds)
        launched = statistics.median(s[0] for s in samples)
        done = statistics.median(s[1] for s in samples)
        runs = samples[0][2]
        dagster = f"≥ {runs / DAGSTER_RUNS_PER_SECOND:.0f} (~1 run/s)"
        label = "single-run" if single else "multi-run (a run per partition)"
        print(
            f"| {label}, {options.days} partitions | {runs} | {launched:.2f} | {done:.2f} "
            f"| {dagster} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
