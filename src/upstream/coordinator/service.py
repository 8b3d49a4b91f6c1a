"""The coordinator: turns plans into tasks, records results, publishes what became ready.

A thin loop around the pure `ReadySet`. Per burst of results it does one storage
transaction, then acks them (a result is acked only once committed), then publishes the
next ready steps, several to a message when many are ready at once. It never imports user
code: it needs only plans and the transport.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from opentelemetry.trace import INVALID_SPAN, Span, Status, StatusCode

from upstream.coordinator.routes import WORKER_GRACE, Route, Unserved
from upstream.model.config import step_run_config
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
    partition_tags,
)
from upstream.planning.dispatch import Costs, cut_messages
from upstream.planning.plan import Plan
from upstream.planning.ready import ReadySet
from upstream.protocol import (
    LEASE_LOST_AFTER,
    LEASE_SECONDS,
    ErrorInfo,
    ResultMessage,
    TaskMessage,
    decode_results,
    decode_tasks,
    encode_tasks,
)
from upstream.storage.base import RunStorage
from upstream.storage.records import (
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
    StepStatus,
)
from upstream.tracing import get_logger
from upstream.tracing.spans import headers_for, mark_failed, start_run_span, start_step_span
from upstream.transport.base import (
    Abandoned,
    CoordinatorTransport,
    Delivery,
    OutgoingTask,
    TransportError,
)
from upstream.transport.outbox import Outbox
from upstream.transport.receive import decode_or_reject, drain

__all__ = ["Coordinator", "RunHandle"]

log = get_logger("coordinator")

OutcomeObserver = Callable[[StepOutcome], None]

_READY_MAX = 4096  # ready steps published in one pipelined call, at most
_LAPSES_MAX = 3  # leases a step may lose (its worker died) before it is failed
# What the services pass as `commit_linger` (see `Coordinator`): 5 ms on a run's end against
# a transaction per burst of one or two results on a deep graph. Measured: a third less
# coordinator and PostgreSQL CPU on the cluster's layered graph, ~10% off an embedded
# 1,000-asset layered run on SQLite.
COMMIT_LINGER = 0.005
# Finished run ids remembered, so a late duplicate result is acked without a query; a
# result of a run ended longer ago asks storage (`_finished_earlier`).
_DONE_MAX = 1024
# A run's target, as tags: replaced whole by a partitioned plan's (`Coordinator.submit`).
_PARTITION_TAGS = (
    PARTITION_NAME_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    ASSET_PARTITION_RANGE_END_TAG,
)


@dataclass
class RunHandle:
    """A run this coordinator drives; `await handle.wait()` returns its final record."""

    run: RunRecord
    plan: Plan
    tracker: ReadySet
    finished: anyio.Event = field(default_factory=anyio.Event)
    record: RunRecord | None = None
    span: Span = INVALID_SPAN  # the `run` span, from adoption to the end
    step_spans: dict[str, Span] = field(default_factory=dict)  # publish -> recorded result
    uncommitted: int = 0  # outcomes decided but not yet committed: the run may not end yet
    costs: Costs = field(default_factory=Costs)  # what its steps cost: sizes its messages
    canceled: bool = False  # asked to stop: it launches nothing more and ends CANCELED
    ending: bool = False  # its end is being recorded (guards concurrent finishers)
    leases: dict[str, float] = field(default_factory=dict)  # step -> monotonic deadline
    lapses: dict[str, int] = field(default_factory=dict)  # step -> leases lost so far

    @property
    def run_id(self) -> str:
        return self.run.run_id

    async def wait(self) -> RunRecord:
        await self.finished.wait()
        if self.record is None:  # `finished` is set only after `record`
            raise RuntimeError(f"run {self.run_id} finished without a record")
        return self.record


class Coordinator:
    """Drives any number of runs, of any code locations, over one transport and one store."""

    def __init__(
        self,
        storage: RunStorage,
        transport: CoordinatorTransport,
        *,
        observer: OutcomeObserver | None = None,
        commit_linger: float = 0.0,
        worker_grace: float = WORKER_GRACE,
    ) -> None:
        """`commit_linger`: seconds the writer waits after a burst arrives, so the bursts
        that follow share its transaction. Nothing waits on a commit but the acks and a
        run's end, so a cluster trades a few milliseconds there for fewer transactions
        (measured: a third less coordinator and PostgreSQL CPU on the layered graph).
        `worker_grace`: seconds steps wait on a route no worker consumes before they fail
        (`upstream.coordinator.routes`)."""
        self._storage = storage
        self._commit_linger = commit_linger
        self._transport = transport
        self._observer = observer
        self._runs: dict[str, RunHandle] = {}
        self._done: dict[str, None] = {}  # recently finished runs, oldest first
        self._unserved = Unserved(worker_grace)
        self._queued: list[tuple[str, str, int]] = []  # published, QUEUED with the next commit
        self._published = 0  # ready steps `serve` has published (see `_write`)
        self._publish = anyio.Event()  # set, and replaced, as each publish returns
        self._costs: dict[str, dict[str, float]] = {}  # code location -> step -> last cost

    async def submit(
        self,
        plan: Plan,
        *,
        code_location: str,
        definitions_hash: str,
        run_id: str | None = None,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RunHandle:
        """Record a new run as STARTED and publish its first ready set (embedded mode).
        `run_config` is normalised and checked already (`planning.run_config`), `tags` too
        (`model.run_tags`). A partitioned plan's target joins the tags under Dagster's names
        (`dagster/partition`, or the range's start and end)."""
        if plan.partition is not None:
            kept = {k: v for k, v in (tags or {}).items() if k not in _PARTITION_TAGS}
            tags = {**kept, **partition_tags(plan.partition)}
        run = RunRecord(
            run_id=run_id or str(uuid.uuid4()),
            status=RunStatus.STARTED,
            selection=plan.selection,
            steps=plan.steps,
            code_location=code_location,
            definitions_hash=definitions_hash,
            created_at=time.time(),
            run_config=dict(run_config or {}),
            tags=dict(tags or {}),
        )
        await self._storage.create_run(run)
        return await self._drive(RunHandle(run, plan, ReadySet(plan.parents)), "run.started")

    async def start_queued(self, run: RunRecord, plan: Plan) -> RunHandle | None:
        """Claim a QUEUED run (cluster mode) with its plan; None if it was already claimed."""
        if not await self._storage.start_run(run.run_id, plan.steps):
            return None
        started = replace(run, status=RunStatus.STARTED, steps=plan.steps)
        return await self._drive(RunHandle(started, plan, ReadySet(plan.parents)), "run.started")

    async def start_queued_many(self, planned: Sequence[tuple[RunRecord, Plan]]) -> list[RunHandle]:
        """`start_queued` for many runs (a backfill's): one claim, one publish of every
        run's first ready set, one write recording them QUEUED (the rule of
        `_publish_ready`: published first). Returns the handles of the runs claimed."""
        if not planned:
            return []
        claims = [(run.run_id, plan.steps) for run, plan in planned]
        claimed = set(await self._storage.start_runs(claims))
        handles: list[RunHandle] = []
        outgoing: list[OutgoingTask] = []
        queued: list[tuple[str, str, int]] = []
        for run, plan in planned:
            if run.run_id not in claimed:
                continue
            started = replace(run, status=RunStatus.STARTED, steps=plan.steps)
            handle = RunHandle(started, plan, ReadySet(plan.parents))
            ready = self._adopt(handle, "run.started")
            messages, handed = await self._messages(handle, ready)
            outgoing += messages
            queued += [(run.run_id, step, 1) for step in handed]
            handles.append(handle)
        await self._transport.publish_tasks(outgoing)
        await self._storage.record_outcomes([], queued, time.time())
        for handle in handles:
            await self._finish_if_complete(handle)
        return handles

    async def resume(self, run: RunRecord, plan: Plan, steps: Sequence[StepRecord]) -> RunHandle:
        """Take over a run that another coordinator (or an earlier life of this one) left
        unfinished: replay its recorded outcomes, then publish again every ready step that
        has none. A step that was in fact still running may execute twice; its result is
        recorded once."""
        handle = RunHandle(run, plan, ReadySet(plan.parents))
        handle.tracker.initial()
        final = {s.step_key: s.status for s in steps}
        for step in plan.steps:  # topological order: parents are replayed first
            if final.get(step) is StepStatus.SUCCESS and step in plan.optional:
                readers = {c for cs in plan.optional[step].values() for c in cs}
                skipped = {c for c in readers if final.get(c) is StepStatus.SKIPPED}
                handle.tracker.succeeded_without(step, skipped)
            elif final.get(step) is StepStatus.SUCCESS:
                handle.tracker.succeeded(step)
            elif final.get(step) is StepStatus.FAILURE:
                handle.tracker.failed(step)
        return await self._drive(handle, "run.resumed")

    async def cancel(self, run_id: str) -> bool:
        """Stop a run this coordinator drives: its unstarted steps are recorded SKIPPED and it
        ends CANCELED once the steps in flight have reported (their results are kept).
        False when it does not drive that run (or was asked already)."""
        handle = self._runs.get(run_id)
        if handle is None or handle.canceled:
            return False
        handle.canceled = True
        skipped, now = handle.tracker.cancel(), time.time()
        log.info("run.canceling", run_id=run_id, skipped=len(skipped))
        covers = handle.plan.step_partitions
        outcomes = [
            StepOutcome(
                run_id,
                step,
                1,
                StepStatus.SKIPPED,
                ended_at=now,
                skip_reason="run canceled",
                partitions=covers(step),
            )
            for step in skipped
        ]
        handle.uncommitted += len(outcomes)
        await self._commit([_Burst(outcomes=outcomes)])
        await self._finish_if_complete(handle)
        return True

    async def _drive(self, handle: RunHandle, event: str) -> RunHandle:
        """Adopt the run and publish what is ready (the roots, or what a replay left)."""
        await self._dispatch(handle, self._adopt(handle, event))
        await self._finish_if_complete(handle)
        return handle

    def _adopt(self, handle: RunHandle, event: str) -> list[str]:
        """Drive the run from now on; return its steps ready to publish. It learns from what
        its code location's steps cost in earlier runs."""
        self._runs[handle.run_id] = handle
        handle.costs = Costs(self._costs.setdefault(handle.run.code_location, {}))
        handle.span = start_run_span(
            handle.run_id,
            {
                "upstream.run_id": handle.run_id,
                "upstream.code_location": handle.run.code_location,
                "upstream.selection": handle.run.selection,
                "upstream.step_count": len(handle.plan),
                "upstream.resumed": int(event == "run.resumed"),
            },
        )
        handle.tracker.initial()  # a no-op after a replay, which called it first
        ready = handle.tracker.in_flight
        log.info(event, run_id=handle.run_id, steps=len(handle.plan), publishing=len(ready))
        return ready

    async def serve(self) -> None:
        """Consume results until the transport closes, pipelined in three tasks: this one
        decides each burst as it arrives; a publisher publishes what became ready, all that
        piled up while its last publish awaited confirms at once; a writer commits whatever
        bursts piled up in one transaction and only then acks them. Batches so grow with
        the load. A step published before its parent's outcome is committed may run twice
        after a crash; its result is recorded once (at-least-once execution, DESIGN.md).
        A failed publish ends `serve` (the caller's term), and a resume publishes again
        every ready step without an outcome."""
        send, receive = anyio.create_memory_object_stream[_Burst](math.inf)
        ready = Outbox[tuple[str, str]](_READY_MAX)
        watching, leasing = anyio.CancelScope(), anyio.CancelScope()
        async with anyio.create_task_group() as group:
            group.start_soon(self._write, receive)
            group.start_soon(self._publish_from, ready)
            group.start_soon(self._watch_routes, watching)
            group.start_soon(self._take_abandoned, send.clone())
            group.start_soon(self._watch_leases, ready, send.clone(), leasing)
            try:
                async with send:
                    async for batch in self._transport.results():
                        burst = await self._decide(batch)
                        ready.extend(burst.ready)
                        send.send_nowait(burst)
            finally:
                ready.close()
                watching.cancel()
                leasing.cancel()

    async def _take_abandoned(self, send: MemoryObjectSendStream[_Burst]) -> None:
        """Decide each task message the transport gave up on; the writer commits it."""
        async with send:
            async for abandoned in self._transport.abandoned_tasks():
                send.send_nowait(await self._decide_abandoned(abandoned))

    async def _watch_leases(
        self,
        ready: Outbox[tuple[str, str]],
        send: MemoryObjectSendStream[_Burst],
        scope: anyio.CancelScope,
    ) -> None:
        """Every `LEASE_SECONDS`, act on the leases that lapsed (see `_decide_lapsed`)."""
        with scope:
            async with send:
                while True:
                    await anyio.sleep(LEASE_SECONDS)
                    burst = self._decide_lapsed(time.monotonic())
                    if burst.outcomes or burst.ready:
                        ready.extend(burst.ready)
                        send.send_nowait(burst)

    def _decide_lapsed(self, now: float) -> _Burst:
        """Steps whose worker stopped renewing their lease (it died, or lost the broker)
        are published again; after `_LAPSES_MAX` lapses, recorded FAILED."""
        burst = _Burst()
        for handle in self._runs.values():
            for step in [s for s, deadline in handle.leases.items() if deadline < now]:
                del handle.leases[step]
                if handle.tracker.is_finished(step):
                    continue
                lapses = handle.lapses[step] = handle.lapses.get(step, 0) + 1
                log.warning("step.lease_lost", run_id=handle.run_id, asset_key=step, lapses=lapses)
                if (span := handle.step_spans.pop(step, None)) is not None:
                    span.end()
                if lapses < _LAPSES_MAX:
                    burst.ready.append((handle.run_id, step))
                else:
                    reason = f"the worker died {lapses} times running this step"
                    self._worker_died(handle, step, 1, reason, burst, time.time())
        return burst

    async def _publish_from(self, ready: Outbox[tuple[str, str]]) -> None:
        async for steps in ready.batches():
            await self._publish_ready(steps)
            self._published += len(steps)
            self._publish.set()
            self._publish = anyio.Event()

    async def _write(self, receive: MemoryObjectReceiveStream[_Burst]) -> None:
        handed = 0  # ready steps of the bursts received, each also handed to the publisher
        async with receive:
            async for first in receive:
                if self._commit_linger:
                    await anyio.sleep(self._commit_linger)  # let more bursts join this one
                bursts = drain(receive, [first])
                handed += sum(len(burst.ready) for burst in bursts)
                while self._published < handed:  # their QUEUED markers follow the publish
                    await self._publish.wait()
                await self._commit(bursts)

    async def _decide(self, batch: Sequence[Delivery]) -> _Burst:
        """Decode, feed the trackers, and say what to record, publish, ack and reject."""
        burst = _Burst()
        for delivery in batch:
            results = await decode_or_reject(delivery, decode_results, log, "result.rejected")
            if results is None:
                continue
            unknown = [r for r in results if not await self._take(r, burst)]
            self._time(results)
            if unknown:
                # Dead-lettered once the results it also held are committed, so nothing
                # recorded is lost and the stray ones can be inspected.
                first = unknown[0]
                reason = f"result for unknown run {first.run_id!r} step {first.step_key!r}" + (
                    f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
                )
                log.warning("result.rejected", reason=reason)
                burst.to_reject.append((delivery, reason))
            else:
                burst.to_ack.append(delivery)
        return burst

    async def _decide_abandoned(self, abandoned: Abandoned) -> _Burst:
        """A task message whose workers died (or lost the broker) each time they ran it:
        its undecided steps that waited for none of the others are recorded FAILED (one of
        them killed the worker; which, nobody can tell), and what follows them SKIPPED.
        The exit code or signal is unknown here: workers run steps in threads of their own
        process, so nothing outlives them to see it."""
        delivery = abandoned.delivery
        tasks = await decode_or_reject(delivery, decode_tasks, log, "abandoned.rejected")
        if tasks is None:
            return _Burst()
        undecided = [
            task
            for task in tasks
            if (handle := self._runs.get(task.run_id)) is not None
            and task.step_key in handle.plan.parents
            and not handle.tracker.is_finished(task.step_key)
        ]
        keys = {(task.run_id, task.step_key) for task in undecided}
        culprits = [t for t in undecided if not any((t.run_id, s) in keys for s in t.after)]
        reason = f"the worker died {abandoned.deliveries} times running this step"
        if len(culprits) > 1:
            reason += f" or one of the {len(culprits) - 1} others in its task message"
        now = time.time()
        burst = _Burst(to_settle=[delivery])
        for task in culprits:
            handle = self._runs[task.run_id]
            self._worker_died(handle, task.step_key, task.attempt, reason, burst, now)
        return burst

    def _worker_died(
        self, handle: RunHandle, step: str, attempt: int, reason: str, burst: _Burst, now: float
    ) -> None:
        """Add to `burst` `step` FAILED because its workers died, and what it skips."""
        log.warning("step.worker_died", run_id=handle.run_id, asset_key=step, reason=reason)
        error = ErrorInfo("WorkerDied", reason, "")
        outcome = StepOutcome(
            handle.run_id,
            step,
            attempt,
            StepStatus.FAILURE,
            ended_at=now,
            error=error,
            partitions=handle.plan.step_partitions(step),
        )
        burst.outcomes.append(outcome)
        handle.uncommitted += 1
        self._skip_below(handle, step, burst, now)

    async def _take(self, result: ResultMessage, burst: _Burst) -> bool:
        """Add one result's outcome (and what it made ready or skipped) to `burst`; False
        for a result of no run this coordinator drives or drove."""
        handle = self._runs.get(result.run_id)
        if handle is None or result.step_key not in handle.plan.parents:
            # A late duplicate of a finished run is acked and ignored.
            return handle is None and await self._finished_earlier(result.run_id)
        if result.status == "running":  # a lease, taken or renewed
            if not handle.tracker.is_finished(result.step_key):
                handle.leases[result.step_key] = time.monotonic() + LEASE_LOST_AFTER
            return True
        if handle.leases:
            handle.leases.pop(result.step_key, None)
        burst.outcomes.append(_outcome(result, handle.plan))
        handle.uncommitted += 1
        if result.status == "success" and result.step_key in handle.plan.optional:
            self._succeeded_partly(handle, result, burst)
            return True
        if result.status == "success":
            for step in handle.tracker.succeeded(result.step_key):
                burst.ready.append((handle.run_id, step))
            return True
        self._skip_below(handle, result.step_key, burst, time.time())
        return True

    def _succeeded_partly(self, handle: RunHandle, result: ResultMessage, burst: _Burst) -> None:
        """A success of a step that may leave optional assets unmaterialized: the steps
        reading one it did not make are SKIPPED (with what follows them), as in Dagster."""
        made = None if result.outputs is None else set(result.outputs)
        skip = handle.plan.skips_after(result.step_key, made)
        ready, skipped = handle.tracker.succeeded_without(result.step_key, skip)
        burst.ready += [(handle.run_id, step) for step in ready]
        missing = [
            k for k in handle.plan.optional[result.step_key] if made is not None and k not in made
        ]
        now = time.time()
        for item in skipped:
            handle.uncommitted += 1
            burst.outcomes.append(
                StepOutcome(
                    run_id=handle.run_id,
                    step_key=item.step,
                    attempt=1,
                    status=StepStatus.SKIPPED,
                    ended_at=now,
                    skip_reason=f"upstream {item.because_of!r} did not materialize "
                    f"{', '.join(map(repr, missing))}",
                    partitions=handle.plan.step_partitions(item.step),
                )
            )

    def _skip_below(self, handle: RunHandle, failed: str, burst: _Burst, now: float) -> None:
        """Record `failed` as failed in the tracker; add its descendants, SKIPPED, to `burst`."""
        for skip in handle.tracker.failed(failed):
            handle.uncommitted += 1
            burst.outcomes.append(
                StepOutcome(
                    run_id=handle.run_id,
                    step_key=skip.step,
                    attempt=1,
                    status=StepStatus.SKIPPED,
                    ended_at=now,
                    skip_reason=f"upstream {skip.because_of!r} failed",
                    partitions=handle.plan.step_partitions(skip.step),
                )
            )

    def _time(self, results: Sequence[ResultMessage]) -> None:
        """Teach each run what one results message says of its steps' cost."""
        by_run: dict[str, list[ResultMessage]] = {}
        for result in results:
            if result.status != "running":
                by_run.setdefault(result.run_id, []).append(result)
        for run_id, mine in by_run.items():
            if (handle := self._runs.get(run_id)) is not None:
                handle.costs.learn(mine)

    async def _publish_ready(self, ready: Sequence[tuple[str, str]]) -> None:
        """Publish (run id, step) pairs, with the steps that follow them, in one pipelined
        call; the next commit records them QUEUED. A run's handle outlives its steps in
        flight, so every pair finds it (but a lapsed step's, if its run ended meanwhile).

        One rule for every step: published first, recorded QUEUED after. A run's first
        ready set is recorded by a write of its own right after (`_dispatch`: no commit is
        coming to carry it); later sets and followed steps by the commit of the burst that
        made them ready, which waits for this publish (`_write`) while the publish waits for
        nothing. Crash-safe: a step published but never recorded QUEUED has no outcome, so a
        resume publishes it again like every ready step without one. Fast: on this, the hot
        path, a ready step is published at once and its marker rides its parent's outcome
        commit, with no write of its own. And a QUEUED row always means the broker had it."""
        if not ready:
            return
        by_run: dict[str, list[str]] = {}
        for run_id, step in ready:
            by_run.setdefault(run_id, []).append(step)
        outgoing: list[OutgoingTask] = []
        queued: list[tuple[str, str, int]] = []
        for run_id, steps in by_run.items():
            if (handle := self._runs.get(run_id)) is None:
                continue
            messages, handed = await self._messages(handle, steps)
            outgoing += messages
            queued += [(run_id, step, 1) for step in handed]
        await self._transport.publish_tasks(outgoing)
        self._queued += queued

    async def _commit(self, bursts: Sequence[_Burst]) -> None:
        """One transaction for the outcomes of `bursts` and the QUEUED markers of what was
        published since the last, then the acks, then the runs they completed."""
        outcomes = [o for burst in bursts for o in burst.outcomes]
        if outcomes:
            queued, self._queued = self._queued, []  # published: see `_publish_ready`
            recorded = await self._storage.record_outcomes(outcomes, queued, time.time())
            for outcome, new in zip(outcomes, recorded, strict=True):
                if new:
                    self._end_step_span(outcome)
                    if self._observer is not None:
                        self._observer(outcome)
                if (handle := self._runs.get(outcome.run_id)) is not None:
                    handle.uncommitted -= 1
        # Rejects first: then one ack with `multiple` settles every other delivery up to
        # the last. Bursts arrive and commit in delivery order, and a result message is
        # otherwise only ever rejected at once, so all earlier deliveries are settled or
        # in these bursts. (After a reconnect the ack covers the new channel only; what the
        # old one held is redelivered and recorded once.)
        for burst in bursts:
            for delivery, reason in burst.to_reject:
                try:
                    await delivery.reject(reason)
                except TransportError as exc:
                    log.warning("result.reject_failed", reason=str(exc))
        last = next((b.to_ack[-1] for b in reversed(bursts) if b.to_ack), None)
        acks = [(delivery, False) for burst in bursts for delivery in burst.to_settle]
        for delivery, multiple in acks + ([(last, True)] if last is not None else []):
            try:
                await delivery.ack(multiple=multiple)
            except TransportError as exc:  # redelivered later; recording it is a no-op
                log.warning("result.ack_failed", reason=str(exc))
        handles = [self._runs.get(run_id) for run_id in dict.fromkeys(o.run_id for o in outcomes)]
        await self._finish_completed([h for h in handles if h is not None])  # None: ended

    async def _finished_earlier(self, run_id: str) -> bool:
        """True for a run that ended, here or in an earlier life of the coordinator."""
        if run_id in self._done:
            return True
        run = await self._storage.get_run(run_id)
        if run is None or not run.status.ended:
            return False
        self._remember_done(run_id)
        return True

    def _remember_done(self, run_id: str) -> None:
        """Remember `run_id` as finished; the oldest is forgotten past `_DONE_MAX`."""
        self._done[run_id] = None
        if len(self._done) > _DONE_MAX:
            del self._done[next(iter(self._done))]

    async def _watch_routes(self, scope: anyio.CancelScope) -> None:
        """Until `scope` is canceled, fail the steps waiting on a route no worker has
        consumed for the grace period; checked every second (more often for a grace
        shorter than two seconds)."""
        every = min(1.0, self._unserved.grace / 2)
        with scope:
            while True:
                await anyio.sleep(every)
                await self._fail_unserved()

    async def _fail_unserved(self) -> None:
        """Check once: count each waiting route's consumers, and fail the steps waiting
        on routes that have had none for the grace period (and skip what follows them)."""
        routes = {route for handle in self._runs.values() for route in _waiting_routes(handle)}
        self._unserved.keep(routes)
        now = time.monotonic()
        for route in routes:
            consumers = await self._transport.task_consumers(route.name)
            if not self._unserved.expired(route, consumers, now):
                continue
            reason = route.unserved(self._unserved.grace)
            burst = _Burst()
            for handle in list(self._runs.values()):
                if route in _waiting_routes(handle):
                    for step in handle.tracker.in_flight:
                        if handle.plan.queues.get(step) == route.queue:
                            await self._take(_no_worker(handle.run_id, step, reason), burst)
            if burst.outcomes:
                log.warning("route.unserved", route=route.name, steps=len(burst.outcomes))
                await self._commit([burst])

    def _end_step_span(self, outcome: StepOutcome) -> None:
        handle = self._runs.get(outcome.run_id)
        span = handle.step_spans.pop(outcome.step_key, None) if handle else None
        if span is None:  # skipped steps were never published
            return
        if outcome.worker_id:
            span.set_attribute("upstream.worker_id", outcome.worker_id)
        if outcome.error is not None:
            mark_failed(span, outcome.error)
        span.end()

    async def _dispatch(self, handle: RunHandle, steps: Sequence[str]) -> None:
        """Publish a run's first ready set, then record it QUEUED (`_publish_ready`)."""
        if not steps:
            return
        outgoing, handed = await self._messages(handle, steps)
        await self._transport.publish_tasks(outgoing)
        await self._storage.record_queued(handle.run_id, [(s, 1) for s in handed], time.time())

    async def _messages(
        self, handle: RunHandle, steps: Sequence[str]
    ) -> tuple[list[OutgoingTask], list[str]]:
        """Task messages for `steps` of one run, as the dispatch policy cuts them, and
        every step they hold: `steps` and those that follow them."""
        queues = handle.plan.queues
        by_queue: dict[str | None, list[str]] = {}
        for step in steps:
            by_queue.setdefault(queues.get(step), []).append(step)
        tracker = None if handle.canceled else handle.tracker
        outgoing, handed = [], []
        for queue, ready in by_queue.items():
            route = Route(handle.run.code_location, handle.run.definitions_hash, queue).name
            consumers = await self._transport.task_consumers(route)
            accept = _accept(handle.plan, queue)
            for message in cut_messages(ready, consumers, handle.costs, tracker, accept):
                tasks = [self._task(handle, step, queue, after) for step, after in message]
                outgoing.append(OutgoingTask(encode_tasks(tasks), {}, route))
                handed += [step for step, _ in message]
        return outgoing, handed

    def _task(
        self, handle: RunHandle, step: str, queue: str | None, after: tuple[str, ...] = ()
    ) -> TaskMessage:
        """The task for `step`, whose span starts here (if the run is traced)."""
        run = handle.run
        trace: dict[str, str] = {}
        if handle.span.is_recording():  # else no step span at all: none is recorded
            span = handle.step_spans[step] = start_step_span(
                handle.span,
                step,
                {
                    "upstream.run_id": run.run_id,
                    "upstream.asset_key": step,
                    "upstream.attempt": 1,
                    "messaging.system": self._transport.messaging_system,
                    "messaging.destination.name": queue or "default",
                    "messaging.operation.type": "publish",
                },
            )
            trace = headers_for(span)
        return TaskMessage(
            run.run_id,
            step,
            1,
            run.code_location,
            run.definitions_hash,
            trace=trace,
            after=after,
            assets=handle.plan.assets.get(step, ()),
            run_config=step_run_config(run.run_config, AssetKey.from_user_string(step))
            if run.run_config
            else {},
            partition=handle.plan.task_partition(step),
        )

    async def _finish_completed(self, handles: Sequence[RunHandle]) -> None:
        """`_finish_if_complete` for the runs one commit completed: many (a backfill's short
        runs ending together) are ended in one write, their records built here."""
        done = [h for h in handles if h.tracker.complete and not h.uncommitted and not h.ending]
        if len(done) < 2:
            for handle in done:
                await self._finish_if_complete(handle)
            return
        ended = time.time()
        statuses = []
        for handle in done:
            handle.ending = True
            statuses.append(_final_status(handle))
        await self._storage.finish_runs(
            [(h.run_id, status) for h, status in zip(done, statuses, strict=True)], ended
        )
        for handle, status in zip(done, statuses, strict=True):
            self._close(handle, status, replace(handle.run, status=status, ended_at=ended))

    async def _finish_if_complete(self, handle: RunHandle) -> None:
        """End the run once every step is decided and every outcome committed."""
        if not handle.tracker.complete or handle.uncommitted or handle.ending:
            return
        handle.ending = True
        status = _final_status(handle)
        ended = time.time()
        await self._storage.finish_run(handle.run_id, status, ended)
        self._close(handle, status, await self._storage.get_run(handle.run_id))

    def _close(self, handle: RunHandle, status: RunStatus, record: RunRecord | None) -> None:
        """Forget an ended run, end its span, and wake whoever waits for it."""
        if status is not RunStatus.SUCCESS:
            handle.span.set_status(Status(StatusCode.ERROR, f"run {status}"))
        handle.span.end()
        handle.record = record
        del self._runs[handle.run_id]
        self._remember_done(handle.run_id)
        log.info("run.finished", run_id=handle.run_id, status=str(status))
        handle.finished.set()


@dataclass
class _Burst:
    """A burst of results, decided: what to record, what became ready, what to ack."""

    outcomes: list[StepOutcome] = field(default_factory=list)
    ready: list[tuple[str, str]] = field(default_factory=list)  # (run_id, step)
    to_ack: list[Delivery] = field(default_factory=list)
    to_reject: list[tuple[Delivery, str]] = field(default_factory=list)  # after the commit
    to_settle: list[Delivery] = field(default_factory=list)  # of another stream: acked alone


def _final_status(handle: RunHandle) -> RunStatus:
    if handle.canceled:
        return RunStatus.CANCELED
    return RunStatus.FAILURE if handle.tracker.failed_steps else RunStatus.SUCCESS


def _accept(plan: Plan, queue: str | None) -> Callable[[str], bool] | None:
    """Which steps may follow others in a task message: those of the same queue, never one
    reading an optional asset (whether it runs depends on what its upstream made)."""
    queues = plan.queues
    readers = {c for found in plan.optional.values() for cs in found.values() for c in cs}
    if not queues and not readers:
        return None
    return lambda step: queues.get(step) == queue and step not in readers


def _waiting_routes(handle: RunHandle) -> set[Route]:
    """The routes of `handle`'s steps in flight."""
    run = handle.run
    if handle.tracker.complete:
        return set()
    if not handle.plan.queues:  # one route: an unfinished run has steps in flight on it
        return {Route(run.code_location, run.definitions_hash)}
    queues = {handle.plan.queues.get(step) for step in handle.tracker.in_flight}
    return {Route(run.code_location, run.definitions_hash, queue) for queue in queues}


def _no_worker(run_id: str, step: str, reason: str) -> ResultMessage:
    """The failure the coordinator decides for a step no worker can take."""
    now = time.time()
    return ResultMessage(
        run_id, step, 1, "failure", now, now, "", error=ErrorInfo("NoWorker", reason, "")
    )


def _outcome(result: ResultMessage, plan: Plan) -> StepOutcome:
    """The outcome a worker's result reports, with the partition keys its step covered. A
    failed multi-asset's partitioned step names its assets (`outputs`, empty), so the
    catalog records the failure per asset and key, not under the op name."""
    partitions = plan.step_partitions(result.step_key)
    outputs = result.outputs
    if result.status != "success" and partitions and result.step_key in plan.assets:
        outputs = {key: {} for key in plan.asset_keys(result.step_key)}
    return StepOutcome(
        run_id=result.run_id,
        step_key=result.step_key,
        attempt=result.attempt,
        status=StepStatus.SUCCESS if result.status == "success" else StepStatus.FAILURE,
        started_at=result.started_at,
        ended_at=result.ended_at,
        worker_id=result.worker_id,
        metadata=result.metadata,
        error=result.error,
        logs=result.logs,
        outputs=outputs,
        partitions=partitions,
    )
