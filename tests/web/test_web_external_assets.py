"""External assets in the web API: marked as such, their observations served, never launched."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.web.conftest import HEADERS, open_dev

from upstream.storage.records import Observation

EXTERNAL = textwrap.dedent(
    """
    from upstream import AssetSpec, DataVersion, Definitions, asset, observable_source_asset

    @observable_source_asset
    def drop() -> DataVersion:
        return DataVersion("v1")

    @asset(deps=[drop, "raw"])
    def report() -> int:
        return 1

    defs = Definitions(assets=[AssetSpec("raw", description="From the vendor."), drop, report])
    """
)


async def test_assets_say_which_are_external_and_serve_observations(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(EXTERNAL)
    async with open_dev(tmp_path) as dev:
        assets = {a["key"]: a for a in (await dev.client.get("/api/assets")).json()}
        assert assets["raw"]["is_external"] and assets["raw"]["execution_type"] == "unexecutable"
        assert assets["drop"]["execution_type"] == "observation"
        assert assets["report"]["is_external"] is False
        assert assets["report"]["upstreams"] == ["drop", "raw"]
        graph = (await dev.client.get("/api/graph")).json()
        assert {n["key"]: n["external"] for n in graph["nodes"]} == {
            "raw": True,
            "drop": True,
            "report": False,
        }

        observed = Observation(
            "drop", "o1", 1_700_000_000.0, "v1", {"n": {"type": "int", "value": 2}}
        )
        await dev.workspace.storage.record_observations([observed])
        drop = (await dev.client.get("/api/assets/drop")).json()
        assert drop["last_observation"]["data_version"] == "v1"
        history = (await dev.client.get("/api/assets/drop/observations")).json()
        assert [h["observation_id"] for h in history] == ["o1"]
        assert (await dev.client.get("/api/assets/nope/observations")).status_code == 404


async def test_launching_only_external_assets_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(EXTERNAL)
    async with open_dev(tmp_path) as dev:
        refused = await dev.client.post("/api/runs", json={"selection": "raw"}, headers=HEADERS)
        assert refused.status_code == 400
        assert "names only external assets" in refused.json()["error"]
        run = await dev.wait_run(await dev.launch("*"))
        assert run["status"] == "SUCCESS"
        assert [s["step_key"] for s in run["steps"]] == ["report"]
