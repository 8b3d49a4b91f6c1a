"""A backfill's lifecycle: launch, cancel, resume, progress, and running one in-process.

The CLI and the web call these. On a cluster, launching records the backfill and the active
coordinator drives it (`coordinator.backfills`); embedded, `run_backfill_embedded` drives it
here with in-process workers, as `run_embedded` runs one run.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import anyio
import anyio.abc

from upstream.coordinator import Coordinator
from upstream.coordinator.backfills import BackfillDriver, backfill_plan
from upstream.coordinator.cluster import ClusterCoordinator
from upstream.coordinator.service import COMMIT_LINGER, RunHandle
from upstream.model.definitions import Definitions
from upstream.model.errors import SelectionError, UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.io_manager import IOManager
from upstream.model.keys import AssetKey
from upstream.model.run_tags import check_run_tags
from upstream.planning.backfill import BackfillPlan, BackfillTarget, plan_backfill, unit_id
from upstream.planning.partitions import shared_partitions_def
from upstream.planning.plan import materializable
from upstream.planning.selection import select, selection_text
from upstream.runs.embedded import embedded_worker
from upstream.storage.backfills import BackfillRecord, BackfillRun, BackfillStatus
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import FetchedDynamicPartitions, dynamic_store_for_graph
from upstream.storage.records import RunRecord, RunStatus
from upstream.storage.snapshots import graph_from_snapshot
from upstream.transport.memory import MemoryTransport

__all__ = [
    "PARTITION_STATUSES",
    "BackfillProgress",
    "UnitStatus",
    "backfill_progress",
    "cancel_backfill",
    "find_backfill",
    "new_backfill",
    "resume_backfill",
    "run_backfill_embedded",
]

# A partition's status in a backfill, worst first: a partition covered by several units (of
# several assets) shows the worst of theirs.
PARTITION_STATUSES = ("FAILURE", "CANCELED", "SKIPPED", "STARTED", "QUEUED", "PENDING", "SUCCESS")
_RANK = {status: i for i, status in enumerate(PARTITION_STATUSES)}
_CANCEL_CHECK = 0.5  # seconds between reads of an embedded backfill's status


async def new_backfill(
    storage: RunStorage,
    graph: AssetGraph,
    *,
    code_location: str,
    definitions_hash: str,
    selection: str | None,
    target: BackfillTarget,
    tags: Mapping[str, str] | None = None,
) -> tuple[BackfillRecord, BackfillPlan]:
    """Check and record a backfill (REQUESTED): a bad selection, key or range raises
    `SelectionError` before anything is stored. Its runs are launched by whoever drives it."""
    keys = materializable(graph, select(graph, selection), selection_text(selection))
    checked = check_run_tags(tags)
    store = await dynamic_store_for_graph(storage, graph)
    if store is not None:
        target = _frozen(graph, keys, target, store)
    plan = plan_backfill(graph, keys, target, dynamic_partitions_store=store)
    if not any(unit.partition is not None for unit in plan.units.values()):
        raise SelectionError(
            f"selection {selection or '*'!r} holds no partitioned asset: a backfill runs "
            "assets over partitions; use `upstream materialize` for these"
        )
    record = BackfillRecord(
        backfill_id=_short_id(),
        status=BackfillStatus.REQUESTED,
        selection=",".join(k.to_user_string() for k in keys),
        target=target.to_dict(),
        code_location=code_location,
        definitions_hash=definitions_hash,
        created_at=time.time(),
        tags=checked,
    )
    await storage.create_backfill(record)
    return record, plan


def _frozen(
    graph: AssetGraph,
    keys: Sequence[AssetKey],
    target: BackfillTarget,
    store: FetchedDynamicPartitions,
) -> BackfillTarget:
    """ "Every partition" of one dynamic definition, as the keys it has now: the backfill's
    units stay the same when keys are added later (Dagster stores the targeted keys too)."""
    if not target.all:
        return target
    try:
        shared = shared_partitions_def(graph, keys)
    except UpstreamError:
        return target  # several definitions: the planner says so
    if shared is None or not shared[0].dynamic_names():
        return target
    found = tuple(shared[0].get_partition_keys(dynamic_partitions_store=store))
    return BackfillTarget(keys=found) if found else target


def _short_id() -> str:
    """Dagster's backfill ids are 8 lowercase letters; ours are 8 hex digits, typed easily."""
    return uuid.uuid4().hex[:8]


async def find_backfill(storage: RunStorage, backfill_id: str) -> BackfillRecord:
    """The backfill of that id; an `UpstreamError` saying how to list them if none."""
    record = await storage.get_backfill(backfill_id)
    if record is None:
        raise UpstreamError(
            f"no backfill {backfill_id!r}; `upstream backfill list` shows the backfills"
        )
    return record


async def cancel_backfill(storage: RunStorage, backfill_id: str) -> BackfillStatus:
    """Ask a backfill to stop: CANCELING, its driver then cancels its runs and ends it
    CANCELED. An ended backfill is left as it is; its status is returned."""
    record = await find_backfill(storage, backfill_id)
    if record.status is BackfillStatus.REQUESTED:
        moved = await storage.set_backfill_status(
            backfill_id, BackfillStatus.CANCELING, only_from=[BackfillStatus.REQUESTED]
        )
        if moved:
            return BackfillStatus.CANCELING
    return (await find_backfill(storage, backfill_id)).status


async def resume_backfill(
    storage: RunStorage, record: BackfillRecord, graph: AssetGraph
) -> list[RunRecord]:
    """Re-execute a backfill from failure (Dagster's): its failed and canceled units run
    again and the units they skipped follow them. The backfill is REQUESTED again; return the
    runs created. An unfinished backfill is refused (cancel it first)."""
    if not record.status.ended:
        raise UpstreamError(
            f"backfill {record.backfill_id} is {record.status}; resume a backfill that ended "
            f"(`upstream backfill cancel {record.backfill_id}` first)"
        )
    if record.status is BackfillStatus.COMPLETED:
        raise UpstreamError(f"backfill {record.backfill_id} completed: nothing to resume")
    reopened = BackfillRecord(**{**record.__dict__, "status": BackfillStatus.REQUESTED})
    driver = BackfillDriver(storage, reopened, await backfill_plan(storage, graph, record))
    created = await driver.start(retry_failed=True)
    await storage.set_backfill_status(
        record.backfill_id, BackfillStatus.REQUESTED, only_from=[record.status]
    )
    return created


async def stored_graph(storage: RunStorage, record: BackfillRecord) -> AssetGraph:
    """The graph the backfill was launched against, from its stored snapshot."""
    snapshot = await storage.get_snapshot(record.definitions_hash)
    if snapshot is None:
        raise UpstreamError(
            f"backfill {record.backfill_id}: no snapshot of its definitions "
            f"{record.definitions_hash[:12]} is stored; start a worker of "
            f"{record.code_location!r} (or launch it again)"
        )
    return graph_from_snapshot(snapshot)


@dataclass(frozen=True)
class UnitStatus:
    """One unit of the backfill: its assets and partitions, its status, its newest run."""

    id: str
    selection: str
    partition: tuple[str, str] | None
    status: str
    run_id: str | None


@dataclass(frozen=True)
class BackfillProgress:
    """What `backfill show` and the backfills page display."""

    record: BackfillRecord
    counts: dict[RunStatus, int]
    units: list[UnitStatus]
    partitions: dict[str, str] = field(default_factory=dict)  # key -> PARTITION_STATUSES
    runs: list[BackfillRun] = field(default_factory=list)

    @property
    def done(self) -> int:
        """Units decided: succeeded, failed, canceled or skipped."""
        return sum(u.status in ("SUCCESS", "FAILURE", "CANCELED", "SKIPPED") for u in self.units)


async def backfill_progress(
    storage: RunStorage, record: BackfillRecord, graph: AssetGraph | None = None
) -> BackfillProgress:
    """Per-unit and per-partition status, read from the backfill's runs (one indexed query)
    against its plan (from `graph`, else its stored snapshot)."""
    plan = await backfill_plan(storage, graph or await stored_graph(storage, record), record)
    runs = await storage.backfill_runs(record.backfill_id)
    latest: dict[str, BackfillRun] = {}
    counts = dict.fromkeys(RunStatus, 0)
    for stored in runs:
        latest[unit_id(stored.selection, stored.partition)] = stored
        counts[stored.status] += 1
    skipped = set(record.skipped)
    units: list[UnitStatus] = []
    partitions: dict[str, str] = {}
    for unit in plan.units.values():
        run = latest.get(unit.id)
        if run is not None:
            status = "STARTED" if run.status is RunStatus.CANCELING else run.status.value
        elif unit.id in skipped:
            status = "SKIPPED"
        elif record.status is BackfillStatus.CANCELED:
            status = "CANCELED"
        else:
            status = "PENDING"
        span = None if unit.partition is None else (unit.partition.start, unit.partition.end)
        run_id = None if run is None else run.run_id
        units.append(UnitStatus(unit.id, unit.selection, span, status, run_id))
        for key in unit.keys:
            known = partitions.get(key)
            if known is None or _RANK[status] < _RANK[known]:
                partitions[key] = status
    return BackfillProgress(record, counts, units, partitions, runs)


async def run_backfill_embedded(
    definitions: Definitions,
    record: BackfillRecord,
    *,
    storage: RunStorage,
    io_manager: IOManager,
    code_location: str,
    concurrency: int,
    retry_failed: bool = False,
) -> BackfillRecord:
    """Drive the backfill to its end in this process (coordinator and workers in-process,
    over the memory transport, as `run_embedded`); return its final record. The code's
    snapshot must be registered in `storage` (runs are planned from it, as on a cluster).
    Interrupted, its unfinished runs and the backfill are recorded CANCELED."""
    transport = MemoryTransport()
    coordinator = Coordinator(storage, transport, commit_linger=COMMIT_LINGER)
    planner = ClusterCoordinator(storage, coordinator)
    worker = embedded_worker(
        definitions, transport, storage, io_manager, code_location, concurrency
    )
    units = await backfill_plan(storage, definitions.graph, record)
    driver = BackfillDriver(storage, record, units)
    send, receive = anyio.create_memory_object_stream[tuple[str, RunStatus]](math.inf)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(coordinator.serve)
            group.start_soon(worker.serve)

            async def watch(handle: RunHandle) -> None:
                final = await handle.wait()
                send.send_nowait((final.run_id, final.status))

            async def start(runs: Sequence[RunRecord]) -> None:
                for run in runs:
                    try:
                        plan = await planner.plan(run)
                    except UpstreamError as exc:
                        await storage.finish_run(
                            run.run_id, RunStatus.FAILURE, time.time(), str(exc)
                        )
                        send.send_nowait((run.run_id, RunStatus.FAILURE))
                        continue
                    handle = await coordinator.start_queued(run, plan)
                    if handle is not None:
                        group.start_soon(watch, handle)

            batch: list[tuple[str, RunStatus]] = []
            created = await driver.start(retry_failed=retry_failed)
            await start([*await _queued(storage, driver, created), *created])
            await driver.runs_ended([])  # ends at once a backfill with nothing left
            while not driver.ended:
                with anyio.move_on_after(_CANCEL_CHECK):
                    batch = [await receive.receive()]
                if not batch:
                    if await _cancel_asked(storage, driver):
                        group.cancel_scope.cancel()  # steps in flight here are stopped
                        break
                    continue
                while True:
                    try:
                        batch.append(receive.receive_nowait())
                    except anyio.WouldBlock:
                        break
                await start(await driver.runs_ended(batch))
                batch = []
            await transport.aclose()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _abandon(storage, driver, "interrupted")
        raise
    if not driver.ended:  # canceled: its runs stopped with the task group
        await _abandon(storage, driver, "canceled")
    final = await storage.get_backfill(record.backfill_id)
    if final is None:
        raise UpstreamError(f"backfill {record.backfill_id} vanished from the store")
    return final


async def _cancel_asked(storage: RunStorage, driver: BackfillDriver) -> bool:
    """Whether a cancel was asked through the store (`cancel_backfill`, e.g. from the web
    UI); if so the driver launches nothing more (and cancels the runs not started)."""
    found = await storage.get_backfill(driver.backfill_id)
    if found is None or found.status is not BackfillStatus.CANCELING:
        return False
    await driver.cancel()
    return True


async def _queued(
    storage: RunStorage, driver: BackfillDriver, created: Sequence[RunRecord]
) -> list[RunRecord]:
    """Runs of the backfill queued before this process (a resume, an earlier life)."""
    mine = {run.run_id for run in created}
    out = []
    for run_id in driver.active:
        if run_id in mine:
            continue
        run = await storage.get_run(run_id)
        if run is not None and run.status is RunStatus.QUEUED:
            out.append(run)
    return out


async def _abandon(storage: RunStorage, driver: BackfillDriver, why: str) -> None:
    """In-process workers stop with us: record the unfinished runs and the backfill
    CANCELED, saying `why`, so `upstream backfill resume` can run them again."""
    if driver.ended:
        return
    now = time.time()
    for run_id in driver.active:
        await storage.finish_run(run_id, RunStatus.CANCELED, now, why)
    await storage.set_backfill_status(
        driver.backfill_id,
        BackfillStatus.CANCELED,
        ended_at=now,
        skipped=list(driver.skipped),
        message=why,
        only_from=[BackfillStatus.REQUESTED, BackfillStatus.CANCELING],
    )
