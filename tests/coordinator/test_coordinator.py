"""The coordinator's loop on each backend (memory with SQLite, RabbitMQ with PostgreSQL):
what it refuses, what it records once, when it acks, and how it sizes task messages.
Results come over the transport as a worker would send them, and `serve` handles them."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from tests.backends import Backend
from tests.recording import RecordedDelivery, Recording
from tests.services import DEFS, LOCATION, WHERE, a, chain, make_worker, serving

from upstream import Definitions, InMemoryIOManager, asset
from upstream.coordinator import Coordinator
from upstream.planning import build_plan
from upstream.protocol import ResultMessage, encode_results
from upstream.storage import EventType, RunStatus, StepStatus
from upstream.storage.base import RunStorage


async def _report(transport: Recording, *results: ResultMessage) -> RecordedDelivery:
    """Publish one results message, as a worker would; return its delivery once the
    coordinator has settled it (committed its outcomes, then acked it; or rejected it)."""
    received = transport.received["result"]
    number = len(received)
    await transport.publish_result(encode_results(list(results)), headers={})
    await transport.until(lambda: len(received) > number and received[number].settled)
    return received[number]


async def _published(transport: Recording, run_id: str, step: str) -> None:
    """Wait until the coordinator has published `step`'s task, as a worker would."""

    def published() -> bool:
        return any(
            t.run_id == run_id and t.step_key == step for m in transport.task_messages for t in m
        )

    await transport.until(published)


def _success(run_id: str, step: str, started: float = 1.0, ended: float = 2.0) -> ResultMessage:
    return ResultMessage(run_id, step, 1, "success", started, ended, "w1")


async def test_a_malformed_or_foreign_result_is_dead_lettered_and_the_run_completes(
    backend: Backend,
) -> None:
    """The coordinator logs and dead-letters what it cannot use, and keeps going."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    foreign = ResultMessage("someone-else", "a", 1, "success", 0.0, 0.0, "w9")
    async with serving(coordinator, make_worker(transport)):
        await transport.worker.publish_result(b"garbage", headers={})  # not recorded: unreadable
        await transport.publish_result(encode_results([foreign]), headers={})
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        record = await handle.wait()
    assert record.status is RunStatus.SUCCESS
    assert any("not a msgpack message" in r for r in transport.rejected)
    assert any("unknown run 'someone-else'" in r for r in transport.rejected)


async def test_a_duplicate_result_is_recorded_once(backend: Backend) -> None:
    """A redelivered result adds no step, event or materialization, and no second task."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        for _ in range(2):
            await transport.publish_result(encode_results([_success("r1", "a")]), headers={})
        await transport.until(lambda: transport.settled() == 2)
        await _report(transport, _success("r1", "a"))
        assert all(d.acked for d in transport.received["result"])
        steps = await storage.get_steps("r1")
        assert [(s.step_key, s.status) for s in steps] == [
            ("a", StepStatus.SUCCESS),
            ("b", StepStatus.QUEUED),
        ]
        events = await storage.get_events("r1")
        assert [e.type for e in events].count(EventType.ASSET_MATERIALIZATION) == 1
        assert not handle.finished.is_set()
        await _published(transport, "r1", "b")
        await _report(transport, _success("r1", "b", 2.0, 3.0))
        assert (await handle.wait()).status is RunStatus.SUCCESS
    assert [[t.step_key for t in m] for m in transport.task_messages] == [["a"], ["b"]]


async def test_a_new_coordinator_resumes_an_unfinished_run(backend: Backend) -> None:
    """After a crash, replaying storage re-publishes only ready steps without a result, and
    the run completes with every asset recorded once."""
    storage, transport = backend
    plan = build_plan(DEFS.graph)
    first = Coordinator(storage, transport)
    async with serving(first):
        await first.submit(plan, run_id="r1", **WHERE)
        await _report(transport, _success("r1", "a"))
        await transport.until(lambda: len(transport.task_messages) == 2)
    # `first` dies here: b was published, and no worker has run it.

    run = await storage.get_run("r1")
    assert run is not None and run.status is RunStatus.STARTED
    transport.task_messages.clear()
    shared_values = InMemoryIOManager()
    shared_values.values[a.key] = 1  # what the IO manager kept of the first life's `a`
    second = Coordinator(storage, transport)
    async with serving(second, make_worker(transport, shared_values)):
        handle = await second.resume(run, plan, await storage.get_steps("r1"))
        record = await handle.wait()
    assert record.status is RunStatus.SUCCESS
    assert [[t.step_key for t in m] for m in transport.task_messages] == [["b"]]
    events = await storage.get_events("r1")
    materialized = [e.step_key for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert materialized == ["a", "b"]


class _GatedCommits:
    """Storage whose commits wait for a gate: later bursts are decided behind the first."""

    def __init__(self, inner: RunStorage) -> None:
        self._inner = inner
        self.gate = anyio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def record_outcomes(self, *args: Any, **kwargs: Any) -> list[bool]:
        await self.gate.wait()
        return await self._inner.record_outcomes(*args, **kwargs)


async def test_a_run_ends_only_after_its_last_outcome_is_committed(backend: Backend) -> None:
    """Pipelined: every step can be decided while the first commit is still waiting; the
    run still ends after, not before, the last outcome is in the store."""

    @asset
    def source() -> int:
        return 1

    @asset
    def left(source: int) -> int:
        raise ValueError("boom")

    @asset
    def right(source: int) -> int:
        return source

    defs = Definitions([source, left, right])
    storage, transport = backend
    gated = _GatedCommits(storage)
    coordinator = Coordinator(gated, transport)  # type: ignore[arg-type]
    async with serving(coordinator, make_worker(transport, defs=defs, concurrency=4)):
        handle = await coordinator.submit(
            build_plan(defs.graph), code_location=LOCATION, definitions_hash=defs.hash
        )
        await transport.until(lambda: handle.tracker.complete)
        assert not handle.finished.is_set()
        gated.gate.set()
        record = await handle.wait()
        steps = {s.step_key: s.status for s in await storage.get_steps(record.run_id)}
    assert record.status is RunStatus.FAILURE
    assert steps == {
        "source": StepStatus.SUCCESS,
        "left": StepStatus.FAILURE,
        "right": StepStatus.SUCCESS,
    }


async def test_a_canceled_run_skips_what_had_not_started_and_ends_canceled(
    backend: Backend,
) -> None:
    """The step in flight still reports (its result is kept); its children never start."""
    storage, transport = backend
    plan = build_plan(DEFS.graph)
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        handle = await coordinator.submit(plan, run_id="r1", **WHERE)
        assert await storage.request_cancel("r1", 1.0) is RunStatus.CANCELING

        assert await coordinator.cancel("r1") is True
        assert await coordinator.cancel("r1") is False  # asked once is enough
        steps = {s.step_key: s for s in await storage.get_steps("r1")}
        assert steps["b"].status is StepStatus.SKIPPED
        assert steps["b"].skip_reason == "run canceled"
        assert handle.record is None  # `a` is still in flight

        await _report(transport, _success("r1", "a"))
        record = await handle.wait()
    assert record.status is RunStatus.CANCELED
    steps = {s.step_key: s for s in await storage.get_steps("r1")}
    assert steps["a"].status is StepStatus.SUCCESS
    assert [e.type for e in await storage.get_events("r1")][-1] == EventType.RUN_CANCELED


async def test_cancel_of_a_run_driven_elsewhere_is_a_no_op(backend: Backend) -> None:
    coordinator = Coordinator(*backend)
    assert await coordinator.cancel("unknown") is False


async def test_a_results_message_with_a_stray_result_keeps_the_good_ones(
    backend: Backend,
) -> None:
    """The known run's result is recorded; the message is then dead-lettered (not acked),
    naming the stray run, so nothing recorded is lost and the stray can be inspected."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        mixed = await _report(transport, _success("r1", "a"), _success("elsewhere", "a"))
    assert not mixed.acked
    assert mixed.rejection is not None and "unknown run 'elsewhere'" in mixed.rejection
    steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
    assert steps == {"a": StepStatus.SUCCESS, "b": StepStatus.QUEUED}


@pytest.mark.parametrize(("root_seconds", "sizes"), [(0.001, [20, 20]), (0.1, [2] * 20)])
async def test_slow_steps_travel_few_to_a_message(
    backend: Backend, root_seconds: float, sizes: list[int]
) -> None:
    """Task messages hold about a quarter second of work, judged by the run's steps so
    far: fast children share messages, slow ones do not pile up behind one worker."""

    @asset
    def root() -> int:
        return 1

    children = [asset(name=f"c{n}")(lambda root: root) for n in range(40)]
    defs = Definitions([root, *children])
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        await coordinator.submit(
            build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
        )
        await _report(transport, _success("r1", "root", 10.0, 10.0 + root_seconds))
        await transport.until(lambda: sum(map(len, transport.task_messages)) == 41)
    published = [len(m) for m in transport.task_messages]
    assert published == [1, *sizes]  # the root alone, then its children


def _side_by_side(count: int, seconds: float) -> list[ResultMessage]:
    """Results of `count` steps that ran together on one worker, in `seconds` for all."""
    return [_success("r1", f"p{n}", 10.0, 10.0 + seconds) for n in range(count)]


def _one_by_one(count: int, seconds: float) -> list[list[ResultMessage]]:
    """`count` steps started together on one worker, ending `seconds` apart, each
    reported in a message of its own."""
    return [[_success("r1", f"p{n}", 10.0, 10.0 + seconds * (n + 1))] for n in range(count)]


@pytest.mark.parametrize(
    ("done", "sizes"),
    [
        ([_side_by_side(1, 0.001)], [3]),  # 3 ms of work: one worker takes it whole
        ([_side_by_side(1, 0.004)], [2, 1]),  # 12 ms: worth sharing
        ([_side_by_side(8, 0.008)], [3]),  # 8 steps side by side in 8 ms: 1 ms each
        (_one_by_one(8, 0.001), [3]),  # the same, reported as they ended
    ],
)
async def test_a_set_of_fast_steps_goes_to_one_worker_whole(
    backend: Backend, done: list[list[ResultMessage]], sizes: list[int]
) -> None:
    """Two workers share a ready set only when each gets a few milliseconds of work, by
    what the run's steps cost so far: steps that ran side by side share the time."""
    parents = [asset(name=f"p{n}")(lambda: 1) for n in range(sum(map(len, done)))]
    keys = [p.key.to_user_string() for p in parents]

    def child(name: str) -> Any:
        return asset(name=name, deps=keys)(lambda: 1)

    defs = Definitions([*parents, *(child(f"c{n}") for n in range(3))])
    storage, transport = backend
    transport.consumers = 2  # as if two workers consumed every task queue
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        await coordinator.submit(
            build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
        )
        for part in done:
            await transport.publish_result(encode_results(part), headers={})
        await transport.until(lambda: sum(map(len, transport.task_messages)) == len(parents) + 3)
    published = [len(m) for m in transport.task_messages]
    assert published[-len(sizes) :] == sizes  # the parents first, then the children


async def test_one_ack_settles_a_burst_but_never_a_rejected_message(backend: Backend) -> None:
    """The burst is acked with one `multiple` ack after its stray message is rejected."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    good, stray = _success("r1", "a"), _success("elsewhere", "a")
    async with serving(coordinator):
        await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        for result in (good, stray, good):
            await transport.publish_result(encode_results([result]), headers={})
        await transport.until(lambda: transport.settled() == 3)
    first, middle, last = transport.received["result"]
    assert first.acked and last.acked
    assert middle.rejection is not None and not middle.acked


async def _run_by_hand(
    coordinator: Coordinator,
    transport: Recording,
    defs: Definitions,
    run_id: str,
    seconds: dict[str, float],
) -> None:
    """Drive a run of `defs` to success, one results message per step in plan order, each
    step taking `seconds[step]` (1 ms if not given)."""
    plan = build_plan(defs.graph)
    handle = await coordinator.submit(
        plan, run_id=run_id, code_location=LOCATION, definitions_hash=defs.hash
    )
    for step in plan.steps:
        await _published(transport, run_id, step)
        await _report(transport, _success(run_id, step, 10.0, 10.0 + seconds.get(step, 0.001)))
    assert (await handle.wait()).status is RunStatus.SUCCESS


async def test_quick_steps_carry_the_steps_that_follow_them(backend: Backend) -> None:
    """Once its assets are known to be quick (they ran here before), a message also holds
    descendants whose other parents are done, each naming the earlier tasks it waits for;
    they are recorded QUEUED and never published again when their parents report."""
    defs = chain(5)
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        await _run_by_hand(coordinator, transport, defs, "first", {})
        assert not any(t.after for m in transport.task_messages for t in m)  # nothing known yet
        transport.task_messages.clear()

        handle = await coordinator.submit(
            build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
        )
        assert [[(t.step_key, t.after) for t in m] for m in transport.task_messages] == [
            [
                ("root", ()),
                ("side", ("root",)),
                ("s1", ("root",)),
                ("s2", ("s1",)),
                ("s3", ("s2",)),
                ("s4", ("s3",)),
                ("s5", ("s4",)),
            ],
        ]
        await _report(transport, _success("r1", "root", 10.0, 10.001))
        steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
        assert steps == {"root": StepStatus.SUCCESS} | dict.fromkeys(
            ["side", "s1", "s2", "s3", "s4", "s5"], StepStatus.QUEUED
        )
        for step in ("side", "s1", "s2", "s3", "s4", "s5"):  # reported one by one
            await _report(transport, _success("r1", step, 11.0, 11.001))
        record = await handle.wait()
    assert len(transport.task_messages) == 1  # none published again
    assert record.status is RunStatus.SUCCESS
    assert {s.status for s in await storage.get_steps("r1")} == {StepStatus.SUCCESS}


async def test_a_slow_step_neither_carries_nor_is_carried(backend: Backend) -> None:
    """Following is for work known to be quick: children would wait behind a step that
    took long last time (here 1 s), and a cancel meanwhile could not stop them."""
    defs = chain(3)
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        await _run_by_hand(coordinator, transport, defs, "first", {"s2": 1.0})
        transport.task_messages.clear()
        await _run_by_hand(coordinator, transport, defs, "second", {})
    assert [[(t.step_key, t.after) for t in m] for m in transport.task_messages] == [
        [("root", ()), ("side", ("root",)), ("s1", ("root",))],
        [("s2", ())],
        [("s3", ())],
    ]


async def test_a_failure_among_followed_steps_skips_the_rest_of_its_message(
    backend: Backend,
) -> None:
    """The steps a message holds after a failed one are not run; the coordinator records
    them SKIPPED naming it, the message is acked with the failure, and the run ends."""
    failing: set[int] = set()
    defs = chain(6, failing)
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator, make_worker(transport, defs=defs, concurrency=4)):
        for fail in (False, True):  # the first run tells the coordinator they are quick
            failing.update([3] if fail else [])
            transport.task_messages.clear()
            transport.order.clear()
            handle = await coordinator.submit(
                build_plan(defs.graph), code_location=LOCATION, definitions_hash=defs.hash
            )
            with anyio.fail_after(10):
                record = await handle.wait()
            await transport.until(
                lambda: transport.settled("task") == len(transport.received["task"])
            )
    assert [[t.step_key for t in m] for m in transport.task_messages] == [
        ["root", "side", "s1", "s2", "s3", "s4", "s5", "s6"],
    ]
    assert transport.order.count("task acked") == 1
    assert record.status is RunStatus.FAILURE
    steps = {s.step_key: s for s in await storage.get_steps(record.run_id)}
    assert {k: s.status for k, s in steps.items()} == {
        "root": StepStatus.SUCCESS,
        "side": StepStatus.SUCCESS,
        "s1": StepStatus.SUCCESS,
        "s2": StepStatus.SUCCESS,
        "s3": StepStatus.FAILURE,
        "s4": StepStatus.SKIPPED,
        "s5": StepStatus.SKIPPED,
        "s6": StepStatus.SKIPPED,
    }
    assert steps["s6"].skip_reason == "upstream 's3' failed"
    assert steps["s2"].started_at is not None and steps["s1"].ended_at is not None
    assert steps["s2"].started_at >= steps["s1"].ended_at
