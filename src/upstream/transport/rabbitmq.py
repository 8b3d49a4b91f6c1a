"""The RabbitMQ transport: the distributed mode's adapter for both roles' ports.

Why it is built this way (DESIGN.md, "Delivery semantics"):

- Every message is persistent and published on a confirming channel with `mandatory`, so
  `publish_task`/`publish_result` return only once the broker holds the message, and a
  message no queue would take raises `TransportError` instead of vanishing.
- Queues are durable quorum queues (replicated, and they still dead-letter on a plain
  `basic.reject`). Task and result queues dead-letter to `<ns>.dead`, a fanout exchange
  feeding `<ns>.dead-letters`; a reject never requeues, so a bad message cannot loop.
- A consumer holds at most `prefetch` unacked tasks (`batch_max` unacked results, so a
  batch can fill). An unacked message goes back to the queue when its connection closes:
  a worker that dies mid-task leaves its task to another worker (at-least-once).
- Task queues deliver a message at most `DELIVERIES` times (`x-delivery-limit`; every
  return counts, a dead consumer's too: measured on RabbitMQ 3.10). Then the broker
  dead-letters it with reason `delivery_limit`; `<ns>.abandoned-tasks`, bound to
  `<ns>.dead` beside `<ns>.dead-letters`, takes a copy, and the coordinator consumes it
  and ignores the other dead letters (their reason is `rejected`). A task queue declared
  without the limit by an older upstream makes the declare fail (PRECONDITION_FAILED):
  the error says to delete the queue once drained.
- The connection is robust: after a broker restart it reconnects and restores consumers,
  and a publish waits for that (up to 30 s) rather than fail. Deliveries received before
  the break can no longer be acked (the broker redelivers them); they are dropped from
  the streams, and an ack that races the break raises `TransportError`.
- Every library error (aio-pika, aiormq, sockets) becomes `TransportError` naming the
  broker, never its password, and the likely fix; as httpcore maps its backends' errors.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aio_pika
import anyio
from aio_pika import DeliveryMode, ExchangeType, Message
from aio_pika import exceptions as amqp
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
    ConsumerTag,
)
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from yarl import URL

from upstream.model.errors import ConfigurationError
from upstream.tracing import get_logger
from upstream.transport.base import Abandoned, Delivery, OutgoingTask, TransportError
from upstream.transport.receive import drain

__all__ = [
    "RabbitCoordinatorTransport",
    "RabbitSettings",
    "RabbitWorkerTransport",
    "check_broker",
    "open_coordinator_transport",
    "open_worker_transport",
]

log = get_logger("transport")

_CONNECT_TIMEOUT = 10.0
_RECONNECT_WAIT = 30.0  # how long a publish waits for a robust reconnect before it fails
_CLOSE_WAIT = 5.0
_CONSUMERS_TTL = 1.0  # seconds a task queue's consumer count is reused
_PIPELINE = 256  # publishes awaiting their confirm at once, per publish_tasks call
DELIVERIES = 3  # deliveries of a task message before it is abandoned (see above)
_ABANDONED_PREFETCH = 16
_LIBRARY_ERRORS = (amqp.AMQPError, amqp.ChannelInvalidStateError, ConnectionError, OSError)

R = TypeVar("R", bound="_RabbitTransport")


@dataclass(frozen=True)
class RabbitSettings:
    """Where the broker is and how this process uses it; names derive from `namespace`."""

    url: str = "amqp://guest:guest@127.0.0.1:5672/"
    namespace: str = "upstream"
    task_queue: str = "default"  # the worker consumes `<namespace>.tasks.<task_queue>`
    prefetch: int = 8
    batch_max: int = 500

    def __post_init__(self) -> None:
        if self.prefetch < 1 or self.batch_max < 1:
            raise ConfigurationError("RabbitSettings: prefetch and batch_max must be at least 1")

    @property
    def where(self) -> str:
        """The broker URL without its password, fit for messages and logs."""
        return str(URL(self.url).with_password(None))

    @property
    def task_exchange(self) -> str:
        return f"{self.namespace}.tasks"

    def task_queue_name(self, queue: str | None = None) -> str:
        return f"{self.namespace}.tasks.{self.task_queue if queue is None else queue}"

    @property
    def results_queue(self) -> str:
        return f"{self.namespace}.results"

    @property
    def dead_exchange(self) -> str:
        return f"{self.namespace}.dead"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.namespace}.dead-letters"

    @property
    def abandoned_queue(self) -> str:
        return f"{self.namespace}.abandoned-tasks"


def _fix_for(exc: BaseException) -> str:
    if isinstance(exc, amqp.PublishError):
        return "no queue took it; was the queue deleted? reopen the transport to declare it"
    if isinstance(exc, amqp.ChannelPreconditionFailed):
        return (
            "a queue or exchange exists with other settings (an older upstream declared its"
            " task queues without a delivery limit); stop its workers, and once the queue is"
            " empty delete it (rabbitmqctl delete_queue <name>), or use another namespace"
        )
    if isinstance(exc, amqp.AuthenticationError | amqp.ProbableAuthenticationError):
        return "check the user and password in UPSTREAM_BROKER_URL"
    if isinstance(exc, amqp.DeliveryError):
        return "the broker refused the message; check its logs for a disk or memory alarm"
    return "is RabbitMQ running? set UPSTREAM_BROKER_URL"


@contextlib.contextmanager
def _broker_errors(settings: RabbitSettings, doing: str) -> Iterator[None]:
    """Translate library errors into `TransportError`, naming the broker and the fix."""
    try:
        yield
    except _LIBRARY_ERRORS as exc:
        detail = str(exc) or type(exc).__name__
        password = URL(settings.url).password
        if password:
            detail = detail.replace(password, "***")
        raise TransportError(
            f"RabbitMQ at {settings.where}: {doing} failed ({detail}); {_fix_for(exc)}"
        ) from exc


def _str_headers(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """The port carries str -> str; broker-added values (x-death, counts) are dropped."""
    headers: dict[str, str] = {}
    for key, value in (raw or {}).items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            headers[key] = value
    return headers


class _RabbitDelivery:
    """One received message; `reject` dead-letters it and never requeues."""

    def __init__(self, message: AbstractIncomingMessage, settings: RabbitSettings) -> None:
        self._message = message
        self._settings = settings
        self.body: bytes = message.body
        self.headers: Mapping[str, str] = _str_headers(message.headers)
        self.redelivered: bool = bool(message.redelivered)

    @property
    def stale(self) -> bool:
        """Received on a channel that has since closed: the broker will redeliver it."""
        try:
            return self._message.channel.is_closed
        except amqp.ChannelInvalidStateError:
            return True

    async def ack(self, *, multiple: bool = False) -> None:
        with _broker_errors(self._settings, "acking a message"):
            await self._message.ack(multiple=multiple)

    async def reject(self, reason: str) -> None:
        log.warning(
            "message.dead_lettered",
            reason=reason,
            routing_key=self._message.routing_key,
            size=len(self.body),
        )
        with _broker_errors(self._settings, "rejecting a message"):
            await self._message.reject(requeue=False)


async def _declare_task_queue(
    channel: AbstractChannel, settings: RabbitSettings, exchange: AbstractExchange, queue: str
) -> AbstractQueue:
    declared = await _declare_queue(
        channel, settings, settings.task_queue_name(queue), limit=DELIVERIES
    )
    await declared.bind(exchange, routing_key=queue)
    return declared


async def _declare_queue(
    channel: AbstractChannel,
    settings: RabbitSettings,
    name: str,
    *,
    dead_letters: bool = True,
    limit: int | None = None,
    robust: bool = True,
) -> AbstractQueue:
    """A durable quorum queue (idempotent); `limit`: deliveries of a message before it is
    dead-lettered; on a robust channel, `robust=False` keeps no record of the declaration."""
    arguments: dict[str, Any] = {"x-queue-type": "quorum"}
    if dead_letters:
        arguments["x-dead-letter-exchange"] = settings.dead_exchange
    if limit is not None:
        arguments["x-delivery-limit"] = limit - 1  # returns allowed before dead-lettering
    if not robust and isinstance(channel, AbstractRobustChannel):
        return await channel.declare_queue(name, durable=True, arguments=arguments, robust=False)
    return await channel.declare_queue(name, durable=True, arguments=arguments)


class _RabbitTransport:
    """What both roles share: one robust connection, a confirming publisher channel, and
    the role's one consumer feeding `_receive`."""

    messaging_system = "rabbitmq"

    def __init__(
        self,
        settings: RabbitSettings,
        connection: AbstractRobustConnection,
        publisher: AbstractRobustChannel,
    ) -> None:
        self.settings = settings
        self._connection = connection
        self._publisher = publisher
        self._consumers: list[tuple[AbstractQueue, ConsumerTag]] = []
        self._send, self._receive = _stream()
        self._sends = [self._send]  # closed by `aclose`, ending their loops
        self._closed = False

    @property
    def connected(self) -> bool:
        """False while the broker is away (the robust connection is reconnecting) or after
        `aclose`: a coordinator's heartbeat says so."""
        return not self._closed and self._connection.connected.is_set()

    async def aclose(self) -> None:
        """Stop consuming and close the connection; unacked messages return to their queues."""
        if self._closed:
            return
        self._closed = True
        for send in self._sends:
            send.close()
        # Bounded: while reconnecting, a cancel would wait for the broker to come back.
        with anyio.move_on_after(_CLOSE_WAIT, shield=True):
            for queue, tag in self._consumers:
                with contextlib.suppress(*_LIBRARY_ERRORS):
                    await queue.cancel(tag)
        await _close(self._connection)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _consume(
        self,
        queue: str,
        prefetch: int,
        *,
        limit: int | None = None,
        dead_letters: bool = True,
        send: MemoryObjectSendStream[_RabbitDelivery] | None = None,
    ) -> None:
        """Consume `queue` (declared as `_declare_queue` does) on a channel of its own,
        into `send` (the role's main stream by default)."""
        into = self._send if send is None else send
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        declared = await _declare_queue(
            channel, self.settings, queue, limit=limit, dead_letters=dead_letters
        )

        async def deliver(message: AbstractIncomingMessage) -> None:
            # Once closing, a message is left unacked: the broker redelivers it.
            with contextlib.suppress(anyio.ClosedResourceError):
                into.send_nowait(_RabbitDelivery(message, self.settings))

        self._consumers.append((declared, await declared.consume(deliver)))

    async def _start(self) -> None:
        """Start the role's consumers."""
        raise NotImplementedError

    async def _wait_ready(self) -> None:
        """While the connection is being restored, wait for it rather than fail at once."""
        if self._publisher.is_closed:
            with anyio.fail_after(_RECONNECT_WAIT):
                await self._publisher.ready()

    def _check_open(self) -> None:
        if self._closed:
            raise TransportError(f"RabbitMQ at {self.settings.where}: the transport is closed")


class RabbitWorkerTransport(_RabbitTransport):
    """The worker's port over RabbitMQ; open with `open_worker_transport`."""

    async def _start(self) -> None:
        queue = self.settings.task_queue_name()
        await self._consume(queue, self.settings.prefetch, limit=DELIVERIES)

    async def publish_result(self, body: bytes, *, headers: Mapping[str, str]) -> None:
        """Queue a result on `<ns>.results`; return once the broker confirms it."""
        self._check_open()
        with _broker_errors(self.settings, "publishing a result"):
            await self._wait_ready()
            await self._publisher.default_exchange.publish(
                _message(body, headers), routing_key=self.settings.results_queue, mandatory=True
            )

    async def tasks(self) -> AsyncIterator[Delivery]:
        """Tasks from `<ns>.tasks.<task_queue>` until `aclose`."""
        async for delivery in self._receive:
            if self._closed:
                return
            if not delivery.stale:
                yield delivery


class RabbitCoordinatorTransport(_RabbitTransport):
    """The coordinator's port over RabbitMQ; open with `open_coordinator_transport`."""

    def __init__(
        self,
        settings: RabbitSettings,
        connection: AbstractRobustConnection,
        publisher: AbstractRobustChannel,
        tasks_exchange: AbstractExchange,
    ) -> None:
        super().__init__(settings, connection, publisher)
        self._tasks_exchange = tasks_exchange
        self._declared = {settings.task_queue}  # task queues this process has declared
        self._consumer_counts: dict[str, tuple[float, int]] = {}  # queue -> (when, count)
        self._abandoned_send, self._abandoned = _stream()
        self._sends.append(self._abandoned_send)

    async def _start(self) -> None:
        settings = self.settings
        await self._consume(settings.results_queue, settings.batch_max)
        await self._consume(
            settings.abandoned_queue,
            _ABANDONED_PREFETCH,
            dead_letters=False,
            send=self._abandoned_send,
        )

    async def publish_task(
        self, body: bytes, *, headers: Mapping[str, str], queue: str | None = None
    ) -> None:
        """Queue a task on `<ns>.tasks.<queue>` (declared on first use, so tasks for a
        queue no worker serves yet wait for one); return once the broker confirms it."""
        name = self.settings.task_queue if queue is None else queue
        self._check_open()
        with _broker_errors(self.settings, f"publishing a task to {name!r}"):
            await self._wait_ready()
            if name not in self._declared:
                await _declare_task_queue(
                    self._publisher, self.settings, self._tasks_exchange, name
                )
                self._declared.add(name)
            await self._tasks_exchange.publish(
                _message(body, headers), routing_key=name, mandatory=True
            )

    async def publish_tasks(self, tasks: Sequence[OutgoingTask]) -> None:
        """Publish with up to `_PIPELINE` confirms outstanding at once: a wide ready set
        costs a few round trips, not one per task."""
        slots = anyio.Semaphore(_PIPELINE)

        async def one(task: OutgoingTask) -> None:
            async with slots:
                await self.publish_task(task.body, headers=task.headers, queue=task.queue)

        async with anyio.create_task_group() as group:
            for task in tasks:
                group.start_soon(one, task)

    async def task_consumers(self, queue: str | None = None) -> int:
        """The broker's consumer count for `<ns>.tasks.<queue>`, from an (idempotent)
        declare at most once per `_CONSUMERS_TTL` seconds per queue. Only a queue's first
        declare (with its binding) is kept by the robust channel, to restore after a
        reconnect; the counts are not, so they cost no memory over the process's life."""
        name = self.settings.task_queue if queue is None else queue
        now = time.monotonic()
        known = self._consumer_counts.get(name)
        if known is not None and now - known[0] < _CONSUMERS_TTL:
            return known[1]
        self._check_open()
        with _broker_errors(self.settings, f"counting the consumers of {name!r}"):
            await self._wait_ready()
            if name not in self._declared:
                await _declare_task_queue(
                    self._publisher, self.settings, self._tasks_exchange, name
                )
                self._declared.add(name)
            declared = await _declare_queue(
                self._publisher,
                self.settings,
                self.settings.task_queue_name(name),
                limit=DELIVERIES,
                robust=False,
            )
        count = declared.declaration_result.consumer_count or 0
        self._consumer_counts[name] = (now, count)
        return count

    async def results(self) -> AsyncIterator[Sequence[Delivery]]:
        """Batches from `<ns>.results`: one awaited, plus what is buffered, up to batch_max."""
        async for first in self._receive:
            batch = drain(self._receive, [first], self.settings.batch_max)
            if self._closed:
                return
            fresh = [delivery for delivery in batch if not delivery.stale]
            if fresh:
                yield fresh

    async def abandoned_tasks(self) -> AsyncIterator[Abandoned]:
        """Task messages a task queue of this namespace dead-lettered for its delivery
        limit, from `<ns>.abandoned-tasks`. That queue also gets a copy of every other dead
        letter (what a service rejected, kept in `<ns>.dead-letters`): acked and dropped."""
        async for delivery in self._abandoned:
            if self._closed:
                return
            if delivery.stale:
                continue
            if _abandoned_task(delivery.headers, self.settings):
                yield Abandoned(delivery, DELIVERIES)
                continue
            try:
                await delivery.ack()
            except TransportError as exc:  # redelivered later, and dropped then
                log.warning("dead_letter.ack_failed", reason=str(exc))


def _abandoned_task(headers: Mapping[str, str], settings: RabbitSettings) -> bool:
    """Dead-lettered by a task queue of `settings`' namespace for its delivery limit (the
    broker's headers; a reject's reason is `rejected`)."""
    return headers.get("x-first-death-reason") == "delivery_limit" and headers.get(
        "x-first-death-queue", ""
    ).startswith(f"{settings.task_exchange}.")


def _stream() -> tuple[
    MemoryObjectSendStream[_RabbitDelivery], MemoryObjectReceiveStream[_RabbitDelivery]
]:
    """A consumer's deliveries; unbounded, but it holds at most the consumer's prefetch."""
    return anyio.create_memory_object_stream[_RabbitDelivery](math.inf)


async def _close(connection: AbstractConnection) -> None:
    with anyio.move_on_after(_CLOSE_WAIT, shield=True), contextlib.suppress(*_LIBRARY_ERRORS):
        await connection.close()


def _message(body: bytes, headers: Mapping[str, str]) -> Message:
    return Message(body, headers=dict(headers), delivery_mode=DeliveryMode.PERSISTENT)


async def open_worker_transport(settings: RabbitSettings) -> RabbitWorkerTransport:
    """Connect, declare the topology (idempotent), and consume `<ns>.tasks.<task_queue>`,
    `prefetch` at a time. Use as `async with await open_worker_transport(...) as t:`."""
    connection, publisher, _ = await _connect(settings)
    return await _consuming(RabbitWorkerTransport(settings, connection, publisher))


async def open_coordinator_transport(settings: RabbitSettings) -> RabbitCoordinatorTransport:
    """Connect, declare the topology (idempotent), and consume `<ns>.results`, up to
    `batch_max` unacked, and `<ns>.abandoned-tasks`. Use as
    `async with await open_coordinator_transport(...) as t:`."""
    connection, publisher, tasks = await _connect(settings)
    return await _consuming(RabbitCoordinatorTransport(settings, connection, publisher, tasks))


async def _consuming(transport: R) -> R:
    """`transport` with its consumers started; closed if that fails."""
    try:
        with _broker_errors(transport.settings, "declaring queues and exchanges"):
            await transport._start()
    except BaseException:
        await transport.aclose()
        raise
    return transport


async def _connect(
    settings: RabbitSettings,
) -> tuple[AbstractRobustConnection, AbstractRobustChannel, AbstractExchange]:
    """A connection, its confirming publisher channel, and the tasks exchange, with every
    queue and exchange declared."""
    with _broker_errors(settings, "connecting"):
        connection = await aio_pika.connect_robust(
            settings.url,
            timeout=_CONNECT_TIMEOUT,
            client_properties={"connection_name": f"upstream {settings.namespace}"},
        )
    try:
        with _broker_errors(settings, "declaring queues and exchanges"):
            publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
            dead = await publisher.declare_exchange(
                settings.dead_exchange, ExchangeType.FANOUT, durable=True
            )
            dead_letters = await _declare_queue(
                publisher, settings, settings.dead_letter_queue, dead_letters=False
            )
            await dead_letters.bind(dead)
            tasks = await publisher.declare_exchange(
                settings.task_exchange, ExchangeType.DIRECT, durable=True
            )
            await _declare_task_queue(publisher, settings, tasks, settings.task_queue)
            await _declare_queue(publisher, settings, settings.results_queue)
            abandoned = await _declare_queue(
                publisher, settings, settings.abandoned_queue, dead_letters=False
            )
            await abandoned.bind(dead)
    except BaseException:
        await _close(connection)
        raise
    return connection, publisher, tasks


async def check_broker(settings: RabbitSettings) -> None:
    """Connect once, then close: at start-up a wrong URL or a broker that is down is one
    `TransportError` (a robust connection, once made, retries for ever instead)."""
    with _broker_errors(settings, "connecting"):
        connection = await aio_pika.connect(settings.url, timeout=_CONNECT_TIMEOUT)
    await _close(connection)
