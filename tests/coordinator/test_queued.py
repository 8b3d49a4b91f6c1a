"""When the coordinator records a step QUEUED: after its publish, for every ready set."""

from __future__ import annotations

import anyio
import pytest
from tests.backends import Backend
from tests.services import DEFS, WHERE, serving

from upstream.coordinator import Coordinator
from upstream.coordinator.service import COMMIT_LINGER
from upstream.planning import build_plan
from upstream.protocol import ResultMessage, TaskMessage, encode_results
from upstream.storage import StepOutcome, StepStatus
from upstream.storage.base import RunStorage


@pytest.mark.parametrize("linger", [0.0, COMMIT_LINGER])
async def test_a_step_is_recorded_queued_after_its_publish(backend: Backend, linger: float) -> None:
    """The first ready set and a later one alike: no row when published, QUEUED once the
    publish is done (the first set at once, a later one with its parent's outcome)."""
    storage, transport = backend
    at_publish: list[tuple[str, StepStatus | None]] = []

    async def snoop(messages: list[list[TaskMessage]]) -> None:
        for task in (task for message in messages for task in message):
            at_publish.append((task.step_key, (await _statuses(storage)).get(task.step_key)))

    transport.before_publish = snoop
    recorded = {"a": anyio.Event(), "b": anyio.Event()}

    def observe(outcome: StepOutcome) -> None:
        recorded[outcome.step_key].set()

    coordinator = Coordinator(storage, transport, observer=observe, commit_linger=linger)
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        assert at_publish == [("a", None)]
        assert await _statuses(storage) == {"a": StepStatus.QUEUED}

        for step in ("a", "b"):
            result = ResultMessage("r1", step, 1, "success", 10.0, 10.001, "w1")
            await transport.worker.publish_result(encode_results([result]), headers={})
            with anyio.fail_after(10):
                await recorded[step].wait()
            if step == "a":
                assert at_publish == [("a", None), ("b", None)]
                assert await _statuses(storage) == {"a": StepStatus.SUCCESS, "b": StepStatus.QUEUED}
        with anyio.fail_after(10):
            await handle.wait()


async def _statuses(storage: RunStorage) -> dict[str, StepStatus]:
    return {s.step_key: s.status for s in await storage.get_steps("r1")}
