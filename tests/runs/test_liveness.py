"""What a client says about the namespace's coordinators, read from their heartbeats in a
real SQLite store (the cluster suite runs the same against PostgreSQL and real processes)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
import pytest_asyncio

from upstream.runs.liveness import NoCoordinator, problem, require_coordinator, watching
from upstream.storage.base import RunStorage
from upstream.storage.records import ALIVE_WITHIN, CoordinatorRecord, CoordinatorState
from upstream.storage.sqlite import open_sqlite_storage

HINT = "start one with `upstream coordinator --namespace ns`"


@pytest_asyncio.fixture
async def storage() -> AsyncIterator[RunStorage]:
    async with await open_sqlite_storage(":memory:") as store:
        yield store


def beat(name: str, state: CoordinatorState, seen_ago: float = 1.0) -> CoordinatorRecord:
    return CoordinatorRecord(name, state, 0.0, 100.0, seen_ago)


@pytest.mark.parametrize(
    ("coordinators", "said"),
    [
        ([], f"no coordinator has ever run on namespace ns; {HINT}"),
        ([beat("a", CoordinatorState.ACTIVE), beat("b", CoordinatorState.STANDBY)], None),
        (
            [beat("a", CoordinatorState.ACTIVE, ALIVE_WITHIN + 30)],
            f"no coordinator has been alive on namespace ns for {ALIVE_WITHIN + 30:.0f} s; {HINT}",
        ),
        (
            [beat("a", CoordinatorState.STOPPED, 3)],
            f"no coordinator has been alive on namespace ns for 3 s; {HINT}",
        ),
        (
            [beat("a", CoordinatorState.BROKER_UNREACHABLE)],
            "coordinator a of namespace ns cannot reach the broker; check that RabbitMQ is up"
            " and the coordinator's --broker-url",
        ),
        (
            [beat("b", CoordinatorState.STANDBY)],
            "no coordinator leads namespace ns; b stands by, waiting for leadership",
        ),
    ],
)
def test_the_problem_names_what_to_do(
    coordinators: list[CoordinatorRecord], said: str | None
) -> None:
    assert problem(coordinators, "ns") == said


async def test_no_coordinator_ever_is_refused_before_submitting(storage: RunStorage) -> None:
    """With no heartbeat at all, the client gives up after its patience, saying why."""
    with pytest.raises(NoCoordinator) as caught:
        await require_coordinator(storage, "ns", 0.0)
    assert str(caught.value) == (
        f"no coordinator has ever run on namespace ns; {HINT}; nothing was submitted"
    )


async def test_a_coordinator_stopped_just_now_counts_as_recent(storage: RunStorage) -> None:
    """A restart in progress: the client submits and waits rather than refuse."""
    await storage.heartbeat("a", CoordinatorState.STOPPED, 0.0)
    with anyio.fail_after(5):
        await require_coordinator(storage, "ns", 60.0)


async def test_a_coordinator_starting_meanwhile_is_waited_for(storage: RunStorage) -> None:
    """One that heartbeats while the client waits is enough."""
    async with anyio.create_task_group() as group:
        group.start_soon(require_coordinator, storage, "ns", 30.0)
        await storage.heartbeat("a", CoordinatorState.STANDBY, 0.0)


async def test_the_follower_says_when_none_leads_and_when_one_does(storage: RunStorage) -> None:
    """One warning while no coordinator leads (here at once: no quiet period), one line when
    one does; nothing in between."""
    said: list[str] = []
    new_line = anyio.Event()

    def say(line: str) -> None:
        nonlocal new_line
        said.append(line)
        new_line.set()

    with anyio.fail_after(10):
        async with watching(storage, "ns", say, quiet_for=0):
            await new_line.wait()
            new_line = anyio.Event()
            await storage.heartbeat("host-1", CoordinatorState.ACTIVE, 0.0)
            await new_line.wait()
    assert said == [
        f"warning: no coordinator has ever run on namespace ns; {HINT}; the run waits for one",
        "coordinator host-1 leads namespace ns; going on",
    ]


async def test_a_moment_without_a_leader_is_not_worth_a_warning(
    storage: RunStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coordinator starting says STANDBY for a moment before ACTIVE: within the quiet
    period, however many times the watcher reads that, it says nothing."""
    said: list[str] = []
    reads, read_twice = 0, anyio.Event()
    read = storage.coordinators

    async def counted() -> list[CoordinatorRecord]:
        nonlocal reads
        rows = await read()
        reads += 1
        if reads == 2:
            read_twice.set()
        return rows

    monkeypatch.setattr(storage, "coordinators", counted)
    await storage.heartbeat("host-1", CoordinatorState.STANDBY, 0.0)
    with anyio.fail_after(10):
        async with watching(storage, "ns", said.append, quiet_for=60):
            await read_twice.wait()
    assert said == []
