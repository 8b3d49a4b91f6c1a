"""Cluster mode: `upstream worker` and `upstream coordinator`, thin wiring of the services
to RabbitMQ and PostgreSQL (`upstream.runs.state.ClusterSettings` says where they are).

Both reach the database and the broker once before they start: a wrong URL or a server
that is down is the CLI's one-line error and exit 2. Connections lost after that are
retried (the worker's robust connection, the coordinator's backoff), and libraries' log
lines about them join the service's log stream."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable

import anyio
from anyio.abc import TaskStatus

from upstream.coordinator import Coordinator
from upstream.coordinator.cluster import ClusterCoordinator
from upstream.coordinator.heartbeat import Heartbeat
from upstream.coordinator.service import COMMIT_LINGER
from upstream.locations import CodeLocation, default_io_manager
from upstream.runs.state import ClusterSettings
from upstream.storage.base import StorageError
from upstream.storage.records import CoordinatorState
from upstream.tracing import get_logger, quiet_libraries, traced
from upstream.transport.base import TransportError, task_route
from upstream.transport.rabbitmq import (
    check_broker,
    open_coordinator_transport,
    open_worker_transport,
)
from upstream.worker import Worker, WorkerSettings
from upstream.worker.dynamic_keys import dynamic_keys_in
from upstream.worker.recorded import recorded_in
from upstream.worker.run_resources import DEFAULT_IDLE_TIMEOUT

__all__ = ["run_coordinator", "run_worker"]

log = get_logger("cli")

_BACKOFF_FIRST, _BACKOFF_MAX = 0.5, 15.0  # seconds; doubled after each failed term
_BACKOFF_RESET_AFTER = 60.0  # a term that lasted this long starts the backoff afresh


def _process_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def _until_signalled(
    stop: Callable[[], None], *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Call `stop` on the first SIGTERM or SIGINT. Started with `TaskGroup.start`, it
    returns once the handler is in place: a SIGTERM sent after "ready" is never fatal."""
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        task_status.started()
        async for signum in signals:
            log.info("signal.received", signal=signal.Signals(signum).name)
            stop()
            return


async def run_worker(
    settings: ClusterSettings,
    location: CodeLocation,
    *,
    concurrency: int,
    queue: str,
    resource_idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
) -> None:
    """Register the code location, then take tasks until SIGTERM drains us. The store stays
    open: a redelivered task message's steps already recorded are not run again."""
    definitions = location.definitions
    worker_id = _process_id()
    io = default_io_manager(definitions)
    # Only tasks of runs planned against exactly this code reach this worker.
    route = task_route(location.name, definitions.hash, queue)
    rabbit = settings.rabbit(task_queue=route, prefetch=concurrency)
    async with await settings.open_storage() as storage:
        await storage.register_code_location(location.record())
        with traced("upstream-worker", **{"upstream.worker_id": worker_id}):
            async with await open_worker_transport(rabbit) as transport:
                worker = Worker(
                    definitions,
                    transport,
                    WorkerSettings(location.name, worker_id, concurrency, resource_idle_timeout),
                    default_io_manager=io,
                    recorded=recorded_in(storage),
                    dynamic_keys=dynamic_keys_in(storage, definitions.graph),
                )
                quiet_libraries(False)  # started: a lost connection is logged, and retried
                async with anyio.create_task_group() as group:
                    await group.start(_until_signalled, worker.drain)
                    log.info(
                        "worker.ready",
                        worker_id=worker_id,
                        code_location=location.name,
                        queue=queue,
                        definitions_hash=definitions.hash,
                    )
                    await worker.serve()
                    group.cancel_scope.cancel()
    log.info("worker.stopped", worker_id=worker_id)


async def run_coordinator(settings: ClusterSettings, *, worker_grace: float) -> None:
    """Lead until SIGTERM. A lost database or broker ends the current term, not the process:
    after a backoff it waits for leadership again and resumes from storage. Steps wait up
    to `worker_grace` seconds for a worker serving their code, then fail. Both the database
    and the broker must be reachable at start-up (a standby checks the broker it would
    lead with)."""
    storage = await settings.open_storage()
    await storage.close()
    await check_broker(settings.rabbit())
    quiet_libraries(False)
    with traced("upstream-coordinator"):
        await _supervise(settings, worker_grace)


async def _supervise(settings: ClusterSettings, worker_grace: float) -> None:
    heartbeat = Heartbeat(_process_id())
    async with anyio.create_task_group() as group:
        await group.start(_until_signalled, group.cancel_scope.cancel)
        group.start_soon(heartbeat.run, settings.open_storage)
        delay = _BACKOFF_FIRST
        while True:
            began = time.monotonic()
            try:
                await _lead(settings, worker_grace, heartbeat)
            except* (StorageError, TransportError) as failures:
                if time.monotonic() - began > _BACKOFF_RESET_AFTER:
                    delay = _BACKOFF_FIRST  # a long term: this is a fresh failure
                reason = "; ".join(str(e) for e in failures.exceptions)
                log.warning("coordinator.restarting", reason=reason, retry_in=delay)
                lost_broker = any(isinstance(e, TransportError) for e in failures.exceptions)
                heartbeat.set(
                    CoordinatorState.BROKER_UNREACHABLE if lost_broker else CoordinatorState.STANDBY
                )
            await anyio.sleep(delay)
            delay = min(delay * 2, _BACKOFF_MAX)


async def _lead(settings: ClusterSettings, worker_grace: float, heartbeat: Heartbeat) -> None:
    """One term: wait for leadership (a standby waits here), then lead until an error."""
    storage = await settings.open_storage()
    try:
        log.info("coordinator.waiting_for_leadership")
        async with storage.leadership("coordinator"):
            log.info("coordinator.active")
            rabbit = settings.rabbit()
            async with await open_coordinator_transport(rabbit) as transport:
                heartbeat.set(CoordinatorState.ACTIVE, lambda: transport.connected)
                coordinator = Coordinator(
                    storage, transport, commit_linger=COMMIT_LINGER, worker_grace=worker_grace
                )
                async with anyio.create_task_group() as inner:
                    inner.start_soon(coordinator.serve)
                    await ClusterCoordinator(storage, coordinator).lead()
    finally:
        await storage.close()
