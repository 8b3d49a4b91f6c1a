"""Embedded mode: coordinator and worker in one process over the in-memory transport.

The same services as the distributed deployment, wired to in-process adapters; only
this module knows it is embedded.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

import anyio
import anyio.abc

from upstream.coordinator import Coordinator
from upstream.coordinator.service import COMMIT_LINGER, OutcomeObserver, RunHandle
from upstream.model.definitions import Definitions
from upstream.model.errors import ConfigurationError
from upstream.model.io_manager import IOManager
from upstream.planning.plan import Plan
from upstream.storage.base import RunStorage
from upstream.storage.records import RunRecord, RunStatus
from upstream.transport.memory import MemoryTransport
from upstream.worker import Worker, WorkerSettings
from upstream.worker.dynamic_keys import dynamic_keys_in
from upstream.worker.run_resources import ReleaseSink
from upstream.worker.service import ExceptionSink

__all__ = ["DEFAULT_CONCURRENCY", "embedded_worker", "run_embedded"]

DEFAULT_CONCURRENCY = 8


async def run_embedded(
    definitions: Definitions,
    plan: Plan,
    *,
    storage: RunStorage,
    io_manager: IOManager,
    code_location: str,
    concurrency: int = DEFAULT_CONCURRENCY,
    observer: OutcomeObserver | None = None,
    on_exception: ExceptionSink | None = None,
    run_id: str | None = None,
    on_resources_released: ReleaseSink | None = None,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
) -> RunRecord:
    """Run `plan` to the end and return the final run record. Started with
    `TaskGroup.start`, it reports the run id once the run is recorded. `run_config` is
    the normalised, checked run config (`planning.run_config.validate_run_config`), `tags`
    the checked run tags (`model.run_tags.check_run_tags`). The
    run's resources are torn down when it ends (`on_resources_released` then gets their
    values)."""
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
    transport = MemoryTransport()
    coordinator = Coordinator(storage, transport, observer=observer, commit_linger=COMMIT_LINGER)
    worker = embedded_worker(
        definitions,
        transport,
        storage,
        io_manager,
        code_location,
        concurrency,
        on_exception=on_exception,
        on_resources_released=on_resources_released,
    )
    run_id = run_id or str(uuid.uuid4())  # known before `submit` returns: see below
    handle: RunHandle | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(coordinator.serve)
            group.start_soon(worker.serve)
            handle = await coordinator.submit(
                plan,
                code_location=code_location,
                definitions_hash=definitions.hash,
                run_id=run_id,
                run_config=run_config,
                tags=tags,
            )
            task_status.started(handle.run_id)
            record = await handle.wait()
            await transport.aclose()
    except BaseException:
        # Interrupted (Ctrl-C) or crashed, even mid-`submit` (its steps may run before it
        # returns): in-process workers die with us, so the run can never resume; say so in
        # the store rather than leave it STARTED forever (a run not created is untouched).
        if handle is None or handle.record is None:
            with anyio.CancelScope(shield=True):
                await storage.finish_run(run_id, RunStatus.CANCELED, time.time())
        raise
    return record


def embedded_worker(
    definitions: Definitions,
    transport: MemoryTransport,
    storage: RunStorage,
    io_manager: IOManager,
    code_location: str,
    concurrency: int,
    *,
    on_exception: ExceptionSink | None = None,
    on_resources_released: ReleaseSink | None = None,
) -> Worker:
    """The worker of an embedded run or backfill: in this process, on the memory transport,
    reading dynamic partition keys from the run's `storage`."""
    return Worker(
        definitions,
        transport,
        WorkerSettings(
            code_location=code_location,
            worker_id=f"embedded-{os.getpid()}",
            concurrency=concurrency,
        ),
        default_io_manager=io_manager,
        on_exception=on_exception,
        on_resources_released=on_resources_released,
        dynamic_keys=dynamic_keys_in(storage, definitions.graph),
    )
