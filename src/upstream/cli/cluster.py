"""Cluster mode: `upstream worker`, `upstream coordinator`, and following a submitted run.

Thin wiring: settings come from flags or UPSTREAM_DATABASE_URL / UPSTREAM_BROKER_URL /
UPSTREAM_NAMESPACE; the namespace names both the broker's queues and the PostgreSQL schema,
so tenants and test runs never collide.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from upstream.coordinator import Coordinator
from upstream.coordinator.cluster import ClusterCoordinator
from upstream.coordinator.service import COMMIT_LINGER
from upstream.embedded import default_io_manager
from upstream.embedded.loading import CodeLocation
from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.postgres import open_postgres_storage
from upstream.storage.records import (
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
)
from upstream.tracing import get_logger, traced
from upstream.transport.base import TransportError
from upstream.transport.rabbitmq import (
    RabbitSettings,
    open_coordinator_transport,
    open_worker_transport,
)
from upstream.worker import Worker, WorkerSettings

__all__ = ["ClusterSettings", "follow_run", "run_coordinator", "run_worker", "submit_run"]

log = get_logger("cli")

DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_NAMESPACE = "upstream"
_FOLLOW_EVERY = 0.2  # seconds between polls while following a submitted run
_FOLLOW_PATIENCE = 60.0  # seconds a follower rides out an unreachable database
_BACKOFF_FIRST, _BACKOFF_MAX = 0.5, 15.0  # seconds; doubled after each failed term
_BACKOFF_RESET_AFTER = 60.0  # a term that lasted this long starts the backoff afresh


@dataclass(frozen=True)
class ClusterSettings:
    """Where the cluster's state and broker are, and under which namespace."""

    database_url: str
    broker_url: str = DEFAULT_BROKER_URL
    namespace: str = DEFAULT_NAMESPACE

    def rabbit(self, **changes: Any) -> RabbitSettings:
        return RabbitSettings(url=self.broker_url, namespace=self.namespace, **changes)

    async def open_storage(self) -> RunStorage:
        return await open_postgres_storage(self.database_url, schema=self.namespace)


async def _until_signalled(stop: Callable[[], None]) -> None:
    """Call `stop` on the first SIGTERM or SIGINT."""
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("signal.received", signal=signal.Signals(signum).name)
            stop()
            return


async def run_worker(
    settings: ClusterSettings, location: CodeLocation, *, concurrency: int, queue: str
) -> None:
    """Register the code location, then take tasks until SIGTERM drains us."""
    definitions = location.definitions
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    storage = await settings.open_storage()
    try:
        await storage.register_code_location(location.record())
    finally:
        await storage.close()
    io = default_io_manager(definitions)
    rabbit = settings.rabbit(task_queue=queue, prefetch=concurrency)
    with traced("upstream-worker", **{"upstream.worker_id": worker_id}):
        async with await open_worker_transport(rabbit) as transport:
            worker = Worker(
                definitions,
                transport,
                WorkerSettings(location.name, worker_id, concurrency),
                default_io_manager=io,
            )
            log.info(
                "worker.ready",
                worker_id=worker_id,
                code_location=location.name,
                queue=queue,
                definitions_hash=definitions.hash,
            )
            async with anyio.create_task_group() as group:
                group.start_soon(_until_signalled, worker.drain)
                await worker.serve()
                group.cancel_scope.cancel()
    log.info("worker.stopped", worker_id=worker_id)


async def run_coordinator(settings: ClusterSettings) -> None:
    """Lead until SIGTERM. A lost database or broker ends the current term, not the process:
    after a backoff it waits for leadership again and resumes from storage."""
    with traced("upstream-coordinator"):
        await _supervise(settings)


async def _supervise(settings: ClusterSettings) -> None:
    async with anyio.create_task_group() as group:
        group.start_soon(_until_signalled, group.cancel_scope.cancel)
        delay = _BACKOFF_FIRST
        while True:
            began = time.monotonic()
            try:
                await _lead(settings)
            except* (StorageError, TransportError) as failures:
                if time.monotonic() - began > _BACKOFF_RESET_AFTER:
                    delay = _BACKOFF_FIRST  # a long term: this is a fresh failure
                reason = "; ".join(str(e) for e in failures.exceptions)
                log.warning("coordinator.restarting", reason=reason, retry_in=delay)
            await anyio.sleep(delay)
            delay = min(delay * 2, _BACKOFF_MAX)


async def _lead(settings: ClusterSettings) -> None:
    """One term: wait for leadership (a standby waits here), then lead until an error."""
    storage = await settings.open_storage()
    try:
        log.info("coordinator.waiting_for_leadership")
        async with storage.leadership("coordinator"):
            log.info("coordinator.active")
            rabbit = settings.rabbit()
            async with await open_coordinator_transport(rabbit) as transport:
                coordinator = Coordinator(storage, transport, commit_linger=COMMIT_LINGER)
                async with anyio.create_task_group() as inner:
                    inner.start_soon(coordinator.serve)
                    await ClusterCoordinator(storage, coordinator).lead()
    finally:
        await storage.close()


async def submit_run(storage: RunStorage, location: CodeLocation, selection: str | None) -> str:
    """Queue a run for the cluster's coordinator; return its id."""
    run_id = str(uuid.uuid4())
    await storage.create_run(
        RunRecord(
            run_id=run_id,
            status=RunStatus.QUEUED,
            selection=selection or "*",
            steps=(),
            code_location=location.name,
            definitions_hash=location.definitions.hash,
            created_at=time.time(),
        )
    )
    return run_id


async def follow_run(
    storage: RunStorage, run_id: str, on_step: Callable[[StepRecord], None]
) -> tuple[RunRecord, str | None]:
    """Poll until the run ends, reporting each step as it finishes; return the final record
    and, for a run that failed before any step, the coordinator's reason."""
    reported: set[str] = set()
    failing_since: float | None = None
    while True:
        try:
            run = await storage.get_run(run_id)
            steps = await storage.get_steps(run_id)
        except StorageError:
            # The database may be restarting: keep following for a while, as services do.
            failing_since = failing_since or time.monotonic()
            if time.monotonic() - failing_since > _FOLLOW_PATIENCE:
                raise
            await anyio.sleep(_BACKOFF_FIRST)
            continue
        failing_since = None
        if run is None:
            raise RuntimeError(f"run {run_id} vanished from the store")
        for step in steps:
            if step.status is not StepStatus.QUEUED and step.step_key not in reported:
                reported.add(step.step_key)
                on_step(step)
        if run.status.ended:
            break
        await anyio.sleep(_FOLLOW_EVERY)
    reason = None
    if run.status is RunStatus.FAILURE:
        for event in await storage.get_events(run_id):
            if event.type == EventType.RUN_FAILURE and "message" in event.data:
                reason = str(event.data["message"])
    return run, reason
