"""Partitions in the web API: `/api/selection` offers the keys a launch of partitioned assets
picks from; `POST /api/runs` takes `partition` (a key, or {"start", "end"}), checked by the
planner where the run is submitted (dev and cluster alike: a bad one is a 400 launching
nothing); runs show their `partition`, and re-execution keeps it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.backends import open_store
from tests.partitioned import PIPELINE
from tests.web.conftest import HEADERS, Dev, open_dev

from upstream.locations import load_code_location
from upstream.runs import ClusterRuns
from upstream.web.app import WebSettings, create_app
from upstream.web.workspace import ClusterWorkspace


async def _launch(dev: Dev, **body: object) -> tuple[int, dict[str, object]]:
    response = await dev.client.post("/api/runs", json=body, headers=HEADERS)
    return response.status_code, response.json()


async def test_the_selection_offers_the_partition_keys(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    async with open_dev(tmp_path) as dev:
        body = (await dev.client.get("/api/selection", params={"q": "daily*"})).json()
        assert body["keys"] == ["daily", "report"]
        assert body["partitions"] == {
            "definition": "StaticPartitionsDefinition(['a', 'b', 'c', 'd'])",
            "assets": ["daily", "report"],
            "count": 4,
            "first": "a",
            "last": "d",
            "keys": ["a", "b", "c", "d"],
        }
        assert body["partitions_error"] is None
        plain = (await dev.client.get("/api/selection", params={"q": "lookup"})).json()
        assert plain["partitions"] is None and plain["partitions_error"] is None


async def test_a_launch_with_a_key_or_range_runs_it_and_reexecution_keeps_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    async with open_dev(tmp_path) as dev:
        status, body = await _launch(dev, selection="daily*", partition="c")
        assert status == 201, body
        run = await dev.wait_run(str(body["run_ids"][0]))  # type: ignore[index]
        assert run["status"] == "SUCCESS"
        assert run["partition"] == "c" and run["tags"] == {"dagster/partition": "c"}

        status, body = await _launch(dev, selection="daily", partition={"start": "a", "end": "b"})
        assert status == 201, body
        ranged = await dev.wait_run(str(body["run_ids"][0]))  # type: ignore[index]
        assert ranged["partition"] == {"start": "a", "end": "b"}
        listed = (await dev.client.get("/api/runs")).json()
        assert [r["partition"] for r in listed] == [{"start": "a", "end": "b"}, "c"]

        again = await dev.client.post(
            f"/api/runs/{ranged['run_id']}/reexecute", json={}, headers=HEADERS
        )
        assert again.status_code == 201, again.text
        rerun = await dev.wait_run(again.json()["run_ids"][0])
        assert rerun["status"] == "SUCCESS"
        assert rerun["partition"] == {"start": "a", "end": "b"}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"selection": "daily", "partition": "z"}, "partition key 'z' is not in"),
        ({"selection": "daily"}, "asset 'daily' is partitioned"),
        ({"selection": "lookup", "partition": "a"}, "none of the selected assets is partitioned"),
        ({"selection": "daily", "partition": {"start": "d", "end": "a"}}, "runs backwards"),
        ({"selection": "daily", "partition": ["a"]}, '"partition" must be a key'),
        ({"selection": "daily", "partition": {"start": "a"}}, '"partition" must be a key'),
        ({"selection": "daily", "partition": ""}, "non-empty strings"),
    ],
)
async def test_a_bad_partition_is_a_400_launching_nothing(
    body: dict[str, object], words: str, tmp_path: Path
) -> None:
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    async with open_dev(tmp_path) as dev:
        status, answer = await _launch(dev, **body)
        assert status == 400 and words in str(answer["error"]), answer
        assert (await dev.client.get("/api/runs")).json() == []


@pytest.mark.integration
async def test_a_cluster_launch_checks_and_queues_the_partition(tmp_path: Path) -> None:
    code = tmp_path / "pipeline.py"
    code.write_text(PIPELINE)
    async with open_store("postgres", tmp_path) as storage:
        await storage.register_code_location(load_code_location(file=str(code)).record())
        app = create_app(ClusterWorkspace(ClusterRuns(storage)), WebSettings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            good = await client.post(
                "/api/runs", json={"selection": "daily", "partition": "b"}, headers=HEADERS
            )
            assert good.status_code == 201, good.text
            run = await storage.get_run(good.json()["run_ids"][0])
            assert run is not None and run.tags == {"dagster/partition": "b"}
            bad = await client.post(
                "/api/runs", json={"selection": "daily", "partition": "z"}, headers=HEADERS
            )
            assert bad.status_code == 400 and "'z' is not in" in bad.json()["error"]


DYNAMIC = """
from upstream import Definitions, DynamicPartitionsDefinition, asset

CUSTOMERS = DynamicPartitionsDefinition(name="customers")


@asset(partitions_def=CUSTOMERS)
def orders(context) -> None:
    context.log.info(f"orders of {context.partition_key}")


defs = Definitions(assets=[orders])
"""


async def test_dynamic_keys_are_offered_and_launched_from_storage(tmp_path: Path) -> None:
    """The launch dialog offers the keys added so far; a key not added is a 400 naming the
    command that adds it; an added one runs."""
    (tmp_path / "pipeline.py").write_text(DYNAMIC)
    async with open_dev(tmp_path) as dev:
        await dev.workspace.storage.add_dynamic_partitions("customers", ["acme", "globex"])
        body = (await dev.client.get("/api/selection", params={"q": "orders"})).json()
        assert body["partitions"]["keys"] == ["acme", "globex"]
        status, answer = await _launch(dev, selection="orders", partition="initech")
        assert status == 400, answer
        assert "upstream partitions add customers initech" in str(answer["error"])
        status, answer = await _launch(dev, selection="orders", partition="globex")
        assert status == 201, answer
        run = await dev.wait_run(str(answer["run_ids"][0]))  # type: ignore[index]
        assert run["status"] == "SUCCESS" and run["partition"] == "globex"
