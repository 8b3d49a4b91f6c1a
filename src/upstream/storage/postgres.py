"""The cluster state adapter: `RunStorage` on PostgreSQL through an asyncpg pool.

The contract (checks, events and their data) is `base`'s, as for SQLite; the SQL is in
`postgres_sql`. Every write is one transaction; batches are set-based (`unnest` of arrays),
so recording 10,000 outcomes costs a handful of round trips, not 10,000. Each write that
appends events first takes a transaction-scoped advisory lock per run: a run's writers are
serialised, its event ids commit in order, and `get_events(after_id=...)` never skips one.

Tables live in one schema (created if missing; every pooled connection has it as its
`search_path`), so tenants and tests share a database without colliding.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from typing import Any

import anyio

from upstream.storage import base, records
from upstream.storage import postgres_sql as sql
from upstream.storage import rows as convert
from upstream.storage.base import EventType, RunStorage, StepAttempt, StorageError
from upstream.storage.postgres_backfills import PostgresBackfills
from upstream.storage.postgres_driver import (
    PgTarget,
    advisory_key,
    advisory_key32,
    close_connection,
    dumps,
    text_value,
)
from upstream.storage.postgres_migrations import migrate
from upstream.storage.records import RunStatus, StepOutcome
from upstream.storage.snapshots import parse_snapshot

__all__ = ["PostgresStorage", "open_postgres_storage"]

_LEADERSHIP_CHECK_S = 2.0  # seconds between checks that the lock's session is alive
_WAKE_SECONDS = 5.0  # a missed notification (a dropped listener) delays a queued run this long
_RESUMABLE = [status.value for status in base.RESUMABLE]
_QUEUED = [RunStatus.QUEUED.value]


class PostgresStorage(PostgresBackfills, RunStorage):
    """Runs, steps, events and the asset catalog in one PostgreSQL schema.

    Build it with `open_postgres_storage`, which applies migrations first.
    """

    def __init__(self, pool: Any, target: PgTarget) -> None:
        self._pool: Any = pool
        self._target = target
        self._listener: Any = None
        self._listen_lock = anyio.Lock()
        self._queued = anyio.Event()

    @property
    def schema(self) -> str:
        return self._target.schema

    def _open_pool(self) -> Any:
        if self._pool is None:
            raise StorageError(f"state database {self._target.where} is closed; open it again")
        return self._pool

    @contextlib.asynccontextmanager
    async def _connection(self, action: str) -> AsyncIterator[Any]:
        pool = self._open_pool()
        with self._target.errors(action):
            async with pool.acquire() as conn:
                yield conn

    @contextlib.asynccontextmanager
    async def _transaction(self, action: str, run_ids: Iterable[str] = ()) -> AsyncIterator[Any]:
        """One transaction, holding each run's append lock (taken in key order: no deadlock)."""
        async with self._connection(action) as conn, conn.transaction():
            if keys := sorted({advisory_key32(run_id) for run_id in run_ids}):
                await conn.execute(sql.LOCK_RUNS, self._target.runs_lock, keys)
            yield conn

    async def _fetch(self, action: str, statement: str, *args: Any) -> list[Any]:
        async with self._connection(action) as conn:
            return list(await conn.fetch(statement, *args))

    async def _fetch_of(
        self, action: str, every: str, some: str, keys: Iterable[str] | None
    ) -> list[Any]:
        """`every` row, or `some` for `keys` bound as one array: two statements, since a
        cached generic plan of "$1 IS NULL OR ..." would scan every key even for three."""
        if keys is None:
            return await self._fetch(action, every)
        return await self._fetch(action, some, list(keys))

    async def _fetchrow(self, action: str, statement: str, *args: Any) -> Any:
        async with self._connection(action) as conn:
            return await conn.fetchrow(statement, *args)

    async def create_run(self, run: records.RunRecord) -> None:
        kind, data = base.created_event(run, dumps)
        head = (run.run_id, run.status.value, text_value(run.selection), list(run.steps))
        row = (
            *head,
            run.code_location,
            run.definitions_hash,
            run.created_at,
            dumps(run.run_config),
            dumps(run.tags),
        )
        async with self._transaction("creating a run", [run.run_id]) as conn:
            if await conn.fetchval(sql.INSERT_RUN, *row) is None:
                return
            await conn.execute(sql.INSERT_EVENT, run.run_id, None, run.created_at, kind, data)
            if run.status is RunStatus.QUEUED:  # on commit, to every `wait_for_queued_runs`
                await conn.execute(sql.NOTIFY, self._target.queued_channel, run.run_id)

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        now = time.time()
        async with self._transaction("starting a queued run", [run_id]) as conn:
            if await conn.fetchval(sql.START_RUN, list(steps), run_id) is None:
                return False
            await conn.execute(sql.INSERT_EVENT, run_id, None, now, EventType.RUN_STARTED, "{}")
            return True

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        kind, data = base.finished_event(run_id, status, message, dumps)
        async with self._transaction("finishing a run", [run_id]) as conn:
            if await conn.fetchval(sql.FINISH_RUN, status.value, ended_at, run_id) is not None:
                await conn.execute(sql.INSERT_EVENT, run_id, None, ended_at, kind, data)

    async def request_cancel(self, run_id: str, at: float) -> RunStatus | None:
        async with self._transaction("canceling a run", [run_id]) as conn:
            changed = await conn.fetchval(sql.CANCEL_RUN, run_id, at)
            if changed is None:
                now = await conn.fetchval(sql.RUN_STATUS, run_id)
                return None if now is None else RunStatus(now)
            status = RunStatus(changed)
            kind, data = base.cancel_event(status, dumps)
            await conn.execute(sql.INSERT_EVENT, run_id, None, at, kind, data)
            return status

    async def unfinished_runs(self) -> list[records.RunRecord]:
        return await self._runs_with_status(_RESUMABLE, None)

    async def queued_runs(self, limit: int = 100) -> list[records.RunRecord]:
        return await self._runs_with_status(_QUEUED, limit)

    async def _runs_with_status(
        self, statuses: list[str], limit: int | None
    ) -> list[records.RunRecord]:
        rows = await self._fetch("reading runs", sql.RUNS_WITH_STATUS, statuses, limit)
        return [convert.run_record(row, row[3]) for row in rows]

    async def wait_for_queued_runs(self) -> None:
        """Wait for a NOTIFY from `create_run` (at most `_WAKE_SECONDS`). The first call only
        starts listening and returns: a run queued before then is the caller's to find."""
        self._open_pool()
        listener = self._listener
        if listener is None or listener.is_closed():
            await self._listen()
            return
        with anyio.move_on_after(_WAKE_SECONDS):
            await self._queued.wait()
        self._queued = anyio.Event()

    async def _listen(self) -> None:
        async with self._listen_lock:
            if self._listener is not None and not self._listener.is_closed():
                return
            conn = await self._target.connect("listening for queued runs")
            with self._target.errors("listening for queued runs"):
                await conn.add_listener(self._target.queued_channel, self._notified)
            self._listener = conn

    def _notified(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self._queued.set()

    async def register_code_location(self, location: records.CodeLocationRecord) -> None:
        snapshot = (location.definitions_hash, dumps(location.snapshot), location.updated_at)
        row = (location.name, location.definitions_hash, location.updated_at)
        async with self._transaction("registering a code location") as conn:
            await conn.execute(sql.INSERT_SNAPSHOT, *snapshot)
            await conn.execute(sql.UPSERT_LOCATION, *row)

    async def get_code_location(self, name: str) -> records.CodeLocationRecord | None:
        row = await self._fetchrow("reading a code location", sql.GET_LOCATION, name)
        return None if row is None else convert.location(row)

    async def list_code_locations(self) -> list[records.CodeLocationRecord]:
        rows = await self._fetch("reading code locations", sql.LIST_LOCATIONS)
        return [convert.location(row) for row in rows]

    async def get_snapshot(self, definitions_hash: str) -> dict[str, Any] | None:
        row = await self._fetchrow("reading a snapshot", sql.GET_SNAPSHOT, definitions_hash)
        return None if row is None else parse_snapshot(row[0])

    async def heartbeat(
        self, coordinator_id: str, state: records.CoordinatorState, started_at: float
    ) -> None:
        row = (coordinator_id, state.value, started_at, base.FORGET_COORDINATORS_AFTER)
        async with self._connection("recording a heartbeat") as conn:
            await conn.execute(sql.HEARTBEAT, *row)

    async def coordinators(self) -> list[records.CoordinatorRecord]:
        return [
            convert.coordinator(row)
            for row in await self._fetch("reading heartbeats", sql.COORDINATORS)
        ]

    @contextlib.asynccontextmanager
    async def leadership(self, name: str) -> AsyncIterator[None]:
        """A session advisory lock on a connection of its own: if this process dies, the
        connection drops and PostgreSQL releases the lock."""
        self._open_pool()
        conn = await self._target.connect("taking leadership")
        try:
            with self._target.errors("taking leadership"):
                key = advisory_key("leadership", self._target.schema, name)
                await conn.execute(sql.LEADERSHIP_LOCK, key)
            async with anyio.create_task_group() as watch:
                watch.start_soon(self._hold, conn)
                yield
                watch.cancel_scope.cancel()
        finally:
            await close_connection(conn)  # ending the session releases the lock

    async def _hold(self, conn: Any) -> None:
        """If the lock's session drops (a database restart), PostgreSQL has released the lock
        without a word: notice within seconds and raise, so the holder stops leading."""
        while True:
            await anyio.sleep(_LEADERSHIP_CHECK_S)
            with self._target.errors("holding leadership (the session holding it dropped)"):
                await conn.execute("SELECT 1")

    async def record_queued(
        self, run_id: str, steps: Sequence[tuple[str, int]], queued_at: float
    ) -> None:
        if not steps:
            return
        keys, attempts = [key for key, _ in steps], [attempt for _, attempt in steps]
        async with self._transaction("recording queued steps", [run_id]) as conn:
            await conn.execute(sql.INSERT_QUEUED, run_id, keys, attempts, queued_at)

    async def record_outcomes(
        self,
        outcomes: Sequence[StepOutcome],
        queued: Sequence[StepAttempt] = (),  # QUEUED in the same statement as any outcomes
        queued_at: float = 0.0,
    ) -> list[bool]:
        base.check_outcomes(outcomes)
        if not outcomes:  # steps of many runs QUEUED (runs started together): one statement
            if queued:
                ids, keys, attempts = _columns(list(queued), 3)
                async with self._transaction("recording queued steps", ids) as conn:
                    await conn.execute(sql.INSERT_QUEUED_MANY, ids, keys, attempts, queued_at)
            return []
        # One upsert may not touch a row twice, so only each key's first outcome is sent: a
        # later duplicate in the batch is never new, whatever becomes of the first.
        first: dict[StepAttempt, int] = {}
        for i, o in enumerate(outcomes):
            first.setdefault((o.run_id, o.step_key, o.attempt), i)
        batch = [(outcomes[i], dumps(outcomes[i].metadata)) for i in first.values()]
        rows = [_outcome_row(o, metadata) for o, metadata in batch]
        # A step both made ready and done in this burst is recorded done (as it would be
        # if QUEUED first): one statement may not insert a row and then update it.
        queued = [q for q in queued if q not in first]
        runs = {o.run_id for o, _ in batch} | {run for run, _, _ in queued}
        locks = sorted({advisory_key32(run_id) for run_id in runs})
        args = [self._target.runs_lock, locks, *_columns(rows, 12), *_appended(batch)]
        args += [*_columns(list(queued), 3), queued_at, *_partitioned(batch)]
        async with self._connection("recording step outcomes") as conn:
            new = {(r[0], r[1], r[2]) for r in await conn.fetch(sql.RECORD_OUTCOMES, *args)}
        return [first[k] == i and k in new for i, k in enumerate(_keys(outcomes))]

    async def get_run(self, run_id: str) -> records.RunRecord | None:
        row = await self._fetchrow("reading a run", sql.GET_RUN, run_id)
        return None if row is None else convert.run_record(row, row[3])

    async def find_run_ids(self, prefix: str) -> list[str]:
        rows = await self._fetch("finding runs", sql.FIND_RUN_IDS, *base.prefix_bounds(prefix))
        return [row[0] for row in rows]

    async def list_runs(
        self, limit: int = 50, status: RunStatus | None = None
    ) -> list[records.RunRecord]:
        if status is None:
            rows = await self._fetch("listing runs", sql.LIST_RUNS, limit)
        else:
            rows = await self._fetch("listing runs", sql.LIST_RUNS_OF, limit, status.value)
        return [convert.run_record(row, row[3]) for row in rows]

    async def count_runs(
        self, statuses: Collection[RunStatus] | None = None
    ) -> dict[RunStatus, int]:
        wanted = None if statuses is None else [status.value for status in statuses]
        rows = await self._fetch_of("counting runs", sql.COUNT_RUNS, sql.COUNT_RUNS_OF, wanted)
        return convert.run_counts(rows, statuses)

    async def get_steps(self, run_id: str) -> list[records.StepRecord]:
        rows = await self._fetch("reading steps", sql.GET_STEPS, run_id)
        return [convert.step_record(row) for row in rows]

    async def get_events(self, run_id: str, after_id: int = 0) -> list[records.EventRecord]:
        return convert.events(await self._fetch("reading events", sql.GET_EVENTS, run_id, after_id))

    async def latest_materializations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.Materialization]:
        action = "reading the asset catalog"
        rows = await self._fetch_of(action, sql.LATEST, sql.LATEST_OF, asset_keys)
        return {row[0]: convert.materialization(row) for row in rows}

    async def materializations(
        self, asset_key: str, limit: int = 100
    ) -> list[records.Materialization]:
        rows = await self._fetch("reading asset history", sql.MATERIALIZATIONS, asset_key, limit)
        return [convert.materialization(row) for row in rows]

    async def record_observations(self, observations: Sequence[records.Observation]) -> None:
        if not observations:
            return
        columns = (
            [o.asset_key for o in observations],
            [o.observation_id for o in observations],
            [o.timestamp for o in observations],
            [o.data_version for o in observations],
            [dumps(o.metadata) for o in observations],
        )
        async with self._connection("recording observations") as conn:
            await conn.execute(sql.INSERT_OBSERVATIONS, *columns)

    async def latest_observations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.Observation]:
        every, some = sql.LATEST_OBSERVATIONS, sql.LATEST_OBSERVATIONS_OF
        rows = await self._fetch_of("reading observations", every, some, asset_keys)
        return {row[0]: convert.observation(row) for row in rows}

    async def observations(self, asset_key: str, limit: int = 100) -> list[records.Observation]:
        rows = await self._fetch("reading observations", sql.OBSERVATIONS, asset_key, limit)
        return [convert.observation(row) for row in rows]

    async def asset_states(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.AssetState]:
        every, some = sql.ASSET_STATES, sql.ASSET_STATES_OF
        rows = await self._fetch_of("reading asset states", every, some, asset_keys)
        return {row[1]: convert.asset_state(row) for row in rows}

    async def partition_status(self, asset_key: str) -> records.PartitionStatus:
        rows = await self._fetch("reading partition status", sql.PARTITION_STATUS, asset_key)
        return convert.partition_status(asset_key, rows)

    async def latest_partition_materializations(
        self, asset_key: str, keys: Sequence[str] | None = None, limit: int = 1000
    ) -> dict[str, records.Materialization]:
        action = "reading partition materializations"
        if keys is None:
            rows = await self._fetch(action, sql.LATEST_PARTITIONS, asset_key, limit)
        else:
            some = sql.LATEST_PARTITIONS_OF
            rows = await self._fetch(action, some, asset_key, limit, list(dict.fromkeys(keys)))
        return convert.partition_materializations(rows, limit)

    async def add_dynamic_partitions(self, name: str, keys: Sequence[str]) -> list[str]:
        unique = base.check_dynamic_partitions(name, keys)
        if not unique:
            return []
        args = (name, unique, time.time())
        rows = await self._fetch("adding dynamic partitions", sql.ADD_DYNAMIC_PARTITIONS, *args)
        added = {row[0] for row in rows}
        return [key for key in unique if key in added]

    async def delete_dynamic_partition(self, name: str, key: str) -> bool:
        action = "deleting a dynamic partition"
        return await self._fetchrow(action, sql.DELETE_DYNAMIC_PARTITION, name, key) is not None

    async def get_dynamic_partitions(self, name: str) -> list[str]:
        rows = await self._fetch("reading dynamic partitions", sql.GET_DYNAMIC_PARTITIONS, name)
        return [row[0] for row in rows]

    async def has_dynamic_partition(self, name: str, key: str) -> bool:
        action = "reading dynamic partitions"
        return await self._fetchrow(action, sql.HAS_DYNAMIC_PARTITION, name, key) is not None

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        listener, self._listener = self._listener, None
        if listener is not None:
            await close_connection(listener)
        if pool is not None:
            with self._target.errors("closing"):
                await pool.close()


def _keys(outcomes: Sequence[StepOutcome]) -> Iterable[StepAttempt]:
    return ((o.run_id, o.step_key, o.attempt) for o in outcomes)


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as `width` parallel arrays, one per `unnest` argument."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def _outcome_row(o: StepOutcome, metadata: str) -> tuple[Any, ...]:
    e = o.error
    error = (None, None, None) if e is None else (e.type, e.message, e.traceback)
    key = (o.run_id, o.step_key, o.attempt, o.status.value, o.started_at, o.ended_at)
    free_text = map(text_value, (o.worker_id, *error, o.skip_reason))
    return (*key, *free_text, metadata)


def _appended(batch: list[tuple[StepOutcome, str]]) -> list[list[Any]]:
    """The events and catalog rows each outcome appends if it is newly recorded, as
    `_RECORD_OUTCOMES`'s thirteen arrays: each row keyed by its outcome's attempt too.

    What each outcome appends, and in which order, is `base.outcome_rows`, shared with SQLite.
    """
    events: list[tuple[str, str, int, float, str, str]] = []
    catalog: list[tuple[str, str, int, float, float | None, str, str]] = []
    now = time.time()
    for o, metadata in batch:
        appended, materialized = base.outcome_rows(o, metadata, dumps, now)
        events.extend(
            (run, step, o.attempt, t, kind, data) for run, step, t, kind, data in appended
        )
        for asset, run, when, duration, meta in materialized:
            catalog.append((asset, run, o.attempt, when, duration, meta, o.step_key))
    return _columns(events, 6) + _columns(catalog, 7)


def _partitioned(batch: list[tuple[StepOutcome, str]]) -> list[list[Any]]:
    """The per-partition catalog rows (`base.partition_rows`) of each outcome, as the seven
    arrays of `RECORD_OUTCOMES`'s `parts`: each keyed by its outcome's step and attempt, so
    only newly recorded outcomes' rows are upserted."""
    rows: list[tuple[str, str, str, int, str, str, float]] = []
    now = time.time()
    for o, _ in batch:
        for asset, key, run, status, at in base.partition_rows(o, base.outcome_time(o, now)):
            rows.append((asset, key, run, o.attempt, o.step_key, status, at))
    return _columns(rows, 7)


async def open_postgres_storage(
    dsn: str, *, schema: str = "upstream", min_size: int = 1, max_size: int = 10
) -> PostgresStorage:
    """Connect a pool to `dsn`, create `schema` if missing and migrate it.

    `dsn` is a URL (postgresql://user:password@host:port/db). Raises StorageError, naming
    host and database but never the password, when the server cannot be used.
    """
    target = PgTarget(dsn, schema)
    pool = await target.open_pool(min_size, max_size)
    try:
        with target.errors("migrating"):
            async with pool.acquire() as conn:
                await migrate(conn, target.schema, target.where)
    except BaseException:
        await pool.close()
        raise
    return PostgresStorage(pool, target)
