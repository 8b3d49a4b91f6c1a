"""A multi-asset's run through the coordinator and a worker, on each backend (memory with
SQLite, RabbitMQ with PostgreSQL): one step keyed by the op name, one task naming the keys
it makes, one materialization per asset; an optional asset left out skips its readers;
a subset run makes only what it selected."""

from __future__ import annotations

from collections.abc import Iterator

from tests.backends import Backend
from tests.services import LOCATION, make_worker, serving

from upstream import (
    AssetExecutionContext,
    AssetOut,
    Definitions,
    InMemoryIOManager,
    Output,
    asset,
    multi_asset,
)
from upstream.coordinator import Coordinator
from upstream.model.keys import AssetKey
from upstream.planning import build_plan
from upstream.storage import EventType, RunStatus, StepStatus


@asset
def raw() -> int:
    return 2


@multi_asset(
    outs={
        "small": AssetOut(),
        "big": AssetOut(io_manager_key="big_io"),
        "maybe": AssetOut(is_required=False),
    },
    can_subset=True,
)
def split(context: AssetExecutionContext, raw: int) -> Iterator[Output]:
    if "small" in context.selected_output_names:
        yield Output(raw, output_name="small", metadata={"n": 1})
    if "big" in context.selected_output_names:
        yield Output(raw * 10, output_name="big", metadata={"n": 2})


@asset
def total(small: int, big: int) -> int:
    return small + big


@asset
def after_maybe(maybe: int) -> int:
    return maybe


BIG_IO = InMemoryIOManager()
DEFS = Definitions([raw, split, total, after_maybe], resources={"big_io": BIG_IO})


async def _run(backend: Backend, selection: str | None, io: InMemoryIOManager) -> str:
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator, make_worker(transport, io, defs=DEFS, concurrency=2)):
        handle = await coordinator.submit(
            build_plan(DEFS.graph, selection), code_location=LOCATION, definitions_hash=DEFS.hash
        )
        record = await handle.wait()
    assert record.status is RunStatus.SUCCESS
    return record.run_id


async def test_a_multi_asset_is_one_step_with_a_materialization_per_asset(
    backend: Backend,
) -> None:
    storage, transport = backend
    io = InMemoryIOManager()
    run_id = await _run(backend, None, io)
    steps = {s.step_key: s for s in await storage.get_steps(run_id)}
    assert {k: s.status for k, s in steps.items()} == {
        "raw": StepStatus.SUCCESS,
        "split": StepStatus.SUCCESS,
        "total": StepStatus.SUCCESS,
        "after_maybe": StepStatus.SKIPPED,
    }
    assert steps["after_maybe"].skip_reason == "upstream 'split' did not materialize 'maybe'"
    [split_task] = [t for m in transport.task_messages for t in m if t.step_key == "split"]
    assert set(split_task.assets) == {"small", "big", "maybe"}
    latest = await storage.latest_materializations()
    assert set(latest) == {"raw", "small", "big", "total"}
    assert latest["small"].metadata == {"n": {"type": "int", "value": 1}}
    assert latest["big"].metadata == {"n": {"type": "int", "value": 2}}
    events = await storage.get_events(run_id)
    made = [e.data["asset_key"] for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made.count("small") == made.count("big") == 1
    assert io.values[AssetKey("total")] == 22
    assert BIG_IO.values[AssetKey("big")] == 20  # its own IO manager
    states = await storage.asset_states()
    assert states["split"].step.status is StepStatus.SUCCESS


async def test_a_subset_run_makes_only_the_selected_asset(backend: Backend) -> None:
    storage, transport = backend
    io = InMemoryIOManager()
    io.values[AssetKey("raw")] = 5  # from an earlier run: `raw` is not selected
    run_id = await _run(backend, "small", io)
    steps = await storage.get_steps(run_id)
    assert [(s.step_key, s.status) for s in steps] == [("split", StepStatus.SUCCESS)]
    [task] = [t for m in transport.task_messages for t in m]
    assert task.assets == ("small",)
    events = await storage.get_events(run_id)
    made = [e.data["asset_key"] for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == ["small"]


async def test_a_reader_of_an_optional_asset_never_travels_with_it(backend: Backend) -> None:
    """Quick steps follow their parents in one task message once their cost is known; a
    step reading an optional asset must not, since whether it runs depends on what its
    parent made. Both run (and are timed) the first time; the second, `quiet` makes
    nothing and its reader is skipped, not run in `quiet`'s message."""
    makes = [1]

    @asset(output_required=False)
    def quiet() -> Iterator[int]:
        yield from makes

    @asset
    def reads_quiet(quiet: int) -> int:
        return quiet

    defs = Definitions([quiet, reads_quiet])
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    outcomes = []
    async with serving(coordinator, make_worker(transport, defs=defs)):
        for _ in range(2):
            handle = await coordinator.submit(
                build_plan(defs.graph), code_location=LOCATION, definitions_hash=defs.hash
            )
            record = await handle.wait()
            assert record.status is RunStatus.SUCCESS
            steps = await storage.get_steps(record.run_id)
            outcomes.append({s.step_key: s.status for s in steps})
            makes.clear()
    assert outcomes == [
        {"quiet": StepStatus.SUCCESS, "reads_quiet": StepStatus.SUCCESS},
        {"quiet": StepStatus.SUCCESS, "reads_quiet": StepStatus.SKIPPED},
    ]
    assert all(len(message) == 1 for message in transport.task_messages)
