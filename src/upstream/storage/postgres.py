"""The cluster state adapter: `RunStorage` on PostgreSQL through an asyncpg pool.

Semantics mirror `SqliteStorage` exactly, event data shapes and order included (see its
docstring). Every write is one transaction; batches are set-based (`unnest` of arrays), so
recording 10,000 outcomes costs a handful of round trips, not 10,000. Each write that
appends events first takes a transaction-scoped advisory lock per run: a run's writers are
serialised, its event ids commit in order, and `get_events(after_id=...)` never skips one.

Tables live in one schema (created if missing; every pooled connection has it as its
`search_path`), so tenants and tests share a database without colliding.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from upstream.storage import rows as convert
from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.postgres_driver import (
    PgTarget,
    advisory_key,
    advisory_key32,
    close_connection,
    dumps,
    text_value,
)
from upstream.storage.postgres_migrations import migrate
from upstream.storage.records import (
    AssetState,
    CodeLocationRecord,
    EventRecord,
    Materialization,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
    StepStatus,
)
from upstream.storage.snapshots import parse_snapshot

_LEADERSHIP_CHECK_S = 2.0  # seconds between checks that the lock's session is alive

__all__ = ["PostgresStorage", "open_postgres_storage"]

_WAKE_SECONDS = 5.0  # a missed notification (a dropped listener) delays a queued run this long
_RUN_COLUMNS = (
    "run_id, status, selection, steps, code_location, definitions_hash, created_at, ended_at"
)
_INSERT_RUN = (
    "INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (run_id) DO NOTHING"
    " RETURNING run_id"
)
_START_RUN = (
    "UPDATE runs SET status = 'STARTED', steps = $1 WHERE run_id = $2 AND status = 'QUEUED'"
    " RETURNING run_id"
)
_FINISH_RUN = (
    "UPDATE runs SET status = $1, ended_at = $2 WHERE run_id = $3"
    " AND status IN ('QUEUED', 'STARTED', 'CANCELING') RETURNING run_id"
)
# A QUEUED run has nothing in flight and ends now; a STARTED one waits for its steps. The
# WHERE is the claim (rechecked after a concurrent update): only one of two cancels acts.
_CANCEL_RUN = """UPDATE runs SET
    status = CASE status WHEN 'QUEUED' THEN 'CANCELED' ELSE 'CANCELING' END,
    ended_at = CASE status WHEN 'QUEUED' THEN $2 ELSE ended_at END
WHERE run_id = $1 AND status IN ('QUEUED', 'STARTED') RETURNING status"""
_RESUMABLE = [RunStatus.STARTED.value, RunStatus.CANCELING.value]  # `unfinished_runs`
_INSERT_EVENT = (
    "INSERT INTO events (run_id, step_key, timestamp, type, data) VALUES ($1, $2, $3, $4, $5)"
)
_LOCK_RUNS = "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k"
_INSERT_QUEUED = """INSERT INTO steps (run_id, step_key, attempt, status, queued_at)
SELECT $1, k, a, 'QUEUED', $4 FROM unnest($2::text[], $3::int4[]) AS u (k, a)
ON CONFLICT (run_id, step_key, attempt) DO NOTHING"""
# A burst of outcomes in one statement, so one round trip and one implicit transaction:
# the runs' append locks (every other CTE waits on `locked`, directly or through `up`, so
# no id is drawn before them); the outcomes, where the WHERE makes a final row immovable
# (only rows inserted or moved off QUEUED come back); the events and catalog rows of just
# those, in the order given; each asset's pointer to its newest row (upserted in key
# order, so two batches never deadlock on asset_latest); and the steps made ready, QUEUED.
_RECORD_OUTCOMES = """WITH locked AS (
    SELECT count(pg_advisory_xact_lock($1, k)) AS n FROM unnest($2::int4[]) AS k
), up AS (
    INSERT INTO steps (run_id, step_key, attempt, status, started_at, ended_at, worker_id,
        error_type, error_message, error_traceback, skip_reason, metadata)
    SELECT r, k, a, s, sa, ea, w, et, em, eb, sr, m::jsonb
    FROM unnest($3::text[], $4::text[], $5::int4[], $6::text[], $7::float8[], $8::float8[],
        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
        AS u (r, k, a, s, sa, ea, w, et, em, eb, sr, m), locked
    ON CONFLICT (run_id, step_key, attempt) DO UPDATE SET
        status = excluded.status, started_at = excluded.started_at,
        ended_at = excluded.ended_at, worker_id = excluded.worker_id,
        error_type = excluded.error_type, error_message = excluded.error_message,
        error_traceback = excluded.error_traceback, skip_reason = excluded.skip_reason,
        metadata = excluded.metadata
    WHERE steps.status = 'QUEUED'
    RETURNING run_id, step_key, attempt
), e AS (
    INSERT INTO events (run_id, step_key, timestamp, type, data)
    SELECT r, k, t, y, d::jsonb FROM (
        SELECT u.* FROM unnest($15::text[], $16::text[], $17::int4[], $18::float8[],
            $19::text[], $20::text[]) WITH ORDINALITY AS u (r, k, a, t, y, d, n)
        JOIN up ON (up.run_id, up.step_key, up.attempt) = (u.r, u.k, u.a) ORDER BY u.n
    ) AS chosen
), m AS (
    INSERT INTO materializations (asset_key, run_id, timestamp, duration, metadata)
    SELECT k, r, t, d, m::jsonb FROM (
        SELECT u.* FROM unnest($21::text[], $22::text[], $23::int4[], $24::float8[],
            $25::float8[], $26::text[]) WITH ORDINALITY AS u (k, r, a, t, d, m, n)
        JOIN up ON (up.run_id, up.step_key, up.attempt) = (u.r, u.k, u.a) ORDER BY u.n
    ) AS chosen
    RETURNING id, asset_key
), latest AS (
    INSERT INTO asset_latest (asset_key, materialization_id)
    SELECT asset_key, max(id) FROM m GROUP BY asset_key ORDER BY asset_key
    ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id
    WHERE excluded.materialization_id > asset_latest.materialization_id
), queued AS (
    INSERT INTO steps (run_id, step_key, attempt, status, queued_at)
    SELECT r, k, a, 'QUEUED', $30
    FROM unnest($27::text[], $28::text[], $29::int4[]) AS u (r, k, a), locked
    ON CONFLICT (run_id, step_key, attempt) DO NOTHING
)
SELECT run_id, step_key, attempt FROM up"""
_STEP_COLUMNS = (
    "run_id, step_key, attempt, status, queued_at, started_at, ended_at, worker_id,"
    " error_type, error_message, error_traceback, skip_reason, metadata"
)
_LATEST = (
    "SELECT m.asset_key, m.run_id, m.timestamp, m.duration, m.metadata"
    " FROM asset_latest AS l JOIN materializations AS m ON m.id = l.materialization_id"
)
_LATEST_OF = _LATEST + " WHERE l.asset_key = ANY($1::text[])"
# Each key's newest row, the first of its key in steps_by_key (step_key, seq DESC), and its
# run's status. Two statements, not "$1 IS NULL OR ...": a cached generic plan for that
# would scan every key even when asked for three.
_ASSET_STATES = (
    f"SELECT {', '.join(f's.{c}' for c in _STEP_COLUMNS.split(', '))}, r.status"
    " FROM (SELECT DISTINCT ON (step_key) * FROM steps{} ORDER BY step_key, seq DESC) AS s"
    " JOIN runs AS r ON r.run_id = s.run_id"
)
_ALL_ASSET_STATES = _ASSET_STATES.format("")
_ASSET_STATES_OF = _ASSET_STATES.format(" WHERE step_key = ANY($1::text[])")
_UPSERT_LOCATION = (
    "INSERT INTO code_locations (name, definitions_hash, updated_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (name) DO UPDATE SET definitions_hash = excluded.definitions_hash,"
    " updated_at = excluded.updated_at"
)
_INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (definitions_hash, snapshot, created_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (definitions_hash) DO NOTHING"
)
_LOCATION_COLUMNS = (
    "SELECT l.name, l.definitions_hash, s.snapshot, l.updated_at FROM code_locations l"
    " JOIN snapshots s ON s.definitions_hash = l.definitions_hash"
)

_RUN_EVENTS = {
    RunStatus.SUCCESS: EventType.RUN_SUCCESS,
    RunStatus.FAILURE: EventType.RUN_FAILURE,
    RunStatus.CANCELED: EventType.RUN_CANCELED,
}


class PostgresStorage:
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

    async def __aenter__(self) -> PostgresStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

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
                await conn.execute(_LOCK_RUNS, self._target.runs_lock, keys)
            yield conn

    async def _fetch(self, action: str, sql: str, *args: Any) -> list[Any]:
        async with self._connection(action) as conn:
            return list(await conn.fetch(sql, *args))

    async def _fetchrow(self, action: str, sql: str, *args: Any) -> Any:
        async with self._connection(action) as conn:
            return await conn.fetchrow(sql, *args)

    async def create_run(self, run: RunRecord) -> None:
        if run.status not in (RunStatus.STARTED, RunStatus.QUEUED) or run.ended_at is not None:
            raise ValueError(
                f"run {run.run_id}: a run is created STARTED or QUEUED; end it with finish_run"
            )
        head = (run.run_id, run.status.value, text_value(run.selection), list(run.steps))
        row = (*head, run.code_location, run.definitions_hash, run.created_at)
        queued = run.status is RunStatus.QUEUED
        kind = EventType.RUN_QUEUED if queued else EventType.RUN_STARTED
        data = dumps({"selection": run.selection})
        async with self._transaction("creating a run", [run.run_id]) as conn:
            if await conn.fetchval(_INSERT_RUN, *row) is None:
                return
            await conn.execute(_INSERT_EVENT, run.run_id, None, run.created_at, kind, data)
            if queued:  # delivered on commit, to every `wait_for_queued_runs`
                await conn.execute(
                    "SELECT pg_notify($1, $2)", self._target.queued_channel, run.run_id
                )

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        now = time.time()
        async with self._transaction("starting a queued run", [run_id]) as conn:
            if await conn.fetchval(_START_RUN, list(steps), run_id) is None:
                return False
            await conn.execute(_INSERT_EVENT, run_id, None, now, EventType.RUN_STARTED, "{}")
            return True

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        if status not in _RUN_EVENTS:
            raise ValueError(f"run {run_id}: finish_run needs a final status, not {status}")
        data = dumps({"message": message} if message is not None else {})
        async with self._transaction("finishing a run", [run_id]) as conn:
            if await conn.fetchval(_FINISH_RUN, status.value, ended_at, run_id) is not None:
                await conn.execute(_INSERT_EVENT, run_id, None, ended_at, _RUN_EVENTS[status], data)

    async def request_cancel(self, run_id: str, at: float) -> RunStatus | None:
        async with self._transaction("canceling a run", [run_id]) as conn:
            changed = await conn.fetchval(_CANCEL_RUN, run_id, at)
            if changed is None:
                now = await conn.fetchval("SELECT status FROM runs WHERE run_id = $1", run_id)
                return None if now is None else RunStatus(now)
            status = RunStatus(changed)
            kind, data = convert.cancel_event(status, dumps)
            await conn.execute(_INSERT_EVENT, run_id, None, at, kind, data)
            return status

    async def unfinished_runs(self) -> list[RunRecord]:
        return await self._runs_with_status(_RESUMABLE, None)

    async def queued_runs(self, limit: int = 100) -> list[RunRecord]:
        return await self._runs_with_status([RunStatus.QUEUED.value], limit)

    async def _runs_with_status(self, statuses: list[str], limit: int | None) -> list[RunRecord]:
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE status = ANY($1::text[])"
        sql += " ORDER BY created_at, run_id LIMIT $2"
        rows = await self._fetch("reading runs", sql, statuses, limit)
        return [convert.run_record(row, row[3]) for row in rows]  # LIMIT NULL: no limit

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

    async def register_code_location(self, location: CodeLocationRecord) -> None:
        snapshot = (location.definitions_hash, dumps(location.snapshot), location.updated_at)
        row = (location.name, location.definitions_hash, location.updated_at)
        async with self._transaction("registering a code location") as conn:
            await conn.execute(_INSERT_SNAPSHOT, *snapshot)
            await conn.execute(_UPSERT_LOCATION, *row)

    async def get_code_location(self, name: str) -> CodeLocationRecord | None:
        sql = _LOCATION_COLUMNS + " WHERE l.name = $1"
        row = await self._fetchrow("reading a code location", sql, name)
        return None if row is None else convert.location(row)

    async def list_code_locations(self) -> list[CodeLocationRecord]:
        rows = await self._fetch("reading code locations", _LOCATION_COLUMNS + " ORDER BY l.name")
        return [convert.location(row) for row in rows]

    async def get_snapshot(self, definitions_hash: str) -> dict[str, Any] | None:
        sql = "SELECT snapshot FROM snapshots WHERE definitions_hash = $1"
        row = await self._fetchrow("reading a snapshot", sql, definitions_hash)
        return None if row is None else parse_snapshot(row[0])

    @contextlib.asynccontextmanager
    async def leadership(self, name: str) -> AsyncIterator[None]:
        """A session advisory lock on a connection of its own: if this process dies, the
        connection drops and PostgreSQL releases the lock."""
        self._open_pool()
        conn = await self._target.connect("taking leadership")
        try:
            with self._target.errors("taking leadership"):
                key = advisory_key("leadership", self._target.schema, name)
                await conn.execute("SELECT pg_advisory_lock($1)", key)
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
            await conn.execute(_INSERT_QUEUED, run_id, keys, attempts, queued_at)

    async def record_outcomes(
        self,
        outcomes: Sequence[StepOutcome],
        queued: Sequence[tuple[str, str, int]] = (),
        queued_at: float = 0.0,
    ) -> list[bool]:
        for outcome in outcomes:
            if outcome.status is StepStatus.QUEUED:
                raise ValueError(f"step {outcome.step_key}: an outcome must be final, not QUEUED")
        if not outcomes:
            for run_id in dict.fromkeys(run for run, _, _ in queued):
                steps = [(key, attempt) for run, key, attempt in queued if run == run_id]
                await self.record_queued(run_id, steps, queued_at)
            return []
        # One upsert may not touch a row twice, so only each key's first outcome is sent: a
        # later duplicate in the batch is never new, whatever becomes of the first.
        first: dict[tuple[str, str, int], int] = {}
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
        args += [*_columns(list(queued), 3), queued_at]
        async with self._connection("recording step outcomes") as conn:
            new = {(r[0], r[1], r[2]) for r in await conn.fetch(_RECORD_OUTCOMES, *args)}
        return [first[k] == i and k in new for i, k in enumerate(_keys(outcomes))]

    async def get_run(self, run_id: str) -> RunRecord | None:
        sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = $1"
        row = await self._fetchrow("reading a run", sql, run_id)
        return None if row is None else convert.run_record(row, row[3])

    async def find_run_ids(self, prefix: str) -> list[str]:
        # A range on the primary key (byte order, COLLATE "C"), as in SQLite: case-sensitive.
        sql = "SELECT run_id FROM runs WHERE run_id >= $1 AND run_id < $2 ORDER BY run_id"
        rows = await self._fetch("finding runs", sql, prefix, prefix + "\U0010ffff")
        return [row[0] for row in rows]

    async def list_runs(self, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        where, params = (
            ("", [limit]) if status is None else ("WHERE status = $2", [limit, status.value])
        )
        sql = f"SELECT {_RUN_COLUMNS} FROM runs {where} ORDER BY created_at DESC, run_id DESC"
        rows = await self._fetch("listing runs", sql + " LIMIT $1", *params)
        return [convert.run_record(row, row[3]) for row in rows]

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        sql = f"SELECT {_STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY seq"
        rows = await self._fetch("reading steps", sql, run_id)
        return [convert.step_record(row) for row in rows]

    async def get_events(self, run_id: str, after_id: int = 0) -> list[EventRecord]:
        sql = (
            "SELECT id, run_id, step_key, timestamp, type, data FROM events"
            " WHERE run_id = $1 AND id > $2 ORDER BY id"
        )
        rows = await self._fetch("reading events", sql, run_id, after_id)
        return [EventRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    async def latest_materializations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, Materialization]:
        sql, args = (_LATEST, ()) if asset_keys is None else (_LATEST_OF, (list(asset_keys),))
        rows = await self._fetch("reading the asset catalog", sql, *args)
        return {row[0]: convert.materialization(row) for row in rows}

    async def materializations(self, asset_key: str, limit: int = 100) -> list[Materialization]:
        sql = (
            "SELECT asset_key, run_id, timestamp, duration, metadata FROM materializations"
            " WHERE asset_key = $1 ORDER BY id DESC LIMIT $2"
        )
        rows = await self._fetch("reading asset history", sql, asset_key, limit)
        return [convert.materialization(row) for row in rows]

    async def asset_states(self, asset_keys: Sequence[str] | None = None) -> dict[str, AssetState]:
        sql, args = (
            (_ALL_ASSET_STATES, ())
            if asset_keys is None
            else (_ASSET_STATES_OF, (list(asset_keys),))
        )
        rows = await self._fetch("reading asset states", sql, *args)
        return {row[1]: convert.asset_state(row) for row in rows}

    async def close(self) -> None:
        """Close the listener and the pool (after calls in flight); a second close is a no-op."""
        pool, self._pool = self._pool, None
        listener, self._listener = self._listener, None
        if listener is not None:
            await close_connection(listener)
        if pool is not None:
            with self._target.errors("closing"):
                await pool.close()


def _keys(outcomes: Sequence[StepOutcome]) -> Iterable[tuple[str, str, int]]:
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
    `_RECORD_OUTCOMES`'s twelve arrays: each row keyed by its outcome's attempt too.

    What each outcome appends, and in which order, is `rows.outcome_rows`, shared with SQLite.
    """
    events: list[tuple[str, str, int, float, str, str]] = []
    catalog: list[tuple[str, str, int, float, float | None, str]] = []
    now = time.time()
    for o, metadata in batch:
        appended, materialized = convert.outcome_rows(o, metadata, dumps, now)
        events.extend(
            (run, step, o.attempt, t, kind, data) for run, step, t, kind, data in appended
        )
        if materialized is not None:
            asset, run, when, duration, meta = materialized
            catalog.append((asset, run, o.attempt, when, duration, meta))
    return _columns(events, 6) + _columns(catalog, 6)


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


if TYPE_CHECKING:

    def _conforms(storage: PostgresStorage) -> RunStorage:
        return storage  # mypy proves PostgresStorage satisfies the port
