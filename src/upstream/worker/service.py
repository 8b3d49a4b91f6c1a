"""The worker: take tasks, run the assets, report the results, and only then ack the tasks.

A task message may hold several tasks; it is acked once the results of all of them are
confirmed by the broker, or, once held `LEASE_SECONDS`, taken under lease: its steps are
said "running" (again every `LEASE_SECONDS`) and it is acked at once, so a long step
outlives the broker's ack timeout and runs once. A task may wait for earlier ones of its
message (`after`): it runs once they succeeded, and not at all (no result) if one did
not. Results that finish while one is being published go out together in the next
message. Stateless: everything a task needs is in the message and the imported code
location. A task planned against other definitions fails with an error saying so; it
never runs stale code silently. Given `recorded`, a redelivered message's tasks whose
outcome is already recorded are not run again (nor reported); the rest run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from upstream.execution import ErrorInfo, LogLine, StepResult, execute_step
from upstream.execution.resources import step_resource_keys
from upstream.execution.step import user_traceback
from upstream.execution.threads import StepThreads
from upstream.model.definitions import Definitions
from upstream.model.errors import ConfigurationError
from upstream.model.io_manager import IOManager
from upstream.model.keys import AssetKey
from upstream.model.partitions import PartitionKeyRange
from upstream.protocol import (
    LEASE_SECONDS,
    ResultMessage,
    TaskMessage,
    decode_tasks,
    encode_results,
)
from upstream.tracing import get_logger
from upstream.tracing.spans import context_from_headers, current_span, mark_failed
from upstream.transport.base import Delivery, TransportError, WorkerTransport
from upstream.transport.outbox import Outbox
from upstream.transport.receive import decode_or_reject
from upstream.worker.dynamic_keys import DynamicKeys
from upstream.worker.recorded import Recorded, still_to_run
from upstream.worker.run_resources import DEFAULT_IDLE_TIMEOUT, ReleaseSink, RunResourceCache

__all__ = ["Worker", "WorkerSettings"]

log = get_logger("worker")

ExceptionSink = Callable[[str, str, BaseException], None]

_RESULTS_MAX = 128  # results in one message, at most
# While other steps are still running, a result waits up to this long for theirs, so they
# share a message: fewer messages for the broker and both services to handle, for a
# little latency on a busy worker (an idle one reports at once).
_RESULTS_LINGER = 0.002

# context.log lines go to the service's log stream too, at their level, inside the step's
# span (so they carry its trace id); they also travel in the result to the event log.
_USER_LOG: dict[str, Callable[..., Any]] = {
    "debug": lambda logger, event, **kw: logger.debug(event, **kw),
    "info": lambda logger, event, **kw: logger.info(event, **kw),
    "warning": lambda logger, event, **kw: logger.warning(event, **kw),
    "error": lambda logger, event, **kw: logger.error(event, **kw),
}


@dataclass(frozen=True)
class WorkerSettings:
    """Who this worker is and how much it runs at once."""

    code_location: str
    worker_id: str
    concurrency: int = 8
    # A run's resources are torn down once none of its steps has run here for this long.
    resource_idle_timeout: float = DEFAULT_IDLE_TIMEOUT

    def __post_init__(self) -> None:
        if not self.resource_idle_timeout > 0:
            raise ConfigurationError(
                f"resource_idle_timeout must be positive seconds, got {self.resource_idle_timeout}"
            )


@dataclass(eq=False)
class _Received:
    """A task message in progress: acked once each of its tasks' results is confirmed."""

    delivery: Delivery
    pending: int  # results not yet confirmed, of the tasks that will run
    unsettled: bool = False  # a result of it was not confirmed: leave it for redelivery
    tasks: Sequence[TaskMessage] = ()
    taken_at: float = 0.0  # monotonic
    acked: bool = False  # by `_report` once its results are out, or `_lease` before
    done: set[tuple[str, str]] = field(default_factory=set)  # tasks that have run
    # The rest only when a task waits for others (`after`). By (run id, step): set once
    # the task has run or will not; which failed or will not run; results held back.
    ran: dict[tuple[str, str], anyio.Event] = field(default_factory=dict)
    dropped: set[tuple[str, str]] = field(default_factory=set)
    held: list[ResultMessage] = field(default_factory=list)
    left: int = 0  # tasks that have neither run nor been dropped

    async def may_run(self, task: TaskMessage) -> bool:
        """Wait for the tasks `task` is after; False if it must not run."""
        for step in task.after:
            await self.ran[task.run_id, step].wait()
        return (task.run_id, task.step_key) not in self.dropped

    def finished(self, task: TaskMessage, result: ResultMessage) -> list[ResultMessage]:
        """`task` ran: the results to report now. Where tasks wait for others, all results
        are reported together once the last task has run or been dropped, so the steps they
        make ready become ready together (partly ready sets are split among workers, and
        cannot be followed). If `task` failed, every task after it, directly or not, will
        not run and is no longer pending: said before the failure is reported."""
        if not self.ran:
            return [result]
        self.left -= 1
        if result.status != "success":
            self.dropped.add((task.run_id, task.step_key))
            for later in self.tasks:  # in order: a task comes after those it waits for
                key = (later.run_id, later.step_key)
                if key not in self.dropped and any(
                    (later.run_id, step) in self.dropped for step in later.after
                ):
                    self.dropped.add(key)
                    self.pending -= 1
                    self.left -= 1
                    self.ran[key].set()
        self.ran[task.run_id, task.step_key].set()
        self.held.append(result)
        if self.left:
            return []
        held, self.held = self.held, []
        return held


class Worker:
    """Consumes tasks, `concurrency` at a time; a user error is a result, never a crash."""

    def __init__(
        self,
        definitions: Definitions,
        transport: WorkerTransport,
        settings: WorkerSettings,
        *,
        default_io_manager: IOManager,
        on_exception: ExceptionSink | None = None,
        recorded: Recorded | None = None,
        on_resources_released: ReleaseSink | None = None,
        dynamic_keys: DynamicKeys | None = None,
    ) -> None:
        self._definitions = definitions
        self._run_resources = RunResourceCache(
            definitions.resources,
            idle_timeout=settings.resource_idle_timeout,
            on_release=on_resources_released,
        )
        self._resource_keys: dict[AssetKey, list[str]] = {}  # per asset, once
        self._recorded = recorded  # asked only about redelivered messages
        self._dynamic_keys = dynamic_keys  # None: no dynamic partitions (or no store)
        self._transport = transport
        self._settings = settings
        self._io = default_io_manager
        self._on_exception = on_exception
        self._threads = StepThreads(settings.concurrency)
        self._intake = anyio.CancelScope()
        self._running = 0  # steps executing now
        self._held: set[_Received] = set()  # task messages whose results are not all out
        self._leasing = anyio.CancelScope()  # `_lease`, canceled once `_report` returns
        self._reaping = anyio.CancelScope()  # idle runs' teardown, likewise
        self._keys: dict[str, AssetKey] = {}  # task.step_key -> parsed, once per asset

    async def serve(self) -> None:
        """Run until the task stream ends or `drain()`; in-flight tasks finish first.

        `concurrency` runners each handle one task at a time, handed over unbuffered: a
        task waits here until a runner is free. Long-lived runners rather than a task per
        step: spawning and reaping a task per step measured ~4 µs of a no-op step's
        ~130 µs in the embedded executor. One reporter publishes their results."""
        handoff, taken = anyio.create_memory_object_stream[tuple[TaskMessage, _Received]]()
        outbox = Outbox[tuple[ResultMessage, _Received]](
            _RESULTS_MAX, linger=_RESULTS_LINGER, more_coming=lambda: self._running > 0
        )
        try:
            async with anyio.create_task_group() as reporting:
                reporting.start_soon(self._report, outbox)
                reporting.start_soon(self._lease)
                reporting.start_soon(self._reap)
                try:
                    async with anyio.create_task_group() as running:
                        async with taken:
                            for _ in range(self._settings.concurrency):
                                running.start_soon(self._run_tasks, taken.clone(), outbox)
                        async with handoff:  # closing it ends the runners once they are idle
                            with self._intake:
                                async for delivery in self._transport.tasks():
                                    # A delivery may come without a checkpoint: drained?
                                    await anyio.lowlevel.checkpoint_if_cancelled()
                                    await self._take(delivery, handoff)
                finally:
                    outbox.close()  # the reporter publishes what is left, then returns
        finally:
            with anyio.CancelScope(shield=True):
                await self._run_resources.aclose()  # the last steps' runs: teardown now
            self._threads.close()

    async def _take(
        self, delivery: Delivery, handoff: MemoryObjectSendStream[tuple[TaskMessage, _Received]]
    ) -> None:
        """Hand every task of `delivery` to the runners. Shielded: a message taken is run
        whole even when draining (if the runners are gone, the rest is redelivered)."""
        tasks = await decode_or_reject(delivery, decode_tasks, log, "task.rejected")
        if tasks is None:
            return
        if delivery.redelivered and self._recorded is not None:
            left = await still_to_run(tasks, self._recorded)
            if len(left) < len(tasks):
                log.info("task.redelivered_recorded", tasks=len(tasks), to_run=len(left))
            if not left:
                await self._ack(delivery)
                return
            tasks = left
        received = _Received(delivery, len(tasks), tasks=tasks, taken_at=time.monotonic())
        self._held.add(received)
        if any(task.after for task in tasks):
            received.left = len(tasks)
            received.ran = {(task.run_id, task.step_key): anyio.Event() for task in tasks}
        with anyio.CancelScope(shield=True):
            for task in tasks:
                try:
                    handoff.send_nowait((task, received))  # a runner is waiting
                except anyio.WouldBlock:
                    try:
                        await handoff.send((task, received))
                    except anyio.BrokenResourceError:
                        return

    async def _run_tasks(
        self,
        taken: MemoryObjectReceiveStream[tuple[TaskMessage, _Received]],
        outbox: Outbox[tuple[ResultMessage, _Received]],
    ) -> None:
        async with taken:
            async for task, received in taken:
                if task.after and not await received.may_run(task):
                    continue  # a step it waited for failed: no result, the coordinator skips it
                self._running += 1
                try:
                    result = await self._handle(task)
                finally:
                    self._running -= 1
                received.done.add((task.run_id, task.step_key))
                for done in received.finished(task, result):
                    outbox.put((done, received))

    async def _report(self, outbox: Outbox[tuple[ResultMessage, _Received]]) -> None:
        """Publish results as they come, all that finished meanwhile in one message, then
        ack each task message whose results are now all confirmed."""
        async for sent in outbox.batches():
            try:
                await self._transport.publish_result(
                    encode_results([result for result, _ in sent]), headers={}
                )
            except TransportError as exc:
                # The broker lost the connection: the unacked task messages go back to the
                # queue and run again; repeated results are recorded once. Carry on.
                log.warning("task.unsettled", results=len(sent), reason=str(exc))
                for _, received in sent:
                    received.unsettled = True
                continue
            for _, received in sent:
                received.pending -= 1
                if received.pending == 0:
                    self._held.discard(received)
                    if not received.unsettled and not received.acked:
                        received.acked = True
                        await self._ack(received.delivery)  # only now are its results safe
        self._leasing.cancel()
        self._reaping.cancel()

    async def _lease(self) -> None:
        """Every `LEASE_SECONDS`, say "running" for the tasks not yet run of each message
        held that long, and ack the message the first time: the coordinator now watches
        the lease (and publishes the tasks again should it lapse), not the broker."""
        with self._leasing:
            while True:
                await anyio.sleep(LEASE_SECONDS)
                due = time.monotonic() - LEASE_SECONDS
                held = [received for received in self._held if received.taken_at <= due]
                now = time.time()
                running = [
                    self._result(task, "running", now, now)
                    for received in held
                    for task in received.tasks
                    if (key := (task.run_id, task.step_key)) not in received.done
                    and key not in received.dropped
                ]
                if not running:
                    continue
                try:
                    await self._transport.publish_result(encode_results(running), headers={})
                except TransportError as exc:  # the broker redelivers what is not acked
                    log.warning("task.lease_failed", tasks=len(running), reason=str(exc))
                    continue
                for received in held:
                    if not received.acked:
                        received.acked = True
                        log.info("task.leased", tasks=len(received.tasks))
                        await self._ack(received.delivery)

    async def _reap(self) -> None:
        with self._reaping:
            await self._run_resources.reap()

    async def _ack(self, delivery: Delivery) -> None:
        try:
            await delivery.ack()
        except TransportError as exc:
            log.warning("task.ack_failed", reason=str(exc))

    def drain(self) -> None:
        """Take no new task message; `serve` returns once the tasks in flight have
        reported and the messages they came in are acked.

        Deliveries the transport had prefetched stay unacked and go back to the queue when
        the transport closes (SIGTERM drains this way)."""
        self._intake.cancel()

    async def _handle(self, task: TaskMessage) -> ResultMessage:
        with current_span(
            f"execute {task.step_key}",
            context_from_headers(task.trace),
            {
                "upstream.run_id": task.run_id,
                "upstream.asset_key": task.step_key,
                "upstream.attempt": task.attempt,
                "upstream.worker_id": self._settings.worker_id,
                "messaging.system": self._transport.messaging_system,
                "messaging.operation.type": "process",
            },
        ) as span:
            result, exception = await self._execute(task)
            if result.error is not None:
                mark_failed(span, result.error, exception)
            if log.isEnabledFor(logging.INFO):  # the hot path: no event built when quiet
                _log_finished(task, result)
        return result

    async def _execute(self, task: TaskMessage) -> tuple[ResultMessage, BaseException | None]:
        """The result, and the user's exception object where there is one (for the span)."""
        refusal = self._refuse(task)
        if refusal is not None:
            now = time.time()
            return self._result(task, "failure", now, now, error=refusal), None

        def log_line(line: LogLine) -> None:
            bound = log.bind(run_id=task.run_id, asset_key=task.step_key)
            _USER_LOG[line.level](bound, "asset.log", message=line.message)

        target = self._step(task.step_key)
        key = target if isinstance(target, AssetKey) else self._definitions.get_step(target).key
        keys = self._resource_keys.get(key)
        if keys is None:
            keys = self._resource_keys[key] = step_resource_keys(self._definitions, key)
        if keys:
            step = await self._execute_with_resources(task, target, keys, log_line)
        else:
            step = await self._run_step(task, target, {}, log_line)
        if step.exception is not None and self._on_exception is not None:
            self._on_exception(task.run_id, task.step_key, step.exception)
        result = self._result(
            task,
            "success" if step.success else "failure",
            step.started_at,
            step.ended_at,
            error=step.error,
            metadata=step.metadata,
            logs=tuple(step.logs),
            outputs=step.outputs,
        )
        return result, step.exception

    async def _execute_with_resources(
        self,
        task: TaskMessage,
        target: AssetKey | str,
        keys: Sequence[str],
        log_line: Callable[[LogLine], None],
    ) -> StepResult:
        """The step with its run's set-up resources; a failed setup fails the step."""
        started = time.time()
        try:
            async with self._run_resources.step(
                task.run_id, keys, task.run_config.get("resources") or {}
            ) as resources:
                return await self._run_step(task, target, resources, log_line)
        except Exception as exc:  # raised by a resource's setup, before the step ran
            error = ErrorInfo(type(exc).__name__, str(exc), user_traceback(exc))
            return StepResult(False, started, time.time(), error=error, exception=exc)

    async def _run_step(
        self,
        task: TaskMessage,
        target: AssetKey | str,
        resources: Mapping[str, Any],
        log_line: Callable[[LogLine], None],
    ) -> StepResult:
        partition = _partition(task.partition)
        store = None
        if self._dynamic_keys is not None:
            graph = self._definitions.graph
            node = graph.node(target) if isinstance(target, AssetKey) and target in graph else None
            definition = node.partitions_def if node is not None else None
            store = await self._dynamic_keys.for_step(definition, partition)
        return await execute_step(
            self._definitions,
            target,
            assets=task.assets,
            run_id=task.run_id,
            attempt=task.attempt,
            default_io_manager=self._io,
            threads=self._threads,
            log_sink=log_line,
            resources=resources,
            run_config=task.run_config,
            partition=partition,
            dynamic_partitions_store=store,
        )

    def _refuse(self, task: TaskMessage) -> ErrorInfo | None:
        mine = self._settings.code_location
        if task.code_location != mine:
            return ErrorInfo(
                "CodeLocationMismatch",
                f"worker {self._settings.worker_id} serves code location {mine!r}, "
                f"but the task is for {task.code_location!r}; start a worker for it",
                "",
            )
        if task.definitions_hash != self._definitions.hash:
            return ErrorInfo(
                "DefinitionsMismatch",
                f"worker {self._settings.worker_id} has definitions "
                f"{self._definitions.hash[:12]}, but the run was planned against "
                f"{task.definitions_hash[:12]}; restart workers on the current code "
                "or launch the run again",
                "",
            )
        known = self._definitions.has_step(task.step_key)
        if not known:
            return ErrorInfo(
                "UnknownAsset",
                f"code location {mine!r} has no asset {task.step_key!r}",
                "",
            )
        return None

    def _step(self, text: str) -> AssetKey | str:
        """What `execute_step` takes for a step key: a multi-asset's op name as it is, an
        asset key parsed (`_key`)."""
        return text if text in self._definitions.graph.ops else self._key(text)

    def _key(self, text: str) -> AssetKey:
        """`text` parsed as an asset key (ValueError if malformed). Every task names its
        asset as a string; a key of these definitions is parsed once, then cached."""
        key = self._keys.get(text)
        if key is None:
            key = AssetKey.from_user_string(text)
            if self._definitions.has_asset(key):  # bounded: never cache what tasks invent
                key = self._keys[text] = self._definitions.get_asset(key).key  # its own object
        return key

    def _result(
        self,
        task: TaskMessage,
        status: str,
        started: float,
        ended: float,
        *,
        error: ErrorInfo | None = None,
        metadata: dict[str, Any] | None = None,
        logs: tuple[LogLine, ...] = (),
        outputs: dict[str, dict[str, Any]] | None = None,
    ) -> ResultMessage:
        return ResultMessage(
            run_id=task.run_id,
            step_key=task.step_key,
            attempt=task.attempt,
            status=status,
            started_at=started,
            ended_at=ended,
            worker_id=self._settings.worker_id,
            metadata=dict(metadata or {}),
            error=error,
            logs=logs,
            outputs=outputs,
        )


def _partition(sent: tuple[str, ...]) -> PartitionKeyRange | None:
    """A task's partition as `execute_step` takes it: a key is a range of one."""
    if not sent:
        return None
    return PartitionKeyRange(sent[0], sent[-1])


def _log_finished(task: TaskMessage, result: ResultMessage) -> None:
    """One line a step, as Celery workers write; inside the step's span, so it carries the
    trace and span ids."""
    log.info(
        "step.finished",
        run_id=task.run_id,
        asset_key=task.step_key,
        outcome=result.status,
        duration=round(result.ended_at - result.started_at, 6),
        attempt=task.attempt,
        **({"error": result.error.type} if result.error is not None else {}),
        **({"partition": "...".join(task.partition)} if task.partition else {}),
    )
