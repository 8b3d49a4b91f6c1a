"""A run of a dynamic-partitioned asset planned by the cluster coordinator, on each backend:
its key must be in storage (`upstream partitions add`) when the run is planned, as Dagster
refuses a run for a key its instance has not added ("Partition key ... not found")."""

from __future__ import annotations

from tests.backends import Backend
from tests.services import LOCATION, make_worker, serving

from upstream import AssetExecutionContext, Definitions, asset
from upstream.coordinator import Coordinator
from upstream.coordinator.cluster import ClusterCoordinator
from upstream.model.partitions import DynamicPartitionsDefinition, PartitionKeyRange
from upstream.storage import RunStatus
from upstream.storage.records import CodeLocationRecord, RunRecord
from upstream.worker.dynamic_keys import DynamicKeys

CUSTOMERS = DynamicPartitionsDefinition(name="customers")
SEEN: list[str] = []


@asset(partitions_def=CUSTOMERS)
def orders(context: AssetExecutionContext) -> None:
    SEEN.append(context.partition_key)


DEFS = Definitions([orders])


def _queued(run_id: str, key: str) -> RunRecord:
    return RunRecord(
        run_id,
        RunStatus.QUEUED,
        "orders",
        (),
        LOCATION,
        DEFS.hash,
        created_at=0.0,
        tags={"dagster/partition": key},
    )


async def test_a_queued_run_of_an_added_key_runs_and_one_not_added_fails(
    backend: Backend,
) -> None:
    storage, transport = backend
    SEEN.clear()
    await storage.register_code_location(
        CodeLocationRecord(LOCATION, DEFS.hash, DEFS.graph.to_snapshot(), 0.0)
    )
    await storage.add_dynamic_partitions("customers", ["acme", "globex"])
    coordinator = Coordinator(storage, transport)
    cluster = ClusterCoordinator(storage, coordinator)
    worker = make_worker(transport, defs=DEFS, dynamic_keys=DynamicKeys(storage, DEFS.graph))
    async with serving(coordinator, worker):
        good = _queued("good", "globex")
        await storage.create_run(good)
        plan = await cluster.plan(good)
        assert plan.partition_keys == ("globex",) and plan.partitioned == {"orders"}
        handle = await coordinator.start_queued(good, plan)
        assert handle is not None
        assert (await handle.wait()).status is RunStatus.SUCCESS
        await storage.create_run(_queued("bad", "initech"))
        await cluster.start_queued()  # reads the run, fails it: no task is published
    assert SEEN == ["globex"]
    assert [t.partition for m in transport.task_messages for t in m] == [("globex",)]
    assert (await storage.partition_status("orders")).materialized == ("globex",)
    bad = await storage.get_run("bad")
    assert bad is not None and bad.status is RunStatus.FAILURE
    events = [str(e.data) for e in await storage.get_events("bad")]
    assert any(
        "DynamicPartitionsDefinition(name='customers')" in text
        and "upstream partitions add customers initech" in text
        for text in events
    ), events


async def test_a_key_added_while_the_worker_runs_is_seen(backend: Backend) -> None:
    """Keys are added while workers run: a cached store lacking a step's key is read again."""
    storage, _ = backend
    await storage.add_dynamic_partitions("customers", ["acme"])
    keys = DynamicKeys(storage, DEFS.graph, ttl=3600.0)
    first = await keys.for_step(CUSTOMERS, None)
    assert first is not None and list(first.get_dynamic_partitions("customers")) == ["acme"]
    await storage.add_dynamic_partitions("customers", ["globex"])
    again = await keys.for_step(CUSTOMERS, PartitionKeyRange("globex", "globex"))
    assert again is not None and again.has_dynamic_partition("customers", "globex")
    assert await DynamicKeys(storage, Definitions([]).graph).for_step(None, None) is None
