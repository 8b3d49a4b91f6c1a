"""External assets on each backend (memory + SQLite, RabbitMQ + PostgreSQL): the coordinator
plans around them (never a task), and a worker loads them through their IO manager."""

from __future__ import annotations

import pytest
from tests.backends import Backend
from tests.services import LOCATION, make_worker, serving

from upstream import AssetKey, AssetSpec, Definitions, InMemoryIOManager, SourceAsset, asset
from upstream.coordinator import Coordinator
from upstream.planning import build_plan
from upstream.storage import RunStatus, StepStatus


@asset
def cleaned(raw: list[int]) -> list[int]:
    return [n for n in raw if n > 0]


@asset(deps=["files"])
def indexed(cleaned: list[int]) -> int:
    return len(cleaned)


LAKE = InMemoryIOManager()
DEFS = Definitions(
    [AssetSpec("raw").with_io_manager_key("lake"), SourceAsset("files"), cleaned, indexed],
    resources={"lake": LAKE},
)


async def test_external_upstreams_are_loaded_by_workers_and_never_tasks(backend: Backend) -> None:
    storage, transport = backend
    LAKE.values[AssetKey("raw")] = [3, -1, 4]
    io = InMemoryIOManager()
    coordinator = Coordinator(storage, transport)
    where = {"code_location": LOCATION, "definitions_hash": DEFS.hash}
    async with serving(coordinator, make_worker(transport, io, defs=DEFS)):
        plan = build_plan(DEFS.graph, "+indexed")
        assert plan.steps == ("cleaned", "indexed")
        record = await (await coordinator.submit(plan, run_id="r1", **where)).wait()
    assert record.status is RunStatus.SUCCESS
    assert io.values[AssetKey("indexed")] == 2
    steps = await storage.get_steps("r1")
    assert [(s.step_key, s.status) for s in steps] == [
        ("cleaned", StepStatus.SUCCESS),
        ("indexed", StepStatus.SUCCESS),
    ]
    tasks = [t.step_key for message in transport.task_messages for t in message]
    assert "raw" not in tasks and "files" not in tasks


async def test_a_missing_external_value_fails_the_step_saying_so(backend: Backend) -> None:
    storage, transport = backend
    LAKE.values.clear()
    coordinator = Coordinator(storage, transport)
    where = {"code_location": LOCATION, "definitions_hash": DEFS.hash}
    async with serving(coordinator, make_worker(transport, defs=DEFS)):
        record = await (
            await coordinator.submit(build_plan(DEFS.graph), run_id="r2", **where)
        ).wait()
    assert record.status is RunStatus.FAILURE
    cleaned_step, indexed_step = await storage.get_steps("r2")
    assert cleaned_step.status is StepStatus.FAILURE and cleaned_step.error is not None
    assert "external asset, produced outside upstream" in cleaned_step.error.message
    assert indexed_step.status is StepStatus.SKIPPED


def test_the_plan_from_a_stored_snapshot_skips_external_assets() -> None:
    """The coordinator of a cluster plans from the registered snapshot, not from code."""
    from upstream.model.graph import AssetGraph

    graph = AssetGraph.from_snapshot(DEFS.graph.to_snapshot())
    assert build_plan(graph).steps == ("cleaned", "indexed")
    with pytest.raises(Exception, match="names only external assets"):
        build_plan(graph, "raw,files")
