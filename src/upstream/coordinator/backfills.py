"""Backfill drivers: launch a backfill's ready units as QUEUED runs, in bulk, and follow them.

A thin loop around the pure planner (`planning.backfill`) and its `ReadySet` over unit ids.
Every state it needs is in the store (the backfill and the runs carrying its id), so a
coordinator that takes over rebuilds it and launches no unit twice. The runs it creates are
started like any queued run (`ClusterCoordinator.start_queued`, or the embedded loop).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.planning.backfill import BackfillPlan, BackfillTarget, plan_backfill, unit_id
from upstream.planning.ready import ReadySet
from upstream.storage.backfills import BackfillRecord, BackfillRun, BackfillStatus
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import dynamic_store_for_graph
from upstream.storage.records import RunRecord, RunStatus
from upstream.tracing import get_logger

__all__ = ["BackfillDriver", "Backfills", "backfill_plan"]

log = get_logger("coordinator")

_ACTIVE = (BackfillStatus.REQUESTED, BackfillStatus.CANCELING)
# The graph a backfill was launched against; None while no worker serves it yet.
GraphOf = Callable[[BackfillRecord], Awaitable[AssetGraph | None]]


async def backfill_plan(
    storage: RunStorage, graph: AssetGraph, record: BackfillRecord
) -> BackfillPlan:
    """The plan of a stored backfill: the same units every time (planned as of its creation,
    so time partitions that ended since do not change it; dynamic keys are read now)."""
    keys = [AssetKey.from_user_string(k) for k in record.selection.split(",") if k]
    return plan_backfill(
        graph,
        keys,
        BackfillTarget.from_dict(record.target),
        dynamic_partitions_store=await dynamic_store_for_graph(storage, graph),
        current_time=datetime.fromtimestamp(record.created_at, UTC),
    )


@dataclass
class BackfillDriver:
    """One backfill: which units are launched (their runs), done, failed or skipped."""

    storage: RunStorage
    record: BackfillRecord
    plan: BackfillPlan
    tracker: ReadySet = field(init=False)
    active: dict[str, str] = field(default_factory=dict)  # run id -> unit id
    skipped: dict[str, None] = field(default_factory=dict)
    canceling: bool = False
    ended: bool = False
    ended_seen: int = -1  # the backfill's ended runs at the last poll

    def __post_init__(self) -> None:
        self.tracker = self.plan.tracker()

    @property
    def backfill_id(self) -> str:
        return self.record.backfill_id

    async def start(self, *, retry_failed: bool = False) -> list[RunRecord]:
        """Rebuild from the stored runs (the newest run of each unit decides it), then
        launch every ready unit that has no run going; return the runs created.
        `retry_failed`: a unit whose newest run failed or was canceled runs again (resume)."""
        self.tracker.initial()
        latest: dict[str, BackfillRun] = {}
        for stored in await self.storage.backfill_runs(self.backfill_id):
            unit = unit_id(stored.selection, stored.partition)
            if unit in self.plan.units:
                latest[unit] = stored  # oldest first: the last one wins
        for unit in self.plan.units:  # upstream units first: parents replay before children
            found = latest.get(unit)
            if found is None or not found.status.ended:
                continue
            if retry_failed and found.status is not RunStatus.SUCCESS:
                continue
            self._ended(unit, found.status)
        self.active = {r.run_id: u for u, r in latest.items() if not r.status.ended}
        if self.record.status is BackfillStatus.CANCELING:
            await self.cancel()
            return []
        going = set(self.active.values())
        return await self._launch([u for u in self.tracker.in_flight if u not in going])

    async def runs_ended(self, ended: Sequence[tuple[str, RunStatus]]) -> list[RunRecord]:
        """Feed runs that ended (run id, final status); launch what became ready (nothing
        once canceling) and end the backfill when every unit is decided."""
        ready: list[str] = []
        for run_id, status in ended:
            unit = self.active.pop(run_id, None)
            if unit is not None:
                ready += self._ended(unit, status)
        created = [] if self.canceling else await self._launch(ready)
        await self._finish_if_done()
        return created

    async def poll(self) -> list[RunRecord]:
        """Read the backfill's runs and feed those that ended since (the cluster's way)."""
        if not self.active:
            await self._finish_if_done()
            return []
        counts = await self.storage.backfill_run_counts(self.backfill_id)
        seen = sum(n for status, n in counts.items() if status.ended)
        if seen == self.ended_seen:
            return []  # no run ended since the last poll: no rows to read
        self.ended_seen = seen
        ended = [
            (run.run_id, run.status)
            for run in await self.storage.backfill_runs(self.backfill_id)
            if run.run_id in self.active and run.status.ended
        ]
        return await self.runs_ended(ended)

    async def cancel(self) -> None:
        """Launch nothing more, cancel the runs going (queued ones end at once), and end
        CANCELED once they have."""
        if not self.canceling:
            self.canceling = True
            for unit in self.tracker.cancel():
                self.skipped[unit] = None
            now = time.time()
            for run_id in list(self.active):
                status = await self.storage.request_cancel(run_id, now)
                if status is not None and status.ended:
                    self.active.pop(run_id)
            log.info("backfill.canceling", backfill_id=self.backfill_id, runs=len(self.active))
        await self._finish_if_done()

    def _ended(self, unit: str, status: RunStatus) -> list[str]:
        if status is RunStatus.SUCCESS:
            return self.tracker.succeeded(unit)
        for skip in self.tracker.failed(unit):
            self.skipped[skip.step] = None
        return []

    async def _launch(self, units: Sequence[str]) -> list[RunRecord]:
        """Create the units' runs QUEUED, in one statement."""
        if not units:
            return []
        now, record = time.time(), self.record
        runs = [
            RunRecord(
                run_id=str(uuid.uuid4()),
                status=RunStatus.QUEUED,
                selection=self.plan.units[unit].selection,
                steps=(),
                code_location=record.code_location,
                definitions_hash=record.definitions_hash,
                created_at=now,
                tags={**record.tags, **self.plan.units[unit].tags(record.backfill_id)},
            )
            for unit in units
        ]
        await self.storage.create_runs(runs)
        self.active.update((run.run_id, unit) for run, unit in zip(runs, units, strict=True))
        log.info("backfill.launched", backfill_id=self.backfill_id, runs=len(runs))
        return runs

    async def _finish_if_done(self) -> None:
        if self.ended or self.active or not (self.tracker.complete or self.canceling):
            return
        if self.canceling:
            status = BackfillStatus.CANCELED
        elif self.tracker.failed_steps:
            status = BackfillStatus.FAILED
        else:
            status = BackfillStatus.COMPLETED
        self.ended = True
        await self.storage.set_backfill_status(
            self.backfill_id,
            status,
            ended_at=time.time(),
            skipped=list(self.skipped),
            only_from=_ACTIVE,
        )
        log.info("backfill.finished", backfill_id=self.backfill_id, status=str(status))


class Backfills:
    """Every active backfill of a store, driven by the active coordinator's loop (`tick`)."""

    def __init__(self, storage: RunStorage, graph_of: GraphOf) -> None:
        self._storage = storage
        self._graph_of = graph_of
        self._drivers: dict[str, BackfillDriver] = {}

    @property
    def active(self) -> bool:
        return bool(self._drivers)

    async def tick(self) -> int:
        """Adopt new backfills, act on cancel requests, feed ended runs; return how many
        runs were created."""
        created = 0
        for record in await self._storage.list_backfills(limit=1000, statuses=_ACTIVE):
            driver = self._drivers.get(record.backfill_id)
            if driver is None:
                driver = await self._adopt(record)
                if driver is None:
                    continue
                created += len(await driver.start())
            elif record.status is BackfillStatus.CANCELING:
                await driver.cancel()
            created += len(await driver.poll())
        for backfill_id in [b for b, d in self._drivers.items() if d.ended]:
            del self._drivers[backfill_id]
        return created

    async def _adopt(self, record: BackfillRecord) -> BackfillDriver | None:
        try:
            graph = await self._graph_of(record)
            if graph is None:
                return None  # its workers may be starting: asked again next tick
            plan = await backfill_plan(self._storage, graph, record)
        except UpstreamError as exc:
            log.warning("backfill.unplannable", backfill_id=record.backfill_id, reason=str(exc))
            await self._storage.set_backfill_status(
                record.backfill_id,
                BackfillStatus.FAILED,
                ended_at=time.time(),
                message=f"cannot plan: {exc}",
                only_from=_ACTIVE,
            )
            return None
        driver = self._drivers[record.backfill_id] = BackfillDriver(self._storage, record, plan)
        return driver
