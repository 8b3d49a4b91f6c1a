"""The transport ports, one per role: tasks to workers, results to the coordinator.

A role's port has only its own methods, so handing a service the wrong one is a type
error. Two adapters provide them (memory: both roles on one object; RabbitMQ: one
opener per role).

Delivery is at-least-once. A consumer acks a delivery only once its effect is safe (a
worker: the result confirmed; the coordinator: the result committed), and rejects a
message it cannot read, which dead-letters it; nothing is ever requeued by a reject.
A task message is delivered a bounded number of times: once its consumers have gone away
without acking it that often (a step that kills its worker), the transport abandons it
and hands it to the coordinator, which records its steps FAILED. Adapters raise
`TransportError` for failures of the transport itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import NamedTuple, Protocol

from upstream.model.errors import UpstreamError

__all__ = [
    "Abandoned",
    "CoordinatorTransport",
    "Delivery",
    "OutgoingTask",
    "TransportError",
    "WorkerTransport",
    "task_route",
]


class TransportError(UpstreamError):
    """The broker is unreachable or refused a message."""


def task_route(code_location: str, definitions_hash: str, queue: str | None = None) -> str:
    """The task queue of one code location's definitions (and named queue, e.g. "gpu"):
    tasks go only to workers serving exactly that code, so during a rolling deploy old runs
    keep to old workers and new runs to new ones. The hash is cut to 16 hex digits."""
    return f"{queue or 'default'}.{code_location}.{definitions_hash[:16]}"


class OutgoingTask(NamedTuple):
    """A task to publish: body, headers, and the task queue (None: the default one)."""

    body: bytes
    headers: Mapping[str, str]
    queue: str | None = None


class Delivery(Protocol):
    """One received message."""

    @property
    def body(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def redelivered(self) -> bool:
        """Delivered before, to a consumer that went away without acking it: its effect may
        already be recorded."""
        ...

    async def ack(self, *, multiple: bool = False) -> None:
        """The message's effect is safe; it will not be delivered again. With `multiple`,
        so is every earlier delivery of the same stream not yet acked or rejected: one ack
        for a burst, which the caller may use only when all of them are safe."""
        ...

    async def reject(self, reason: str) -> None:
        """Dead-letter the message (never requeue); `reason` is logged with it."""
        ...


class Abandoned(NamedTuple):
    """A task message given up on: delivered `deliveries` times, and each time its worker
    died (or lost the broker) before acking it. Ack it once its steps' fate is committed."""

    delivery: Delivery
    deliveries: int


class WorkerTransport(Protocol):
    """What a worker uses: it takes tasks and publishes their results."""

    messaging_system: str  # OpenTelemetry's messaging.system: "rabbitmq", or "memory"

    def tasks(self) -> AsyncIterator[Delivery]:
        """Tasks for this worker, one at a time, until the transport closes."""
        ...

    async def publish_result(self, body: bytes, *, headers: Mapping[str, str]) -> None:
        """Return once the result is safely queued (confirmed by the broker)."""
        ...

    async def aclose(self) -> None:
        """Stop consuming tasks; the `tasks()` loop ends."""
        ...


class CoordinatorTransport(Protocol):
    """What the coordinator uses: it publishes tasks and takes their results."""

    messaging_system: str

    async def publish_task(
        self, body: bytes, *, headers: Mapping[str, str], queue: str | None = None
    ) -> None:
        """Return once the task is safely queued (confirmed by the broker).

        `queue` names a task queue: the coordinator's are `task_route`s, so only workers
        serving the run's code take them; None means the default one."""
        ...

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        """Publish many tasks, pipelined (confirms awaited together, not one by one);
        return once every one is confirmed. Raises TransportError if any was refused."""
        ...

    async def task_consumers(self, queue: str | None = None) -> int:
        """How many workers consume the task queue `queue` (None: the default one), as
        of at most about a second ago; 0 while none does. The coordinator sizes its task
        messages by it, so a ready set is spread over every worker."""
        ...

    def results(self) -> AsyncIterator[Sequence[Delivery]]:
        """Results in batches: each batch holds at least one delivery, and as many more as
        had already arrived, so the coordinator records a burst in one transaction."""
        ...

    def abandoned_tasks(self) -> AsyncIterator[Abandoned]:
        """Task messages the transport gave up on (see `Abandoned`), one at a time, until
        the transport closes. An adapter whose consumers cannot die without the
        coordinator (the in-memory one) never yields any."""
        ...

    async def aclose(self) -> None:
        """Stop consuming results and abandoned tasks; both loops end."""
        ...
