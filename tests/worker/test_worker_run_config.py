"""Run config on the wire, on each backend (memory with SQLite, RabbitMQ with PostgreSQL):
the coordinator records it with the run and sends each task its own op entry; the worker
builds the asset's Config from it with its own class; a resumed run keeps it."""

from __future__ import annotations

import anyio
from tests.backends import Backend
from tests.services import LOCATION, make_task, make_worker, serving

from upstream import Config, Definitions, InMemoryIOManager, asset
from upstream.coordinator import Coordinator
from upstream.planning import build_plan
from upstream.protocol import ResultMessage, encode_tasks
from upstream.storage import RunStatus


class RateConfig(Config):
    rate: float
    label: str = "eu"


@asset(key_prefix=["sales"])
def base() -> int:
    return 10


@asset(key_prefix=["sales"])
def revenue(base: int, config: RateConfig) -> str:
    return f"{base * config.rate} {config.label}"


DEFS = Definitions([base, revenue])
WHERE = {"code_location": LOCATION, "definitions_hash": DEFS.hash}
RUN_CONFIG = {
    "ops": {"sales__revenue": {"config": {"rate": 2.5}}},
    "resources": {"db": {"config": {"url": {"env": "DB_URL"}}}},
}


def _results(backend: Backend) -> list[ResultMessage]:
    return [result for message in backend.transport.result_messages for result in message]


async def test_config_travels_to_the_worker_and_is_recorded_with_the_run(
    backend: Backend,
) -> None:
    storage, transport = backend
    io = InMemoryIOManager()
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator, make_worker(transport, io, defs=DEFS)):
        handle = await coordinator.submit(
            build_plan(DEFS.graph), run_id="r1", run_config=RUN_CONFIG, **WHERE
        )
        record = await handle.wait()
    assert record.status is RunStatus.SUCCESS
    assert io.values[revenue.key] == "25.0 eu"  # the rate from run config, label default
    stored = await storage.get_run("r1")
    assert stored is not None and stored.run_config == RUN_CONFIG
    by_step = {t.step_key: t.run_config for m in transport.task_messages for t in m}
    assert by_step == {  # each task carries only its own op entry, and the resources part
        "sales/base": {"resources": RUN_CONFIG["resources"]},
        "sales/revenue": RUN_CONFIG,
    }


async def test_config_the_workers_class_rejects_fails_the_step_clearly(
    backend: Backend,
) -> None:
    """A task whose config does not fit the worker's own Config class (other code, or a
    hand-made task) fails that step, naming asset and field; the worker keeps serving."""
    transport = backend.transport
    bad = {"ops": {"sales__revenue": {"config": {"rate": "fast"}}}}
    io = InMemoryIOManager()
    io.values[base.key] = 10
    tasks = [
        make_task(step_key="sales/revenue", definitions_hash=DEFS.hash, run_config=bad),
        make_task(step_key="sales/revenue", definitions_hash=DEFS.hash, run_id="r2"),
    ]
    for task in tasks:
        await transport.publish_task(encode_tasks([task]), headers={})
    async with serving(make_worker(transport, io, defs=DEFS)):
        await transport.until(lambda: transport.settled("task") == 2)
    failed, missing = sorted(_results(backend), key=lambda r: r.run_id)
    assert failed.status == "failure" and failed.error is not None
    assert failed.error.type == "RunConfigError"
    assert "asset 'sales/revenue': field 'rate'" in failed.error.message
    assert missing.error is not None and "field 'rate' is required" in missing.error.message


async def test_a_resumed_run_keeps_its_config(backend: Backend) -> None:
    storage, transport = backend
    plan = build_plan(DEFS.graph)
    first = Coordinator(storage, transport)
    async with serving(first):
        await first.submit(plan, run_id="r1", run_config=RUN_CONFIG, **WHERE)
        await transport.until(lambda: len(transport.task_messages) == 1)
    # `first` dies before any worker ran a step.
    run = await storage.get_run("r1")
    assert run is not None and run.run_config == RUN_CONFIG
    io = InMemoryIOManager()
    second = Coordinator(storage, transport)
    async with serving(second, make_worker(transport, io, defs=DEFS)):
        handle = await second.resume(run, plan, await storage.get_steps("r1"))
        with anyio.fail_after(30):
            assert (await handle.wait()).status is RunStatus.SUCCESS
    assert io.values[revenue.key] == "25.0 eu"
