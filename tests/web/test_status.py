"""`/api/status`: what the live graph polls, the count of runs still going included."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from tests.web.conftest import BASE, PIPELINE

from upstream.locations import load_code_location
from upstream.runs import ClusterRuns
from upstream.storage import RunRecord, RunStatus
from upstream.storage.sqlite import open_sqlite_storage
from upstream.web.app import create_app
from upstream.web.workspace import ClusterWorkspace


async def test_active_runs_counts_queued_started_and_canceling_runs(tmp_path: Path) -> None:
    """Runs not yet ended count, ended ones do not, however many of each there are."""
    storage = await open_sqlite_storage(tmp_path / "state.db")
    try:
        code = tmp_path / "pipeline.py"
        code.write_text(PIPELINE)
        await storage.register_code_location(load_code_location(file=str(code)).record())
        started = RunRecord("r", RunStatus.STARTED, "*", ("slow",), "loc", "h", 1.0)
        for i in range(4):
            await storage.create_run(replace(started, run_id=f"started-{i}", created_at=i))
        for i in range(2):
            await storage.create_run(
                replace(started, run_id=f"queued-{i}", status=RunStatus.QUEUED)
            )
        await storage.finish_run("started-0", RunStatus.SUCCESS, 9.0)
        await storage.finish_run("started-1", RunStatus.FAILURE, 9.0)
        await storage.request_cancel("started-2", 9.0)  # CANCELING: still going
        await storage.request_cancel("queued-0", 9.0)  # CANCELED at once

        app = create_app(ClusterWorkspace(ClusterRuns(storage), launches=False))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
            assert (await c.get("/api/status")).json()["active_runs"] == 3
            await storage.finish_run("started-2", RunStatus.CANCELED, 10.0)
            await storage.finish_run("started-3", RunStatus.SUCCESS, 10.0)
            assert (await c.get("/api/status")).json()["active_runs"] == 1
    finally:
        await storage.close()
