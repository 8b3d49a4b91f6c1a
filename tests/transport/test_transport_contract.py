"""The transport contract (transport/base.py), run unchanged on every backend: what the
coordinator's end publishes reaches the worker's end, and back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import anyio
import pytest
from tests.backends import Ends

from upstream.transport.base import CoordinatorTransport, Delivery, OutgoingTask
from upstream.transport.memory import MemoryTransport
from upstream.transport.rabbitmq import RabbitCoordinatorTransport, open_worker_transport

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
T = TypeVar("T")
DeadLetterBodies = Callable[[Ends], Awaitable[list[bytes]]]


async def first(stream: AsyncIterator[T]) -> T:
    """The next item of `stream`, or fail within 5 s rather than hang."""
    with anyio.fail_after(5):
        return await anext(stream)


async def results_arrived(transport: CoordinatorTransport, count: int) -> None:
    """Wait until `count` results wait unread at `transport`. The port cannot say (a
    consumer only takes), so this reads the adapter's buffer, which RabbitMQ fills
    asynchronously with no event to wait for: polled, within 5 s."""
    if isinstance(transport, MemoryTransport):
        buffer = transport._result_receive
    else:
        assert isinstance(transport, RabbitCoordinatorTransport)
        buffer = transport._receive
    with anyio.fail_after(5):
        while buffer.statistics().current_buffer_used < count:  # noqa: ASYNC110 - no event
            await anyio.sleep(0.01)


async def test_a_task_arrives_with_its_body_and_trace_header(ends: Ends) -> None:
    """The trace header survives the trip, so a run stays one trace."""
    await ends.coordinator.publish_task(b"task", headers={"traceparent": TRACEPARENT, "run": "r1"})
    delivery = await first(ends.worker.tasks())
    assert delivery.body == b"task"
    assert delivery.headers["traceparent"] == TRACEPARENT
    assert delivery.headers["run"] == "r1"
    await delivery.ack()


async def test_results_that_arrived_together_come_in_one_batch(ends: Ends) -> None:
    """Every result arrives, in order; those that had arrived by the time the coordinator
    asks come in one batch, so a burst is recorded in one transaction."""
    sent = [str(n).encode() for n in range(50)]
    for body in sent:
        await ends.worker.publish_result(body, headers={})
    await results_arrived(ends.coordinator, len(sent))
    batch = await first(ends.coordinator.results())
    assert [delivery.body for delivery in batch] == sent
    await batch[-1].ack(multiple=True)


async def test_an_acked_task_is_not_delivered_again(ends: Ends) -> None:
    await ends.coordinator.publish_task(b"one", headers={})
    tasks = ends.worker.tasks()
    delivery = await first(tasks)
    await delivery.ack()
    await ends.coordinator.publish_task(b"two", headers={})
    assert (await first(tasks)).body == b"two"


async def test_a_rejected_task_is_dead_lettered_not_redelivered(
    ends: Ends, dead_letter_bodies: DeadLetterBodies
) -> None:
    await ends.coordinator.publish_task(b"unreadable", headers={})
    tasks = ends.worker.tasks()
    await (await first(tasks)).reject("cannot decode")
    assert await dead_letter_bodies(ends) == [b"unreadable"]
    await ends.coordinator.publish_task(b"next", headers={})
    assert (await first(tasks)).body == b"next"


async def test_a_rejected_result_is_dead_lettered(
    ends: Ends, dead_letter_bodies: DeadLetterBodies
) -> None:
    await ends.worker.publish_result(b"garbled", headers={})
    batch = await first(ends.coordinator.results())
    await batch[0].reject("cannot decode")
    assert await dead_letter_bodies(ends) == [b"garbled"]


async def test_an_unacked_task_is_redelivered_after_its_consumer_goes(ends: Ends) -> None:
    """At-least-once: a worker that dies mid-task leaves the task to another worker."""
    if not isinstance(ends.coordinator, RabbitCoordinatorTransport):
        pytest.skip("redelivery to another process is the broker's guarantee")
    await ends.coordinator.publish_task(b"done", headers={})
    await ends.coordinator.publish_task(b"in flight", headers={})
    tasks = ends.worker.tasks()
    done = await first(tasks)
    assert done.body == b"done"
    await done.ack()
    assert (await first(tasks)).body == b"in flight"  # never acked
    await ends.worker.aclose()  # the worker "dies"

    async with await open_worker_transport(ends.coordinator.settings) as other:
        again = await first(other.tasks())
        assert again.body == b"in flight"
        await again.ack()


async def test_aclose_ends_the_iterators(ends: Ends) -> None:
    ended: list[str] = []

    async def drain(name: str, stream: AsyncIterator[Delivery | object]) -> None:
        async for _ in stream:
            pass
        ended.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(drain, "tasks", ends.worker.tasks())
            group.start_soon(drain, "results", ends.coordinator.results())
            await anyio.wait_all_tasks_blocked()  # both are waiting
            await ends.worker.aclose()
            await ends.coordinator.aclose()
    assert sorted(ended) == ["results", "tasks"]


async def test_a_batch_of_tasks_arrives_whole(ends: Ends) -> None:
    """publish_tasks pipelines its confirms, and every task arrives exactly once."""
    await ends.coordinator.publish_tasks(
        [OutgoingTask(f"t{i}".encode(), {"i": str(i)}) for i in range(300)]
    )
    seen: list[bytes] = []
    stream = ends.worker.tasks()
    while len(seen) < 300:
        delivery = await first(stream)
        seen.append(delivery.body)
        await delivery.ack()
    assert sorted(seen) == sorted(f"t{i}".encode() for i in range(300))
