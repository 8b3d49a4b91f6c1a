"""The run lifecycle: submit, cancel and re-execute, whichever executor is behind the store.

`EmbeddedRuns` executes runs in this process (`upstream dev`); `ClusterRuns` queues them
for a cluster's coordinator. Both cancel through `Runs.cancel`, so the CLI, the web and
automation ask a run to stop the same way; only the adapter knows how it is stopped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
import anyio.abc

from upstream.execution.run_config import check_run_config
from upstream.locations.home import default_io_manager
from upstream.locations.loading import CodeLocation
from upstream.model.config import RunConfigInput
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.io_manager import IOManager
from upstream.model.partitions import partition_from_tags
from upstream.model.run_tags import check_run_tags
from upstream.planning.plan import Plan, build_plan
from upstream.runs.backfills import run_backfill_embedded
from upstream.runs.embedded import DEFAULT_CONCURRENCY, run_embedded
from upstream.storage.backfills import BackfillRecord
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import dynamic_store_for_graph
from upstream.storage.records import RunRecord, RunStatus, StepStatus
from upstream.tracing import get_logger

__all__ = [
    "ClusterRuns",
    "EmbeddedRuns",
    "NothingToReexecute",
    "Runs",
    "reexecute_selection",
    "reexecution_tags",
]

# Dagster's tags on a re-execution: the run it re-executes, and the first run of the chain.
PARENT_RUN_ID_TAG = "dagster/parent_run_id"
ROOT_RUN_ID_TAG = "dagster/root_run_id"


log = get_logger("runs")


class NothingToReexecute(UpstreamError):
    """Re-execution from failure of a run whose every step succeeded."""


class Runs(Protocol):
    """What is the same for every executor: the store runs are recorded in, and cancel.
    Submitting differs (one imports the code, the other names it), so each adapter has its own."""

    storage: RunStorage

    async def cancel(self, run_id: str) -> RunStatus | None:
        """Ask a run to stop; its status afterwards, None if there is no such run."""
        ...


class ClusterRuns:
    """Runs queued in the store for a cluster's coordinator, which plans, runs and stops them."""

    def __init__(self, storage: RunStorage) -> None:
        self.storage = storage

    async def submit(
        self,
        code_location: str,
        definitions_hash: str,
        selection: str | None,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Queue a run of `selection` (all assets if None) of the code with that hash, as
        workers registered it; return its id. The coordinator plans it from their snapshot,
        for the partition key or range `tags` name (the submitter checks it first).
        `run_config` is normalised and checked by the submitter, which has the code
        (`planning.run_config`); workers check it again against their own Config classes.
        `tags` are the run's tags (str -> str, checked here)."""
        checked = check_run_tags(tags)
        run_id = str(uuid.uuid4())
        await self.storage.create_run(
            RunRecord(
                run_id=run_id,
                status=RunStatus.QUEUED,
                selection=selection or "*",
                steps=(),
                code_location=code_location,
                definitions_hash=definitions_hash,
                created_at=time.time(),
                run_config=dict(run_config or {}),
                tags=checked,
            )
        )
        return run_id

    async def cancel(self, run_id: str) -> RunStatus | None:
        """A queued run ends at once; a started one is CANCELING until its coordinator, which
        watches the store, has heard from its steps in flight."""
        return await self.storage.request_cancel(run_id, time.time())


class EmbeddedRuns:
    """Runs executed in this process on the embedded executor, in the background of
    `running()`; canceling one stops it at once."""

    def __init__(
        self,
        storage: RunStorage,
        *,
        io_manager: Callable[[Definitions], IOManager] = default_io_manager,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.storage = storage
        self._io_manager = io_manager
        self._concurrency = concurrency
        self._group: anyio.abc.TaskGroup | None = None
        self._scopes: dict[str, anyio.CancelScope] = {}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[EmbeddedRuns]:
        """Own the task group that runs submitted runs; leaving it cancels runs still going
        (they are recorded CANCELED)."""
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                yield self
            finally:
                group.cancel_scope.cancel()
                self._group = None

    async def submit(
        self,
        location: CodeLocation,
        selection: str | None,
        run_config: RunConfigInput = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Start a run of `selection` in `location`, tagged `tags`; return its id once the run
        is recorded; the partition key or range its tags name is its target. Raises
        `UpstreamError` (e.g. `SelectionError`, `InvalidPartition`, `RunConfigError`,
        `ConfigurationError` for a bad tag) for bad input."""
        if self._group is None:
            raise RuntimeError("EmbeddedRuns.submit outside `running()`")
        checked = check_run_tags(tags)
        graph = location.definitions.graph
        store = await dynamic_store_for_graph(self.storage, graph)
        partition = partition_from_tags(checked)
        plan = build_plan(graph, selection, partition, dynamic_partitions_store=store)
        config = check_run_config(location.definitions, run_config, plan.steps)
        run_id: str = await self._group.start(self._run, location, plan, config, checked)
        return run_id

    def drive_backfill(self, location: CodeLocation, record: BackfillRecord) -> None:
        """Drive a recorded backfill to its end in the background of `running()`, with
        workers in this process (`run_backfill_embedded`); it stops when canceled
        (`cancel_backfill`) or when `running()` ends (recorded CANCELED)."""
        if self._group is None:
            raise RuntimeError("EmbeddedRuns.drive_backfill outside `running()`")

        async def drive() -> None:
            try:
                await run_backfill_embedded(
                    location.definitions,
                    record,
                    storage=self.storage,
                    io_manager=self._io_manager(location.definitions),
                    code_location=location.name,
                    concurrency=self._concurrency,
                )
            except Exception:
                log.exception("backfill.crashed", backfill_id=record.backfill_id)

        self._group.start_soon(drive)

    async def cancel(self, run_id: str) -> RunStatus | None:
        status = await self.storage.request_cancel(run_id, time.time())
        scope = self._scopes.get(run_id)
        if scope is not None:
            scope.cancel()  # run_embedded records the run CANCELED as it unwinds
        return status

    async def _run(
        self,
        location: CodeLocation,
        plan: Plan,
        run_config: Mapping[str, Any],
        tags: Mapping[str, str],
        *,
        task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        run_id = str(uuid.uuid4())
        reporter = _Reporter(task_status)
        with anyio.CancelScope() as scope:
            self._scopes[run_id] = scope
            try:
                await run_embedded(
                    location.definitions,
                    plan,
                    storage=self.storage,
                    io_manager=self._io_manager(location.definitions),
                    code_location=location.name,
                    concurrency=self._concurrency,
                    run_id=run_id,
                    run_config=run_config,
                    tags=tags,
                    task_status=reporter,
                )
            except Exception:
                if not reporter.reported:
                    raise  # the submitter gets the error: no run was recorded
                log.exception("run.crashed", run_id=run_id)  # the process carries on
            finally:
                del self._scopes[run_id]


@dataclass
class _Reporter:
    """Passes the run id on to the submitter, remembering that it did."""

    status: anyio.abc.TaskStatus[str]
    reported: bool = False

    def started(self, value: Any = None) -> None:
        self.reported = True
        self.status.started(value)


def reexecution_tags(run: RunRecord) -> dict[str, str]:
    """The tags of a run that re-executes `run`: its own, plus (as in Dagster)
    `dagster/parent_run_id` (`run`) and `dagster/root_run_id` (the first run re-executed)."""
    root = run.tags.get(ROOT_RUN_ID_TAG, run.run_id)
    return {**run.tags, PARENT_RUN_ID_TAG: run.run_id, ROOT_RUN_ID_TAG: root}


async def reexecute_selection(
    storage: RunStorage,
    run: RunRecord,
    *,
    from_failure: bool,
    graph: AssetGraph | None = None,
) -> str:
    """The selection that runs `run` again: all of it, or only the steps that did not succeed
    (a multi-asset's step, its op name, stands for the keys `graph` gives it). Raises
    `NothingToReexecute` when from failure leaves nothing to run."""
    if not from_failure:
        return run.selection
    steps = await storage.get_steps(run.run_id)
    succeeded = {s.step_key for s in steps if s.status is StepStatus.SUCCESS}
    again = [step for step in run.steps if step not in succeeded]
    if not again:
        raise NothingToReexecute(f"run {run.run_id} has no failed or skipped steps to re-run")
    ops = graph.ops if graph is not None else {}
    keys = [k.to_user_string() for step in again for k in ops.get(step, ())]
    return ",".join([*(step for step in again if step not in ops), *keys])
