"""The lifecycle API on a real SQLite store: one `cancel` for both adapters, following a run
from the store, and a public API that does not load the cluster's drivers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from upstream import Definitions, InMemoryIOManager, asset
from upstream.locations import CodeLocation
from upstream.runs import ClusterRuns, EmbeddedRuns, Runs, follow_run
from upstream.storage import RunStatus
from upstream.storage.sqlite import open_sqlite_storage


@asset
def only() -> int:
    return 1


async def test_cancel_is_one_call_whichever_adapter(tmp_path: Path) -> None:
    """A queued run is canceled at once through either adapter; an unknown run is None."""
    storage = await open_sqlite_storage(tmp_path / "state.db")
    try:
        location = CodeLocation("pipeline", Definitions([only]))
        queue = ClusterRuns(storage)
        adapters: list[Runs] = [queue, EmbeddedRuns(storage)]
        for runs in adapters:
            run_id = await queue.submit(location.name, location.definitions.hash, None)
            assert await runs.cancel(run_id) is RunStatus.CANCELED
            assert await runs.cancel("no-such-run") is None
            record, reason = await follow_run(storage, run_id, lambda step: None)
            assert (record.status, record.selection, reason) == (RunStatus.CANCELED, "*", None)
    finally:
        await storage.close()


async def test_an_embedded_run_is_recorded_and_followed(tmp_path: Path) -> None:
    storage = await open_sqlite_storage(tmp_path / "state.db")
    try:
        runs = EmbeddedRuns(storage, io_manager=lambda _: InMemoryIOManager())
        async with runs.running():
            run_id = await runs.submit(CodeLocation("pipeline", Definitions([only])), "only")
            seen: list[str] = []
            record, _ = await follow_run(storage, run_id, lambda step: seen.append(step.step_key))
        assert record.status is RunStatus.SUCCESS and seen == ["only"]
    finally:
        await storage.close()


def test_the_public_api_does_not_load_the_cluster_drivers() -> None:
    """`import upstream` (every code location does it) stays free of asyncpg and aio-pika."""
    code = "import sys, upstream; print(sorted({'asyncpg', 'aio_pika'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
