"""What only the PostgreSQL adapter has: a shared server, migrations under an advisory lock,
notifications, and connection errors that must not leak the password."""

from __future__ import annotations

import os

import anyio
import asyncpg  # type: ignore[import-untyped, unused-ignore]
import pytest

from upstream.protocol import ErrorInfo, LogLine
from upstream.storage import postgres_migrations
from upstream.storage.base import EventType, StorageError
from upstream.storage.postgres import PostgresStorage, open_postgres_storage
from upstream.storage.postgres_driver import quote_ident
from upstream.storage.postgres_migrations import LATEST_VERSION
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus

pytestmark = pytest.mark.integration

PG_URL = os.environ.get("UPSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

T0 = 1_700_000_000.0


def make_run(run_id: str, steps: int = 2, status: RunStatus = RunStatus.STARTED) -> RunRecord:
    keys = tuple(f"asset_{i}" for i in range(steps))
    return RunRecord(run_id, status, "*", keys, "pipeline.defs", "hash-1", T0)


async def versions(schema: str) -> list[tuple[int, float]]:
    conn = await asyncpg.connect(PG_URL)
    try:
        rows = await conn.fetch(
            f"SELECT version, applied_at FROM {quote_ident(schema)}.schema_version ORDER BY 1"
        )
    finally:
        await conn.close()
    return [(row[0], row[1]) for row in rows]


async def test_reopening_keeps_everything_and_migrates_nothing(pg_schema: str) -> None:
    """A second open finds the schema current: no version row is added or rewritten."""
    async with await open_postgres_storage(PG_URL, schema=pg_schema) as storage:
        await storage.create_run(make_run("run-1"))
    before = await versions(pg_schema)
    assert [version for version, _ in before] == list(range(1, LATEST_VERSION + 1))

    async with await open_postgres_storage(PG_URL, schema=pg_schema) as reopened:
        assert await reopened.get_run("run-1") == make_run("run-1")
    assert await versions(pg_schema) == before


async def test_two_processes_opening_a_fresh_schema_both_succeed(pg_schema: str) -> None:
    """The advisory lock makes the second opener wait, then find nothing left to do."""
    opened = []

    async def open_one() -> None:
        opened.append(await open_postgres_storage(PG_URL, schema=pg_schema, max_size=2))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(open_one)
    try:
        await opened[0].create_run(make_run("run-1"))
        assert await opened[-1].get_run("run-1") is not None
        assert [v for v, _ in await versions(pg_schema)] == list(range(1, LATEST_VERSION + 1))
    finally:
        for storage in opened:
            await storage.close()


async def test_a_version_1_schema_is_upgraded_in_place(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema written before the asset-states index (version 1) gains it (2), the
    heartbeat table (3), the observations table (4), run config (5), run tags (6, '{}' for
    old runs), the catalog per partition with dynamic partitions (7) and backfills (8) on
    open, its data kept."""
    assert LATEST_VERSION == 8
    with monkeypatch.context() as older:
        older.setattr(postgres_migrations, "MIGRATIONS", postgres_migrations.MIGRATIONS[:1])
        older.setattr(postgres_migrations, "LATEST_VERSION", 1)
        async with await open_postgres_storage(PG_URL, schema=pg_schema) as storage:
            conn = await asyncpg.connect(PG_URL)
            try:  # the run row as the code of version 1 wrote it
                await conn.execute(
                    f"INSERT INTO {quote_ident(pg_schema)}.runs (run_id, status, selection,"
                    " steps, code_location, definitions_hash, created_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    *("run-1", "STARTED", "*", ["asset_0", "asset_1"], "pipeline.defs", "h", T0),
                )
            finally:
                await conn.close()
            await storage.record_queued("run-1", [("asset_0", 1)], T0)
        assert [v for v, _ in await versions(pg_schema)] == [1]

    async with await open_postgres_storage(PG_URL, schema=pg_schema) as upgraded:
        states = await upgraded.asset_states()
        assert {key: s.run_status for key, s in states.items()} == {"asset_0": RunStatus.STARTED}
        assert await upgraded.coordinators() == []
        assert await upgraded.latest_observations() == {}
        run = await upgraded.get_run("run-1")
        assert run is not None and run.run_config == {} and run.tags == {}
        assert await upgraded.get_dynamic_partitions("any") == []
    assert [v for v, _ in await versions(pg_schema)] == list(range(1, LATEST_VERSION + 1))
    conn = await asyncpg.connect(PG_URL)
    try:
        index = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'steps_by_key'",
            pg_schema,
        )
    finally:
        await conn.close()
    assert index is not None and "(step_key, seq DESC)" in index


async def test_a_schema_from_a_newer_upstream_is_refused(pg_schema: str) -> None:
    """A schema version newer than this build raises StorageError asking for an upgrade."""
    await (await open_postgres_storage(PG_URL, schema=pg_schema)).close()
    conn = await asyncpg.connect(PG_URL)
    try:
        table = f"{quote_ident(pg_schema)}.schema_version"
        await conn.execute(f"INSERT INTO {table} VALUES ($1, 0)", LATEST_VERSION + 1)
    finally:
        await conn.close()
    newer = f"schema {LATEST_VERSION + 1} > {LATEST_VERSION}"
    with pytest.raises(StorageError, match=f"newer upstream \\({newer}\\); upgrade upstream"):
        await open_postgres_storage(PG_URL, schema=pg_schema)


async def test_an_unreachable_server_names_host_and_fix_but_not_the_password() -> None:
    """Nothing listens on port 1: StorageError says where and what to do, never the secret."""
    dsn = "postgresql://upstream:s3cret-pw@127.0.0.1:1/cluster_db"
    with pytest.raises(StorageError) as caught:
        await open_postgres_storage(dsn, schema="never_created")
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "127.0.0.1:1/cluster_db" in message
    assert "UPSTREAM_DATABASE_URL" in message


async def test_a_closed_storage_says_so(pg_schema: str) -> None:
    """Using a closed store raises StorageError, not an asyncpg InterfaceError."""
    storage = await open_postgres_storage(PG_URL, schema=pg_schema)
    await storage.close()
    await storage.close()  # a second close is harmless
    with pytest.raises(StorageError, match="closed"):
        await storage.get_run("run-1")


async def test_ten_thousand_mixed_outcomes_record_in_one_call(pg_schema: str) -> None:
    """One big batch over two runs: new successes, failures with logs, skips, rows already
    final and duplicates inside the batch, each answered and recorded exactly once."""
    n = 10_000
    error = ErrorInfo("ValueError", "bad", "tb")
    async with await open_postgres_storage(PG_URL, schema=pg_schema) as storage:
        await storage.create_run(make_run("run-a", steps=n))
        await storage.create_run(make_run("run-b", steps=n))
        await storage.record_queued("run-a", [(f"asset_{i}", 1) for i in range(n)], T0)
        done = StepOutcome("run-a", "asset_0", 1, StepStatus.SUCCESS, T0, T0 + 1)
        assert await storage.record_outcomes([done]) == [True]

        outcomes: list[StepOutcome] = []
        for i in range(n):
            run_id, key = ("run-a" if i % 2 == 0 else "run-b"), f"asset_{i}"
            if i % 10 == 3:
                logs = (LogLine(T0 + 0.5, "INFO", f"line {i}"),)
                outcome = StepOutcome(
                    run_id, key, 1, StepStatus.FAILURE, T0, T0 + 1, error=error, logs=logs
                )
            elif i % 10 == 7:
                outcome = StepOutcome(run_id, key, 1, StepStatus.SKIPPED, skip_reason="up failed")
            else:
                outcome = StepOutcome(
                    run_id, key, 1, StepStatus.SUCCESS, T0, T0 + 1 + i / n, metadata={"i": i}
                )
            outcomes.append(outcome)
        outcomes.append(outcomes[2])  # a duplicate inside the batch
        expected = [i != 0 for i in range(n)] + [False]
        assert await storage.record_outcomes(outcomes) == expected

        steps_a, steps_b = await storage.get_steps("run-a"), await storage.get_steps("run-b")
        assert [s.step_key for s in steps_a] == [f"asset_{i}" for i in range(n)]
        assert len(steps_b) == n // 2
        assert steps_a[4].metadata == {"i": 4} and steps_a[4].queued_at == T0
        assert steps_b[1].status is StepStatus.FAILURE and steps_b[1].error == error
        assert steps_b[3].status is StepStatus.SKIPPED and steps_b[3].queued_at is None
        assert steps_a[0].ended_at == T0 + 1  # recorded before: left alone

        successes = sum(1 for i in range(1, n) if i % 10 not in (3, 7))
        events_a = await storage.get_events("run-a")
        events_b = await storage.get_events("run-b")
        kinds = [e.type for e in events_a + events_b]
        assert kinds.count(EventType.STEP_SUCCESS) == successes + 1
        assert kinds.count(EventType.ASSET_MATERIALIZATION) == successes + 1
        assert kinds.count(EventType.LOG) == kinds.count(EventType.STEP_FAILURE) == n // 10
        assert kinds.count(EventType.STEP_SKIPPED) == n // 10
        log, failure = events_b[3:5]  # after RUN_STARTED and asset_1's two events
        assert (log.type, log.step_key) == (EventType.LOG, "asset_3")
        assert log.data == {"level": "INFO", "message": "line 3"}
        assert failure.type == EventType.STEP_FAILURE and failure.step_key == "asset_3"

        latest = await storage.latest_materializations()
        assert len(latest) == successes + 1
        assert latest["asset_4321"].timestamp == T0 + 1 + 4321 / n
        assert latest["asset_4321"].run_id == "run-b"
        assert await storage.record_outcomes(outcomes[:10]) == [False] * 10


async def test_a_queued_run_wakes_a_waiting_coordinator(pg_schema: str) -> None:
    """create_run(QUEUED) in one process notifies a waiter in another, well before its poll."""
    async with (
        await open_postgres_storage(PG_URL, schema=pg_schema) as coordinator,
        await open_postgres_storage(PG_URL, schema=pg_schema) as submitter,
    ):
        await coordinator.wait_for_queued_runs()  # starts listening
        woken = anyio.Event()

        async def wait() -> None:
            await coordinator.wait_for_queued_runs()
            woken.set()

        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            await anyio.sleep(0.1)
            assert not woken.is_set()
            await submitter.create_run(make_run("q1", status=RunStatus.QUEUED))
            with anyio.fail_after(2):
                await woken.wait()
        assert [r.run_id for r in await coordinator.queued_runs()] == ["q1"]


async def test_leadership_is_exclusive_across_processes(pg_schema: str) -> None:
    """Two stores (as two processes) on one schema: one leader at a time; another schema's
    leader is independent."""
    order: list[str] = []
    async with (
        await open_postgres_storage(PG_URL, schema=pg_schema) as first,
        await open_postgres_storage(PG_URL, schema=pg_schema) as second,
    ):

        async def lead(name: str, storage: PostgresStorage, hold: float) -> None:
            async with storage.leadership("coordinator"):
                order.append(f"{name} in")
                await anyio.sleep(hold)
                order.append(f"{name} out")

        async with anyio.create_task_group() as group:
            group.start_soon(lead, "first", first, 0.3)
            await anyio.sleep(0.1)
            group.start_soon(lead, "second", second, 0)
    assert order == ["first in", "first out", "second in", "second out"]


async def test_a_nul_in_free_text_is_stored_as_a_replacement_character(pg_schema: str) -> None:
    """PostgreSQL text and jsonb refuse NUL; a stray one must not fail the batch. A literal
    backslash before "u0000" is not a NUL and survives as written."""
    error = ErrorInfo("ValueError", "bad\x00byte", "tb")
    logs = (LogLine(T0, "INFO", "nul \x00 here, not \\u0000 here"),)
    failure = StepOutcome("run-1", "a", 1, StepStatus.FAILURE, error=error, logs=logs)
    async with await open_postgres_storage(PG_URL, schema=pg_schema) as storage:
        await storage.create_run(make_run("run-1"))
        assert await storage.record_outcomes([failure]) == [True]
        (step,) = await storage.get_steps("run-1")
        assert step.error == ErrorInfo("ValueError", "bad\ufffdbyte", "tb")
        log = (await storage.get_events("run-1"))[1]
        assert log.data["message"] == "nul \ufffd here, not \\u0000 here"
