"""The active coordinator of a cluster: resume what was left, then plan what is queued.

It never imports user code: each run is planned from the graph snapshot that workers
registered under the run's definitions hash. Only the holder of the store's leadership
runs this loop; a standby waits in `storage.leadership` and takes over when it is freed.
"""

from __future__ import annotations

import gc
import time

import anyio

from upstream.coordinator.backfills import Backfills
from upstream.coordinator.service import Coordinator
from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.partitions import partition_from_tags
from upstream.planning.plan import Plan, build_plan, cut_plan, step_assets
from upstream.storage.backfills import BackfillRecord
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import FetchedDynamicPartitions, dynamic_store_for_graph
from upstream.storage.records import RunRecord, RunStatus
from upstream.storage.snapshots import graph_from_snapshot
from upstream.tracing import get_logger

__all__ = ["ClusterCoordinator", "NotServed", "PlanningError"]

log = get_logger("coordinator")

_WAKE_EVERY = 1.0  # seconds: the longest a queued run waits if a notification is missed
_BACKFILL_WAKE = 0.2  # seconds between reads of a running backfill's runs
_QUEUED_BATCH = 1000  # queued runs read (and started) per pass of the loop
_SERVE_GRACE = 15.0  # seconds a queued run waits for a worker to register its code


class PlanningError(UpstreamError):
    """A queued run that cannot be planned; it fails with this message."""


class NotServed(PlanningError):
    """No worker has registered the run's code yet; it may be starting."""


class ClusterCoordinator:
    """Planning from snapshots around a `Coordinator`; `lead()` is the active loop."""

    def __init__(self, storage: RunStorage, coordinator: Coordinator) -> None:
        self._storage = storage
        self._coordinator = coordinator
        self._graphs: dict[str, AssetGraph] = {}
        self.backfills = Backfills(storage, self._backfill_graph)

    async def lead(self) -> None:
        """Resume unfinished runs, then start queued runs as they arrive and drive the
        backfills (their runs are queued runs too), forever."""
        for run in await self._storage.unfinished_runs():
            await self.resume(run)
        while True:
            started = await self.start_queued()
            await self.cancel_requested()
            created = await self.backfills.tick()
            if started >= _QUEUED_BATCH or created:
                continue  # more are queued: no wait
            wake = _BACKFILL_WAKE if self.backfills.active else _WAKE_EVERY
            with anyio.move_on_after(wake):
                await self._storage.wait_for_queued_runs()

    async def resume(self, run: RunRecord) -> None:
        try:
            graph = await self._graph(run)
            keys = step_assets(graph, run.steps, run.selection)
            store = await dynamic_store_for_graph(self._storage, graph)
            plan = cut_plan(
                graph,
                keys,
                run.selection,
                partition_from_tags(run.tags),
                dynamic_partitions_store=store,
            )
        except UpstreamError as exc:
            await self._fail(run, f"cannot resume: {exc}")
            return
        await self._coordinator.resume(run, plan, await self._storage.get_steps(run.run_id))

    async def start_queued(self) -> int:
        """Plan and start every queued run (up to `_QUEUED_BATCH`, claimed together);
        return how many were read."""
        runs = await self._storage.queued_runs(limit=_QUEUED_BATCH)
        planned: list[tuple[RunRecord, Plan]] = []
        stores: dict[str, FetchedDynamicPartitions | None] = {}  # read once a batch
        for run in runs:
            try:
                plan = await self.plan(run, stores)
            except NotServed as exc:
                if time.time() - run.created_at < _SERVE_GRACE:
                    continue  # workers started with the run may not have registered yet
                await self._fail(run, str(exc))
                continue
            except UpstreamError as exc:
                await self._fail(run, str(exc))
                continue
            planned.append((run, plan))
        await self._coordinator.start_queued_many(planned)
        return len(runs)

    async def cancel_requested(self) -> None:
        """Act on runs asked to stop (`RunStorage.request_cancel`, e.g. from the web UI)."""
        for run in await self._storage.list_runs(limit=1000, status=RunStatus.CANCELING):
            await self._coordinator.cancel(run.run_id)

    async def plan(
        self, run: RunRecord, stores: dict[str, FetchedDynamicPartitions | None] | None = None
    ) -> Plan:
        """The run's plan from the snapshot registered under its definitions hash, for the
        partition key or range its tags name (an invalid one fails the run, saying why).
        Dynamic keys are read from storage (once per definitions hash in `stores`)."""
        graph = await self._graph(run)
        cache = {} if stores is None else stores
        if run.definitions_hash not in cache:
            cache[run.definitions_hash] = await dynamic_store_for_graph(self._storage, graph)
        return build_plan(
            graph,
            run.selection or None,
            partition_from_tags(run.tags),
            dynamic_partitions_store=cache[run.definitions_hash],
        )

    async def _backfill_graph(self, backfill: BackfillRecord) -> AssetGraph | None:
        """The graph a backfill's runs are planned on; None while no worker serves it (for
        `_SERVE_GRACE`, then `NotServed` fails the backfill)."""
        try:
            return await self.graph_for(backfill.code_location, backfill.definitions_hash)
        except NotServed:
            if time.time() - backfill.created_at < _SERVE_GRACE:
                return None
            raise

    async def _graph(self, run: RunRecord) -> AssetGraph:
        return await self.graph_for(run.code_location, run.definitions_hash)

    async def graph_for(self, code_location: str, definitions_hash: str) -> AssetGraph:
        """The graph registered under `definitions_hash` (of `code_location`), cached."""
        graph = self._graphs.get(definitions_hash)
        if graph is not None:
            return graph
        snapshot = await self._storage.get_snapshot(definitions_hash)
        if snapshot is None:
            current = await self._storage.get_code_location(code_location)
            known = f"it serves {current.definitions_hash[:12]}" if current else "none does"
            raise NotServed(
                f"no worker has registered code location {code_location!r} with "
                f"definitions {definitions_hash[:12]} ({known}); start workers on the "
                "code you submitted from"
            )
        graph = self._graphs[definitions_hash] = graph_from_snapshot(snapshot)
        # Kept for this process's life: out of the collector's generations with everything
        # else alive now, so that no later collection rescans it (~5 objects an asset;
        # planning 100,000 assets right after: 0.44 -> 0.25 s). Cyclic garbage alive now
        # would never be collected: a few objects, once per definitions hash.
        gc.freeze()
        return graph

    async def _fail(self, run: RunRecord, message: str) -> None:
        log.warning("run.unplannable", run_id=run.run_id, reason=message)
        await self._storage.finish_run(run.run_id, RunStatus.FAILURE, time.time(), message)
