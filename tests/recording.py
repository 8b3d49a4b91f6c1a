"""The one transport test double: both roles' ports over real ends (memory or RabbitMQ),
noting what passes through, so tests see what a service published, acked and rejected,
and wait for it with events rather than sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

import anyio

from upstream.protocol import ResultMessage, TaskMessage, decode_results, decode_tasks
from upstream.transport.base import (
    Abandoned,
    CoordinatorTransport,
    Delivery,
    OutgoingTask,
    WorkerTransport,
)


class Recording:
    """Passes everything to `coordinator` and `worker` (one object on the memory backend)
    and notes: the order of results published and deliveries acked (`order`), every task
    message published with `publish_tasks` and every results message, decoded, each
    reject's reason, and every delivery received, in stream order, with how it was settled.
    A test may set `consumers`, the answer `task_consumers` gives, as if that many workers
    consumed every task queue, and `before_publish`, awaited with each `publish_tasks`
    call's messages, decoded, before they go out. The coordinator's abandoned tasks are
    those a test hands over with `abandon` (the RabbitMQ adapter's own are tested on their
    own: they take workers dying).

    Its one worker end serves every route, as the embedded worker does: the tasks the
    coordinator routes by code (`task_route`) all go to the default task queue, whose
    consumers `task_consumers` counts for any route (routing has tests of its own)."""

    def __init__(self, coordinator: CoordinatorTransport, worker: WorkerTransport) -> None:
        self.coordinator, self.worker = coordinator, worker
        self.messaging_system = coordinator.messaging_system
        self.consumers: int | None = None
        self.before_publish: Callable[[list[list[TaskMessage]]], Awaitable[None]] | None = None
        self.order: list[str] = []  # "result published", "task acked", "result acked"
        self.task_messages: list[list[TaskMessage]] = []
        self.result_messages: list[list[ResultMessage]] = []
        self.rejected: list[str] = []
        self.received: dict[str, list[RecordedDelivery]] = {
            "task": [],
            "result": [],
            "abandoned": [],
        }
        self._changed = anyio.Event()
        self._abandon, self._abandoned = anyio.create_memory_object_stream[Abandoned](10)

    def noted(self) -> None:
        """Something changed: wake whoever waits in `until`."""
        self._changed.set()
        self._changed = anyio.Event()

    async def until(self, condition: Callable[[], bool]) -> None:
        """Return once `condition()` holds, checked again each time something is noted
        (a service's next batch asked for counts: it has handled the last one); fail
        after 10 s rather than hang."""
        with anyio.fail_after(10):
            while not condition():
                await self._changed.wait()

    def settled(self, kind: str = "result") -> int:
        """How many deliveries of `kind` ("task" or "result") are acked or rejected."""
        return sum(delivery.settled for delivery in self.received[kind])

    # The worker's port.

    async def tasks(self) -> AsyncIterator[Delivery]:
        async for delivery in self.worker.tasks():
            yield RecordedDelivery(delivery, self, "task")

    async def publish_result(self, body: bytes, *, headers: Mapping[str, str]) -> None:
        await self.worker.publish_result(body, headers=headers)
        self.order.append("result published")
        self.result_messages.append(decode_results(body))
        self.noted()

    # The coordinator's port.

    async def publish_task(
        self, body: bytes, *, headers: Mapping[str, str], queue: str | None = None
    ) -> None:
        """Not noted: tests publish tasks (some unreadable) this way, the coordinator never."""
        await self.coordinator.publish_task(body, headers=headers, queue=queue)

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        decoded = [decode_tasks(task.body) for task in tasks]
        if self.before_publish is not None:
            await self.before_publish(decoded)
        await self.coordinator.publish_tasks([task._replace(queue=None) for task in tasks])
        self.task_messages += decoded
        self.noted()

    async def task_consumers(self, queue: str | None = None) -> int:
        if self.consumers is not None:
            return self.consumers
        return await self.coordinator.task_consumers()

    async def results(self) -> AsyncIterator[Sequence[Delivery]]:
        async for batch in self.coordinator.results():
            yield [RecordedDelivery(delivery, self, "result") for delivery in batch]
            self.noted()  # the consumer asks for the next batch: it has handled this one

    async def abandon(self, delivery: Delivery, deliveries: int = 3) -> RecordedDelivery:
        """Hand the coordinator `delivery` as a task message its workers died running."""
        recorded = RecordedDelivery(delivery, self, "abandoned")
        await self._abandon.send(Abandoned(recorded, deliveries))
        return recorded

    async def abandoned_tasks(self) -> AsyncIterator[Abandoned]:
        async for abandoned in self._abandoned:
            yield abandoned

    async def aclose(self) -> None:
        self._abandon.close()
        await self.coordinator.aclose()
        await self.worker.aclose()


class RecordedDelivery:
    """A delivery that notes how it is settled, as a broker would settle it: an ack with
    `multiple` also acks every earlier delivery of its stream still unsettled, and settling
    one twice fails (RabbitMQ closes the channel on an unknown delivery tag)."""

    def __init__(self, inner: Delivery, recording: Recording, kind: str) -> None:
        self._inner, self._recording, self._kind = inner, recording, kind
        self.body, self.headers = inner.body, inner.headers
        self.redelivered = inner.redelivered
        self.acked = False
        self.rejection: str | None = None
        self._stream = recording.received[kind]
        self._stream.append(self)

    @property
    def settled(self) -> bool:
        return self.acked or self.rejection is not None

    async def ack(self, *, multiple: bool = False) -> None:
        assert not self.settled, "settled twice"
        await self._inner.ack(multiple=multiple)
        earlier = self._stream[: self._stream.index(self)] if multiple else []
        for delivery in [*earlier, self]:
            if not delivery.settled:
                delivery.acked = True
        self._recording.order.append(f"{self._kind} acked")
        self._recording.noted()

    async def reject(self, reason: str) -> None:
        assert not self.settled, "settled twice"
        await self._inner.reject(reason)
        self.rejection = reason
        self._recording.rejected.append(reason)
        self._recording.noted()
