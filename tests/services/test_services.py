"""Coordinator and worker loops over the in-memory transport: what they refuse, what they
record once, and when they ack. The same tests run on RabbitMQ with the distributed issue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import anyio
import pytest

from upstream import AssetIn, Definitions, InMemoryIOManager, asset
from upstream.coordinator import Coordinator
from upstream.coordinator.service import split_tasks
from upstream.planning import build_plan
from upstream.protocol import (
    ResultMessage,
    TaskMessage,
    decode_results,
    decode_tasks,
    encode_results,
    encode_tasks,
)
from upstream.storage import EventType, RunStatus, SqliteStorage, StepStatus, open_sqlite_storage
from upstream.transport import Delivery, MemoryTransport
from upstream.transport.base import OutgoingTask
from upstream.worker import Worker, WorkerSettings


@asset
def a() -> int:
    return 1


@asset
def b(a: int) -> int:
    return a + 1


DEFS = Definitions([a, b])
LOCATION = "tests"
WHERE = {"code_location": LOCATION, "definitions_hash": DEFS.hash}


@pytest.fixture
async def storage() -> AsyncIterator[SqliteStorage]:
    store = await open_sqlite_storage(":memory:")
    yield store
    await store.close()


def _worker(
    transport: MemoryTransport,
    io: InMemoryIOManager | None = None,
    *,
    defs: Definitions = DEFS,
    concurrency: int = 2,
) -> Worker:
    return Worker(
        defs,
        transport,
        WorkerSettings(LOCATION, "w1", concurrency=concurrency),
        default_io_manager=io or InMemoryIOManager(),
    )


def _task(**change: Any) -> TaskMessage:
    fields: dict[str, Any] = {
        "run_id": "r1",
        "step_key": "a",
        "attempt": 1,
        "code_location": LOCATION,
        "definitions_hash": DEFS.hash,
    }
    return TaskMessage(**{**fields, **change})


async def _one_result(transport: MemoryTransport) -> ResultMessage:
    async for batch in transport.results():
        return decode_results(batch[0].body)[0]
    raise AssertionError("no result")


async def test_a_malformed_task_is_dead_lettered_and_the_worker_keeps_serving() -> None:
    """Garbage goes to the dead letters with a reason; the next good task still runs."""
    transport = MemoryTransport()
    async with anyio.create_task_group() as group:
        group.start_soon(_worker(transport).serve)
        await transport.publish_task(b"\xc1not msgpack", headers={})
        await transport.publish_task(encode_tasks([_task()]), headers={})
        result = await _one_result(transport)
        await transport.aclose()
    assert result.status == "success"
    assert len(transport.dead_letters) == 1
    assert "not a msgpack message" in transport.dead_letters[0].reason


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        ({"definitions_hash": "0" * 64}, "DefinitionsMismatch", "restart workers"),
        ({"code_location": "other"}, "CodeLocationMismatch", "start a worker for it"),
        ({"step_key": "nope"}, "UnknownAsset", "has no asset 'nope'"),
    ],
)
async def test_a_worker_refuses_tasks_it_cannot_run_faithfully(
    change: dict[str, Any], kind: str, words: str
) -> None:
    """Stale definitions, another code location, an unknown asset: a failed step that says so."""
    result = await _worker(MemoryTransport()).run(_task(**change))
    assert result.status == "failure"
    assert result.error is not None
    assert result.error.type == kind
    assert words in result.error.message


class _Recorder(MemoryTransport):
    """Notes the order of result publishes and task acks."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []

    async def publish_result(self, body: bytes, *, headers: Mapping[str, str]) -> None:
        self.order.append("result published")
        await super().publish_result(body, headers=headers)

    async def tasks(self) -> AsyncIterator[Delivery]:
        async for delivery in super().tasks():
            yield _NotingDelivery(delivery, self.order)


class _NotingDelivery:
    def __init__(self, inner: Delivery, order: list[str]) -> None:
        self._inner, self._order = inner, order
        self.body, self.headers = inner.body, inner.headers

    async def ack(self, *, multiple: bool = False) -> None:
        self._order.append("task acked")
        await self._inner.ack(multiple=multiple)

    async def reject(self, reason: str) -> None:
        await self._inner.reject(reason)


async def test_a_worker_acks_a_task_only_after_its_result_is_published() -> None:
    """Crash between the two and the task is redelivered: at-least-once execution."""
    transport = _Recorder()
    async with anyio.create_task_group() as group:
        group.start_soon(_worker(transport).serve)
        await transport.publish_task(encode_tasks([_task()]), headers={})
        await _one_result(transport)
        await transport.aclose()
    assert transport.order == ["result published", "task acked"]


async def _run_with(
    transport: MemoryTransport, storage: SqliteStorage, before_results: list[bytes]
) -> str:
    coordinator = Coordinator(storage, transport)
    async with anyio.create_task_group() as group:
        group.start_soon(coordinator.serve)
        group.start_soon(_worker(transport).serve)
        for body in before_results:
            await transport.publish_result(body, headers={})
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        record = await handle.wait()
        await transport.aclose()
    assert record.status is RunStatus.SUCCESS
    return record.run_id


async def test_a_malformed_or_foreign_result_is_dead_lettered_and_the_run_completes(
    storage: SqliteStorage,
) -> None:
    """The coordinator logs and dead-letters what it cannot use, and keeps going."""
    transport = MemoryTransport()
    foreign = ResultMessage("someone-else", "a", 1, "success", 0.0, 0.0, "w9")
    await _run_with(transport, storage, [b"garbage", encode_results([foreign])])
    reasons = [d.reason for d in transport.dead_letters]
    assert any("not a msgpack message" in r for r in reasons)
    assert any("unknown run 'someone-else'" in r for r in reasons)


async def test_a_duplicate_result_is_recorded_once(storage: SqliteStorage) -> None:
    """A redelivered result adds no step, event or materialization, and no second task."""
    transport = MemoryTransport()
    coordinator = Coordinator(storage, transport)
    handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
    success = ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")
    twice = [_Delivered(encode_results([success])), _Delivered(encode_results([success]))]
    await coordinator.handle_results(twice)
    await coordinator.handle_results([_Delivered(encode_results([success]))])
    assert all(d.acked for d in twice)
    steps = await storage.get_steps("r1")
    assert [(s.step_key, s.status) for s in steps] == [
        ("a", StepStatus.SUCCESS),
        ("b", StepStatus.QUEUED),
    ]
    events = await storage.get_events("r1")
    assert [e.type for e in events].count(EventType.ASSET_MATERIALIZATION) == 1
    assert not handle.finished.is_set()
    await coordinator.handle_results(
        [_Delivered(encode_results([ResultMessage("r1", "b", 1, "success", 2.0, 3.0, "w1")]))]
    )
    assert (await handle.wait()).status is RunStatus.SUCCESS


class _Delivered:
    """A delivery on one stream (`_STREAM`, in order), settled as a broker would: an ack
    with `multiple` also acks every earlier delivery still unsettled; settling one twice
    fails, as RabbitMQ closes the channel on an unknown delivery tag."""

    def __init__(self, body: bytes) -> None:
        self.body, self.headers = body, {}
        self.acked = False
        self.rejected: str | None = None
        _STREAM.append(self)

    @property
    def settled(self) -> bool:
        return self.acked or self.rejected is not None

    async def ack(self, *, multiple: bool = False) -> None:
        assert not self.settled, "settled twice"
        earlier = _STREAM[: _STREAM.index(self)] if multiple else []
        for delivery in [*earlier, self]:
            if not delivery.settled:
                delivery.acked = True

    async def reject(self, reason: str) -> None:
        assert not self.settled, "settled twice"
        self.rejected = reason


_STREAM: list[_Delivered] = []


@pytest.fixture(autouse=True)
def _fresh_stream() -> None:
    _STREAM.clear()


async def test_a_new_coordinator_resumes_an_unfinished_run(storage: SqliteStorage) -> None:
    """After a crash, replaying storage re-publishes only ready steps without a result, and
    the run completes with every asset recorded once."""
    plan = build_plan(DEFS.graph)
    first = Coordinator(storage, MemoryTransport())
    await first.submit(plan, run_id="r1", **WHERE)
    await first.handle_results(
        [_Delivered(encode_results([ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")]))]
    )
    # `first` dies here: b was published on a transport nobody will read.

    run = await storage.get_run("r1")
    assert run is not None and run.status is RunStatus.STARTED
    transport = MemoryTransport()
    shared_values = InMemoryIOManager()
    shared_values.values[a.key] = 1  # what the IO manager kept of the first life's `a`
    second = Coordinator(storage, transport)
    async with anyio.create_task_group() as group:
        group.start_soon(second.serve)
        group.start_soon(_worker(transport, shared_values).serve)
        handle = await second.resume(run, plan, await storage.get_steps("r1"))
        record = await handle.wait()
        await transport.aclose()
    assert record.status is RunStatus.SUCCESS
    events = await storage.get_events("r1")
    materialized = [e.step_key for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert materialized == ["a", "b"]


class _GatedCommits:
    """Storage whose commits wait for a gate: later bursts are decided behind the first."""

    def __init__(self, inner: SqliteStorage) -> None:
        self._inner = inner
        self.gate = anyio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def record_outcomes(self, *args: Any, **kwargs: Any) -> list[bool]:
        await self.gate.wait()
        return await self._inner.record_outcomes(*args, **kwargs)


async def test_a_run_ends_only_after_its_last_outcome_is_committed(
    storage: SqliteStorage,
) -> None:
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
    gated = _GatedCommits(storage)
    transport = MemoryTransport()
    coordinator = Coordinator(gated, transport)  # type: ignore[arg-type]
    worker = _worker(transport, defs=defs, concurrency=4)
    async with anyio.create_task_group() as group:
        group.start_soon(coordinator.serve)
        group.start_soon(worker.serve)
        handle = await coordinator.submit(
            build_plan(defs.graph), code_location=LOCATION, definitions_hash=defs.hash
        )
        with anyio.fail_after(10):
            while not handle.tracker.complete:  # noqa: ASYNC110 - a pure object, no event
                await anyio.sleep(0.01)
        gated.gate.set()
        record = await handle.wait()
        steps = {s.step_key: s.status for s in await storage.get_steps(record.run_id)}
        await transport.aclose()
    assert record.status is RunStatus.FAILURE
    assert steps == {
        "source": StepStatus.SUCCESS,
        "left": StepStatus.FAILURE,
        "right": StepStatus.SUCCESS,
    }


async def test_a_canceled_run_skips_what_had_not_started_and_ends_canceled(
    storage: SqliteStorage,
) -> None:
    """The step in flight still reports (its result is kept); its children never start."""
    plan = build_plan(DEFS.graph)
    coordinator = Coordinator(storage, MemoryTransport())
    handle = await coordinator.submit(plan, run_id="r1", **WHERE)
    assert await storage.request_cancel("r1", 1.0) is RunStatus.CANCELING

    assert await coordinator.cancel("r1") is True
    assert await coordinator.cancel("r1") is False  # asked once is enough
    steps = {s.step_key: s for s in await storage.get_steps("r1")}
    assert steps["b"].status is StepStatus.SKIPPED and steps["b"].skip_reason == "run canceled"
    assert handle.record is None  # `a` is still in flight

    await coordinator.handle_results(
        [_Delivered(encode_results([ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")]))]
    )
    record = await handle.wait()
    assert record.status is RunStatus.CANCELED
    steps = {s.step_key: s for s in await storage.get_steps("r1")}
    assert steps["a"].status is StepStatus.SUCCESS
    assert [e.type for e in await storage.get_events("r1")][-1] == EventType.RUN_CANCELED


async def test_cancel_of_a_run_driven_elsewhere_is_a_no_op(storage: SqliteStorage) -> None:
    coordinator = Coordinator(storage, MemoryTransport())
    assert await coordinator.cancel("unknown") is False


async def test_a_message_of_several_tasks_is_acked_once_after_all_their_results() -> None:
    """Each task of a message runs and reports; the message is acked once, last."""
    transport = _Recorder()
    tasks = [_task(run_id=f"r{n}") for n in range(3)]
    async with anyio.create_task_group() as group:
        group.start_soon(_worker(transport).serve)
        await transport.publish_task(encode_tasks(tasks), headers={})
        seen: list[ResultMessage] = []
        async for batch in transport.results():
            seen += [r for d in batch for r in decode_results(d.body)]
            if len(seen) == 3:
                break
        await transport.aclose()
    assert sorted(r.run_id for r in seen) == ["r0", "r1", "r2"]
    assert all(r.status == "success" for r in seen)
    assert transport.order.count("task acked") == 1
    assert transport.order[-1] == "task acked"


async def test_a_results_message_with_a_stray_result_keeps_the_good_ones(
    storage: SqliteStorage,
) -> None:
    """The known run's result is recorded; the message is then dead-lettered (not acked),
    naming the stray run, so nothing recorded is lost and the stray can be inspected."""
    coordinator = Coordinator(storage, MemoryTransport())
    await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
    mixed = _Delivered(
        encode_results(
            [
                ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1"),
                ResultMessage("elsewhere", "a", 1, "success", 1.0, 2.0, "w1"),
            ]
        )
    )
    await coordinator.handle_results([mixed])
    assert not mixed.acked
    assert mixed.rejected is not None and "unknown run 'elsewhere'" in mixed.rejected
    steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
    assert steps == {"a": StepStatus.SUCCESS, "b": StepStatus.QUEUED}


def test_a_ready_set_is_cut_into_even_messages_one_share_each_at_least() -> None:
    """Few tasks go one per message; many go several per message, never over the cap, in
    enough messages for every share."""
    tasks = [_task(step_key=str(n)) for n in range(10_000)]
    assert [len(p) for p in split_tasks(tasks[:2], shares=3)] == [1, 1]
    assert [len(p) for p in split_tasks(tasks[:10], shares=2)] == [5, 5]
    assert [len(p) for p in split_tasks(tasks[:10], shares=4)] == [3, 3, 2, 2]
    assert [len(p) for p in split_tasks(tasks[:10], shares=1)] == [10]
    assert [len(p) for p in split_tasks(tasks[:40], shares=0)] == [20, 20]
    wide = split_tasks(tasks, shares=2)
    assert max(map(len, wide)) - min(map(len, wide)) <= 1 and max(map(len, wide)) <= 32
    assert [t for part in wide for t in part] == tasks


async def test_drain_finishes_a_message_already_taken_but_starts_no_other() -> None:
    """A message is the unit of work: its tasks all run and it is acked; the next
    message stays unacked for another worker."""
    started = anyio.Event()
    release = anyio.Event()

    @asset
    async def slow() -> int:
        started.set()
        await release.wait()
        return 1

    defs = Definitions([slow])
    transport = _Recorder()
    worker = _worker(transport, defs=defs, concurrency=1)
    pair = [_task(run_id=f"r{n}", step_key="slow", definitions_hash=defs.hash) for n in range(2)]
    async with anyio.create_task_group() as group:
        group.start_soon(worker.serve)
        await transport.publish_task(encode_tasks(pair), headers={})
        await started.wait()
        await transport.publish_task(encode_tasks(pair[:1]), headers={})  # must not start
        worker.drain()
        release.set()
    await transport.aclose()
    results = [
        r async for batch in transport.results() for d in batch for r in decode_results(d.body)
    ]
    assert sorted(r.run_id for r in results) == ["r0", "r1"]
    assert transport.order.count("task acked") == 1


@pytest.mark.parametrize(("root_seconds", "sizes"), [(0.001, [20, 20]), (0.1, [2] * 20)])
async def test_slow_steps_travel_few_to_a_message(
    storage: SqliteStorage, root_seconds: float, sizes: list[int]
) -> None:
    """Task messages hold about a quarter second of work, judged by the run's steps so
    far: fast children share messages, slow ones do not pile up behind one worker."""

    @asset
    def root() -> int:
        return 1

    children = [asset(name=f"c{n}")(lambda root: root) for n in range(40)]
    defs = Definitions([root, *children])
    transport = MemoryTransport()
    coordinator = Coordinator(storage, transport)
    await coordinator.submit(
        build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
    )
    done = ResultMessage("r1", "root", 1, "success", 10.0, 10.0 + root_seconds, "w1")
    await coordinator.handle_results([_Delivered(encode_results([done]))])
    await transport.aclose()
    published = [len(decode_tasks(d.body)) async for d in transport.tasks()]
    assert published == [1, *sizes]  # the root alone, then its children


class _TwoWorkers(MemoryTransport):
    """The in-memory broker, as if two workers consumed every task queue."""

    async def task_consumers(self, queue: str | None = None) -> int:
        return 2


def _side_by_side(count: int, seconds: float) -> list[ResultMessage]:
    """Results of `count` steps that ran together on one worker, in `seconds` for all."""
    return [
        ResultMessage("r1", f"p{n}", 1, "success", 10.0, 10.0 + seconds, "w1") for n in range(count)
    ]


def _one_by_one(count: int, seconds: float) -> list[list[ResultMessage]]:
    """`count` steps started together on one worker, ending `seconds` apart, each
    reported in a message of its own."""
    return [
        [ResultMessage("r1", f"p{n}", 1, "success", 10.0, 10.0 + seconds * (n + 1), "w1")]
        for n in range(count)
    ]


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
    storage: SqliteStorage, done: list[list[ResultMessage]], sizes: list[int]
) -> None:
    """Two workers share a ready set only when each gets a few milliseconds of work, by
    what the run's steps cost so far: steps that ran side by side share the time."""
    parents = [asset(name=f"p{n}")(lambda: 1) for n in range(sum(map(len, done)))]
    keys = [p.key.to_user_string() for p in parents]

    def child(name: str) -> Any:
        return asset(name=name, deps=keys)(lambda: 1)

    defs = Definitions([*parents, *(child(f"c{n}") for n in range(3))])
    transport = _TwoWorkers()
    coordinator = Coordinator(storage, transport)
    await coordinator.submit(
        build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
    )
    await coordinator.handle_results([_Delivered(encode_results(part)) for part in done])
    await transport.aclose()
    published = [len(decode_tasks(d.body)) async for d in transport.tasks()]
    assert sum(published) == len(parents) + 3
    assert published[-len(sizes) :] == sizes  # the parents first, then the children


async def test_one_ack_settles_a_burst_but_never_a_rejected_message(
    storage: SqliteStorage,
) -> None:
    """The burst is acked with one `multiple` ack after its stray message is rejected."""
    coordinator = Coordinator(storage, MemoryTransport())
    await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
    good = ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")
    stray = ResultMessage("elsewhere", "a", 1, "success", 1.0, 2.0, "w1")
    first, middle, last = (
        _Delivered(encode_results([good])),
        _Delivered(encode_results([stray])),
        _Delivered(encode_results([good])),
    )
    await coordinator.handle_results([first, middle, last])
    assert first.acked and last.acked
    assert middle.rejected is not None and not middle.acked


def _chain(length: int, failing: set[int] | None = None) -> Definitions:
    """root -> s1 -> s2 -> ... -> s{length}, plus a child `side` of root; the steps
    numbered in `failing` (a set the caller may change between runs) raise."""
    failing = set() if failing is None else failing

    def step(n: int) -> Any:
        def body(up: int) -> int:
            if n in failing:
                raise ValueError(f"s{n} fails")
            return up + 1

        parent = "root" if n == 1 else f"s{n - 1}"
        return asset(name=f"s{n}", ins={"up": AssetIn(key=parent)})(body)

    @asset
    def root() -> int:
        return 0

    @asset
    def side(root: int) -> int:
        return root

    return Definitions([root, side, *(step(n) for n in range(1, length + 1))])


async def _run_by_hand(
    coordinator: Coordinator, defs: Definitions, run_id: str, seconds: dict[str, float]
) -> None:
    """Drive a run of `defs` to success, one results message per step in plan order, each
    step taking `seconds[step]` (1 ms if not given)."""
    plan = build_plan(defs.graph)
    handle = await coordinator.submit(
        plan, run_id=run_id, code_location=LOCATION, definitions_hash=defs.hash
    )
    for step in plan.steps:
        took = seconds.get(step, 0.001)
        result = ResultMessage(run_id, step, 1, "success", 10.0, 10.0 + took, "w1")
        await coordinator.handle_results([_Delivered(encode_results([result]))])
    assert (await handle.wait()).status is RunStatus.SUCCESS


async def test_quick_steps_carry_the_steps_that_follow_them(storage: SqliteStorage) -> None:
    """Once its assets are known to be quick (they ran here before), a message also holds
    descendants whose other parents are done, each naming the earlier tasks it waits for;
    they are recorded QUEUED and never published again when their parents report."""
    defs = _chain(5)
    transport = _Published()
    coordinator = Coordinator(storage, transport)
    await _run_by_hand(coordinator, defs, "first", {})
    assert not any(t.after for m in transport.messages for t in m)  # nothing known yet
    transport.messages.clear()

    await coordinator.submit(
        build_plan(defs.graph), run_id="r1", code_location=LOCATION, definitions_hash=defs.hash
    )
    assert [[(t.step_key, t.after) for t in m] for m in transport.messages] == [
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
    done = ResultMessage("r1", "root", 1, "success", 10.0, 10.001, "w1")
    await coordinator.handle_results([_Delivered(encode_results([done]))])
    steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
    assert steps == {"root": StepStatus.SUCCESS} | dict.fromkeys(
        ["side", "s1", "s2", "s3", "s4", "s5"], StepStatus.QUEUED
    )
    for step in ("side", "s1", "s2", "s3", "s4", "s5"):  # reported one by one
        result = ResultMessage("r1", step, 1, "success", 11.0, 11.001, "w1")
        await coordinator.handle_results([_Delivered(encode_results([result]))])
    assert len(transport.messages) == 1  # none published again
    run = await storage.get_run("r1")
    assert run is not None and run.status is RunStatus.SUCCESS
    assert {s.status for s in await storage.get_steps("r1")} == {StepStatus.SUCCESS}


async def test_a_slow_step_neither_carries_nor_is_carried(storage: SqliteStorage) -> None:
    """Following is for work known to be quick: children would wait behind a step that
    took long last time (here 1 s), and a cancel meanwhile could not stop them."""
    defs = _chain(3)
    transport = _Published()
    coordinator = Coordinator(storage, transport)
    await _run_by_hand(coordinator, defs, "first", {"s2": 1.0})
    transport.messages.clear()
    await _run_by_hand(coordinator, defs, "second", {})
    assert [[(t.step_key, t.after) for t in m] for m in transport.messages] == [
        [("root", ()), ("side", ("root",)), ("s1", ("root",))],
        [("s2", ())],
        [("s3", ())],
    ]


class _Published(_Recorder):
    """Also keeps every task message published, decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[list[TaskMessage]] = []

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        self.messages += [decode_tasks(task.body) for task in tasks]
        await super().publish_tasks(tasks)


async def test_a_failure_among_followed_steps_skips_the_rest_of_its_message(
    storage: SqliteStorage,
) -> None:
    """The steps a message holds after a failed one are not run; the coordinator records
    them SKIPPED naming it, the message is acked with the failure, and the run ends."""
    failing: set[int] = set()
    defs = _chain(6, failing)
    transport = _Published()
    coordinator = Coordinator(storage, transport)
    worker = _worker(transport, defs=defs, concurrency=4)
    async with anyio.create_task_group() as group:
        group.start_soon(coordinator.serve)
        group.start_soon(worker.serve)
        for fail in (False, True):  # the first run tells the coordinator they are quick
            failing.update([3] if fail else [])
            transport.messages.clear()
            transport.order.clear()
            handle = await coordinator.submit(
                build_plan(defs.graph), code_location=LOCATION, definitions_hash=defs.hash
            )
            with anyio.fail_after(10):
                record = await handle.wait()
        await transport.aclose()
    assert [[t.step_key for t in m] for m in transport.messages] == [
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


async def test_a_worker_runs_followed_tasks_in_order_and_reports_them_together() -> None:
    """A task runs after the ones it names; the message's results go out in one message,
    and it is acked once, after them."""
    defs = _chain(3)
    transport = _Recorder()
    worker = _worker(transport, defs=defs, concurrency=4)
    where = {"definitions_hash": defs.hash}
    tasks = [
        _task(step_key="root", **where),
        _task(step_key="s1", after=("root",), **where),
        _task(step_key="side", after=("root",), **where),
        _task(step_key="s2", after=("s1",), **where),
        _task(step_key="s3", after=("s2",), **where),
    ]
    async with anyio.create_task_group() as group:
        group.start_soon(worker.serve)
        await transport.publish_task(encode_tasks(tasks), headers={})
        async for batch in transport.results():
            results = decode_results(batch[0].body)
            break
        await transport.aclose()
    assert [r.status for r in results] == ["success"] * 5
    ended = {r.step_key: r.ended_at for r in results}
    started = {r.step_key: r.started_at for r in results}
    for task in tasks:
        assert all(started[task.step_key] >= ended[up] for up in task.after)
    assert transport.order == ["result published", "task acked"]
