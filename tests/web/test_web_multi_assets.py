"""The web API on a multi-asset (`upstream dev`): graph nodes stay assets; a run's steps
name the op with the assets it made; each asset shows its own materialization and its
step's status; re-executing a failed multi-asset names its keys."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tests.web.conftest import HEADERS, open_dev

MULTI = textwrap.dedent(
    """
    import os
    from upstream import AssetOut, Definitions, Output, asset, multi_asset


    @multi_asset(outs={"orders": AssetOut(), "users": AssetOut(group_name="crm")})
    def load():
        if os.environ.get("UPSTREAM_TEST_FAIL_LOAD"):
            raise ValueError("source down")
        yield Output([1, 2], output_name="orders", metadata={"rows": 2})
        yield Output(["ana"], output_name="users", metadata={"rows": 1})


    @asset
    def report(orders: list[int], users: list[str]) -> int:
        return len(orders) + len(users)


    defs = Definitions(assets=[load, report])
    """
)


async def test_a_multi_asset_run_through_the_api(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(MULTI)
    async with open_dev(tmp_path) as dev:
        graph = (await dev.client.get("/api/graph")).json()
        assert {n["key"] for n in graph["nodes"]} == {"orders", "users", "report"}

        run = await dev.wait_run(await dev.launch("*"))
        assert run["status"] == "SUCCESS"
        steps = {s["step_key"]: s for s in run["steps"]}
        assert set(steps) == {"load", "report"}
        assert steps["load"]["assets"] == ["orders", "users"]

        status = (await dev.client.get("/api/status")).json()["assets"]
        assert {k: v["status"] for k, v in status.items()} == dict.fromkeys(
            ("orders", "users", "report"), "materialized"
        )
        picked = (await dev.client.get("/api/status?key=users")).json()["assets"]
        assert picked["users"]["status"] == "materialized"

        users = (await dev.client.get("/api/assets/users")).json()
        assert users["step_key"] == "load"
        assert users["group"] == "crm"
        assert users["last_materialization"]["metadata"]["rows"]["value"] == 1
        assert users["last_run_id"] == run["run_id"]
        history = (await dev.client.get("/api/assets/orders/materializations")).json()
        assert [h["run_id"] for h in history] == [run["run_id"]]

        partial = await dev.client.post("/api/runs", json={"selection": "users"}, headers=HEADERS)
        assert partial.status_code == 400
        assert "select all asset keys produced by this asset" in partial.json()["error"]


async def test_reexecuting_a_failed_multi_asset_selects_its_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pipeline.py").write_text(MULTI)
    async with open_dev(tmp_path) as dev:
        monkeypatch.setenv("UPSTREAM_TEST_FAIL_LOAD", "1")
        first = await dev.wait_run(await dev.launch("*"))
        assert first["status"] == "FAILURE"
        failed = {s["step_key"]: s for s in first["steps"]}["load"]
        assert failed["assets"] == ["orders", "users"]  # its page links, though it made none
        monkeypatch.delenv("UPSTREAM_TEST_FAIL_LOAD")
        response = await dev.client.post(
            f"/api/runs/{first['run_id']}/reexecute", json={"from_failure": True}, headers=HEADERS
        )
        assert response.status_code == 201, response.text
        again = await dev.wait_run(response.json()["run_ids"][0])
        assert again["status"] == "SUCCESS"
        assert sorted(s["step_key"] for s in again["steps"]) == ["load", "report"]
        assert set(again["selection"].split(",")) == {"report", "orders", "users"}
