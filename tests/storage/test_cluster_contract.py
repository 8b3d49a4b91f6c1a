"""The storage contract for cluster mode: queued runs, resumable runs, code locations,
leadership. Runs on every backend of the `storage` fixture."""

from __future__ import annotations

import anyio
import pytest

from upstream.storage import EventType, RunRecord, RunStatus, StepOutcome, StepStatus
from upstream.storage.base import RunStorage
from upstream.storage.records import CodeLocationRecord


def _run(
    run_id: str, status: RunStatus, created_at: float, steps: tuple[str, ...] = ()
) -> RunRecord:
    return RunRecord(run_id, status, "*", steps, "loc", "h1", created_at)


async def test_a_queued_run_is_claimed_once_by_starting_it(storage: RunStorage) -> None:
    """start_run is the claim: it plans a QUEUED run once; a second claim gets False."""
    await storage.create_run(_run("q1", RunStatus.QUEUED, 1.0))
    assert [r.run_id for r in await storage.queued_runs()] == ["q1"]
    assert await storage.start_run("q1", ["a", "b"]) is True
    assert await storage.start_run("q1", ["a"]) is False
    run = await storage.get_run("q1")
    assert run is not None
    assert (run.status, run.steps) == (RunStatus.STARTED, ("a", "b"))
    assert await storage.queued_runs() == []
    kinds = [e.type for e in await storage.get_events("q1")]
    assert kinds == [EventType.RUN_QUEUED, EventType.RUN_STARTED]


async def test_queued_and_unfinished_runs_come_oldest_first(storage: RunStorage) -> None:
    """A coordinator plans queued runs, and resumes started ones, in submission order."""
    await storage.create_run(_run("late", RunStatus.QUEUED, 3.0))
    await storage.create_run(_run("early", RunStatus.QUEUED, 2.0))
    await storage.create_run(_run("s2", RunStatus.STARTED, 5.0, ("a",)))
    await storage.create_run(_run("s1", RunStatus.STARTED, 4.0, ("a",)))
    await storage.create_run(_run("done", RunStatus.STARTED, 1.0, ("a",)))
    await storage.finish_run("done", RunStatus.SUCCESS, 6.0)
    assert [r.run_id for r in await storage.queued_runs()] == ["early", "late"]
    assert [r.run_id for r in await storage.queued_runs(limit=1)] == ["early"]
    assert [r.run_id for r in await storage.unfinished_runs()] == ["s1", "s2"]


async def test_a_queued_run_can_fail_with_a_message(storage: RunStorage) -> None:
    """A run that cannot be planned ends FAILURE, and says why in its event."""
    await storage.create_run(_run("q1", RunStatus.QUEUED, 1.0))
    await storage.finish_run("q1", RunStatus.FAILURE, 2.0, message="no worker serves 'loc'")
    run = await storage.get_run("q1")
    assert run is not None and run.status is RunStatus.FAILURE
    [failure] = [e for e in await storage.get_events("q1") if e.type == EventType.RUN_FAILURE]
    assert failure.data == {"message": "no worker serves 'loc'"}
    assert await storage.start_run("q1", ["a"]) is False


async def test_code_locations_keep_every_snapshot_by_hash(storage: RunStorage) -> None:
    """Re-registering moves the name to the new graph; the old graph stays for old runs."""
    old = CodeLocationRecord("loc", "h1", {"assets": [{"key": "a"}]}, 1.0)
    new = CodeLocationRecord("loc", "h2", {"assets": [{"key": "a"}, {"key": "b"}]}, 2.0)
    other = CodeLocationRecord("other", "h3", {"assets": []}, 3.0)
    for location in (old, new, other, new):
        await storage.register_code_location(location)
    assert await storage.get_code_location("loc") == new
    assert await storage.get_code_location("missing") is None
    assert [loc.name for loc in await storage.list_code_locations()] == ["loc", "other"]
    assert await storage.get_snapshot("h1") == old.snapshot
    assert await storage.get_snapshot("h2") == new.snapshot
    assert await storage.get_snapshot("nope") is None


async def test_a_resumed_runs_steps_are_readable(storage: RunStorage) -> None:
    """What resume reads back: each step's final status, and QUEUED for those in flight."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a", "b")))
    await storage.record_queued("r1", [("a", 1), ("b", 1)], 1.0)
    await storage.record_outcomes([StepOutcome("r1", "a", 1, StepStatus.SUCCESS, 1.0, 2.0)])
    steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
    assert steps == {"a": StepStatus.SUCCESS, "b": StepStatus.QUEUED}


async def test_leadership_is_held_by_one_at_a_time(storage: RunStorage) -> None:
    """A second contender waits until the first lets go."""
    order: list[str] = []

    async def contender(name: str, hold: float) -> None:
        async with storage.leadership("coordinator"):
            order.append(f"{name} in")
            await anyio.sleep(hold)
            order.append(f"{name} out")

    async with anyio.create_task_group() as group:
        group.start_soon(contender, "first", 0.3)
        await anyio.sleep(0.05)
        group.start_soon(contender, "second", 0)
    assert order == ["first in", "first out", "second in", "second out"]


async def test_waiting_for_queued_runs_returns(storage: RunStorage) -> None:
    """The wait is bounded by the store itself (a notification or a poll interval)."""
    with anyio.fail_after(5):
        await storage.wait_for_queued_runs()


@pytest.mark.parametrize("status", [RunStatus.STARTED, RunStatus.QUEUED, RunStatus.CANCELING])
async def test_finish_run_refuses_a_status_that_is_not_final(
    storage: RunStorage, status: RunStatus
) -> None:
    """STARTED, QUEUED and CANCELING are not endings."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a",)))
    with pytest.raises(ValueError, match="final status"):
        await storage.finish_run("r1", status, 2.0)


async def test_outcomes_and_the_steps_they_made_ready_are_one_write(storage: RunStorage) -> None:
    """The coordinator records a burst and the steps it made ready in one transaction."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a", "b", "c")))
    await storage.record_queued("r1", [("a", 1)], 1.0)
    success = StepOutcome("r1", "a", 1, StepStatus.SUCCESS, 1.0, 2.0)
    assert await storage.record_outcomes([success], [("r1", "b", 1), ("r1", "c", 1)], 2.5) == [True]
    steps = {s.step_key: (s.status, s.queued_at) for s in await storage.get_steps("r1")}
    assert steps == {
        "a": (StepStatus.SUCCESS, 1.0),
        "b": (StepStatus.QUEUED, 2.5),
        "c": (StepStatus.QUEUED, 2.5),
    }
    # a redelivered burst changes nothing, the queue markers included
    assert await storage.record_outcomes([success], [("r1", "b", 1)], 9.0) == [False]
    assert {s.step_key: s.queued_at for s in await storage.get_steps("r1")}["b"] == 2.5


async def test_a_step_made_ready_and_done_in_one_write_is_recorded_done(
    storage: RunStorage,
) -> None:
    """Bursts that pile up are committed together, so a step's own outcome may share a
    write with the outcome that made it ready: it is recorded done, with its events."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a", "b")))
    outcomes = [
        StepOutcome("r1", "a", 1, StepStatus.SUCCESS, 1.0, 2.0),
        StepOutcome("r1", "b", 1, StepStatus.SUCCESS, 2.1, 2.2),
    ]
    assert await storage.record_outcomes(outcomes, [("r1", "b", 1)], 2.05) == [True, True]
    assert {s.step_key: s.status for s in await storage.get_steps("r1")} == {
        "a": StepStatus.SUCCESS,
        "b": StepStatus.SUCCESS,
    }
    done = [(e.step_key, e.type) for e in await storage.get_events("r1")]
    assert done[-4:] == [
        ("a", EventType.ASSET_MATERIALIZATION),
        ("a", EventType.STEP_SUCCESS),
        ("b", EventType.ASSET_MATERIALIZATION),
        ("b", EventType.STEP_SUCCESS),
    ]


# --- Cancellation: request_cancel, and the CANCELING runs a coordinator must end ------------


async def test_canceling_a_queued_run_ends_it_before_it_starts(storage: RunStorage) -> None:
    """Nothing of a QUEUED run is in flight: it is CANCELED at once, says why, and no
    coordinator can claim it afterwards."""
    await storage.create_run(_run("q1", RunStatus.QUEUED, 1.0))
    assert await storage.request_cancel("q1", 4.0) is RunStatus.CANCELED
    run = await storage.get_run("q1")
    assert run is not None and (run.status, run.ended_at) == (RunStatus.CANCELED, 4.0)
    *_, last = await storage.get_events("q1")
    assert (last.type, last.timestamp) == (EventType.RUN_CANCELED, 4.0)
    assert last.data == {"message": "canceled before it started"}
    assert await storage.queued_runs() == []
    assert await storage.start_run("q1", ["a"]) is False
    assert await storage.unfinished_runs() == []


async def test_canceling_a_started_run_waits_for_its_steps(storage: RunStorage) -> None:
    """A STARTED run becomes CANCELING (not final, still resumable) until its coordinator
    ends it CANCELED with finish_run."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a",)))
    assert await storage.request_cancel("r1", 3.0) is RunStatus.CANCELING
    run = await storage.get_run("r1")
    assert run is not None and (run.status, run.ended_at) == (RunStatus.CANCELING, None)
    *_, last = await storage.get_events("r1")
    assert (last.type, last.timestamp, last.data) == (EventType.RUN_CANCELING, 3.0, {})
    assert [r.run_id for r in await storage.list_runs(status=RunStatus.CANCELING)] == ["r1"]
    assert [r.run_id for r in await storage.unfinished_runs()] == ["r1"]

    await storage.finish_run("r1", RunStatus.CANCELED, 5.0, message="canceled by alice")
    run = await storage.get_run("r1")
    assert run is not None and (run.status, run.ended_at) == (RunStatus.CANCELED, 5.0)
    kinds = [e.type for e in await storage.get_events("r1")]
    assert kinds == [EventType.RUN_STARTED, EventType.RUN_CANCELING, EventType.RUN_CANCELED]
    assert (await storage.get_events("r1"))[-1].data == {"message": "canceled by alice"}
    assert await storage.unfinished_runs() == []


async def test_a_repeated_cancel_and_a_finished_run_change_nothing(storage: RunStorage) -> None:
    """A run already CANCELING, CANCELED or otherwise final keeps its status, end time and
    events; an unknown run is None."""
    await storage.create_run(_run("q1", RunStatus.QUEUED, 1.0))
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a",)))
    await storage.create_run(_run("done", RunStatus.STARTED, 1.0, ("a",)))
    await storage.finish_run("done", RunStatus.SUCCESS, 2.0)
    await storage.request_cancel("q1", 3.0)
    await storage.request_cancel("r1", 3.0)
    before = {run_id: await storage.get_events(run_id) for run_id in ("q1", "r1", "done")}

    assert await storage.request_cancel("q1", 9.0) is RunStatus.CANCELED
    assert await storage.request_cancel("r1", 9.0) is RunStatus.CANCELING
    assert await storage.request_cancel("done", 9.0) is RunStatus.SUCCESS
    assert await storage.request_cancel("ghost", 9.0) is None
    assert {run_id: await storage.get_events(run_id) for run_id in before} == before
    ended = {r.run_id: (r.status, r.ended_at) for r in await storage.list_runs()}
    assert ended == {
        "q1": (RunStatus.CANCELED, 3.0),
        "r1": (RunStatus.CANCELING, None),
        "done": (RunStatus.SUCCESS, 2.0),
    }
    assert await storage.get_run("ghost") is None


async def test_concurrent_cancels_act_once(storage: RunStorage) -> None:
    """Of several callers canceling one run at once, one moves it; all see the same status."""
    await storage.create_run(_run("r1", RunStatus.STARTED, 1.0, ("a",)))
    answers: list[RunStatus | None] = []

    async def cancel() -> None:
        answers.append(await storage.request_cancel("r1", 2.0))

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(cancel)
    assert answers == [RunStatus.CANCELING] * 5
    kinds = [e.type for e in await storage.get_events("r1")]
    assert kinds == [EventType.RUN_STARTED, EventType.RUN_CANCELING]


async def test_unfinished_runs_include_canceling_ones_oldest_first(storage: RunStorage) -> None:
    """A new coordinator resumes STARTED and CANCELING runs alike, in submission order."""
    await storage.create_run(_run("s2", RunStatus.STARTED, 3.0, ("a",)))
    await storage.create_run(_run("c1", RunStatus.STARTED, 2.0, ("a",)))
    await storage.create_run(_run("q1", RunStatus.QUEUED, 1.0))
    await storage.create_run(_run("s0", RunStatus.STARTED, 0.5, ("a",)))
    await storage.request_cancel("c1", 4.0)
    await storage.finish_run("s0", RunStatus.FAILURE, 5.0)
    assert [r.run_id for r in await storage.unfinished_runs()] == ["c1", "s2"]
    assert [r.run_id for r in await storage.queued_runs()] == ["q1"]
