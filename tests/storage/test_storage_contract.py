"""The `RunStorage` contract, run against every backend by the `storage` fixture.

The SQLite-only tests at the end cover what only a file has: persistence, migrations, and
errors for files that are not ours.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from upstream.protocol import ErrorInfo, LogLine
from upstream.storage import base, sqlite_migrations
from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.records import (
    CoordinatorState,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepStatus,
)
from upstream.storage.sqlite import open_sqlite_storage
from upstream.storage.sqlite_migrations import LATEST_VERSION
from upstream.storage.sqlite_sql import asset_states

T0 = 1_700_000_000.0
ERROR = ErrorInfo("ValueError", "bad row 3", "Traceback (most recent call last):\n  ...")


def make_run(run_id: str = "run-1", created_at: float = T0, steps: int = 2) -> RunRecord:
    keys = tuple(f"asset_{i}" for i in range(steps))
    return RunRecord(run_id, RunStatus.STARTED, "*", keys, "pipeline.defs", "hash-1", created_at)


def success(
    step_key: str, run_id: str = "run-1", ended_at: float = T0 + 2, **meta: int
) -> StepOutcome:
    metadata = {name: {"type": "int", "value": value} for name, value in meta.items()}
    return StepOutcome(
        run_id,
        step_key,
        1,
        StepStatus.SUCCESS,
        started_at=ended_at - 1.5,
        ended_at=ended_at,
        worker_id="worker-a",
        metadata=metadata,
    )


async def types_of(storage: RunStorage, run_id: str = "run-1") -> list[tuple[str | None, str]]:
    return [(e.step_key, e.type) for e in await storage.get_events(run_id)]


async def test_a_run_round_trips(storage: RunStorage) -> None:
    """A created run reads back field for field, with a RUN_STARTED event."""
    run = make_run()
    await storage.create_run(run)
    assert await storage.get_run("run-1") == run
    assert await storage.get_run("nope") is None
    assert await types_of(storage) == [(None, EventType.RUN_STARTED)]


async def test_a_run_keeps_its_run_config(storage: RunStorage) -> None:
    """The normalised run config reads back as written, in every read of the run (get,
    list, by status), nested values and all; an EnvVar stays a name, never a value."""
    config = {
        "ops": {"sales__revenue": {"config": {"rate": 2.5, "regions": ["eu", "us"], "on": True}}},
        "resources": {"db": {"config": {"url": {"env": "DB_URL"}, "pool": None}}},
    }
    run = replace(make_run(), run_config=config)
    await storage.create_run(run)
    assert await storage.get_run("run-1") == run
    assert (await storage.list_runs())[0].run_config == config
    assert (await storage.unfinished_runs())[0].run_config == config


async def test_a_run_keeps_its_tags(storage: RunStorage) -> None:
    """Run tags (str -> str, as Dagster's) read back as written in every read of the run;
    a run created without tags has none."""
    await storage.create_run(replace(make_run(), run_id="untagged"))
    tags = {"team": "sales", "dagster/priority": "3", "note": 'a "quoted" é\nline'}
    run = replace(make_run(), tags=tags)
    await storage.create_run(run)
    assert await storage.get_run("run-1") == run
    assert {r.run_id: r.tags for r in await storage.list_runs()} == {"run-1": tags, "untagged": {}}
    assert {r.run_id: r.tags for r in await storage.unfinished_runs()}["run-1"] == tags


async def test_creating_a_run_twice_changes_nothing(storage: RunStorage) -> None:
    """A repeated create_run keeps the first record and appends no second event."""
    await storage.create_run(make_run())
    await storage.create_run(make_run(created_at=T0 + 50, steps=5))
    run = await storage.get_run("run-1")
    assert run is not None and run.created_at == T0 and len(run.steps) == 2
    assert await types_of(storage) == [(None, EventType.RUN_STARTED)]


async def test_list_runs_is_newest_first_with_limit_and_status(storage: RunStorage) -> None:
    """Runs list newest first; `limit` cuts and `status` filters."""
    for i in range(5):
        await storage.create_run(make_run(f"run-{i}", created_at=T0 + i))
    await storage.finish_run("run-1", RunStatus.FAILURE, T0 + 10)
    await storage.finish_run("run-3", RunStatus.FAILURE, T0 + 10)
    assert [r.run_id for r in await storage.list_runs()] == [f"run-{i}" for i in (4, 3, 2, 1, 0)]
    assert [r.run_id for r in await storage.list_runs(limit=2)] == ["run-4", "run-3"]
    failed = await storage.list_runs(status=RunStatus.FAILURE)
    assert [r.run_id for r in failed] == ["run-3", "run-1"]
    assert await storage.list_runs(status=RunStatus.SUCCESS) == []


async def test_count_runs_counts_each_status_asked(storage: RunStorage) -> None:
    """Every status asked has its count, 0 where none; asking for none counts every status."""
    assert await storage.count_runs() == dict.fromkeys(RunStatus, 0)
    assert await storage.count_runs([RunStatus.FAILURE]) == {RunStatus.FAILURE: 0}
    for i in range(7):
        await storage.create_run(make_run(f"run-{i}", created_at=T0 + i))
    for i in range(3):
        await storage.create_run(replace(make_run(f"q-{i}"), status=RunStatus.QUEUED, steps=()))
    for run_id, status in [("run-0", RunStatus.SUCCESS), ("run-1", RunStatus.SUCCESS)]:
        await storage.finish_run(run_id, status, T0 + 10)
    await storage.finish_run("run-2", RunStatus.FAILURE, T0 + 10)
    await storage.request_cancel("run-3", T0 + 10)  # CANCELING: its steps may be in flight
    await storage.request_cancel("q-0", T0 + 10)  # CANCELED: it never started

    assert await storage.count_runs() == {
        RunStatus.QUEUED: 2,
        RunStatus.STARTED: 3,
        RunStatus.CANCELING: 1,
        RunStatus.SUCCESS: 2,
        RunStatus.FAILURE: 1,
        RunStatus.CANCELED: 1,
    }
    active = [RunStatus.QUEUED, RunStatus.STARTED, RunStatus.CANCELING]
    assert await storage.count_runs(active) == dict(zip(active, [2, 3, 1], strict=True))
    assert await storage.count_runs([RunStatus.SUCCESS]) == {RunStatus.SUCCESS: 2}
    assert await storage.count_runs([]) == {}


async def test_find_run_ids_by_prefix(storage: RunStorage) -> None:
    """A typed prefix finds the runs it starts, and only those."""
    for run_id in ("4f2a9c01", "4f2a77aa", "4f3b0000", "a4f2a000"):
        await storage.create_run(make_run(run_id))
    assert await storage.find_run_ids("4f2a") == ["4f2a77aa", "4f2a9c01"]
    assert await storage.find_run_ids("4f2a9c01") == ["4f2a9c01"]
    assert await storage.find_run_ids("4F2A") == []
    assert await storage.find_run_ids("ffff") == []


async def test_queued_then_success_records_events_in_order(storage: RunStorage) -> None:
    """Queued then succeeded: the step is final, events read in order, the catalog has it."""
    await storage.create_run(make_run())
    await storage.record_queued("run-1", [("asset_0", 1), ("asset_1", 1)], T0 + 0.5)
    assert await storage.record_outcomes([success("asset_0", rows=3)]) == [True]

    first, second = await storage.get_steps("run-1")
    assert (first.step_key, first.status, second.status) == (
        "asset_0",
        StepStatus.SUCCESS,
        StepStatus.QUEUED,
    )
    assert (first.queued_at, first.started_at, first.ended_at) == (T0 + 0.5, T0 + 0.5, T0 + 2)
    assert first.worker_id == "worker-a"
    assert first.metadata == {"rows": {"type": "int", "value": 3}}
    assert await types_of(storage) == [
        (None, EventType.RUN_STARTED),
        ("asset_0", EventType.ASSET_MATERIALIZATION),
        ("asset_0", EventType.STEP_SUCCESS),
    ]
    events = await storage.get_events("run-1")
    assert events[1].data == {"asset_key": "asset_0", "metadata": first.metadata}
    assert events[2].data == {"attempt": 1, "duration": 1.5, "metadata": first.metadata}
    assert [e.id for e in events] == sorted(e.id for e in events)

    latest = await storage.latest_materializations()
    assert list(latest) == ["asset_0"]
    entry = latest["asset_0"]
    assert (entry.run_id, entry.timestamp, entry.duration) == ("run-1", T0 + 2, 1.5)
    assert entry.metadata == first.metadata


async def test_a_duplicate_outcome_writes_nothing(storage: RunStorage) -> None:
    """A redelivered result returns False and adds no event and no catalog entry."""
    await storage.create_run(make_run())
    await storage.record_queued("run-1", [("asset_0", 1)], T0)
    assert await storage.record_outcomes([success("asset_0", rows=1)]) == [True]
    events_before = await storage.get_events("run-1")

    late_failure = StepOutcome("run-1", "asset_0", 1, StepStatus.FAILURE, error=ERROR)
    repeat = success("asset_0", ended_at=T0 + 9, rows=2)
    assert await storage.record_outcomes([repeat, late_failure]) == [False, False]
    assert await storage.get_events("run-1") == events_before
    assert len(await storage.materializations("asset_0")) == 1
    (step,) = await storage.get_steps("run-1")
    assert step.status is StepStatus.SUCCESS and step.metadata["rows"]["value"] == 1


async def test_the_first_of_two_outcomes_in_one_batch_wins(storage: RunStorage) -> None:
    """Duplicates inside one batch are recorded once, the first one."""
    await storage.create_run(make_run())
    batch = [success("asset_0", rows=1), success("asset_0", rows=2)]
    assert await storage.record_outcomes(batch) == [True, False]
    assert len(await storage.materializations("asset_0")) == 1
    (step,) = await storage.get_steps("run-1")
    assert step.metadata["rows"]["value"] == 1


async def test_a_failure_keeps_its_error(storage: RunStorage) -> None:
    """A failure stores type, message and traceback, in the step row and the event."""
    await storage.create_run(make_run())
    await storage.record_queued("run-1", [("asset_0", 1)], T0)
    failure = StepOutcome(
        "run-1", "asset_0", 1, StepStatus.FAILURE, T0 + 1, T0 + 2, "worker-b", error=ERROR
    )
    assert await storage.record_outcomes([failure]) == [True]
    (step,) = await storage.get_steps("run-1")
    assert (step.status, step.error, step.worker_id) == (StepStatus.FAILURE, ERROR, "worker-b")
    event = (await storage.get_events("run-1"))[-1]
    assert event.type == EventType.STEP_FAILURE
    assert event.data["error"] == {
        "type": ERROR.type,
        "message": ERROR.message,
        "traceback": ERROR.traceback,
    }
    assert await storage.latest_materializations() == {}


async def test_a_retry_is_a_second_attempt_in_queue_order(storage: RunStorage) -> None:
    """Each attempt is its own row; get_steps lists them in the order they were queued."""
    await storage.create_run(make_run(steps=3))
    await storage.record_queued("run-1", [("asset_2", 1), ("asset_0", 1)], T0)
    await storage.record_queued("run-1", [("asset_0", 1), ("asset_1", 1)], T0 + 1)
    failure = StepOutcome("run-1", "asset_0", 1, StepStatus.FAILURE, error=ERROR)
    await storage.record_outcomes([failure])
    await storage.record_queued("run-1", [("asset_0", 2)], T0 + 2)
    steps = await storage.get_steps("run-1")
    assert [(s.step_key, s.attempt) for s in steps] == [
        ("asset_2", 1),
        ("asset_0", 1),
        ("asset_1", 1),
        ("asset_0", 2),
    ]
    assert steps[1].queued_at == T0  # the repeated queue marker changed nothing
    assert [s.status for s in steps] == [StepStatus.QUEUED, StepStatus.FAILURE] + [
        StepStatus.QUEUED
    ] * 2


async def test_a_skip_needs_no_queued_row(storage: RunStorage) -> None:
    """A step skipped before it was ever queued still gets a row and an event."""
    await storage.create_run(make_run())
    skipped = StepOutcome(
        "run-1", "asset_1", 1, StepStatus.SKIPPED, ended_at=T0 + 3, skip_reason="asset_0 failed"
    )
    assert await storage.record_outcomes([skipped]) == [True]
    (step,) = await storage.get_steps("run-1")
    assert (step.status, step.skip_reason, step.queued_at) == (
        StepStatus.SKIPPED,
        "asset_0 failed",
        None,
    )
    event = (await storage.get_events("run-1"))[-1]
    assert (event.type, event.timestamp) == (EventType.STEP_SKIPPED, T0 + 3)
    assert event.data == {"attempt": 1, "reason": "asset_0 failed"}
    assert await storage.record_outcomes([skipped]) == [False]


async def test_log_lines_become_log_events(storage: RunStorage) -> None:
    """Each log line is one LOG event with its own time, before the step's final event."""
    await storage.create_run(make_run())
    logs = (LogLine(T0 + 0.7, "INFO", "loading"), LogLine(T0 + 0.9, "WARNING", "3 nulls"))
    failure = StepOutcome(
        "run-1", "asset_0", 1, StepStatus.FAILURE, T0 + 0.5, T0 + 1, error=ERROR, logs=logs
    )
    await storage.record_outcomes([failure])
    events = (await storage.get_events("run-1"))[1:]
    assert [(e.type, e.timestamp, e.data) for e in events[:2]] == [
        (EventType.LOG, T0 + 0.7, {"level": "INFO", "message": "loading"}),
        (EventType.LOG, T0 + 0.9, {"level": "WARNING", "message": "3 nulls"}),
    ]
    assert events[2].type == EventType.STEP_FAILURE and events[2].step_key == "asset_0"


async def test_get_events_after_an_id_follows_a_live_run(storage: RunStorage) -> None:
    """Polling with the last seen id returns only what came since, and no other run's."""
    await storage.create_run(make_run())
    await storage.create_run(make_run("run-2"))
    (started,) = await storage.get_events("run-1")
    await storage.record_outcomes([success("asset_0"), success("asset_0", run_id="run-2")])
    newer = await storage.get_events("run-1", after_id=started.id)
    assert [e.type for e in newer] == [EventType.ASSET_MATERIALIZATION, EventType.STEP_SUCCESS]
    assert await storage.get_events("run-1", after_id=newer[-1].id) == []


async def test_latest_materializations_picks_the_newest_and_filters(storage: RunStorage) -> None:
    """The catalog shows each asset's newest materialization; `asset_keys` narrows it."""
    for i in range(3):
        await storage.create_run(make_run(f"run-{i}", created_at=T0 + 10 * i))
        outcomes = [success(key, f"run-{i}", T0 + 10 * i + 5, n=i) for key in ("a", "b")]
        await storage.record_outcomes(outcomes)
    await storage.create_run(make_run("run-3", created_at=T0 + 30))
    await storage.record_outcomes([success("a", "run-3", T0 + 35, n=3)])

    latest = await storage.latest_materializations()
    assert {key: m.run_id for key, m in latest.items()} == {"a": "run-3", "b": "run-2"}
    assert latest["a"].metadata == {"n": {"type": "int", "value": 3}}
    only_b = await storage.latest_materializations(["b", "never-built"])
    assert {key: m.run_id for key, m in only_b.items()} == {"b": "run-2"}
    assert await storage.latest_materializations([]) == {}


async def test_materialization_history_is_newest_first(storage: RunStorage) -> None:
    """An asset's history lists newest first and honours `limit`."""
    for i in range(4):
        await storage.create_run(make_run(f"run-{i}", created_at=T0 + i))
        await storage.record_outcomes([success("a", f"run-{i}", T0 + i + 2)])
    history = await storage.materializations("a")
    assert [m.run_id for m in history] == ["run-3", "run-2", "run-1", "run-0"]
    assert [m.run_id for m in await storage.materializations("a", limit=2)] == ["run-3", "run-2"]
    assert await storage.materializations("unknown") == []


async def test_asset_states_show_each_assets_newest_attempt_and_its_run(
    storage: RunStorage,
) -> None:
    """Across runs, each asset shows its last queued (or skipped) attempt, retries included,
    with that run's status; an asset untouched by a later run keeps its older row."""
    await storage.create_run(make_run("run-1", created_at=T0, steps=3))
    await storage.record_queued("run-1", [("a", 1), ("b", 1), ("c", 1)], T0)
    failure = StepOutcome("run-1", "c", 1, StepStatus.FAILURE, T0, T0 + 1, error=ERROR)
    await storage.record_outcomes([success("a", "run-1"), success("b", "run-1"), failure])
    await storage.finish_run("run-1", RunStatus.FAILURE, T0 + 3)

    await storage.create_run(make_run("run-2", created_at=T0 + 10, steps=3))
    await storage.record_queued("run-2", [("a", 1), ("c", 1)], T0 + 10)
    await storage.record_outcomes([StepOutcome("run-2", "c", 1, StepStatus.FAILURE, error=ERROR)])
    await storage.record_queued("run-2", [("c", 2)], T0 + 12)  # a retry: newer than attempt 1
    skipped = StepOutcome("run-2", "d", 1, StepStatus.SKIPPED, skip_reason="c failed")
    await storage.record_outcomes([skipped])

    states = await storage.asset_states()
    assert {key: (s.step.run_id, s.step.attempt, s.step.status) for key, s in states.items()} == {
        "a": ("run-2", 1, StepStatus.QUEUED),
        "b": ("run-1", 1, StepStatus.SUCCESS),
        "c": ("run-2", 2, StepStatus.QUEUED),
        "d": ("run-2", 1, StepStatus.SKIPPED),
    }
    assert {key: s.run_status for key, s in states.items()} == {
        "a": RunStatus.STARTED,
        "b": RunStatus.FAILURE,
        "c": RunStatus.STARTED,
        "d": RunStatus.STARTED,
    }
    (run_1_b,) = [s for s in await storage.get_steps("run-1") if s.step_key == "b"]
    assert states["b"].step == run_1_b  # the whole row, metadata and times included

    await storage.request_cancel("run-2", T0 + 20)
    only = await storage.asset_states(["b", "c", "c", "never-queued"])
    assert {key: (s.step.run_id, s.run_status) for key, s in only.items()} == {
        "b": ("run-1", RunStatus.FAILURE),
        "c": ("run-2", RunStatus.CANCELING),
    }
    assert await storage.asset_states([]) == {}


async def test_asset_states_of_an_empty_store_are_empty(storage: RunStorage) -> None:
    """No step ever queued: no state, whether asked for all assets or for some."""
    assert await storage.asset_states() == {}
    assert await storage.asset_states(["a"]) == {}
    await storage.create_run(make_run())
    assert await storage.asset_states() == {}


async def test_finish_run_sets_the_status_once(storage: RunStorage) -> None:
    """A second finish_run, even with another status, changes nothing and adds no event."""
    await storage.create_run(make_run())
    await storage.finish_run("run-1", RunStatus.SUCCESS, T0 + 60)
    await storage.finish_run("run-1", RunStatus.FAILURE, T0 + 99)
    run = await storage.get_run("run-1")
    assert run is not None
    assert (run.status, run.ended_at, run.duration) == (RunStatus.SUCCESS, T0 + 60, 60.0)
    assert await types_of(storage) == [(None, EventType.RUN_STARTED), (None, EventType.RUN_SUCCESS)]


async def test_an_outcome_for_an_unknown_run_raises_and_writes_nothing(
    storage: RunStorage,
) -> None:
    """Steps belong to a created run; a bad batch is rolled back whole."""
    await storage.create_run(make_run())
    with pytest.raises(StorageError, match="create_run"):
        await storage.record_outcomes([success("asset_0"), success("x", run_id="ghost")])
    assert await storage.get_steps("run-1") == []
    assert await types_of(storage) == [(None, EventType.RUN_STARTED)]


async def test_five_thousand_outcomes_record_in_one_call(storage: RunStorage) -> None:
    """A large batch records every step, event and catalog entry correctly in one call."""
    n = 5_000
    await storage.create_run(make_run(steps=n))
    keys = [f"asset_{i}" for i in range(n)]
    await storage.record_queued("run-1", [(key, 1) for key in keys], T0)
    outcomes = [success(key, ended_at=T0 + 1 + i / n, i=i) for i, key in enumerate(keys)]
    assert await storage.record_outcomes(outcomes) == [True] * n

    steps = await storage.get_steps("run-1")
    assert [s.step_key for s in steps] == keys
    assert all(s.status is StepStatus.SUCCESS for s in steps)
    assert steps[4321].metadata == {"i": {"type": "int", "value": 4321}}
    assert len(await storage.get_events("run-1")) == 1 + 2 * n
    latest = await storage.latest_materializations()
    assert len(latest) == n and latest["asset_4321"].timestamp == T0 + 1 + 4321 / n
    assert await storage.record_outcomes(outcomes[:10]) == [False] * 10


async def test_no_coordinator_has_heartbeated_in_a_fresh_store(storage: RunStorage) -> None:
    """An empty heartbeat table is how a client knows none ever ran here."""
    assert await storage.coordinators() == []


async def test_a_heartbeat_is_one_row_per_coordinator_stamped_by_the_store(
    storage: RunStorage,
) -> None:
    """Each heartbeat overwrites its coordinator's row; rows come most recent first, seen
    just now by the store's clock whatever `started_at` the caller gave."""
    await storage.heartbeat("c1", CoordinatorState.STANDBY, T0)
    await storage.heartbeat("c2", CoordinatorState.STANDBY, T0 + 1)
    await storage.heartbeat("c1", CoordinatorState.ACTIVE, T0)
    found = await storage.coordinators()
    assert [(c.coordinator_id, c.state, c.started_at) for c in found] == [
        ("c1", CoordinatorState.ACTIVE, T0),
        ("c2", CoordinatorState.STANDBY, T0 + 1),
    ]
    assert all(0 <= c.seen_ago < 5 and c.alive for c in found)
    assert found[0].seen_at >= found[1].seen_at > T0
    assert [c.leading for c in found] == [True, False]


async def test_a_heartbeat_forgets_old_rows_but_never_its_own(
    storage: RunStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows not written for FORGET_COORDINATORS_AFTER go with the next heartbeat (here: any
    row older than it), so restarts never pile rows up; the writer's own row stays."""
    await storage.heartbeat("old", CoordinatorState.ACTIVE, T0)
    await storage.heartbeat("new", CoordinatorState.STANDBY, T0)
    monkeypatch.setattr(base, "FORGET_COORDINATORS_AFTER", 0.0)
    await storage.heartbeat("new", CoordinatorState.ACTIVE, T0)
    assert [c.coordinator_id for c in await storage.coordinators()] == ["new"]


# --- SQLite only: what a file on disk adds -------------------------------------------------


async def test_a_reopened_file_keeps_everything(tmp_path: Path) -> None:
    """Closing and reopening a file DB keeps all state; migrating again is a no-op."""
    path = tmp_path / "deep" / "dir" / "upstream.db"
    storage = await open_sqlite_storage(path)
    await storage.create_run(make_run())
    await storage.record_outcomes([success("asset_0", rows=7)])
    await storage.finish_run("run-1", RunStatus.SUCCESS, T0 + 5)
    before = (await storage.get_run("run-1"), await storage.get_events("run-1"))
    await storage.close()
    await storage.close()  # a second close is harmless

    async with await open_sqlite_storage(str(path)) as reopened:
        assert (await reopened.get_run("run-1"), await reopened.get_events("run-1")) == before
        assert (await reopened.latest_materializations())["asset_0"].metadata["rows"]["value"] == 7
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    conn.close()
    assert versions == [(v,) for v in range(1, LATEST_VERSION + 1)]


async def test_a_version_2_file_is_upgraded_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file written before the asset-states index (schema 2) gains it (3), the
    heartbeat table (4), the observations table (5), run config (6), run tags (7, '{}' for
    old runs), the catalog per partition with dynamic partitions (8) and backfills (9) on
    open, data kept, and the index serves `asset_states`: no scan of every step row."""
    assert LATEST_VERSION == 9
    path = tmp_path / "upstream.db"
    with monkeypatch.context() as older:
        older.setattr(sqlite_migrations, "MIGRATIONS", sqlite_migrations.MIGRATIONS[:2])
        older.setattr(sqlite_migrations, "LATEST_VERSION", 2)
        async with await open_sqlite_storage(path) as storage:
            pass
        with sqlite3.connect(path) as conn:  # the run row as the code of schema 2 wrote it
            conn.execute(
                "INSERT INTO runs (run_id, status, selection, steps, code_location,"
                " definitions_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ("run-1", "STARTED", "*", '["asset_0", "asset_1"]', "pipeline.defs", "h", T0),
            )
        conn.close()
        async with await open_sqlite_storage(path) as storage:
            await storage.record_outcomes([success("asset_0", rows=1)])

    async with await open_sqlite_storage(path) as upgraded:
        assert list(await upgraded.asset_states()) == ["asset_0"]
        assert await upgraded.coordinators() == []
        assert await upgraded.latest_observations() == {}
        run = await upgraded.get_run("run-1")
        assert run is not None and run.run_config == {} and run.tags == {}
        assert await upgraded.get_dynamic_partitions("any") == []
        assert (await upgraded.partition_status("asset_0")).materialized == ()
    with sqlite3.connect(path) as conn:
        versions = conn.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
        plan = conn.execute(f"EXPLAIN QUERY PLAN {asset_states(None)}").fetchall()
    conn.close()
    assert versions == [(v,) for v in range(1, LATEST_VERSION + 1)]
    assert any("COVERING INDEX steps_by_key" in row[3] for row in plan), plan


async def test_a_database_from_a_newer_upstream_is_refused(tmp_path: Path) -> None:
    """A schema newer than this build raises StorageError asking for an upgrade."""
    path = tmp_path / "upstream.db"
    await (await open_sqlite_storage(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 0)", (LATEST_VERSION + 1,))
    conn.close()
    newer = f"schema {LATEST_VERSION + 1} > {LATEST_VERSION}"
    with pytest.raises(StorageError, match=f"newer upstream \\({newer}\\); upgrade upstream"):
        await open_sqlite_storage(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """A garbage file raises StorageError naming the path, not a bare sqlite3 error."""
    path = tmp_path / "upstream.db"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    with pytest.raises(StorageError, match="not an upstream state database") as caught:
        await open_sqlite_storage(path)
    assert str(path) in str(caught.value)


async def test_a_closed_storage_says_so() -> None:
    """Using a closed store raises StorageError, not a sqlite3 ProgrammingError."""
    storage = await open_sqlite_storage(":memory:")
    await storage.close()
    with pytest.raises(StorageError, match="closed"):
        await storage.get_run("run-1")
