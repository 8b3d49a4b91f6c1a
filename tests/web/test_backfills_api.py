"""Backfills in the web API: launched in `upstream dev` (driven in-process) and over a
cluster's store (recorded for its coordinator), listed with their runs by status, shown per
partition, canceled; bad partitions are a 400 launching nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from tests.backends import open_store
from tests.web.conftest import HEADERS, open_dev

from upstream.locations import load_code_location
from upstream.runs import ClusterRuns
from upstream.web.app import WebSettings, create_app
from upstream.web.workspace import ClusterWorkspace

PARTITIONED = """
import anyio
from upstream import Definitions, asset
from upstream.model.partitions import StaticPartitionsDefinition

DAYS = StaticPartitionsDefinition([f"2024-01-{d:02}" for d in range(1, 31)])


@asset(partitions_def=DAYS)
def events() -> int:
    return 1


@asset(partitions_def=DAYS)
def daily(events: int) -> int:
    return events + 1


@asset(partitions_def=DAYS)
async def slow_daily(events: int) -> int:
    await anyio.sleep(30)
    return 1


defs = Definitions(assets=[events, daily, slow_daily])
"""


async def wait_backfill(client: httpx.AsyncClient, backfill_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        found: dict[str, Any] = (await client.get(f"/api/backfills/{backfill_id}")).json()
        if found["status"] not in ("REQUESTED", "CANCELING"):
            return found
        assert time.monotonic() < deadline, found
        await anyio.sleep(0.1)


async def test_a_backfill_launched_in_dev_runs_every_partition(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(PARTITIONED)
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post(
            "/api/backfills",
            json={
                "selection": "events,daily",
                "partitions": {"range": ["2024-01-03", "2024-01-07"]},
                "tags": {"team": "data"},
            },
            headers=HEADERS,
        )
        assert response.status_code == 201, response.text
        backfill_id = response.json()["backfill_id"]
        done = await wait_backfill(dev.client, backfill_id)
        assert done["status"] == "COMPLETED"
        assert done["partitions_status"] == {f"2024-01-0{d}": "SUCCESS" for d in range(3, 8)}
        assert done["units_done"] == done["units_total"] == 5
        listed = (await dev.client.get("/api/backfills")).json()
        assert [(b["backfill_id"], b["runs"]) for b in listed] == [(backfill_id, {"SUCCESS": 5})]
        run_id = done["units"][0]["run_id"]
        run = (await dev.client.get(f"/api/runs/{run_id}")).json()
        assert run["tags"] == {
            "team": "data",
            "dagster/backfill": backfill_id,
            "dagster/partition": "2024-01-03",
        }
        page = await dev.client.get(f"/backfills/{backfill_id}")
        assert page.status_code == 200 and "backfill.js" in page.text
        assert (await dev.client.get("/backfills/nope")).status_code == 404


async def test_cancel_in_dev_stops_the_backfill(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(PARTITIONED)
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post(
            "/api/backfills",
            json={"selection": "events,slow_daily", "partitions": {"all": True}},
            headers=HEADERS,
        )
        backfill_id = response.json()["backfill_id"]
        await anyio.sleep(0.5)
        canceled = await dev.client.post(
            f"/api/backfills/{backfill_id}/cancel", json={}, headers=HEADERS
        )
        assert canceled.json() == {"status": "CANCELING"}
        done = await wait_backfill(dev.client, backfill_id)
        assert done["status"] == "CANCELED"
        assert set(done["partitions_status"].values()) <= {"CANCELED", "SUCCESS"}
        again = await dev.client.post(
            f"/api/backfills/{backfill_id}/cancel", json={}, headers=HEADERS
        )
        assert again.status_code == 409


async def test_bad_partitions_are_a_400_launching_nothing(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(PARTITIONED)
    async with open_dev(tmp_path) as dev:
        for partitions, words in [
            ({"range": ["2024-01-03"]}, '"partitions": {"range": [START, END]}'),
            ({"keys": ["2023-12-31"]}, "partition key '2023-12-31' is not in"),
            (None, '"partitions": {"range": [START, END]}'),
        ]:
            response = await dev.client.post(
                "/api/backfills",
                json={"selection": "daily", "partitions": partitions},
                headers=HEADERS,
            )
            assert response.status_code == 400, response.text
            assert words in response.json()["error"]
        assert (await dev.client.get("/api/backfills")).json() == []
        assert (await dev.client.get("/api/backfills/nope")).status_code == 404


@pytest.mark.integration
async def test_a_cluster_launch_records_the_backfill_for_its_coordinator(tmp_path: Path) -> None:
    code = tmp_path / "partitioned.py"
    code.write_text(PARTITIONED)
    async with open_store("postgres", tmp_path) as storage:
        await storage.register_code_location(load_code_location(file=str(code)).record())
        app = create_app(ClusterWorkspace(ClusterRuns(storage)), WebSettings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post(
                "/api/backfills",
                json={"selection": "*", "partitions": {"keys": ["2024-01-02", "2024-01-09"]}},
                headers=HEADERS,
            )
            assert response.status_code == 201, response.text
            record = await storage.get_backfill(response.json()["backfill_id"])
            assert record is not None and record.status.value == "REQUESTED"
            assert record.target == {"keys": ["2024-01-02", "2024-01-09"]}
            shown = (await client.get(f"/api/backfills/{record.backfill_id}")).json()
            assert set(shown["partitions_status"].values()) == {"PENDING"}
