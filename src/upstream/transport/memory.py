"""The in-memory transport: anyio streams, for the embedded mode and for tests.

One object provides both roles' ports over the same streams: the embedded runner hands it
to the coordinator and to the worker alike. Rejected messages are kept in `dead_letters`,
so tests can see what a service refused.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import anyio

from upstream.tracing import get_logger
from upstream.transport.base import Abandoned, Delivery, OutgoingTask
from upstream.transport.receive import drain

__all__ = ["DeadLetter", "MemoryTransport"]

log = get_logger("transport")


@dataclass(frozen=True)
class DeadLetter:
    """A rejected message and why."""

    body: bytes
    headers: Mapping[str, str]
    reason: str


@dataclass(eq=False)
class _MemoryDelivery:
    body: bytes
    headers: Mapping[str, str]
    _transport: MemoryTransport = field(repr=False)
    redelivered: bool = False  # a consumer in this process never dies without the sender

    async def ack(self, *, multiple: bool = False) -> None:
        return None

    async def reject(self, reason: str) -> None:
        self._transport.dead_letters.append(DeadLetter(self.body, self.headers, reason))
        log.warning("message.dead_lettered", reason=reason, size=len(self.body))


class MemoryTransport:
    """Unbounded in-process queues: a publisher never waits on a consumer (no deadlock
    between a coordinator publishing a wide ready set and workers reporting results)."""

    messaging_system = "memory"

    def __init__(self) -> None:
        self._task_send, self._task_receive = anyio.create_memory_object_stream[Delivery](math.inf)
        self._result_send, self._result_receive = anyio.create_memory_object_stream[Delivery](
            math.inf
        )
        self.dead_letters: list[DeadLetter] = []
        # Never sent to: in one process a worker dies only with its coordinator.
        self._abandoned_send, self._abandoned_receive = anyio.create_memory_object_stream[
            Abandoned
        ]()

    async def publish_task(
        self, body: bytes, *, headers: Mapping[str, str], queue: str | None = None
    ) -> None:
        # `queue` is ignored: in one process every worker serves every queue.
        self._task_send.send_nowait(_MemoryDelivery(body, dict(headers), self))

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        for task in tasks:
            self._task_send.send_nowait(_MemoryDelivery(task.body, dict(task.headers), self))

    async def task_consumers(self, queue: str | None = None) -> int:
        return 1  # the embedded mode's one worker

    async def publish_result(self, body: bytes, *, headers: Mapping[str, str]) -> None:
        self._result_send.send_nowait(_MemoryDelivery(body, dict(headers), self))

    async def tasks(self) -> AsyncIterator[Delivery]:
        """Deliveries in order. One already queued is taken without a checkpoint (a
        `receive` yields to the loop first, even then): the consumer yields when it must
        wait, as a worker does once its runners are all busy, and a task saves a loop
        round trip."""
        while True:
            try:
                delivery = self._task_receive.receive_nowait()
            except anyio.WouldBlock:
                try:
                    delivery = await self._task_receive.receive()
                except anyio.EndOfStream:
                    return
            except anyio.EndOfStream:
                return
            yield delivery

    async def results(self) -> AsyncIterator[Sequence[Delivery]]:
        async for first in self._result_receive:
            yield drain(self._result_receive, [first])

    async def abandoned_tasks(self) -> AsyncIterator[Abandoned]:
        async for abandoned in self._abandoned_receive:
            yield abandoned

    async def aclose(self) -> None:
        self._task_send.close()
        self._result_send.close()
        self._abandoned_send.close()
