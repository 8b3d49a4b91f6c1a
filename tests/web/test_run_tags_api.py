"""Run tags in the web API: launched with a run (dev and cluster), shown in `/api/runs` and
`/api/runs/{id}`, kept by re-execution with Dagster's parent/root run tags, and tags that
are not an object are a 400, launching nothing (JSON keys are strings already)."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import HEADERS, open_cluster, open_dev

TAGS = {"team": "sales", "note": "nightly"}


async def test_a_run_launched_with_tags_shows_them_and_reexecution_keeps_them(
    tmp_path: Path,
) -> None:
    async with open_dev(tmp_path) as dev:
        response = await dev.client.post(
            "/api/runs", json={"selection": "key:sales/*", "tags": TAGS}, headers=HEADERS
        )
        assert response.status_code == 201, response.text
        first = await dev.wait_run(response.json()["run_ids"][0])
        assert first["tags"] == TAGS
        assert (await dev.client.get("/api/runs")).json()[0]["tags"] == TAGS

        again = await dev.client.post(
            f"/api/runs/{first['run_id']}/reexecute", json={}, headers=HEADERS
        )
        assert again.status_code == 201, again.text
        second = await dev.wait_run(again.json()["run_ids"][0])
        root = first["run_id"]
        assert second["tags"] == {
            **TAGS,
            "dagster/parent_run_id": root,
            "dagster/root_run_id": root,
        }
        third_id = (
            await dev.client.post(
                f"/api/runs/{second['run_id']}/reexecute", json={}, headers=HEADERS
            )
        ).json()["run_ids"][0]
        third = await dev.wait_run(third_id)
        assert third["tags"]["dagster/parent_run_id"] == second["run_id"]
        assert third["tags"]["dagster/root_run_id"] == root  # the first of the chain

        plain = await dev.wait_run(await dev.launch("key:sales/*"))
        assert plain["tags"] == {}


async def test_bad_tags_are_a_400_launching_nothing(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        for tags, words in [
            (["team"], "run tags must be a dict"),
            ("team=sales", "run tags must be a dict"),
        ]:
            response = await dev.client.post(
                "/api/runs", json={"selection": "*", "tags": tags}, headers=HEADERS
            )
            assert response.status_code == 400, response.text
            assert words in response.json()["error"]
        assert (await dev.client.get("/api/runs")).json() == []  # nothing was launched


async def test_a_cluster_launch_queues_the_tags(tmp_path: Path) -> None:
    async with open_cluster(tmp_path) as cluster:
        good = await cluster.client.post(
            "/api/runs", json={"selection": "key:sales/*", "tags": TAGS}, headers=HEADERS
        )
        assert good.status_code == 201, good.text
        run = await cluster.storage.get_run(good.json()["run_ids"][0])
        assert run is not None and run.tags == TAGS
