"""One `ends` fixture over every backend, so the contract suite runs against each unchanged.

The RabbitMQ backend gets a namespace of its own per test (`test-<uuid>`), and its queues and
exchanges are deleted afterwards, so tests never see each other's messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import anyio
import pytest
import pytest_asyncio
from tests.backends import Ends, open_ends

from upstream.transport.memory import MemoryTransport
from upstream.transport.rabbitmq import RabbitCoordinatorTransport

BACKENDS = ["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)]

DeadLetterBodies = Callable[[Ends], Awaitable[list[bytes]]]


@pytest.fixture
def dead_letter_bodies() -> DeadLetterBodies:
    """Read what has been dead-lettered so far, on either backend."""
    return _dead_letter_bodies


async def _dead_letter_bodies(ends: Ends) -> list[bytes]:
    if isinstance(ends.coordinator, MemoryTransport):
        return [letter.body for letter in ends.coordinator.dead_letters]
    assert isinstance(ends.coordinator, RabbitCoordinatorTransport)
    settings = ends.coordinator.settings
    bodies: list[bytes] = []
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(settings.dead_letter_queue)
        with anyio.move_on_after(2):  # dead-lettering is asynchronous inside the broker
            while not bodies:
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    bodies.append(message.body)
                await anyio.sleep(0.02)
    return bodies


@pytest_asyncio.fixture(params=BACKENDS)
async def ends(request: pytest.FixtureRequest) -> AsyncIterator[Ends]:
    """Fresh ends of each backend, the coordinator's consuming results and the worker's
    consuming tasks; closed after the test."""
    async with open_ends(request.param) as opened:
        yield opened
