"""A task message the broker redelivers (its worker died after sending the results, before
the ack) is not run again where its steps' outcomes are already recorded: on RabbitMQ and
PostgreSQL, where redelivery happens; and which tasks of a message still run."""

from __future__ import annotations

import threading
from pathlib import Path

import aio_pika
import anyio
import pytest
from tests.backends import open_store
from tests.recording import Recording
from tests.services import LOCATION, make_task, serving

from upstream import Definitions, InMemoryIOManager, asset
from upstream.protocol import TaskMessage, encode_tasks
from upstream.storage import RunRecord, RunStatus, StepOutcome, StepStatus
from upstream.transport.rabbitmq import (
    RabbitSettings,
    open_coordinator_transport,
    open_worker_transport,
)
from upstream.worker import Worker, WorkerSettings
from upstream.worker.recorded import recorded_in, still_to_run

T0 = 1_700_000_000.0


@pytest.mark.integration
@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "not-recorded"])
async def test_a_redelivered_task_runs_only_if_its_step_is_not_recorded(
    rabbit_settings: RabbitSettings, tmp_path: Path, recorded: bool
) -> None:
    """A first worker takes the task and dies unacked; the broker redelivers it. If `a`'s
    attempt is recorded SUCCESS, the next worker acks it without calling `a` or sending a
    result; if not, `a` runs once and its result goes out. Either way the queue is empty."""
    calls: list[int] = []
    lock = threading.Lock()

    @asset
    def a() -> int:
        with lock:
            calls.append(1)
        return 1

    defs = Definitions([a])
    async with (
        open_store("postgres", tmp_path) as storage,
        await open_coordinator_transport(rabbit_settings) as coordinator,
    ):
        await storage.create_run(
            RunRecord("r1", RunStatus.STARTED, "*", ("a",), LOCATION, defs.hash, T0)
        )
        await storage.record_queued("r1", [("a", 1)], T0)
        if recorded:
            done = StepOutcome("r1", "a", 1, StepStatus.SUCCESS, T0, T0 + 1, "dead-worker")
            assert await storage.record_outcomes([done]) == [True]
        body = encode_tasks([make_task(definitions_hash=defs.hash)])
        await coordinator.publish_task(body, headers={})
        async with await open_worker_transport(rabbit_settings) as dying:
            with anyio.fail_after(5):
                assert not (await anext(dying.tasks())).redelivered
        # closed without an ack, as a worker that died after sending its results

        async with await open_worker_transport(rabbit_settings) as ends:
            transport = Recording(coordinator, ends)
            worker = Worker(
                defs,
                transport,
                WorkerSettings(LOCATION, "w2"),
                default_io_manager=InMemoryIOManager(),
                recorded=recorded_in(storage),
            )
            async with serving(worker):
                await transport.until(lambda: transport.settled("task") == 1)
                if not recorded:
                    await transport.until(lambda: len(transport.result_messages) == 1)
            assert transport.received["task"][0].redelivered
        assert calls == ([] if recorded else [1])
        statuses = [r.status for message in transport.result_messages for r in message]
        assert statuses == ([] if recorded else ["success"])
        assert await _left_on(rabbit_settings) == 0


async def _left_on(settings: RabbitSettings) -> int:
    """Task messages still on the queue (unacked ones went back when their worker closed)."""
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(settings.task_queue_name())
        left = 0
        while await queue.get(no_ack=True, fail=False) is not None:
            left += 1
        return left


def _task(step: str, *after: str, attempt: int = 1) -> TaskMessage:
    return make_task(step_key=step, after=after, attempt=attempt)


@pytest.mark.parametrize(
    ("outcomes", "to_run"),
    [
        ({}, ["a", "b(a)", "c(b)"]),
        ({("a", 1): True}, ["b", "c(b)"]),  # b no longer waits for the recorded success
        ({("a", 1): False}, []),  # after a recorded failure, nothing runs
        ({("a", 1): True, ("b", 1): False}, []),
        ({("a", 2): True}, ["a", "b(a)", "c(b)"]),  # another attempt's outcome: not ours
    ],
)
async def test_only_the_tasks_not_recorded_and_not_after_a_failure_run(
    outcomes: dict[tuple[str, int], bool], to_run: list[str]
) -> None:
    async def recorded(run_id: str) -> dict[tuple[str, int], bool]:
        assert run_id == "r1"
        return outcomes

    tasks = [_task("a"), _task("b", "a"), _task("c", "b")]
    left = await still_to_run(tasks, recorded)
    assert [t.step_key + (f"({','.join(t.after)})" if t.after else "") for t in left] == to_run
