"""The embedded state adapter: `RunStorage` on stdlib sqlite3, kept off the event loop.

One connection is used by one worker thread at a time (a `CapacityLimiter` of 1), so a
query never blocks the loop and sqlite3 never sees two threads at once. Every write is one
transaction in one thread hop; batches go through `executemany` on cached statements.

Event `data` by type: RUN_STARTED {selection}; RUN_CANCELING {}; RUN_SUCCESS / RUN_FAILURE
/ RUN_CANCELED {message} when there is a why (a QUEUED run canceled says it never started),
else {}; STEP_SUCCESS {attempt, duration, metadata}; STEP_FAILURE {attempt, error: {type,
message, traceback}}; STEP_SKIPPED {attempt, reason}; ASSET_MATERIALIZATION {asset_key,
metadata}; LOG {level, message}. A success appends its LOG events, then
ASSET_MATERIALIZATION, then STEP_SUCCESS, so the log reads in the order things happened.
The SQL itself is in `sqlite_sql`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from upstream.storage import rows as convert
from upstream.storage.base import EventType, RunStorage, StorageError
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
from upstream.storage.sqlite_migrations import migrate
from upstream.storage.sqlite_sql import (
    CANCEL_RUN,
    FINISH_RUN,
    INSERT_EVENT,
    INSERT_MATERIALIZATION,
    INSERT_QUEUED,
    INSERT_RUN,
    INSERT_SNAPSHOT,
    LATEST,
    LOCATION_COLUMNS,
    RUN_COLUMNS,
    RUN_STATUS,
    START_RUN,
    STEP_COLUMNS,
    UPDATE_LATEST,
    UPSERT_LOCATION,
    UPSERT_OUTCOME,
    asset_states,
)

__all__ = ["SqliteStorage", "open_sqlite_storage"]

T = TypeVar("T")

BUSY_TIMEOUT_S = 10.0
_CHUNK = 500  # bound parameters per IN (...) list, well under every SQLite build's limit

_POLL_SECONDS = 0.5  # SQLite has no notifications: waiting for queued runs polls
_RESUMABLE = (RunStatus.STARTED, RunStatus.CANCELING)  # what `unfinished_runs` returns

_RUN_EVENTS = {
    RunStatus.SUCCESS: EventType.RUN_SUCCESS,
    RunStatus.FAILURE: EventType.RUN_FAILURE,
    RunStatus.CANCELED: EventType.RUN_CANCELED,
}
_dumps = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per call


class SqliteStorage:
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

    async def __aenter__(self) -> SqliteStorage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

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

    async def create_run(self, run: RunRecord) -> None:
        if run.status not in (RunStatus.STARTED, RunStatus.QUEUED) or run.ended_at is not None:
            raise ValueError(
                f"run {run.run_id}: a run is created STARTED or QUEUED; end it with finish_run"
            )
        head = (run.run_id, run.status.value, run.selection, _dumps(list(run.steps)))
        row = (*head, run.code_location, run.definitions_hash, run.created_at)
        kind = EventType.RUN_QUEUED if run.status is RunStatus.QUEUED else EventType.RUN_STARTED
        event = (run.run_id, None, run.created_at, kind, _dumps({"selection": run.selection}))

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(INSERT_RUN, row).rowcount == 1:
                conn.execute(INSERT_EVENT, event)

        await self._write("creating a run", write)

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        now = time.time()

        def write(conn: sqlite3.Connection) -> bool:
            if conn.execute(START_RUN, (_dumps(list(steps)), run_id)).rowcount != 1:
                return False
            conn.execute(INSERT_EVENT, (run_id, None, now, EventType.RUN_STARTED, "{}"))
            return True

        return await self._write("starting a queued run", write)

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        if status not in _RUN_EVENTS:
            raise ValueError(f"run {run_id}: finish_run needs a final status, not {status}")
        kind = _RUN_EVENTS[status]
        data = _dumps({"message": message} if message is not None else {})

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute(FINISH_RUN, (status.value, ended_at, run_id)).rowcount == 1:
                conn.execute(INSERT_EVENT, (run_id, None, ended_at, kind, data))

        await self._write("finishing a run", write)

    async def request_cancel(self, run_id: str, at: float) -> RunStatus | None:
        def write(conn: sqlite3.Connection) -> RunStatus | None:
            changed = conn.execute(CANCEL_RUN, (at, run_id)).rowcount == 1
            row = conn.execute(RUN_STATUS, (run_id,)).fetchone()
            if row is None:
                return None
            status = RunStatus(row[0])
            if changed:
                kind, data = convert.cancel_event(status, _dumps)
                conn.execute(INSERT_EVENT, (run_id, None, at, kind, data))
            return status

        return await self._write("canceling a run", write)

    async def unfinished_runs(self) -> list[RunRecord]:
        return await self._runs_with_status(_RESUMABLE, None)

    async def queued_runs(self, limit: int = 100) -> list[RunRecord]:
        return await self._runs_with_status((RunStatus.QUEUED,), limit)

    async def _runs_with_status(
        self, statuses: Sequence[RunStatus], limit: int | None
    ) -> list[RunRecord]:
        marks = ", ".join("?" * len(statuses))
        sql = (
            f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ({marks}) ORDER BY created_at, run_id"
        )
        params: tuple[Any, ...] = tuple(status.value for status in statuses)
        if limit is not None:
            sql, params = sql + " LIMIT ?", (*params, limit)
        rows = await self._run("reading runs", lambda c: c.execute(sql, params).fetchall())
        return [convert.run_record(row, json.loads(row[3])) for row in rows]

    async def wait_for_queued_runs(self) -> None:
        await anyio.sleep(_POLL_SECONDS)

    async def register_code_location(self, location: CodeLocationRecord) -> None:
        snapshot = (location.definitions_hash, _dumps(location.snapshot), location.updated_at)
        row = (location.name, location.definitions_hash, location.updated_at)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(INSERT_SNAPSHOT, snapshot)
            conn.execute(UPSERT_LOCATION, row)

        await self._write("registering a code location", write)

    async def get_code_location(self, name: str) -> CodeLocationRecord | None:
        sql = LOCATION_COLUMNS + " WHERE l.name = ?"
        row = await self._run(
            "reading a code location", lambda c: c.execute(sql, (name,)).fetchone()
        )
        return None if row is None else convert.location(row)

    async def list_code_locations(self) -> list[CodeLocationRecord]:
        sql = LOCATION_COLUMNS + " ORDER BY l.name"
        rows = await self._run("reading code locations", lambda c: c.execute(sql).fetchall())
        return [convert.location(row) for row in rows]

    async def get_snapshot(self, definitions_hash: str) -> dict[str, Any] | None:
        sql = "SELECT snapshot FROM snapshots WHERE definitions_hash = ?"
        row = await self._run(
            "reading a snapshot", lambda c: c.execute(sql, (definitions_hash,)).fetchone()
        )
        return None if row is None else parse_snapshot(row[0])

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
            conn.executemany(INSERT_QUEUED, rows)

        await self._write("recording queued steps", write)

    async def record_outcomes(
        self,
        outcomes: Sequence[StepOutcome],
        queued: Sequence[tuple[str, str, int]] = (),
        queued_at: float = 0.0,
    ) -> list[bool]:
        for outcome in outcomes:
            if outcome.status is StepStatus.QUEUED:
                raise ValueError(f"step {outcome.step_key}: an outcome must be final, not QUEUED")
        if not outcomes and not queued:
            return []
        ready = [
            (run, key, attempt, StepStatus.QUEUED.value, queued_at) for run, key, attempt in queued
        ]

        def write(conn: sqlite3.Connection) -> list[bool]:
            recorded = _record(conn, outcomes) if outcomes else []
            conn.executemany(INSERT_QUEUED, ready)
            return recorded

        return await self._write("recording step outcomes", write)

    async def get_run(self, run_id: str) -> RunRecord | None:
        sql = f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?"
        row = await self._run("reading a run", lambda c: c.execute(sql, (run_id,)).fetchone())
        return None if row is None else convert.run_record(row, json.loads(row[3]))

    async def find_run_ids(self, prefix: str) -> list[str]:
        # A range on the primary key, not LIKE: LIKE is case-insensitive and skips the index.
        sql = "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id"
        bounds = (prefix, prefix + "\U0010ffff")
        rows = await self._run("finding runs", lambda c: c.execute(sql, bounds).fetchall())
        return [row[0] for row in rows]

    async def list_runs(self, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        where, params = (
            ("", (limit,)) if status is None else ("WHERE status = ?", (status.value, limit))
        )
        sql = (
            f"SELECT {RUN_COLUMNS} FROM runs {where} ORDER BY created_at DESC, run_id DESC LIMIT ?"
        )
        rows = await self._run("listing runs", lambda c: c.execute(sql, params).fetchall())
        return [convert.run_record(row, json.loads(row[3])) for row in rows]

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        sql = f"SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY seq"
        rows = await self._run("reading steps", lambda c: c.execute(sql, (run_id,)).fetchall())
        return [convert.step_record(row) for row in rows]

    async def get_events(self, run_id: str, after_id: int = 0) -> list[EventRecord]:
        sql = (
            "SELECT id, run_id, step_key, timestamp, type, data FROM events"
            " WHERE run_id = ? AND id > ? ORDER BY id"
        )
        params = (run_id, after_id)
        rows = await self._run("reading events", lambda c: c.execute(sql, params).fetchall())
        # Every row's data in one parse, as one JSON array: a quarter of the time of a
        # parse per row (2,000 events).
        data = json.loads(f"[{','.join(r[5] for r in rows)}]")
        return [
            EventRecord(r[0], r[1], r[2], r[3], r[4], d) for r, d in zip(rows, data, strict=True)
        ]

    async def latest_materializations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, Materialization]:
        def read(conn: sqlite3.Connection) -> list[Any]:
            if asset_keys is None:
                return conn.execute(LATEST).fetchall()
            keys = list(dict.fromkeys(asset_keys))
            rows: list[Any] = []
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows += conn.execute(f"{LATEST} WHERE l.asset_key IN ({marks})", chunk).fetchall()
            return rows

        rows = await self._run("reading the asset catalog", read)
        return {row[0]: convert.materialization(row) for row in rows}

    async def materializations(self, asset_key: str, limit: int = 100) -> list[Materialization]:
        sql = (
            "SELECT asset_key, run_id, timestamp, duration, metadata FROM materializations"
            " WHERE asset_key = ? ORDER BY id DESC LIMIT ?"
        )
        params = (asset_key, limit)
        rows = await self._run("reading asset history", lambda c: c.execute(sql, params).fetchall())
        return [convert.materialization(row) for row in rows]

    async def asset_states(self, asset_keys: Sequence[str] | None = None) -> dict[str, AssetState]:
        def read(conn: sqlite3.Connection) -> list[Any]:
            if asset_keys is None:
                return conn.execute(asset_states(None)).fetchall()
            keys = list(dict.fromkeys(asset_keys))
            rows: list[Any] = []
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                rows += conn.execute(asset_states(len(chunk)), chunk).fetchall()
            return rows

        rows = await self._run("reading asset states", read)
        return {row[1]: convert.asset_state(row) for row in rows}

    async def close(self) -> None:
        """Close the connection (after any call in flight); a second close does nothing."""
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


def _record(conn: sqlite3.Connection, outcomes: Sequence[StepOutcome]) -> list[bool]:
    """Upsert each step row, then append every event and catalog row in two executemany."""
    cursor = conn.cursor()
    accepted: list[bool] = []
    events: list[tuple[str, str, float, str, str]] = []
    catalog: list[tuple[str, str, float, float | None, str]] = []
    now = time.time()
    for o in outcomes:
        error = o.error
        metadata = _dumps(o.metadata)
        err = (None, None, None) if error is None else (error.type, error.message, error.traceback)
        key = (o.run_id, o.step_key, o.attempt, o.status.value, o.started_at, o.ended_at)
        cursor.execute(UPSERT_OUTCOME, (*key, o.worker_id, *err, o.skip_reason, metadata))
        is_new = cursor.rowcount == 1
        accepted.append(is_new)
        if not is_new:
            continue
        appended, materialized = convert.outcome_rows(o, metadata, _dumps, now)
        events.extend(appended)
        if materialized is not None:
            catalog.append(materialized)
    if events:
        cursor.executemany(INSERT_EVENT, events)
    if catalog:
        (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM materializations").fetchone()
        cursor.executemany(INSERT_MATERIALIZATION, catalog)
        cursor.execute(UPDATE_LATEST, (before,))
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


if TYPE_CHECKING:

    def _conforms(storage: SqliteStorage) -> RunStorage:
        return storage  # mypy proves SqliteStorage satisfies the port
