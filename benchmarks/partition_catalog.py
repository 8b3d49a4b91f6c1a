"""The catalog per partition at 100,000 partitions, on SQLite and PostgreSQL: how long
recording takes and how long the status queries answer (the target: < 200 ms).

    .venv/bin/python -m benchmarks.partition_catalog [--keys 100000] [--repeat 7]

Per backend, in a fresh store (a temporary SQLite file; a PostgreSQL schema of its own,
dropped afterwards): one range step's outcome covering every key (a single-run backfill),
then 1,000 one-key outcomes of other runs in one batch (a multi-run backfill's burst), a
tenth of them failures; then the medians of `partition_status`, the latest
materializations of 100 keys and the newest 100, and `asset_partitions` (status, runs in
progress and the run-length encoded view over the definition's 100,000 keys: what
`GET /api/assets/{key}/partitions` and `assets show --partitions` compute). Prints a
Markdown table. Needs PostgreSQL at UPSTREAM_BENCH_DATABASE_URL (default the tests').
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.model.partitions import StaticPartitionsDefinition
from upstream.protocol import ErrorInfo
from upstream.runs.partitions import asset_partitions
from upstream.storage.base import RunStorage
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus
from upstream.storage.sqlite import open_sqlite_storage

DSN = os.environ.get("UPSTREAM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = 1_700_000_000.0
ASSET = "daily"


def _run(run_id: str, tags: dict[str, str] | None = None) -> RunRecord:
    return RunRecord(run_id, RunStatus.STARTED, ASSET, (ASSET,), "loc", "h", T0, tags=tags or {})


async def _timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of `repeat` calls, and the last call's result."""
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), result


async def measure(storage: RunStorage, count: int, repeat: int) -> dict[str, Any]:
    keys = [f"p{i:06}" for i in range(count)]
    await storage.create_run(_run("range"))
    await storage.record_queued("range", [(ASSET, 1)], T0)
    outcome = StepOutcome(
        "range",
        ASSET,
        1,
        StepStatus.SUCCESS,
        T0,
        T0 + 1,
        metadata={"rows": 1},
        partitions=tuple(keys),
    )
    start = time.perf_counter()
    await storage.record_outcomes([outcome])
    record_range = (time.perf_counter() - start) * 1000

    burst = keys[:1000]
    for i in range(0, len(burst), 100):  # 1,000 one-key runs (created outside the timing)
        for key in burst[i : i + 100]:
            await storage.create_run(_run(f"one-{key}", {"dagster/partition": key}))
            await storage.record_queued(f"one-{key}", [(ASSET, 1)], T0)
    error = ErrorInfo("ValueError", "bad row", "")
    outcomes = [
        StepOutcome(
            f"one-{key}",
            ASSET,
            1,
            StepStatus.FAILURE if n % 10 == 0 else StepStatus.SUCCESS,
            T0 + 2,
            T0 + 3,
            error=error if n % 10 == 0 else None,
            partitions=(key,),
        )
        for n, key in enumerate(burst)
    ]
    start = time.perf_counter()
    await storage.record_outcomes(outcomes)
    record_burst = (time.perf_counter() - start) * 1000
    for n, key in enumerate(burst):
        ended = RunStatus.FAILURE if n % 10 == 0 else RunStatus.SUCCESS
        await storage.finish_run(f"one-{key}", ended, T0 + 4)
    await storage.create_run(
        _run(
            "busy",
            {
                "dagster/asset_partition_range_start": keys[-50],
                "dagster/asset_partition_range_end": keys[-1],
            },
        )
    )

    graph = AssetGraph(
        [AssetNode(AssetKey([ASSET]), partitions_def=StaticPartitionsDefinition(keys))]
    )
    status_ms, status = await _timed(lambda: storage.partition_status(ASSET), repeat)
    some = keys[count // 2 : count // 2 + 100]
    some_ms, found = await _timed(
        lambda: storage.latest_partition_materializations(ASSET, keys=some), repeat
    )
    newest_ms, _ = await _timed(
        lambda: storage.latest_partition_materializations(ASSET, limit=100), repeat
    )
    view_ms, view = await _timed(
        lambda: asset_partitions(storage, graph, AssetKey([ASSET])), repeat
    )
    assert len(status.materialized) + len(status.failed) == count and len(found) == 100
    return {
        "record 1 range step (ms)": record_range,
        "record 1,000 one-key outcomes (ms)": record_burst,
        "partition_status (ms)": status_ms,
        "latest of 100 keys (ms)": some_ms,
        "newest 100 (ms)": newest_ms,
        "asset_partitions view (ms)": view_ms,
        "view JSON (bytes)": len(json.dumps(view.to_dict())),
        "segments": len(view.segments),
    }


async def main(count: int, repeat: int) -> None:
    from upstream.storage.postgres import open_postgres_storage

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with await open_sqlite_storage(Path(tmp) / "state.db") as sqlite:
            results["SQLite (file, WAL)"] = await measure(sqlite, count, repeat)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    postgres = await open_postgres_storage(DSN, schema=schema)
    try:
        results["PostgreSQL"] = await measure(postgres, count, repeat)
    finally:
        await postgres.close()
        import asyncpg

        conn = await asyncpg.connect(DSN)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()

    names = list(results)
    print(f"{count:,} partitions of one asset; medians of {repeat}\n")
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for row in next(iter(results.values())):
        cells = [results[n][row] for n in names]
        shown = [f"{c:,.1f}" if isinstance(c, float) else f"{c:,}" for c in cells]
        print(f"| {row} | " + " | ".join(shown) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    anyio.run(main, args.keys, args.repeat)
