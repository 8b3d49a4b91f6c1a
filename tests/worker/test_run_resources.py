"""A worker sets up a run's resources at the run's first step, once per run in its
process, and tears them down (last set up first) when the run has been idle for
`resource_idle_timeout`, or when the worker stops; on memory and on RabbitMQ."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from tests.backends import Backend
from tests.services import LOCATION, serving

from upstream import (
    ConfigurableResource,
    ConfigurationError,
    Definitions,
    EnvVar,
    InitResourceContext,
    InMemoryIOManager,
    ResourceDependency,
    asset,
    resource,
)
from upstream.protocol import ResultMessage, TaskMessage, encode_tasks
from upstream.worker import Worker, WorkerSettings

EVENTS: list[tuple[str, str | None]] = []
TORN_DOWN = threading.Event()  # set by a teardown, which runs in a worker thread


class Warehouse(ConfigurableResource):
    name: str

    def setup_for_execution(self, context: InitResourceContext) -> None:
        EVENTS.append(("setup warehouse", context.run_id))

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        EVENTS.append(("teardown warehouse", context.run_id))
        TORN_DOWN.set()


@resource
def audit(init_context: InitResourceContext) -> Any:
    EVENTS.append(("setup audit", init_context.run_id))
    yield "audit"
    EVENTS.append(("teardown audit", init_context.run_id))


class Reporter(ConfigurableResource):
    warehouse: Warehouse
    audit: ResourceDependency[str]
    token: str = "none"


@asset
def first(warehouse: Warehouse) -> str:
    return warehouse.name


@asset
def second(first: str, reporter: Reporter) -> str:
    if first == "boom":
        raise ValueError("boom")
    return f"{first} via {reporter.audit}"


def _defs(name: str = "wh", token: Any = "none") -> Definitions:
    warehouse = Warehouse(name=name)
    return Definitions(
        [first, second],
        resources={
            "warehouse": warehouse,
            "audit": audit,
            "reporter": Reporter(warehouse=warehouse, audit=audit, token=token),
        },
    )


def _worker(backend: Backend, defs: Definitions, idle: float = 60.0) -> Worker:
    settings = WorkerSettings(LOCATION, "w1", concurrency=2, resource_idle_timeout=idle)
    return Worker(defs, backend.transport, settings, default_io_manager=InMemoryIOManager())


def _tasks(defs: Definitions, run_id: str) -> list[TaskMessage]:
    common = {"run_id": run_id, "attempt": 1, "code_location": LOCATION}
    return [
        TaskMessage(step_key="first", definitions_hash=defs.hash, **common),
        TaskMessage(step_key="second", definitions_hash=defs.hash, after=("first",), **common),
    ]


def _results(backend: Backend) -> list[ResultMessage]:
    return [result for message in backend.transport.result_messages for result in message]


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()
    TORN_DOWN.clear()


async def test_set_up_once_per_run_and_torn_down_in_reverse_when_the_worker_stops(
    backend: Backend,
) -> None:
    defs = _defs()
    transport = backend.transport
    async with serving(_worker(backend, defs)):
        await transport.publish_task(encode_tasks(_tasks(defs, "r1")), headers={})
        await transport.publish_task(encode_tasks(_tasks(defs, "r2")), headers={})
        await transport.until(lambda: transport.settled("task") == 2)
        assert all(r.status == "success" for r in _results(backend))
        assert not any(event.startswith("teardown") for event, _ in EVENTS)
    for run in ("r1", "r2"):
        mine = [event for event, run_id in EVENTS if run_id == run]
        assert mine == ["setup warehouse", "setup audit", "teardown audit", "teardown warehouse"]


async def test_an_idle_run_is_torn_down_while_the_worker_serves_on(backend: Backend) -> None:
    """Even after a failed step: teardown never depends on the steps' outcome."""
    defs = _defs(name="boom")
    transport = backend.transport
    async with serving(_worker(backend, defs, idle=0.05)):
        await transport.publish_task(encode_tasks(_tasks(defs, "r1")), headers={})
        await transport.until(lambda: transport.settled("task") == 1)
        assert await anyio.to_thread.run_sync(TORN_DOWN.wait, 5)
    assert [r.status for r in _results(backend)] == ["success", "failure"]
    assert EVENTS.count(("setup warehouse", "r1")) == 1


async def test_a_missing_env_var_fails_the_step_before_it_runs_naming_variable_and_field(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPORTER_TOKEN", raising=False)
    defs = _defs(token=EnvVar("REPORTER_TOKEN"))
    transport = backend.transport
    async with serving(_worker(backend, defs)):
        await transport.publish_task(encode_tasks(_tasks(defs, "r1")), headers={})
        await transport.until(lambda: transport.settled("task") == 1)
    first_result, second_result = _results(backend)
    assert first_result.status == "success"
    assert second_result.status == "failure"
    assert second_result.error is not None
    assert second_result.error.type == "ConfigurationError"
    assert "'token'" in second_result.error.message
    assert "'REPORTER_TOKEN'" in second_result.error.message


def test_a_non_positive_idle_timeout_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="resource_idle_timeout must be positive"):
        WorkerSettings(LOCATION, "w1", resource_idle_timeout=0)


async def test_the_resources_config_configures_a_resource_at_launch(backend: Backend) -> None:
    """The `resources` part of a task's run config reaches the worker's setup."""

    @asset
    def named(warehouse: Warehouse) -> str:
        return warehouse.name

    defs = Definitions([named], resources={"warehouse": Warehouse.configure_at_launch()})
    settings = WorkerSettings(LOCATION, "w1", concurrency=1)
    worker = Worker(
        defs,
        backend.transport,
        settings,
        default_io_manager=(io := InMemoryIOManager()),
    )
    task = TaskMessage(
        run_id="r1",
        step_key="named",
        attempt=1,
        code_location=LOCATION,
        definitions_hash=defs.hash,
        run_config={"resources": {"warehouse": {"config": {"name": "launched"}}}},
    )
    async with serving(worker):
        await backend.transport.publish_task(encode_tasks([task]), headers={})
        await backend.transport.until(lambda: backend.transport.settled("task") == 1)
    assert [r.status for r in _results(backend)] == ["success"]
    assert list(io.values.values()) == ["launched"]
