"""One `transport` fixture over every backend, so the contract suite runs against each unchanged.

The RabbitMQ backend gets a namespace of its own per test (`test-<uuid>`), and its queues and
exchanges are deleted afterwards, so tests never see each other's messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from uuid import uuid4

import aio_pika
import anyio
import pytest
import pytest_asyncio

from upstream.transport.base import Transport
from upstream.transport.memory import MemoryTransport
from upstream.transport.rabbitmq import RabbitSettings, RabbitTransport, open_rabbit_transport

BACKENDS = ["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)]


def fresh_settings() -> RabbitSettings:
    """Settings on the local broker with a namespace no other test uses."""
    return RabbitSettings(namespace=f"test-{uuid4().hex}")


async def delete_topology(settings: RabbitSettings, task_queues: Iterable[str] = ()) -> None:
    """Delete every queue and exchange `settings` names (missing ones are fine)."""
    queues = [settings.task_queue_name(), settings.results_queue, settings.dead_letter_queue]
    queues += [settings.task_queue_name(queue) for queue in task_queues]
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name)
        for name in (settings.task_exchange, settings.dead_exchange):
            await channel.exchange_delete(name)


DeadLetterBodies = Callable[[Transport], Awaitable[list[bytes]]]


@pytest.fixture
def dead_letter_bodies() -> DeadLetterBodies:
    """Read what has been dead-lettered so far, on either backend."""
    return _dead_letter_bodies


async def _dead_letter_bodies(transport: Transport) -> list[bytes]:
    if isinstance(transport, MemoryTransport):
        return [letter.body for letter in transport.dead_letters]
    assert isinstance(transport, RabbitTransport)
    bodies: list[bytes] = []
    connection = await aio_pika.connect(transport.settings.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(transport.settings.dead_letter_queue)
        with anyio.move_on_after(2):  # dead-lettering is asynchronous inside the broker
            while not bodies:
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    bodies.append(message.body)
                await anyio.sleep(0.02)
    return bodies


@pytest_asyncio.fixture
async def rabbit_settings() -> AsyncIterator[RabbitSettings]:
    """Fresh settings for a rabbit-only test; its topology (and a "gpu" queue) deleted after."""
    settings = fresh_settings()
    try:
        yield settings
    finally:
        await delete_topology(settings, task_queues=["gpu"])


@pytest_asyncio.fixture(params=BACKENDS)
async def transport(request: pytest.FixtureRequest) -> AsyncIterator[Transport]:
    """A fresh transport of each backend, consuming tasks and results; closed after the test."""
    if request.param == "memory":
        memory = MemoryTransport()
        yield memory
        await memory.aclose()
        return
    settings = fresh_settings()
    try:
        rabbit = await open_rabbit_transport(settings, consume_tasks=True, consume_results=True)
        async with rabbit:
            yield rabbit
    finally:
        await delete_topology(settings)
