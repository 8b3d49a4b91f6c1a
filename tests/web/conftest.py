"""The web app on a real store, driven over ASGI with httpx (no sockets needed): `upstream
dev` on SQLite, or `upstream web` over a cluster's PostgreSQL in a schema of its own."""

from __future__ import annotations

import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from starlette.applications import Starlette
from tests.backends import open_store

from upstream.execution.io_managers import FilesystemIOManager
from upstream.locations import load_code_location
from upstream.runs import ClusterRuns, EmbeddedRuns
from upstream.storage.base import RunStorage
from upstream.storage.sqlite import open_sqlite_storage
from upstream.web.app import WebSettings, create_app
from upstream.web.workspace import ClusterWorkspace, DevWorkspace

PIPELINE = textwrap.dedent(
    '''
    import anyio
    from upstream import Definitions, MaterializeResult, asset


    @asset(key_prefix="sales", group_name="sales")
    def orders() -> list[int]:
        """Every order, as amounts."""
        return [10, 20, 30]


    @asset(key_prefix="sales", group_name="sales")
    def revenue(orders: list[int]) -> MaterializeResult:
        return MaterializeResult(
            value=sum(orders),
            metadata={"rows": len(orders), "dashboard": "https://example.com/revenue"},
        )


    @asset(group_name="quality")
    def broken() -> int:
        raise ValueError("bad data in row 3")


    @asset(group_name="quality")
    def after_broken(broken: int) -> int:
        return broken


    @asset(group_name="slow")
    async def slow() -> int:
        await anyio.sleep(60)
        return 1


    defs = Definitions(assets=[orders, revenue, broken, after_broken, slow])
    '''
)

HEADERS = {"X-Upstream-CSRF": "1"}
BASE = "http://127.0.0.1:3000"


@dataclass
class Dev:
    """A running `upstream dev` app: its client, its code file, its workspace.

    Opened with `async with open_dev(tmp_path)` inside the test, not as a fixture: its task
    group must be entered and left by the same task."""

    client: httpx.AsyncClient
    code: Path
    workspace: DevWorkspace
    app: Starlette

    async def launch(self, selection: str) -> str:
        response = await self.client.post(
            "/api/runs", json={"selection": selection}, headers=HEADERS
        )
        assert response.status_code == 201, response.text
        (run_id,) = response.json()["run_ids"]
        return str(run_id)

    async def wait_run(self, run_id: str, within: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            run = (await self.client.get(f"/api/runs/{run_id}")).json()
            if run["status"] not in ("QUEUED", "STARTED", "CANCELING"):
                return dict(run)
            assert time.monotonic() < deadline, f"run still {run['status']}"
            await anyio.sleep(0.05)


@asynccontextmanager
async def open_dev(tmp_path: Path, settings: WebSettings | None = None) -> AsyncIterator[Dev]:
    code = tmp_path / "pipeline.py"
    if not code.exists():
        code.write_text(PIPELINE)
    storage = await open_sqlite_storage(tmp_path / ".upstream" / "state.db")
    runs = EmbeddedRuns(storage, io_manager=lambda _: FilesystemIOManager(tmp_path / "values"))
    workspace = DevWorkspace(runs, module=None, file=str(code))
    app = create_app(workspace, settings or WebSettings(allowed_hosts=("127.0.0.1",)))
    try:
        async with workspace.running():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
                yield Dev(client, code, workspace, app)
    finally:
        await storage.close()


@dataclass
class Cluster:
    """A running `upstream web` app over a cluster's store: its client and that store."""

    client: httpx.AsyncClient
    storage: RunStorage


@asynccontextmanager
async def open_cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    """`upstream web` over PostgreSQL (a fresh schema) where a worker registered PIPELINE;
    its launches are queued for a coordinator (none runs here)."""
    code = tmp_path / "pipeline.py"
    code.write_text(PIPELINE)
    async with open_store("postgres", tmp_path) as storage:
        await storage.register_code_location(load_code_location(file=str(code)).record())
        app = create_app(ClusterWorkspace(ClusterRuns(storage)), WebSettings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield Cluster(client, storage)
