"""The embedded state adapter: `RunStorage` on stdlib sqlite3, kept off the event loop.

One connection is used by one worker thread at a time (a `CapacityLimiter` of 1), so a
query never blocks the loop and sqlite3 never sees two threads at once. Every write is one
transaction in one thread hop; batches go through `executemany` on cached statements.
The contract (checks, events and their data) is `base`'s; the SQL is in `sqlite_sql`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from upstream.storage import base, records
from upstream.storage import rows as convert
from upstream.storage import sqlite_sql as sql
from upstream.storage.base import EventType, RunStorage, StepAttempt, StorageError
from upstream.storage.records import RunStatus, StepOutcome, StepStatus
from upstream.storage.snapshots import parse_snapshot
from upstream.storage.sqlite_backfills import SqliteBackfills
from upstream.storage.sqlite_migrations import migrate

__all__ = ["SqliteStorage", "open_sqlite_storage"]

T = TypeVar("T")

BUSY_TIMEOUT_S = 10.0
_CHUNK = 500  # bound parameters per IN (...) list, well under every SQLite build's limit

_POLL_SECONDS = 0.5  # SQLite has no notifications: waiting for queued runs polls
_dumps = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per call


class SqliteStorage(SqliteBackfills, RunStorage):
    """Runs, steps, events and the asset catalog in one SQLite file (or in memory).

    Build it with `open_sqlite_storage`, which applies migrations first.
    """

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._where = where
        self._in_memory = where == ":memory:"
        self._limiter = anyio.CapacityLimiter(1)
        self._memory_locks: dict[str, anyio.Lock] = {}

    @property
    def path(self) -> str:
        """The database file as given (or ":memory:")."""
        return self._where

    async def _run(self, action: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise StorageError(f"state database {self._where} is closed; open it again")
        try:
            if self._in_memory:
                # No disk and no other connection, so nothing to wait for: on the loop. A
                # thread hop cost more than the statements (every materialize() run is here).
                return fn(conn)
            return await anyio.to_thread.run_sync(fn, conn, limiter=self._limiter)
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, action) from exc

    async def _all(self, action: str, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return await self._run(action, lambda c: c.execute(statement, params).fetchall())

    async def _one(self, action: str, statement: str, params: Sequence[Any]) -> Any:
        return await self._run(action, lambda c: c.execute(statement, params).fetchone())

    async def _write(self, action: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one transaction; the write lock is taken up front, so no upgrade race."""

        def in_transaction(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return await self._run(action, in_transaction)

    async def create_run(self, run: records.RunRecord) -> None:
        kind, data = base.created_event(run, _dumps)
        head = (run.run_id, run.status.value, run.selection, _dumps(list(run.steps)))
        row = (
            *head,
            run.code_location,
            run.definitions_hash,
            run.created_at,
            _dumps(run.run_config),
            _dumps(run.tags),
        )
        event = (run.run_id, None, run.created_at, kind, data)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(sql.INSERT_RUN, row).rowcount == 1:
                conn.execute(sql.INSERT_EVENT, event)

        await self._write("creating a run", write)

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        event = (run_id, None, time.time(), EventType.RUN_STARTED, "{}")

        def write(conn: sqlite3.Connection) -> bool:
            if conn.execute(sql.START_RUN, (_dumps(list(steps)), run_id)).rowcount != 1:
                return False
            conn.execute(sql.INSERT_EVENT, event)
            return True

        return await self._write("starting a queued run", write)

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        kind, data = base.finished_event(run_id, status, message, _dumps)

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(sql.FINISH_RUN, (status.value, ended_at, run_id)).rowcount == 1:
                conn.execute(sql.INSERT_EVENT, (run_id, None, ended_at, kind, data))

        await self._write("finishing a run", write)

    async def request_cancel(self, run_id: str, at: float) -> RunStatus | None:
        def write(conn: sqlite3.Connection) -> RunStatus | None:
            changed = conn.execute(sql.CANCEL_RUN, (at, run_id)).rowcount == 1
            row = conn.execute(sql.RUN_STATUS, (run_id,)).fetchone()
            if row is None:
                return None
            status = RunStatus(row[0])
            if changed:
                kind, data = base.cancel_event(status, _dumps)
                conn.execute(sql.INSERT_EVENT, (run_id, None, at, kind, data))
            return status

        return await self._write("canceling a run", write)

    async def unfinished_runs(self) -> list[records.RunRecord]:
        return await self._runs_with_status(base.RESUMABLE, None)

    async def queued_runs(self, limit: int = 100) -> list[records.RunRecord]:
        return await self._runs_with_status((RunStatus.QUEUED,), limit)

    async def _runs_with_status(
        self, statuses: Sequence[RunStatus], limit: int | None
    ) -> list[records.RunRecord]:
        params: tuple[Any, ...] = tuple(status.value for status in statuses)
        if limit is not None:
            params = (*params, limit)
        statement = sql.runs_with_status(len(statuses), limit is not None)
        rows = await self._all("reading runs", statement, params)
        return [convert.run_record(row, json.loads(row[3])) for row in rows]

    async def wait_for_queued_runs(self) -> None:
        await anyio.sleep(_POLL_SECONDS)

    async def register_code_location(self, location: records.CodeLocationRecord) -> None:
        snapshot = (location.definitions_hash, _dumps(location.snapshot), location.updated_at)
        row = (location.name, location.definitions_hash, location.updated_at)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(sql.INSERT_SNAPSHOT, snapshot)
            conn.execute(sql.UPSERT_LOCATION, row)

        await self._write("registering a code location", write)

    async def get_code_location(self, name: str) -> records.CodeLocationRecord | None:
        row = await self._one("reading a code location", sql.GET_LOCATION, (name,))
        return None if row is None else convert.location(row)

    async def list_code_locations(self) -> list[records.CodeLocationRecord]:
        rows = await self._all("reading code locations", sql.LIST_LOCATIONS)
        return [convert.location(row) for row in rows]

    async def get_snapshot(self, definitions_hash: str) -> dict[str, Any] | None:
        row = await self._one("reading a snapshot", sql.GET_SNAPSHOT, (definitions_hash,))
        return None if row is None else parse_snapshot(row[0])

    async def heartbeat(
        self, coordinator_id: str, state: records.CoordinatorState, started_at: float
    ) -> None:
        now = time.time()
        forget = (now - base.FORGET_COORDINATORS_AFTER, coordinator_id)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(sql.FORGET_COORDINATORS, forget)
            conn.execute(sql.HEARTBEAT, (coordinator_id, state.value, started_at, now))

        await self._write("recording a heartbeat", write)

    async def coordinators(self) -> list[records.CoordinatorRecord]:
        rows = await self._all("reading heartbeats", sql.COORDINATORS, (time.time(),))
        return [convert.coordinator(row) for row in rows]

    @contextlib.asynccontextmanager
    async def leadership(self, name: str) -> AsyncIterator[None]:
        """A lock file beside the database (flock: released by the OS if we die); in memory,
        a lock of this object."""
        if self._in_memory:
            lock = self._memory_locks.setdefault(name, anyio.Lock())
            async with lock:
                yield
            return
        path = f"{self._where}.{name}.lock"
        handle = await anyio.to_thread.run_sync(lambda: open(path, "a+"))  # noqa: SIM115
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await anyio.sleep(_POLL_SECONDS)
            yield
        finally:
            handle.close()  # closing the file releases the lock

    async def record_queued(
        self, run_id: str, steps: Sequence[tuple[str, int]], queued_at: float
    ) -> None:
        rows = [
            (run_id, key, attempt, StepStatus.QUEUED.value, queued_at) for key, attempt in steps
        ]
        if not rows:
            return

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(sql.INSERT_QUEUED, rows)

        await self._write("recording queued steps", write)

    async def record_outcomes(
        self,
        outcomes: Sequence[StepOutcome],
        queued: Sequence[StepAttempt] = (),
        queued_at: float = 0.0,
    ) -> list[bool]:
        base.check_outcomes(outcomes)
        if not outcomes and not queued:
            return []
        ready = [
            (run, key, attempt, StepStatus.QUEUED.value, queued_at) for run, key, attempt in queued
        ]

        def write(conn: sqlite3.Connection) -> list[bool]:
            recorded = _record(conn, outcomes) if outcomes else []
            conn.executemany(sql.INSERT_QUEUED, ready)
            return recorded

        return await self._write("recording step outcomes", write)

    async def get_run(self, run_id: str) -> records.RunRecord | None:
        row = await self._one("reading a run", sql.GET_RUN, (run_id,))
        return None if row is None else convert.run_record(row, json.loads(row[3]))

    async def find_run_ids(self, prefix: str) -> list[str]:
        rows = await self._all("finding runs", sql.FIND_RUN_IDS, base.prefix_bounds(prefix))
        return [row[0] for row in rows]

    async def list_runs(
        self, limit: int = 50, status: RunStatus | None = None
    ) -> list[records.RunRecord]:
        params = (limit,) if status is None else (status.value, limit)
        rows = await self._all("listing runs", sql.list_runs(status is not None), params)
        return [convert.run_record(row, json.loads(row[3])) for row in rows]

    async def count_runs(
        self, statuses: Collection[RunStatus] | None = None
    ) -> dict[RunStatus, int]:
        wanted = None if statuses is None else [status.value for status in statuses]
        statement = sql.count_runs(None if wanted is None else len(wanted))
        rows = await self._all("counting runs", statement, wanted or ())
        return convert.run_counts(rows, statuses)

    async def get_steps(self, run_id: str) -> list[records.StepRecord]:
        rows = await self._all("reading steps", sql.GET_STEPS, (run_id,))
        return [convert.step_record(row) for row in rows]

    async def get_events(self, run_id: str, after_id: int = 0) -> list[records.EventRecord]:
        return convert.events(await self._all("reading events", sql.GET_EVENTS, (run_id, after_id)))

    async def latest_materializations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.Materialization]:
        rows = await self._run("reading the asset catalog", _by_keys(sql.latest, asset_keys))
        return {row[0]: convert.materialization(row) for row in rows}

    async def materializations(
        self, asset_key: str, limit: int = 100
    ) -> list[records.Materialization]:
        rows = await self._all("reading asset history", sql.MATERIALIZATIONS, (asset_key, limit))
        return [convert.materialization(row) for row in rows]

    async def record_observations(self, observations: Sequence[records.Observation]) -> None:
        rows = [
            (o.asset_key, o.observation_id, o.timestamp, o.data_version, _dumps(o.metadata))
            for o in observations
        ]

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(sql.INSERT_OBSERVATION, rows)

        await self._write("recording observations", write)

    async def latest_observations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.Observation]:
        read = _by_keys(sql.latest_observations, asset_keys)
        rows = await self._run("reading observations", read)
        return {row[0]: convert.observation(row) for row in rows}

    async def observations(self, asset_key: str, limit: int = 100) -> list[records.Observation]:
        rows = await self._all("reading observations", sql.OBSERVATIONS, (asset_key, limit))
        return [convert.observation(row) for row in rows]

    async def asset_states(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, records.AssetState]:
        rows = await self._run("reading asset states", _by_keys(sql.asset_states, asset_keys))
        return {row[1]: convert.asset_state(row) for row in rows}

    async def partition_status(self, asset_key: str) -> records.PartitionStatus:
        rows = await self._all("reading partition status", sql.PARTITION_STATUS, (asset_key,))
        return convert.partition_status(asset_key, rows)

    async def latest_partition_materializations(
        self, asset_key: str, keys: Sequence[str] | None = None, limit: int = 1000
    ) -> dict[str, records.Materialization]:
        def read(conn: sqlite3.Connection) -> list[Any]:
            if keys is None:
                return conn.execute(sql.latest_partitions(None), (asset_key, limit)).fetchall()
            unique, rows = list(dict.fromkeys(keys)), []
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                params = (asset_key, *chunk, limit)
                rows += conn.execute(sql.latest_partitions(len(chunk)), params).fetchall()
            return rows

        rows = await self._run("reading partition materializations", read)
        return convert.partition_materializations(rows, limit)

    async def add_dynamic_partitions(self, name: str, keys: Sequence[str]) -> list[str]:
        unique = base.check_dynamic_partitions(name, keys)
        now = time.time()

        def write(conn: sqlite3.Connection) -> list[str]:
            cursor, added = conn.cursor(), []
            for key in unique:
                if cursor.execute(sql.ADD_DYNAMIC_PARTITION, (name, key, now)).rowcount == 1:
                    added.append(key)
            return added

        return await self._write("adding dynamic partitions", write)

    async def delete_dynamic_partition(self, name: str, key: str) -> bool:
        def write(conn: sqlite3.Connection) -> bool:
            return bool(conn.execute(sql.DELETE_DYNAMIC_PARTITION, (name, key)).rowcount == 1)

        return await self._write("deleting a dynamic partition", write)

    async def get_dynamic_partitions(self, name: str) -> list[str]:
        rows = await self._all("reading dynamic partitions", sql.GET_DYNAMIC_PARTITIONS, (name,))
        return [row[0] for row in rows]

    async def has_dynamic_partition(self, name: str, key: str) -> bool:
        row = await self._one("reading dynamic partitions", sql.HAS_DYNAMIC_PARTITION, (name, key))
        return row is not None

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return

        def close(conn: sqlite3.Connection) -> None:
            try:
                conn.execute("PRAGMA optimize")
            finally:
                conn.close()

        try:
            await anyio.to_thread.run_sync(close, conn, limiter=self._limiter)
        except sqlite3.Error as exc:
            raise _translate(exc, self._where, "closing") from exc


def _by_keys(
    statement: Callable[[int | None], str], keys: Sequence[str] | None
) -> Callable[[sqlite3.Connection], list[Any]]:
    """A read of `statement` for every key (None), or for `keys` in chunks of bound `?`s."""

    def read(conn: sqlite3.Connection) -> list[Any]:
        if keys is None:
            return conn.execute(statement(None)).fetchall()
        unique = list(dict.fromkeys(keys))
        rows: list[Any] = []
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            rows += conn.execute(statement(len(chunk)), chunk).fetchall()
        return rows

    return read


def _record(conn: sqlite3.Connection, outcomes: Sequence[StepOutcome]) -> list[bool]:
    """Upsert each step row, then append every event and catalog row in two executemany."""
    cursor = conn.cursor()
    accepted: list[bool] = []
    events: list[base.EventRow] = []
    catalog: list[base.CatalogRow] = []
    partitions: list[base.PartitionRow] = []
    now, upsert = time.time(), sql.UPSERT_OUTCOME
    for o in outcomes:
        error = o.error
        metadata = _dumps(o.metadata)
        err = (None, None, None) if error is None else (error.type, error.message, error.traceback)
        key = (o.run_id, o.step_key, o.attempt, o.status.value, o.started_at, o.ended_at)
        cursor.execute(upsert, (*key, o.worker_id, *err, o.skip_reason, metadata))
        is_new = cursor.rowcount == 1
        accepted.append(is_new)
        if not is_new:
            continue
        appended, materialized = base.outcome_rows(o, metadata, _dumps, now)
        events.extend(appended)
        catalog.extend(materialized)
        partitions.extend(base.partition_rows(o, base.outcome_time(o, now)))
    if events:
        cursor.executemany(sql.INSERT_EVENT, events)
    made: dict[tuple[str, str], int] = {}
    if catalog:
        (before,) = cursor.execute(sql.MAX_MATERIALIZATION).fetchone()
        cursor.executemany(sql.INSERT_MATERIALIZATION, catalog)
        cursor.execute(sql.UPDATE_LATEST, (before,))
        if partitions:
            new = cursor.execute(sql.NEW_MATERIALIZATIONS, (before,)).fetchall()
            made = {(asset, run): id_ for id_, asset, run in new}
    if partitions:
        ok = StepStatus.SUCCESS.value
        rows = [
            (asset, key, run, status, at, made.get((asset, run)) if status == ok else None)
            for asset, key, run, status, at in partitions
        ]
        cursor.executemany(sql.UPSERT_PARTITION, rows)
    return accepted


def _translate(exc: sqlite3.Error, where: str, action: str) -> StorageError:
    """Name the file, what failed and the likely fix; never leak a bare sqlite3 error."""
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        fix = "create the run (create_run) before recording its steps"
    elif "locked" in text or "busy" in text:
        fix = "another process holds the write lock; stop it or try again"
    elif "not a database" in text or "malformed" in text:
        fix = "it is corrupt or not an upstream state database; move it aside and run again"
    elif "unable to open" in text or "readonly" in text or "disk" in text:
        fix = "check that its directory exists and is writable and that the disk has space"
    else:
        fix = "check that it is an upstream state database on a writable disk"
    detail = f"{type(exc).__name__}: {text}"
    return StorageError(f"state database {where}: {action} failed ({detail}); {fix}")


def _connect(target: str) -> sqlite3.Connection:
    """Open and configure the connection, then migrate; runs in a worker thread."""
    memory = target == ":memory:"
    if not memory:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_S,
        isolation_level=None,  # autocommit: we issue BEGIN/COMMIT ourselves
        check_same_thread=False,  # safe: the CapacityLimiter(1) serialises every use
        cached_statements=256,
    )
    try:
        if not memory:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, target)
    except BaseException:
        conn.close()
        raise
    return conn


async def open_sqlite_storage(path: str | os.PathLike[str]) -> SqliteStorage:
    """Open (creating the file and its directories) and migrate; ":memory:" for tests."""
    target = os.fspath(path)
    try:
        conn = await anyio.to_thread.run_sync(_connect, target)
    except sqlite3.Error as exc:
        raise _translate(exc, target, "opening") from exc
    except OSError as exc:
        raise StorageError(
            f"state database {target}: cannot create its directory ({exc}); choose a writable path"
        ) from exc
    return SqliteStorage(conn, target)
