"""Steps whose workers died running them, on each backend: task messages the transport
gave up on (delivered as many times as it delivers one), and leases that lapsed. The
coordinator publishes a lapsed step again, and records FAILED a step whose workers died
three times."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest
from tests.backends import Backend
from tests.services import DEFS, WHERE, make_task, serving

from upstream.coordinator import Coordinator, service
from upstream.planning import build_plan
from upstream.protocol import ResultMessage, encode_results, encode_tasks
from upstream.storage import RunStatus, StepStatus


class _Held:
    """A delivery no broker holds any more: what a transport abandons."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.headers: Mapping[str, str] = {}
        self.redelivered = True

    async def ack(self, *, multiple: bool = False) -> None:
        return None

    async def reject(self, reason: str) -> None:
        return None


async def test_a_step_whose_workers_died_fails_and_the_run_ends(backend: Backend) -> None:
    """`a`'s task message was abandoned: `a` is FAILED with the reason, `b` SKIPPED, the
    run ends FAILURE, and the message is acked once that is committed."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        await transport.until(lambda: bool(transport.task_messages))
        held = await transport.abandon(_Held(encode_tasks(transport.task_messages[0])))
        with anyio.fail_after(10):
            record = await handle.wait()
    assert record.status is RunStatus.FAILURE
    assert held.acked
    a, b = await storage.get_steps("r1")
    assert (a.step_key, a.status, b.step_key, b.status) == (
        "a",
        StepStatus.FAILURE,
        "b",
        StepStatus.SKIPPED,
    )
    assert a.error is not None and a.error.type == "WorkerDied"
    assert a.error.message == "the worker died 3 times running this step"
    assert b.skip_reason == "upstream 'a' failed"


async def test_only_the_steps_that_waited_for_no_other_are_blamed(backend: Backend) -> None:
    """In a message of `a` and `b` after it, the worker died before `b` could start: `a`
    FAILED, `b` SKIPPED because of it."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    message = [make_task(step_key="a"), make_task(step_key="b", after=("a",))]
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        await transport.abandon(_Held(encode_tasks(message)))
        with anyio.fail_after(10):
            record = await handle.wait()
    assert record.status is RunStatus.FAILURE
    steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
    assert steps == {"a": StepStatus.FAILURE, "b": StepStatus.SKIPPED}


async def test_an_abandoned_message_of_recorded_steps_changes_nothing(backend: Backend) -> None:
    """A worker that reported `a` and died before acking its message, every time: `a`
    stays SUCCESS, the message is acked, and the run goes on."""
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    success = ResultMessage("r1", "a", 1, "success", 1.0, 2.0, "w1")
    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        await transport.publish_result(encode_results([success]), headers={})
        await transport.until(lambda: len(transport.task_messages) == 2)  # `b` published
        held = await transport.abandon(_Held(encode_tasks([make_task(step_key="a")])))
        await transport.until(lambda: held.acked)
        steps = {s.step_key: s.status for s in await storage.get_steps("r1")}
        assert steps == {"a": StepStatus.SUCCESS, "b": StepStatus.QUEUED}
        assert not handle.finished.is_set()
        b = ResultMessage("r1", "b", 1, "success", 2.0, 3.0, "w1")
        await transport.publish_result(encode_results([b]), headers={})
        assert (await handle.wait()).status is RunStatus.SUCCESS


async def test_a_step_whose_lease_lapses_is_published_again_then_failed(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each time `a` is published a worker takes it under lease and dies (the lease is never
    renewed): it is published again, twice; the third lapse fails it and skips `b`."""
    monkeypatch.setattr(service, "LEASE_SECONDS", 0.02)
    monkeypatch.setattr(service, "LEASE_LOST_AFTER", 0.05)
    storage, transport = backend
    coordinator = Coordinator(storage, transport)
    running = ResultMessage("r1", "a", 1, "running", 1.0, 1.0, "w1")

    def published() -> int:
        return sum(t.step_key == "a" for m in transport.task_messages for t in m)

    async with serving(coordinator):
        handle = await coordinator.submit(build_plan(DEFS.graph), run_id="r1", **WHERE)
        for times in (1, 2, 3):
            await transport.until(lambda times=times: published() == times)
            await transport.publish_result(encode_results([running]), headers={})
        with anyio.fail_after(10):
            record = await handle.wait()
    assert record.status is RunStatus.FAILURE
    assert published() == 3
    steps = {s.step_key: s for s in await storage.get_steps("r1")}
    assert steps["a"].error is not None
    assert steps["a"].error.message == "the worker died 3 times running this step"
    assert steps["b"].status is StepStatus.SKIPPED
