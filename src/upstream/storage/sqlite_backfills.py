"""`BackfillStorage` on SQLite, mixed into `SqliteStorage`: its SQL and its calls.

A backfill's runs are found through the expression index on their `dagster/backfill` tag
(migration 9); thousands of QUEUED runs go in with two `executemany` in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

from upstream.storage import backfills as bf
from upstream.storage.base import EventType, created_event, finished_event
from upstream.storage.records import RunRecord, RunStatus

__all__ = ["SqliteBackfills"]

T = TypeVar("T")

_dumps = json.JSONEncoder(separators=(",", ":")).encode
_CHUNK = 500

_BACKFILL = """json_extract(tags, '$."dagster/backfill"')"""
_RUN_COLUMNS = (
    "run_id, status, selection, created_at, ended_at,"
    """ json_extract(tags, '$."dagster/partition"'),"""
    """ json_extract(tags, '$."dagster/asset_partition_range_start"'),"""
    """ json_extract(tags, '$."dagster/asset_partition_range_end"')"""
)
INSERT_BACKFILL = (
    f"INSERT INTO backfills ({bf.BACKFILL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (backfill_id) DO NOTHING"
)
GET_BACKFILL = f"SELECT {bf.BACKFILL_COLUMNS} FROM backfills WHERE backfill_id = ?"
SET_STATUS = (
    "UPDATE backfills SET status = ?, ended_at = ?, skipped = ?, message = ? WHERE backfill_id = ?"
)
INSERT_RUN = (
    "INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,"
    " created_at, run_config, tags) VALUES (?, 'QUEUED', ?, '[]', ?, ?, ?, ?, ?)"
    " ON CONFLICT (run_id) DO NOTHING"
)
START_RUN = "UPDATE runs SET status = 'STARTED', steps = ? WHERE run_id = ? AND status = 'QUEUED'"
FINISH_RUN = (
    "UPDATE runs SET status = ?, ended_at = ? WHERE run_id = ?"
    " AND status IN ('QUEUED', 'STARTED', 'CANCELING')"
)
INSERT_EVENT = (
    "INSERT INTO events (run_id, step_key, timestamp, type, data) VALUES (?, NULL, ?, ?, ?)"
)
BACKFILL_RUNS = f"SELECT {_RUN_COLUMNS} FROM runs WHERE {_BACKFILL} = ? ORDER BY created_at, run_id"
BACKFILL_COUNTS = f"SELECT status, count(*) FROM runs WHERE {_BACKFILL} = ? GROUP BY status"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SqliteBackfills(ABC):
    """The backfill calls, over the adapter's `_write` / `_all` / `_one`."""

    @abstractmethod
    async def _write(self, action: str, fn: Callable[[sqlite3.Connection], T]) -> T: ...

    @abstractmethod
    async def _all(self, action: str, statement: str, params: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    async def _one(self, action: str, statement: str, params: Sequence[Any]) -> Any: ...

    async def create_backfill(self, backfill: bf.BackfillRecord) -> None:
        row = _backfill_row(backfill)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(INSERT_BACKFILL, row)

        await self._write("creating a backfill", write)

    async def get_backfill(self, backfill_id: str) -> bf.BackfillRecord | None:
        row = await self._one("reading a backfill", GET_BACKFILL, (backfill_id,))
        return None if row is None else bf.backfill_record(row)

    async def list_backfills(
        self, limit: int = 50, statuses: Collection[bf.BackfillStatus] | None = None
    ) -> list[bf.BackfillRecord]:
        where, params = "", [limit]
        if statuses is not None:
            where = f" WHERE status IN ({_marks(len(statuses))})"
            params = [*(s.value for s in statuses), limit]  # type: ignore[list-item]
        statement = (
            f"SELECT {bf.BACKFILL_COLUMNS} FROM backfills{where}"
            " ORDER BY created_at DESC, backfill_id DESC LIMIT ?"
        )
        return [
            bf.backfill_record(r) for r in await self._all("listing backfills", statement, params)
        ]

    async def set_backfill_status(
        self,
        backfill_id: str,
        status: bf.BackfillStatus,
        *,
        ended_at: float | None = None,
        skipped: Sequence[str] = (),
        message: str | None = None,
        only_from: Collection[bf.BackfillStatus] = (),
    ) -> bool:
        statement, params = SET_STATUS, [status.value, ended_at, _dumps(list(skipped)), message]
        params.append(backfill_id)
        if only_from:
            statement += f" AND status IN ({_marks(len(only_from))})"
            params += [s.value for s in only_from]

        def write(conn: sqlite3.Connection) -> bool:
            return conn.execute(statement, params).rowcount == 1

        return await self._write("updating a backfill", write)

    async def create_runs(self, runs: Sequence[RunRecord]) -> int:
        bf.check_new_runs(runs)
        if not runs:
            return 0
        unique = list({run.run_id: run for run in runs}.values())

        def write(conn: sqlite3.Connection) -> int:
            ids = [run.run_id for run in unique]
            known: set[str] = set()
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                statement = f"SELECT run_id FROM runs WHERE run_id IN ({_marks(len(chunk))})"
                known.update(row[0] for row in conn.execute(statement, chunk))
            new = [run for run in unique if run.run_id not in known]
            conn.executemany(INSERT_RUN, [_run_row(run) for run in new])
            conn.executemany(INSERT_EVENT, [_event_row(run) for run in new])
            return len(new)

        return await self._write("creating runs", write)

    async def start_runs(self, claims: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
        if not claims:
            return []
        now = time.time()

        def write(conn: sqlite3.Connection) -> list[str]:
            claimed = [
                run_id
                for run_id, steps in claims
                if conn.execute(START_RUN, (_dumps(list(steps)), run_id)).rowcount == 1
            ]
            events = [(run_id, now, EventType.RUN_STARTED, "{}") for run_id in claimed]
            conn.executemany(INSERT_EVENT, events)
            return claimed

        return await self._write("starting queued runs", write)

    async def finish_runs(self, ends: Sequence[tuple[str, RunStatus]], ended_at: float) -> None:
        events = [
            (run_id, *finished_event(run_id, status, None, _dumps)) for run_id, status in ends
        ]

        def write(conn: sqlite3.Connection) -> None:
            rows = []
            for (run_id, status), (_, kind, data) in zip(ends, events, strict=True):
                if conn.execute(FINISH_RUN, (status.value, ended_at, run_id)).rowcount == 1:
                    rows.append((run_id, ended_at, kind, data))
            conn.executemany(INSERT_EVENT, rows)

        await self._write("finishing runs", write)

    async def backfill_runs(self, backfill_id: str) -> list[bf.BackfillRun]:
        rows = await self._all("reading a backfill's runs", BACKFILL_RUNS, (backfill_id,))
        return [bf.backfill_run(row) for row in rows]

    async def backfill_run_counts(self, backfill_id: str) -> dict[RunStatus, int]:
        rows = await self._all("counting a backfill's runs", BACKFILL_COUNTS, (backfill_id,))
        counts = dict.fromkeys(RunStatus, 0)
        counts.update((RunStatus(status), n) for status, n in rows)
        return counts


def _backfill_row(b: bf.BackfillRecord) -> tuple[Any, ...]:
    head = (b.backfill_id, b.status.value, b.selection, _dumps(b.target), b.code_location)
    tail = (b.definitions_hash, b.created_at, b.ended_at, _dumps(b.tags), _dumps(list(b.skipped)))
    return (*head, *tail, b.message)


def _run_row(run: RunRecord) -> tuple[Any, ...]:
    head = (run.run_id, run.selection, run.code_location, run.definitions_hash)
    return (*head, run.created_at, _dumps(run.run_config), _dumps(run.tags))


def _event_row(run: RunRecord) -> tuple[Any, ...]:
    return (run.run_id, run.created_at, *created_event(run, _dumps))
