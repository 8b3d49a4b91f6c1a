"""Run config in the web API: launched with a run, shown in `/api/runs/{id}`, kept by
re-execution, and a bad one is a 400 naming the asset and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.web.conftest import HEADERS, PIPELINE, open_cluster, open_dev

CONFIGURED = PIPELINE + textwrap.dedent(
    """
    from upstream import Config


    class ScaleConfig(Config):
        factor: int = 2


    @asset(key_prefix="sales", group_name="sales")
    def scaled(revenue: int, config: ScaleConfig) -> int:
        if config.factor == 13:
            raise ValueError("unlucky")
        return revenue * config.factor


    defs = Definitions(assets=[orders, revenue, broken, after_broken, slow, scaled])
    """
)
RUN_CONFIG = {"ops": {"sales__scaled": {"config": {"factor": 13}}}}


async def test_a_run_launched_with_config_shows_it_and_reexecution_keeps_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipeline.py").write_text(CONFIGURED)
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post(
            "/api/runs",
            json={"selection": "key:sales/*", "run_config": RUN_CONFIG},
            headers=HEADERS,
        )
        assert response.status_code == 201, response.text
        first = await dev.wait_run(response.json()["run_ids"][0])
        assert first["status"] == "FAILURE"  # factor 13 reached the asset
        assert first["run_config"] == RUN_CONFIG
        listed = (await dev.client.get("/api/runs")).json()
        assert listed[0]["run_config"] == RUN_CONFIG

        again = await dev.client.post(
            f"/api/runs/{first['run_id']}/reexecute", json={"from_failure": True}, headers=HEADERS
        )
        rerun = await dev.wait_run(again.json()["run_ids"][0])
        assert rerun["run_config"] == RUN_CONFIG and rerun["status"] == "FAILURE"

        plain = await dev.wait_run(await dev.launch("key:sales/*"))
        assert plain["status"] == "SUCCESS" and plain["run_config"] == {}


async def test_bad_run_config_is_a_400_naming_asset_and_field(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(CONFIGURED)
    async with open_dev(tmp_path) as dev:
        for run_config, words in [
            ({"ops": {"sales__scaled": {"config": {"factor": "x"}}}}, "'sales/scaled': field"),
            ({"ops": {"scaled": {"config": {}}}}, "'scaled', which is no asset; did you mean"),
            ([1], '"run_config" must be an object'),
        ]:
            response = await dev.client.post(
                "/api/runs", json={"selection": "*", "run_config": run_config}, headers=HEADERS
            )
            assert response.status_code == 400, response.text
            assert words in response.json()["error"]
        assert (await dev.client.get("/api/runs")).json() == []  # nothing was launched


async def test_a_cluster_launch_checks_op_names_and_queues_the_config(tmp_path: Path) -> None:
    async with open_cluster(tmp_path) as cluster:
        bad = await cluster.client.post(
            "/api/runs",
            json={"selection": "*", "run_config": {"ops": {"revenu": {}}}},
            headers=HEADERS,
        )
        assert bad.status_code == 400 and "did you mean" in bad.json()["error"]
        config = {"ops": {"sales__revenue": {"config": {"x": 1}}}}
        good = await cluster.client.post(
            "/api/runs", json={"selection": "*", "run_config": config}, headers=HEADERS
        )
        assert good.status_code == 201, good.text
        run = await cluster.storage.get_run(good.json()["run_ids"][0])
        assert run is not None and run.run_config == config
