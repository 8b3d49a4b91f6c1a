"""Routes no worker serves: when their steps fail, and what the reason says."""

from __future__ import annotations

import pytest
from tests.backends import Backend
from tests.services import DEFS, WHERE, serving

from upstream.coordinator import Coordinator
from upstream.coordinator.routes import Route, Unserved
from upstream.planning import build_plan
from upstream.storage import RunStatus, StepStatus

GPU = Route("pipeline", "ab" * 32, "gpu")


def test_a_route_expires_after_the_grace_period_without_a_consumer() -> None:
    unserved = Unserved(grace=60)
    assert not unserved.expired(GPU, 0, now=100)  # first seen empty: the clock starts
    assert not unserved.expired(GPU, 0, now=159)
    assert unserved.expired(GPU, 0, now=160)


def test_a_consumer_restarts_the_clock_and_unused_routes_are_forgotten() -> None:
    unserved = Unserved(grace=60)
    unserved.expired(GPU, 0, now=100)
    assert not unserved.expired(GPU, 1, now=150)  # a worker came (a restart, say)
    assert not unserved.expired(GPU, 0, now=200)
    unserved.keep([])  # no step waits on it any more
    assert not unserved.expired(GPU, 0, now=300)  # counted afresh
    assert not unserved.expired(GPU, 0, now=359)
    assert unserved.expired(GPU, 0, now=360)
    with pytest.raises(ValueError, match="positive"):
        Unserved(grace=0)


def test_the_reason_names_the_code_the_queue_and_the_command() -> None:
    reason = GPU.unserved(60)
    assert "no worker serves code location 'pipeline' with definitions hash abababababab" in (
        reason
    )
    assert "on task queue 'gpu'" in reason
    assert "`upstream worker -m <module> --queue gpu`" in reason
    assert "queue" not in Route("pipeline", "ab" * 32).unserved(60)


async def test_steps_no_worker_can_take_fail_with_the_reason_and_the_run_ends(
    backend: Backend,
) -> None:
    """With no consumer on the run's route for the grace period, its waiting step fails
    with the reason, what follows is skipped, and the run ends FAILURE."""
    storage, transport = backend
    transport.consumers = 0  # as if no worker served the run's code
    coordinator = Coordinator(storage, transport, worker_grace=0.2)
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        record = await handle.wait()
    assert record.status is RunStatus.FAILURE
    steps = {step.step_key: step for step in await storage.get_steps("r1")}
    assert steps["a"].status is StepStatus.FAILURE
    assert steps["a"].error is not None and steps["a"].error.type == "NoWorker"
    assert "no worker serves code location 'tests'" in steps["a"].error.message
    assert steps["b"].status is StepStatus.SKIPPED
