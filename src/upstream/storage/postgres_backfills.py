"""`BackfillStorage` on PostgreSQL, mixed into `PostgresStorage`: its SQL and its calls.

Thousands of QUEUED runs and their RUN_QUEUED events go in with one statement (`unnest` of
arrays) and one NOTIFY; a backfill's runs are found through the expression index on their
`dagster/backfill` tag (migration 8).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from upstream.storage import backfills as bf
from upstream.storage.base import created_event, finished_event
from upstream.storage.postgres_driver import PgTarget, dumps, text_value
from upstream.storage.records import RunRecord, RunStatus

__all__ = ["PostgresBackfills"]

_BACKFILL = "(tags ->> 'dagster/backfill')"
_RUN_COLUMNS = (
    "run_id, status, selection, created_at, ended_at, tags ->> 'dagster/partition',"
    " tags ->> 'dagster/asset_partition_range_start',"
    " tags ->> 'dagster/asset_partition_range_end'"
)
INSERT_BACKFILL = f"""INSERT INTO backfills ({bf.BACKFILL_COLUMNS})
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11)
ON CONFLICT (backfill_id) DO NOTHING"""
GET_BACKFILL = f"SELECT {bf.BACKFILL_COLUMNS} FROM backfills WHERE backfill_id = $1"
LIST_BACKFILLS = (
    f"SELECT {bf.BACKFILL_COLUMNS} FROM backfills WHERE ($2::text[] IS NULL OR status = ANY($2))"
    " ORDER BY created_at DESC, backfill_id DESC LIMIT $1"
)
SET_STATUS = """UPDATE backfills SET status = $1, ended_at = $2, skipped = $3::jsonb, message = $4
WHERE backfill_id = $5 AND ($6::text[] IS NULL OR status = ANY($6)) RETURNING backfill_id"""
# The runs and their RUN_QUEUED events in one statement: the events only of runs inserted.
CREATE_RUNS = """WITH new AS (
    INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,
        created_at, run_config, tags)
    SELECT i, 'QUEUED', s, '{}'::text[], l, h, c, rc::jsonb, t::jsonb
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[],
        $7::text[]) AS u (i, s, l, h, c, rc, t)
    ON CONFLICT (run_id) DO NOTHING
    RETURNING run_id
)
INSERT INTO events (run_id, step_key, timestamp, type, data)
SELECT u.i, NULL, u.c, 'RUN_QUEUED', u.d::jsonb
FROM unnest($1::text[], $5::float8[], $8::text[]) WITH ORDINALITY AS u (i, c, d, n)
JOIN new ON new.run_id = u.i
ORDER BY u.n
RETURNING run_id"""
# Claim many QUEUED runs (steps as JSON arrays: one array per run) and append RUN_STARTED.
START_RUNS = """WITH claimed AS (
    UPDATE runs AS r SET status = 'STARTED',
        steps = ARRAY(SELECT jsonb_array_elements_text(u.s::jsonb))
    FROM unnest($1::text[], $2::text[]) AS u (i, s)
    WHERE r.run_id = u.i AND r.status = 'QUEUED'
    RETURNING r.run_id
)
INSERT INTO events (run_id, step_key, timestamp, type, data)
SELECT run_id, NULL, $3, 'RUN_STARTED', '{}'::jsonb FROM claimed ORDER BY run_id
RETURNING run_id"""
# End many runs (each from QUEUED, STARTED or CANCELING) and append RUN_SUCCESS & co.
FINISH_RUNS = """WITH ended AS (
    UPDATE runs AS r SET status = u.st, ended_at = $3
    FROM unnest($1::text[], $2::text[]) AS u (i, st)
    WHERE r.run_id = u.i AND r.status IN ('QUEUED', 'STARTED', 'CANCELING')
    RETURNING r.run_id, r.status
)
INSERT INTO events (run_id, step_key, timestamp, type, data)
SELECT run_id, NULL, $3, 'RUN_' || status, '{}'::jsonb FROM ended ORDER BY run_id"""
BACKFILL_RUNS = (
    f"SELECT {_RUN_COLUMNS} FROM runs WHERE {_BACKFILL} = $1 ORDER BY created_at, run_id"
)
BACKFILL_COUNTS = f"SELECT status, count(*) FROM runs WHERE {_BACKFILL} = $1 GROUP BY status"


class PostgresBackfills(ABC):
    """The backfill calls, over the adapter's connection helpers."""

    _target: PgTarget

    @abstractmethod
    def _connection(self, action: str) -> AbstractAsyncContextManager[Any]: ...

    @abstractmethod
    def _transaction(
        self, action: str, run_ids: Iterable[str] = ()
    ) -> AbstractAsyncContextManager[Any]: ...

    @abstractmethod
    async def _fetch(self, action: str, statement: str, *args: Any) -> list[Any]: ...

    @abstractmethod
    async def _fetchrow(self, action: str, statement: str, *args: Any) -> Any: ...

    async def create_backfill(self, backfill: bf.BackfillRecord) -> None:
        b = backfill
        row = (
            b.backfill_id,
            b.status.value,
            text_value(b.selection),
            dumps(b.target),
            b.code_location,
            b.definitions_hash,
            b.created_at,
            b.ended_at,
            dumps(b.tags),
            dumps(list(b.skipped)),
            text_value(b.message),
        )
        async with self._connection("creating a backfill") as conn, conn.transaction():
            await conn.execute(INSERT_BACKFILL, *row)
            # On commit, wakes the active coordinator (`wait_for_queued_runs`) to drive it.
            await conn.execute("SELECT pg_notify($1, $2)", self._target.queued_channel, "")

    async def get_backfill(self, backfill_id: str) -> bf.BackfillRecord | None:
        row = await self._fetchrow("reading a backfill", GET_BACKFILL, backfill_id)
        return None if row is None else bf.backfill_record(row)

    async def list_backfills(
        self, limit: int = 50, statuses: Collection[bf.BackfillStatus] | None = None
    ) -> list[bf.BackfillRecord]:
        wanted = None if statuses is None else [s.value for s in statuses]
        rows = await self._fetch("listing backfills", LIST_BACKFILLS, limit, wanted)
        return [bf.backfill_record(row) for row in rows]

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
        wanted = [s.value for s in only_from] if only_from else None
        args = (status.value, ended_at, dumps(list(skipped)), text_value(message), backfill_id)
        row = await self._fetchrow("updating a backfill", SET_STATUS, *args, wanted)
        return row is not None

    async def create_runs(self, runs: Sequence[RunRecord]) -> int:
        bf.check_new_runs(runs)
        unique = list({run.run_id: run for run in runs}.values())
        if not unique:
            return 0
        columns = (
            [r.run_id for r in unique],
            [text_value(r.selection) for r in unique],
            [r.code_location for r in unique],
            [r.definitions_hash for r in unique],
            [r.created_at for r in unique],
            [dumps(r.run_config) for r in unique],
            [dumps(r.tags) for r in unique],
            [created_event(r, dumps)[1] for r in unique],
        )
        async with self._connection("creating runs") as conn, conn.transaction():
            new = await conn.fetch(CREATE_RUNS, *columns)
            if new:  # on commit, to every `wait_for_queued_runs`
                await conn.execute("SELECT pg_notify($1, $2)", self._target.queued_channel, "")
        return len(new)

    async def start_runs(self, claims: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
        if not claims:
            return []
        ids = [run_id for run_id, _ in claims]
        steps = [dumps(list(s)) for _, s in claims]
        async with self._transaction("starting queued runs", ids) as conn:
            rows = await conn.fetch(START_RUNS, ids, steps, time.time())
        return [row[0] for row in rows]

    async def finish_runs(self, ends: Sequence[tuple[str, RunStatus]], ended_at: float) -> None:
        for run_id, status in ends:
            finished_event(run_id, status, None, dumps)  # a status that is not final: ValueError
        if not ends:
            return
        ids = [run_id for run_id, _ in ends]
        async with self._transaction("finishing runs", ids) as conn:
            await conn.execute(FINISH_RUNS, ids, [s.value for _, s in ends], ended_at)

    async def backfill_runs(self, backfill_id: str) -> list[bf.BackfillRun]:
        rows = await self._fetch("reading a backfill's runs", BACKFILL_RUNS, backfill_id)
        return [bf.backfill_run(row) for row in rows]

    async def backfill_run_counts(self, backfill_id: str) -> dict[RunStatus, int]:
        rows = await self._fetch("counting a backfill's runs", BACKFILL_COUNTS, backfill_id)
        counts = dict.fromkeys(RunStatus, 0)
        counts.update((RunStatus(status), n) for status, n in rows)
        return counts
