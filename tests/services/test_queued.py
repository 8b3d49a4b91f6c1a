"""When the coordinator records a step QUEUED: after its publish, for every ready set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import anyio
import pytest

from upstream import Definitions, asset
from upstream.coordinator import Coordinator
from upstream.coordinator.service import COMMIT_LINGER
from upstream.planning import build_plan
from upstream.protocol import ResultMessage, decode_tasks, encode_results
from upstream.storage import SqliteStorage, StepOutcome, StepStatus, open_sqlite_storage
from upstream.transport import MemoryTransport
from upstream.transport.base import OutgoingTask


@asset
def first() -> int:
    return 1


@asset
def second(first: int) -> int:
    return first + 1


DEFS = Definitions([first, second])


@pytest.fixture
async def storage() -> AsyncIterator[SqliteStorage]:
    store = await open_sqlite_storage(":memory:")
    yield store
    await store.close()


class _Snooping(MemoryTransport):
    """Notes, as each task is published, what the store says of its step then."""

    def __init__(self, storage: SqliteStorage) -> None:
        super().__init__()
        self.storage = storage
        self.at_publish: list[tuple[str, StepStatus | None]] = []

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        for message in tasks:
            for task in decode_tasks(message.body):
                steps = {s.step_key: s.status for s in await self.storage.get_steps(task.run_id)}
                self.at_publish.append((task.step_key, steps.get(task.step_key)))
        await super().publish_tasks(tasks)


@pytest.mark.parametrize("linger", [0.0, COMMIT_LINGER])
async def test_a_step_is_recorded_queued_after_its_publish(
    storage: SqliteStorage, linger: float
) -> None:
    """The first ready set and a later one alike: no row when published, QUEUED once the
    publish is done (the first set at once, a later one with its parent's outcome)."""
    transport = _Snooping(storage)
    recorded: dict[str, anyio.Event] = {"first": anyio.Event(), "second": anyio.Event()}

    def observe(outcome: StepOutcome) -> None:
        recorded[outcome.step_key].set()

    coordinator = Coordinator(storage, transport, observer=observe, commit_linger=linger)
    async with anyio.create_task_group() as group:
        group.start_soon(coordinator.serve)
        handle = await coordinator.submit(
            build_plan(DEFS.graph), run_id="r1", code_location="tests", definitions_hash=DEFS.hash
        )
        assert transport.at_publish == [("first", None)]
        assert await _statuses(storage) == {"first": StepStatus.QUEUED}

        for step in ("first", "second"):
            result = ResultMessage("r1", step, 1, "success", 10.0, 10.001, "w1")
            await transport.publish_result(encode_results([result]), headers={})
            with anyio.fail_after(10):
                await recorded[step].wait()
            if step == "first":
                assert transport.at_publish == [("first", None), ("second", None)]
                assert await _statuses(storage) == {
                    "first": StepStatus.SUCCESS,
                    "second": StepStatus.QUEUED,
                }
        with anyio.fail_after(10):
            await handle.wait()
        await transport.aclose()


async def _statuses(storage: SqliteStorage) -> dict[str, StepStatus]:
    return {s.step_key: s.status for s in await storage.get_steps("r1")}
