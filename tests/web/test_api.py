"""The JSON API behind every page, on a real embedded store: reading the graph and the
catalog, launching, re-executing, canceling, reloading code, and refusing bad requests."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import httpx
from tests.web.conftest import BASE, HEADERS, PIPELINE, open_dev

from upstream.locations import load_code_location
from upstream.runs import ClusterRuns
from upstream.storage.records import CoordinatorState
from upstream.storage.sqlite import open_sqlite_storage
from upstream.web.app import create_app
from upstream.web.workspace import ClusterWorkspace

WITH_EXTRA = PIPELINE.replace(
    "defs = Definitions(assets=[",
    "@asset\ndef extra() -> int:\n    return 7\n\n\ndefs = Definitions(assets=[extra, ",
)


async def test_info_names_the_code_location_and_the_mode(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        info = (await dev.client.get("/api/info")).json()
        assert info["mode"] == "dev"
        (location,) = info["code_locations"]
        assert location["name"] == str(dev.code.resolve())
        assert location["asset_count"] == 5
        assert location["load_error"] is None


async def test_the_graph_is_laid_out_left_to_right_by_group(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        graph = (await dev.client.get("/api/graph")).json()
        nodes = {n["key"]: n for n in graph["nodes"]}
        assert set(nodes) == {"sales/orders", "sales/revenue", "broken", "after_broken", "slow"}
        keys = [n["key"] for n in graph["nodes"]]
        edges = {(keys[a], keys[b]) for a, b in graph["edges"]}
        assert edges == {("sales/orders", "sales/revenue"), ("broken", "after_broken")}
        assert nodes["sales/orders"]["x"] < nodes["sales/revenue"]["x"]
        assert {g["name"] for g in graph["groups"]} == {"sales", "quality", "slow"}


async def test_a_launch_materializes_exactly_the_selection(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        before = (await dev.client.get("/api/status")).json()["assets"]
        assert before["sales/revenue"] == {"status": "never", "at": None, "run_id": None}

        run_id = await dev.launch("*sales/revenue")
        run = await dev.wait_run(run_id)

        assert run["status"] == "SUCCESS"
        assert run["selection"] == "*sales/revenue"
        assert sorted(s["step_key"] for s in run["steps"]) == ["sales/orders", "sales/revenue"]
        status = (await dev.client.get("/api/status")).json()["assets"]
        assert status["sales/revenue"]["status"] == "materialized"
        assert status["sales/revenue"]["run_id"] == run_id
        assert status["broken"]["status"] == "never"
        polled = await dev.client.get("/api/status")
        again = await dev.client.get(
            "/api/status", headers={"If-None-Match": polled.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        some = await dev.client.get("/api/status", params=[("key", "broken"), ("key", "nope")])
        assert set(some.json()["assets"]) == {"broken"}


async def test_the_catalog_and_an_asset_show_the_latest_metadata(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run_id = await dev.wait_run(await dev.launch("*sales/revenue"))
        assets = {a["key"]: a for a in (await dev.client.get("/api/assets")).json()}
        revenue = assets["sales/revenue"]
        assert revenue["group"] == "sales"
        assert revenue["upstreams"] == ["sales/orders"]
        assert assets["sales/orders"]["downstreams"] == ["sales/revenue"]
        assert assets["sales/orders"]["description"] == "Every order, as amounts."
        latest = revenue["last_materialization"]
        assert latest["run_id"] == run_id["run_id"]
        assert latest["metadata"]["rows"] == {"type": "int", "value": 3}
        assert latest["metadata"]["dashboard"]["type"] == "url"

        one = (await dev.client.get("/api/assets/sales/revenue")).json()
        assert one["key"] == "sales/revenue" and one["status"] == "materialized"
        assert "code_version" in one and "definition_metadata" in one
        history = (await dev.client.get("/api/assets/sales/revenue/materializations")).json()
        assert [h["run_id"] for h in history] == [run_id["run_id"]]


async def test_a_failed_asset_shows_its_traceback_and_skips_its_children(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run = await dev.wait_run(await dev.launch("broken*"))
        assert run["status"] == "FAILURE"
        steps = {s["step_key"]: s for s in run["steps"]}
        error = steps["broken"]["error"]
        assert error["type"] == "ValueError" and error["message"] == "bad data in row 3"
        assert "raise ValueError" in error["traceback"]
        assert steps["after_broken"]["status"] == "SKIPPED"
        status = (await dev.client.get("/api/status")).json()["assets"]
        assert status["broken"]["status"] == "failed"
        events = (await dev.client.get(f"/api/runs/{run['run_id']}/events")).json()
        types = [e["type"] for e in events]
        assert types[0] == "RUN_STARTED" and types[-1] == "RUN_FAILURE"
        assert "STEP_FAILURE" in types
        later = await dev.client.get(f"/api/runs/{run['run_id']}/events?after={events[1]['id']}")
        assert [e["id"] for e in later.json()] == [e["id"] for e in events[2:]]


async def test_reexecute_from_failure_runs_only_what_did_not_succeed(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        first = await dev.wait_run(await dev.launch("sales/orders,broken*"))
        response = await dev.client.post(
            f"/api/runs/{first['run_id']}/reexecute", json={"from_failure": True}, headers=HEADERS
        )
        assert response.status_code == 201
        (again,) = response.json()["run_ids"]
        rerun = await dev.wait_run(again)
        assert sorted(s["step_key"] for s in rerun["steps"]) == ["after_broken", "broken"]

        everything = await dev.client.post(
            f"/api/runs/{first['run_id']}/reexecute", json={}, headers=HEADERS
        )
        all_again = await dev.wait_run(everything.json()["run_ids"][0])
        assert all_again["selection"] == "sales/orders,broken*"
        assert len(all_again["steps"]) == 3


async def test_reexecute_from_failure_of_a_clean_run_is_a_conflict(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run = await dev.wait_run(await dev.launch("sales/orders"))
        response = await dev.client.post(
            f"/api/runs/{run['run_id']}/reexecute", json={"from_failure": True}, headers=HEADERS
        )
        assert response.status_code == 409
        assert "no failed or skipped steps" in response.json()["error"]


async def test_cancel_stops_a_running_run(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run_id = await dev.launch("slow")
        await anyio.sleep(0.2)
        assert (await dev.client.get("/api/status")).json()["assets"]["slow"]["status"] == "running"
        started = time.monotonic()
        response = await dev.client.post(f"/api/runs/{run_id}/cancel", json={}, headers=HEADERS)
        assert response.status_code == 200
        assert response.json()["status"] in ("CANCELING", "CANCELED")
        run = await dev.wait_run(run_id, within=5)
        assert run["status"] == "CANCELED"
        assert time.monotonic() - started < 5  # not the asset's 60 s
        again = await dev.client.post(f"/api/runs/{run_id}/cancel", json={}, headers=HEADERS)
        assert again.status_code == 409
        assert (await dev.client.get("/api/status")).json()["assets"]["slow"]["status"] == "never"


async def test_a_bad_selection_is_a_400_naming_the_fix(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post("/api/runs", json={"selection": "revnue"}, headers=HEADERS)
        assert response.status_code == 400
        assert "revnue" in response.json()["error"]
        assert (await dev.client.get("/api/runs")).json() == []
        empty = await dev.client.post("/api/runs", json={}, headers=HEADERS)
        assert empty.status_code == 400
        garbage = await dev.client.post("/api/runs", content=b"{nope", headers=HEADERS)
        assert garbage.status_code == 400 and "not JSON" in garbage.json()["error"]


async def test_selection_lists_the_matching_keys(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        keys = (await dev.client.get("/api/selection", params={"q": "+sales/revenue"})).json()
        # Nothing partitioned: no partition to pick (tests/web/test_partitions_api.py).
        assert keys == {
            "keys": ["sales/orders", "sales/revenue"],
            "partitions": None,
            "partitions_error": None,
        }
        group = (await dev.client.get("/api/selection", params={"q": "group:quality"})).json()
        assert group["keys"] == ["broken", "after_broken"]
        glob = (await dev.client.get("/api/selection", params={"q": "key:sales/*"})).json()
        assert glob["keys"] == ["sales/orders", "sales/revenue"]
        bad = await dev.client.get("/api/selection", params={"q": "group:nope"})
        assert bad.status_code == 400 and "nope" in bad.json()["error"]


async def test_runs_filter_by_status(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        ok = await dev.wait_run(await dev.launch("sales/orders"))
        await dev.wait_run(await dev.launch("broken"))
        failed = (await dev.client.get("/api/runs", params={"status": "failure"})).json()
        assert [r["status"] for r in failed] == ["FAILURE"]
        succeeded = (await dev.client.get("/api/runs", params={"status": "SUCCESS"})).json()
        assert [r["run_id"] for r in succeeded] == [ok["run_id"]]
        bad = await dev.client.get("/api/runs", params={"status": "DONE"})
        assert bad.status_code == 400 and "CANCELED" in bad.json()["error"]


async def test_missing_things_are_404s_never_tracebacks(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        api = await dev.client.get("/api/runs/no-such-run")
        assert api.status_code == 404 and "no-such-run" in api.json()["error"]
        assert (await dev.client.get("/api/assets/nope")).status_code == 404
        assert (await dev.client.get("/api/nothing-here")).status_code == 404
        for path in ("/runs/no-such-run", "/assets/sales/nope", "/no/such/page"):
            page = await dev.client.get(path)
            assert page.status_code == 404, path
            assert page.headers["content-type"].startswith("text/html")
            assert "Traceback" not in page.text
        cancel = await dev.client.post("/api/runs/nope/cancel", json={}, headers=HEADERS)
        assert cancel.status_code == 404


async def test_pages_are_served(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        run = await dev.wait_run(await dev.launch("sales/orders"))
        for path in ("/", "/catalog", "/runs", f"/runs/{run['run_id']}", "/assets/sales/orders"):
            page = await dev.client.get(path)
            assert page.status_code == 200, path
            assert "/static/common.js" in page.text
        script = await dev.client.get("/static/common.js")
        assert script.status_code == 200
        assert script.headers["x-content-type-options"] == "nosniff"


async def test_reload_picks_up_new_code_and_survives_broken_code(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        dev.code.write_text(
            PIPELINE.replace("defs = Definitions(assets=[", "defs = Definitions(assets=[extra, ")
            + "\n\n@asset\ndef extra() -> int:\n    return 7\n"
        )
        # the replacement names `extra` before its definition: a NameError, shown, not fatal
        info = (await dev.client.post("/api/reload", json={}, headers=HEADERS)).json()
        (location,) = info["code_locations"]
        assert "NameError" in location["load_error"]
        assert location["asset_count"] == 5  # the last good graph is still served
        assert (await dev.client.get("/api/graph")).status_code == 200

        dev.code.write_text(WITH_EXTRA)
        info = (await dev.client.post("/api/reload", json={}, headers=HEADERS)).json()
        (location,) = info["code_locations"]
        assert location["load_error"] is None and location["asset_count"] == 6
        run = await dev.wait_run(await dev.launch("extra"))
        assert run["status"] == "SUCCESS"


async def test_a_changed_file_is_reloaded_without_asking(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        dev.code.write_text(WITH_EXTRA)
        deadline = time.monotonic() + 10
        while True:
            keys = {n["key"] for n in (await dev.client.get("/api/graph")).json()["nodes"]}
            if "extra" in keys:
                break
            assert time.monotonic() < deadline, keys
            await anyio.sleep(0.2)


async def test_openapi_lists_every_api_path(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        schema = (await dev.client.get("/api/openapi.json")).json()
        assert schema["openapi"].startswith("3.")
        assert {"get"} <= set(schema["paths"]["/api/runs"]) and "post" in schema["paths"][
            "/api/runs"
        ]
        assert "/api/runs/{run_id}/cancel" in schema["paths"]


async def test_trace_links_use_the_run_id_as_trace_id(tmp_path: Path) -> None:
    from upstream.web.app import WebSettings

    settings = WebSettings(trace_url="http://jaeger:16686/", allowed_hosts=("127.0.0.1",))
    async with open_dev(tmp_path, settings) as dev:
        run = await dev.wait_run(await dev.launch("sales/orders"))
        assert run["trace_url"] == f"http://jaeger:16686/trace/{run['run_id'].replace('-', '')}"
        info = (await dev.client.get("/api/info")).json()
        assert info["trace_url"] == "http://jaeger:16686/"


async def test_upstream_web_on_the_embedded_store_reads_but_cannot_launch(
    tmp_path: Path,
) -> None:
    """Without a cluster there is no coordinator to run a launch: say so, show the rest."""
    storage = await open_sqlite_storage(tmp_path / "state.db")
    try:
        code = tmp_path / "pipeline.py"
        code.write_text(PIPELINE)
        await storage.register_code_location(load_code_location(file=str(code)).record())
        app = create_app(ClusterWorkspace(ClusterRuns(storage), launches=False))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            info = (await client.get("/api/info")).json()
            assert info["mode"] == "web"
            assert info["code_locations"][0]["asset_count"] == 5
            assert len((await client.get("/api/graph")).json()["nodes"]) == 5
            launch = await client.post("/api/runs", json={"selection": "*"}, headers=HEADERS)
            assert launch.status_code == 409 and "upstream dev" in launch.json()["error"]
            reload = await client.post("/api/reload", json={}, headers=HEADERS)
            assert reload.status_code == 409
    finally:
        await storage.close()


async def test_info_shows_which_coordinators_are_alive_and_which_leads(tmp_path: Path) -> None:
    """The cluster workspace's liveness, from the coordinators' heartbeats: one query."""
    storage = await open_sqlite_storage(tmp_path / "state.db")
    try:
        await storage.heartbeat("host-1", CoordinatorState.ACTIVE, 1.0)
        await storage.heartbeat("host-2", CoordinatorState.STANDBY, 2.0)
        app = create_app(ClusterWorkspace(ClusterRuns(storage), launches=True))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            info = (await client.get("/api/info")).json()
        seen = {
            c["coordinator_id"]: (c["state"], c["alive"], c["leading"])
            for c in info["coordinators"]
        }
        assert seen == {"host-1": ("ACTIVE", True, True), "host-2": ("STANDBY", True, False)}
        assert all(0 <= c["seen_ago"] < 5 and c["started_at"] for c in info["coordinators"])
    finally:
        await storage.close()
