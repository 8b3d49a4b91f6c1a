"""The partitions API: `/api/assets/{key}/partitions` counts and run-length encodes each
key's status in the definition's order (10,000 keys of a few statuses stay a few KB), and
`/api/partitions/{name}` reads, adds and deletes a dynamic definition's keys, on SQLite
(dev) and PostgreSQL (web over a cluster); bad input is a short 4xx."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.web.conftest import HEADERS, open_cluster, open_dev

from upstream.protocol import ErrorInfo
from upstream.storage.base import RunStorage
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus

PARTITIONED = textwrap.dedent(
    """
    from upstream import Definitions, StaticPartitionsDefinition, asset

    KEYS = StaticPartitionsDefinition([f"k{i:05}" for i in range(12_000)])

    @asset(partitions_def=KEYS)
    def daily() -> int:
        return 1

    @asset
    def plain() -> int:
        return 1

    defs = Definitions(assets=[daily, plain])
    """
)
T0 = 1_700_000_000.0


async def _record(storage: RunStorage) -> None:
    """k00000..k09999 materialized in one range step, k10000 failed, k10001..k10002 in a
    queued run's range (its selection names the asset)."""
    for run_id in ("r1", "r2"):
        run = RunRecord(run_id, RunStatus.STARTED, "daily", ("daily",), "loc", "h", T0)
        await storage.create_run(run)
        await storage.record_queued(run_id, [("daily", 1)], T0)
    keys = tuple(f"k{i:05}" for i in range(10_000))
    ok = StepOutcome("r1", "daily", 1, StepStatus.SUCCESS, T0, T0 + 1, partitions=keys)
    error = ErrorInfo("E", "x", "")
    failed = StepOutcome(
        "r2", "daily", 1, StepStatus.FAILURE, T0, T0 + 1, error=error, partitions=("k10000",)
    )
    await storage.record_outcomes([ok, failed])
    tags = {
        "dagster/asset_partition_range_start": "k10001",
        "dagster/asset_partition_range_end": "k10002",
    }
    await storage.create_run(
        RunRecord("r3", RunStatus.QUEUED, "daily", (), "loc", "h", T0, tags=tags)
    )


def _check_status(body: dict[str, object]) -> None:
    assert body["total"] == 12_000
    assert body["counts"] == {
        "materialized": 10_000,
        "failed": 1,
        "in_progress": 2,
        "missing": 1_997,
    }
    assert body["segments"] == [
        {"status": "materialized", "start": "k00000", "end": "k09999", "count": 10_000},
        {"status": "failed", "start": "k10000", "end": "k10000", "count": 1},
        {"status": "in_progress", "start": "k10001", "end": "k10002", "count": 2},
        {"status": "missing", "start": "k10003", "end": "k11999", "count": 1_997},
    ]
    assert body["runs_in_progress"] == ["r3"]


async def test_an_assets_partitions_are_segments_in_key_order(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(PARTITIONED)
    async with open_dev(tmp_path) as dev:
        await _record(dev.workspace.storage)
        response = await dev.client.get("/api/assets/daily/partitions")
        assert response.status_code == 200, response.text
        assert len(response.content) < 4_000  # 12,000 keys, a few segments
        _check_status(response.json())

        plain = await dev.client.get("/api/assets/plain/partitions")
        assert plain.status_code == 400
        assert "not partitioned" in plain.json()["error"]
        missing = await dev.client.get("/api/assets/nope/partitions")
        assert missing.status_code == 404


async def test_dynamic_keys_are_read_added_and_deleted(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        client = dev.client
        assert (await client.get("/api/partitions/customers")).json() == {
            "name": "customers",
            "keys": [],
        }
        added = await client.post(
            "/api/partitions/customers", json={"keys": ["acme", "globex", "acme"]}, headers=HEADERS
        )
        assert added.status_code == 200, added.text
        assert added.json() == {"name": "customers", "added": ["acme", "globex"]}
        deleted = await client.request(
            "DELETE", "/api/partitions/customers", json={"keys": ["acme", "nope"]}, headers=HEADERS
        )
        assert deleted.json() == {"name": "customers", "deleted": ["acme"], "missing": ["nope"]}
        keys = (await client.get("/api/partitions/customers")).json()["keys"]
        assert keys == ["globex"]

        for bad in ({}, {"keys": []}, {"keys": "acme"}, {"keys": [""]}, {"keys": [1]}):
            refused = await client.post("/api/partitions/customers", json=bad, headers=HEADERS)
            assert refused.status_code == 400, bad
            assert len(refused.json()["error"]) < 200
        no_csrf = await client.post("/api/partitions/customers", json={"keys": ["x"]})
        assert no_csrf.status_code == 403


async def test_the_partitions_api_on_a_cluster_store(tmp_path: Path) -> None:
    async with open_cluster(tmp_path) as cluster:
        added = await cluster.client.post(
            "/api/partitions/regions", json={"keys": ["eu", "us"]}, headers=HEADERS
        )
        assert added.json()["added"] == ["eu", "us"]
        assert await cluster.storage.get_dynamic_partitions("regions") == ["eu", "us"]
