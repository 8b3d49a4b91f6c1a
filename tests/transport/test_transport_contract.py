"""The transport contract (transport/base.py), run unchanged on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import anyio
import pytest

from upstream.transport.base import Delivery, OutgoingTask, Transport
from upstream.transport.rabbitmq import RabbitTransport, open_rabbit_transport

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
T = TypeVar("T")
DeadLetterBodies = Callable[[Transport], Awaitable[list[bytes]]]


async def first(stream: AsyncIterator[T]) -> T:
    """The next item of `stream`, or fail within 5 s rather than hang."""
    with anyio.fail_after(5):
        return await anext(stream)


async def test_a_task_arrives_with_its_body_and_trace_header(transport: Transport) -> None:
    """The trace header survives the trip, so a run stays one trace."""
    await transport.publish_task(b"task", headers={"traceparent": TRACEPARENT, "run": "r1"})
    delivery = await first(transport.tasks())
    assert delivery.body == b"task"
    assert delivery.headers["traceparent"] == TRACEPARENT
    assert delivery.headers["run"] == "r1"
    await delivery.ack()


async def test_results_arrive_in_batches(transport: Transport) -> None:
    """Every result arrives; a batch is never empty and holds whatever had arrived."""
    for n in range(50):
        await transport.publish_result(str(n).encode(), headers={})
    received: list[bytes] = []
    batches = 0
    results = transport.results()
    while len(received) < 50:
        batch = await first(results)
        assert len(batch) >= 1
        batches += 1
        received += [delivery.body for delivery in batch]
        for delivery in batch:
            await delivery.ack()
    assert sorted(received) == sorted(str(n).encode() for n in range(50))
    assert batches <= 50


async def test_an_acked_task_is_not_delivered_again(transport: Transport) -> None:
    await transport.publish_task(b"one", headers={})
    tasks = transport.tasks()
    delivery = await first(tasks)
    await delivery.ack()
    await transport.publish_task(b"two", headers={})
    assert (await first(tasks)).body == b"two"


async def test_a_rejected_task_is_dead_lettered_not_redelivered(
    transport: Transport, dead_letter_bodies: DeadLetterBodies
) -> None:
    await transport.publish_task(b"unreadable", headers={})
    tasks = transport.tasks()
    await (await first(tasks)).reject("cannot decode")
    assert await dead_letter_bodies(transport) == [b"unreadable"]
    await transport.publish_task(b"next", headers={})
    assert (await first(tasks)).body == b"next"


async def test_a_rejected_result_is_dead_lettered(
    transport: Transport, dead_letter_bodies: DeadLetterBodies
) -> None:
    await transport.publish_result(b"garbled", headers={})
    batch = await first(transport.results())
    await batch[0].reject("cannot decode")
    assert await dead_letter_bodies(transport) == [b"garbled"]


async def test_an_unacked_task_is_redelivered_after_its_consumer_goes(
    transport: Transport,
) -> None:
    """At-least-once: a worker that dies mid-task leaves the task to another worker."""
    if not isinstance(transport, RabbitTransport):
        pytest.skip("redelivery to another process is the broker's guarantee")
    await transport.publish_task(b"done", headers={})
    await transport.publish_task(b"in flight", headers={})
    tasks = transport.tasks()
    done = await first(tasks)
    assert done.body == b"done"
    await done.ack()
    assert (await first(tasks)).body == b"in flight"  # never acked
    await transport.aclose()  # the worker "dies"

    settings = transport.settings
    async with await open_rabbit_transport(
        settings, consume_tasks=True, consume_results=False
    ) as other:
        again = await first(other.tasks())
        assert again.body == b"in flight"
        await again.ack()


async def test_aclose_ends_the_iterators(transport: Transport) -> None:
    ended: list[str] = []

    async def drain(name: str, stream: AsyncIterator[Delivery | object]) -> None:
        async for _ in stream:
            pass
        ended.append(name)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(drain, "tasks", transport.tasks())
            group.start_soon(drain, "results", transport.results())
            await anyio.sleep(0.05)  # both are waiting
            await transport.aclose()
    assert sorted(ended) == ["results", "tasks"]


async def test_a_batch_of_tasks_arrives_whole(transport: Transport) -> None:
    """publish_tasks pipelines its confirms, and every task arrives exactly once."""
    await transport.publish_tasks(
        [OutgoingTask(f"t{i}".encode(), {"i": str(i)}) for i in range(300)]
    )
    seen: list[bytes] = []
    stream = transport.tasks()
    while len(seen) < 300:
        delivery = await first(stream)
        seen.append(delivery.body)
        await delivery.ack()
    assert sorted(seen) == sorted(f"t{i}".encode() for i in range(300))
