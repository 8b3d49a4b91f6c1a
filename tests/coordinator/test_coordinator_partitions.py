"""A partitioned run through the coordinator, on each backend: the run records Dagster's
partition tags, the tasks of partitioned steps carry the target (protocol 7), and every
outcome of such a step (success, failure or skipped) carries the keys it covered, so the
catalog can record a row per (asset, key)."""

from __future__ import annotations

import anyio
from tests.backends import Backend
from tests.partitioned import LETTERS
from tests.services import LOCATION, make_worker, serving

from upstream import AssetOut, Definitions, asset, multi_asset
from upstream.coordinator import Coordinator
from upstream.coordinator.cluster import ClusterCoordinator
from upstream.model.partitions import PartitionKeyRange
from upstream.planning import build_plan
from upstream.storage import RunStatus, StepStatus
from upstream.storage.records import CodeLocationRecord, RunRecord, StepOutcome


@asset(partitions_def=LETTERS)
def daily() -> None:
    """Writes nothing through the IO manager: the filesystem one cannot store a range as one
    value (Dagster's UPathIOManager refuses it too; a single-run asset writes its own)."""


@asset(deps=[daily])
def report() -> int:
    return 1


@asset
def lookup() -> int:
    return 0


@asset(partitions_def=LETTERS, deps=[daily])
def broken() -> int:
    raise ValueError("bad partition")


@asset(partitions_def=LETTERS)
def after(broken: int) -> int:
    return broken


DEFS = Definitions([daily, report, lookup, broken, after])
WHERE = {"code_location": LOCATION, "definitions_hash": DEFS.hash}


async def test_a_range_rides_the_tasks_tags_and_outcomes(backend: Backend) -> None:
    storage, transport = backend
    outcomes: list[StepOutcome] = []
    coordinator = Coordinator(storage, transport, observer=outcomes.append)
    plan = build_plan(DEFS.graph, "daily,report,lookup", PartitionKeyRange("b", "c"))
    async with serving(coordinator, make_worker(transport, defs=DEFS)):
        handle = await coordinator.submit(plan, run_id="r1", tags={"team": "x"}, **WHERE)
        record = await handle.wait()
    assert record.status is RunStatus.SUCCESS
    assert record.tags == {
        "team": "x",
        "dagster/asset_partition_range_start": "b",
        "dagster/asset_partition_range_end": "c",
    }
    sent = {t.step_key: t.partition for m in transport.task_messages for t in m}
    assert sent == {"daily": ("b", "c"), "report": (), "lookup": ()}
    covered = {o.step_key: o.partitions for o in outcomes}
    assert covered == {"daily": ("b", "c"), "report": (), "lookup": ()}


async def test_failed_and_skipped_steps_carry_their_keys_too(backend: Backend) -> None:
    storage, transport = backend
    outcomes: list[StepOutcome] = []
    coordinator = Coordinator(storage, transport, observer=outcomes.append)
    plan = build_plan(DEFS.graph, "daily,broken,after", PartitionKeyRange("a", "a"))
    async with serving(coordinator, make_worker(transport, defs=DEFS)):
        record = await (await coordinator.submit(plan, run_id="r2", **WHERE)).wait()
    assert record.status is RunStatus.FAILURE
    assert record.tags == {"dagster/partition": "a"}
    by_step = {o.step_key: (o.status, o.partitions) for o in outcomes}
    assert by_step == {
        "daily": (StepStatus.SUCCESS, ("a",)),
        "broken": (StepStatus.FAILURE, ("a",)),
        "after": (StepStatus.SKIPPED, ("a",)),
    }


async def test_the_cluster_coordinator_plans_the_target_its_tags_name(backend: Backend) -> None:
    """A queued run (the CLI's or the web's cluster submit) is planned for the partition in
    its tags; one the definition does not have fails the run, saying why."""
    storage, transport = backend
    await storage.register_code_location(
        CodeLocationRecord(LOCATION, DEFS.hash, DEFS.graph.to_snapshot(), 0.0)
    )
    coordinator = Coordinator(storage, transport)
    cluster = ClusterCoordinator(storage, coordinator)
    runs = {
        key: RunRecord(
            run_id,
            RunStatus.QUEUED,
            "daily",
            (),
            LOCATION,
            DEFS.hash,
            created_at=0.0,
            tags={"dagster/partition": key},
        )
        for run_id, key in (("good", "d"), ("bad", "z"))
    }
    async with serving(coordinator, make_worker(transport, defs=DEFS)):
        await storage.create_run(runs["d"])
        plan = await cluster.plan(runs["d"])
        assert plan.partition_keys == ("d",) and plan.partitioned == {"daily"}
        handle = await coordinator.start_queued(runs["d"], plan)
        assert handle is not None
        assert (await handle.wait()).status is RunStatus.SUCCESS
        await storage.create_run(runs["z"])
        await cluster.start_queued()  # reads the run, fails it: no task is published
    assert [t.partition for m in transport.task_messages for t in m] == [("d",)]
    bad = await storage.get_run("bad")
    assert bad is not None and bad.status is RunStatus.FAILURE
    events = await storage.get_events("bad")
    assert any("partition key 'z' is not in" in str(e.data) for e in events)


async def test_a_resumed_run_keeps_its_partition(backend: Backend) -> None:
    """A coordinator taking over a started run plans its stored steps for its tags' target."""
    storage, transport = backend
    await storage.register_code_location(
        CodeLocationRecord(LOCATION, DEFS.hash, DEFS.graph.to_snapshot(), 0.0)
    )
    seen = anyio.Event()
    coordinator = Coordinator(storage, transport, observer=lambda _: seen.set())
    run = RunRecord(
        "left",
        RunStatus.QUEUED,
        "daily",
        (),
        LOCATION,
        DEFS.hash,
        created_at=0.0,
        tags={"dagster/asset_partition_range_start": "b", "dagster/asset_partition_range_end": "c"},
    )
    await storage.create_run(run)
    assert await storage.start_run("left", ("daily",))
    started = await storage.get_run("left")
    assert started is not None
    async with serving(coordinator, make_worker(transport, defs=DEFS)):
        await ClusterCoordinator(storage, coordinator).resume(started)
        with anyio.fail_after(10):
            await seen.wait()
    assert [t.partition for m in transport.task_messages for t in m] == [("b", "c")]


@multi_asset(outs={"left": AssetOut(), "right": AssetOut()}, partitions_def=LETTERS, name="pair")
def pair() -> tuple[int, int]:
    raise ValueError("no pair today")


async def test_a_failed_multi_asset_is_recorded_per_asset_and_key(backend: Backend) -> None:
    """The catalog's failed rows name the multi-asset's assets, not its op name."""
    storage, transport = backend
    defs = Definitions([pair])
    coordinator = Coordinator(storage, transport)
    plan = build_plan(defs.graph, "left,right", PartitionKeyRange("b", "b"))
    async with serving(coordinator, make_worker(transport, defs=defs)):
        handle = await coordinator.submit(
            plan, run_id="r3", code_location=LOCATION, definitions_hash=defs.hash
        )
        assert (await handle.wait()).status is RunStatus.FAILURE
    for key in ("left", "right"):
        assert (await storage.partition_status(key)).failed == ("b",)
    assert (await storage.partition_status("pair")).failed == ()
