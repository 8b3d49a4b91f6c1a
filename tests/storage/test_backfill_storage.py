"""The backfill calls of `RunStorage`, on every backend: the stored object, runs created in
bulk, and progress read from the runs carrying the backfill's id."""

from __future__ import annotations

import time

import pytest

from upstream.model.partitions import BACKFILL_ID_TAG, PartitionKeyRange, partition_tags
from upstream.storage.backfills import BackfillRecord, BackfillRun, BackfillStatus
from upstream.storage.base import EventType, RunStorage
from upstream.storage.records import RunRecord, RunStatus

T0 = 1_700_000_000.0


def backfill(backfill_id: str = "bf-1", created_at: float = T0) -> BackfillRecord:
    return BackfillRecord(
        backfill_id,
        BackfillStatus.REQUESTED,
        "raw,daily",
        {"range": ["2020-01-01", "2020-01-03"]},
        "pipeline.defs",
        "hash-1",
        created_at,
        tags={"team": "data"},
    )


def queued(run_id: str, backfill_id: str | None, key: str | None, at: float = T0) -> RunRecord:
    tags = {} if backfill_id is None else {BACKFILL_ID_TAG: backfill_id}
    if key is not None:
        tags.update(partition_tags(PartitionKeyRange(key, key)))
    return RunRecord(
        run_id, RunStatus.QUEUED, "raw,daily", (), "pipeline.defs", "hash-1", at, tags=tags
    )


async def test_a_backfill_round_trips_and_lists_newest_first(storage: RunStorage) -> None:
    first, second = backfill("bf-1"), backfill("bf-2", T0 + 1)
    await storage.create_backfill(first)
    await storage.create_backfill(second)
    await storage.create_backfill(first)  # a repeat is ignored
    assert await storage.get_backfill("bf-1") == first
    assert await storage.get_backfill("nope") is None
    assert [b.backfill_id for b in await storage.list_backfills()] == ["bf-2", "bf-1"]
    done = await storage.list_backfills(statuses=[BackfillStatus.COMPLETED])
    assert done == []


async def test_a_status_change_is_conditional(storage: RunStorage) -> None:
    """Cancel and end race: with `only_from`, only one of two callers moves it."""
    await storage.create_backfill(backfill())
    only = [BackfillStatus.REQUESTED]
    assert await storage.set_backfill_status("bf-1", BackfillStatus.CANCELING, only_from=only)
    assert not await storage.set_backfill_status("bf-1", BackfillStatus.FAILED, only_from=only)
    assert await storage.set_backfill_status(
        "bf-1", BackfillStatus.CANCELED, ended_at=T0 + 9, skipped=["daily|d|d"], message="why"
    )
    stored = await storage.get_backfill("bf-1")
    assert stored is not None
    assert (stored.status, stored.ended_at, stored.skipped, stored.message) == (
        BackfillStatus.CANCELED,
        T0 + 9,
        ("daily|d|d",),
        "why",
    )


async def test_create_runs_inserts_thousands_in_one_call(storage: RunStorage) -> None:
    """3,650 QUEUED runs, each with its RUN_QUEUED event, in well under a second; a repeat
    inserts nothing; queued_runs sees them."""
    runs = [queued(f"r{i:05}", "bf-1", f"k{i:05}", T0 + i / 1e4) for i in range(3650)]
    started = time.perf_counter()
    assert await storage.create_runs(runs) == 3650
    assert time.perf_counter() - started < 3.0
    assert await storage.create_runs(runs[:10]) == 0
    assert (await storage.get_run("r00007")) == runs[7]
    events = await storage.get_events("r00007")
    assert [(e.type, e.data) for e in events] == [
        (EventType.RUN_QUEUED, {"selection": "raw,daily"})
    ]
    assert len(await storage.queued_runs(limit=5000)) == 3650


async def test_create_runs_refuses_a_planned_run(storage: RunStorage) -> None:
    run = RunRecord("r", RunStatus.STARTED, "*", ("a",), "loc", "h", T0)
    with pytest.raises(ValueError, match="create_runs inserts QUEUED runs"):
        await storage.create_runs([run])


async def test_progress_is_read_from_the_runs_carrying_the_backfill_id(
    storage: RunStorage,
) -> None:
    """Only the backfill's runs count, each with its partition (a key or a range)."""
    ranged = queued("r3", "bf-1", None, T0 + 3)
    ranged = RunRecord(
        **{
            **ranged.__dict__,
            "tags": {BACKFILL_ID_TAG: "bf-1", **partition_tags(PartitionKeyRange("a", "c"))},
        }
    )
    await storage.create_runs(
        [queued("r1", "bf-1", "k1", T0 + 1), queued("r2", "bf-1", "k2", T0 + 2), ranged]
    )
    await storage.create_runs([queued("other", "bf-2", "k1"), queued("plain", None, None)])
    await storage.start_run("r1", ["raw", "daily"])
    await storage.finish_run("r1", RunStatus.SUCCESS, T0 + 5)
    counts = await storage.backfill_run_counts("bf-1")
    assert counts[RunStatus.SUCCESS] == 1
    assert counts[RunStatus.QUEUED] == 2
    assert counts[RunStatus.FAILURE] == 0
    assert await storage.backfill_runs("bf-1") == [
        BackfillRun(
            "r1", RunStatus.SUCCESS, "raw,daily", PartitionKeyRange("k1", "k1"), T0 + 1, T0 + 5
        ),
        BackfillRun(
            "r2", RunStatus.QUEUED, "raw,daily", PartitionKeyRange("k2", "k2"), T0 + 2, None
        ),
        BackfillRun("r3", RunStatus.QUEUED, "raw,daily", PartitionKeyRange("a", "c"), T0 + 3, None),
    ]
    assert await storage.backfill_runs("none") == []


async def test_start_runs_claims_queued_runs_only(storage: RunStorage) -> None:
    """The bulk claim of `start_run`: QUEUED -> STARTED with steps and RUN_STARTED; a run
    no longer QUEUED (canceled, or claimed already) is not claimed again."""
    await storage.create_runs([queued(f"r{i}", "bf-1", f"k{i}") for i in range(3)])
    await storage.request_cancel("r2", T0)
    claimed = await storage.start_runs([("r0", ["raw"]), ("r1", ["raw", "daily"]), ("r2", [])])
    assert sorted(claimed) == ["r0", "r1"]
    assert await storage.start_runs([("r0", ["raw"])]) == []
    run = await storage.get_run("r1")
    assert run is not None and (run.status, run.steps) == (RunStatus.STARTED, ("raw", "daily"))
    events = [e.type for e in await storage.get_events("r1")]
    assert events == [EventType.RUN_QUEUED, EventType.RUN_STARTED]
    assert await storage.start_runs([]) == []


async def test_finish_runs_ends_many_runs_once(storage: RunStorage) -> None:
    """`finish_run` for many runs: each ends once with its event; an ended run is left."""
    await storage.create_runs([queued(f"r{i}", "bf-1", f"k{i}") for i in range(3)])
    await storage.start_runs([("r0", ["raw"]), ("r1", ["raw"])])
    await storage.finish_run("r2", RunStatus.CANCELED, T0 + 1)
    ends = [("r0", RunStatus.SUCCESS), ("r1", RunStatus.FAILURE), ("r2", RunStatus.SUCCESS)]
    await storage.finish_runs(ends, T0 + 5)
    counts = await storage.backfill_run_counts("bf-1")
    assert (counts[RunStatus.SUCCESS], counts[RunStatus.FAILURE]) == (1, 1)
    assert counts[RunStatus.CANCELED] == 1
    assert [e.type for e in await storage.get_events("r1")][-1] == EventType.RUN_FAILURE
    assert [e.type for e in await storage.get_events("r2")][-1] == EventType.RUN_CANCELED
    with pytest.raises(ValueError, match="final status"):
        await storage.finish_runs([("r0", RunStatus.STARTED)], T0)
