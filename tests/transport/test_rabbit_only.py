"""What only the RabbitMQ adapter can show: errors that name the fix, persistence, topology."""

from __future__ import annotations

import shutil
from dataclasses import replace
from typing import Any

import aio_pika
import anyio
import pytest
from aio_pika import DeliveryMode

from upstream.transport import rabbitmq
from upstream.transport.base import TransportError
from upstream.transport.rabbitmq import (
    RabbitCoordinatorTransport,
    RabbitSettings,
    _RabbitDelivery,
    open_coordinator_transport,
    open_worker_transport,
)

pytestmark = pytest.mark.integration


async def test_a_broker_that_is_not_there_names_the_fix_not_the_password() -> None:
    settings = RabbitSettings(url="amqp://guest:s3cret@127.0.0.1:1/")
    with pytest.raises(TransportError) as caught:
        await open_worker_transport(settings)
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert "is RabbitMQ running? set UPSTREAM_BROKER_URL" in message
    assert "s3cret" not in message


async def test_a_wrong_password_says_so(rabbit_settings: RabbitSettings) -> None:
    settings = RabbitSettings(url="amqp://guest:wrong@127.0.0.1:5672/", namespace="unused")
    with pytest.raises(TransportError, match="check the user and password") as caught:
        await open_coordinator_transport(settings)
    assert "wrong" not in str(caught.value).replace("check the user", "")


async def test_messages_are_published_persistent(rabbit_settings: RabbitSettings) -> None:
    """Persistent delivery: a queued task or result survives a broker restart. (Each end
    takes the other's message; closing both returns them to their queues.)"""
    async with (
        await open_coordinator_transport(rabbit_settings) as coordinator,
        await open_worker_transport(rabbit_settings) as worker,
    ):
        await coordinator.publish_task(b"task", headers={"traceparent": "t"})
        await worker.publish_result(b"result", headers={})
    connection = await aio_pika.connect(rabbit_settings.url)
    async with connection:
        channel = await connection.channel()
        for name in (rabbit_settings.task_queue_name(), rabbit_settings.results_queue):
            queue = await channel.get_queue(name)
            message = await queue.get(no_ack=True)
            assert message.delivery_mode == DeliveryMode.PERSISTENT, name


async def test_declaring_the_topology_twice_is_harmless(rabbit_settings: RabbitSettings) -> None:
    """Every process declares everything on start; the coordinator and workers may race."""
    async with anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(_open_and_close, rabbit_settings)
    async with (
        await open_coordinator_transport(rabbit_settings) as publisher,
        await open_worker_transport(rabbit_settings) as worker,
    ):
        await publisher.publish_task(b"task", headers={})
        with anyio.fail_after(5):
            delivery = await anext(worker.tasks())
        assert delivery.body == b"task"
        await delivery.ack()


async def _open_and_close(settings: RabbitSettings) -> None:
    await (await open_coordinator_transport(settings)).aclose()
    await (await open_worker_transport(settings)).aclose()


async def test_a_task_for_another_queue_waits_for_its_worker(
    rabbit_settings: RabbitSettings,
) -> None:
    async with (
        await open_coordinator_transport(rabbit_settings) as coordinator,
        await open_worker_transport(rabbit_settings) as default_worker,
    ):
        await coordinator.publish_task(b"gpu task", headers={}, queue="gpu")
        await coordinator.publish_task(b"cpu task", headers={})
        with anyio.fail_after(5):
            assert (await anext(default_worker.tasks())).body == b"cpu task"
    gpu = RabbitSettings(namespace=rabbit_settings.namespace, task_queue="gpu")
    async with await open_worker_transport(gpu) as gpu_worker:
        with anyio.fail_after(5):
            delivery = await anext(gpu_worker.tasks())
        assert delivery.body == b"gpu task"
        await delivery.ack()


async def test_an_unroutable_message_raises(rabbit_settings: RabbitSettings) -> None:
    """mandatory=True: a message no queue takes is an error, never silently dropped."""
    async with (
        await open_coordinator_transport(rabbit_settings) as coordinator,
        await open_worker_transport(rabbit_settings) as worker,
    ):
        connection = await aio_pika.connect(rabbit_settings.url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(rabbit_settings.task_queue_name())
            await channel.queue_delete(rabbit_settings.results_queue)
        with pytest.raises(TransportError, match="was the queue deleted"):
            await coordinator.publish_task(b"task", headers={})
        with pytest.raises(TransportError, match="was the queue deleted"):
            await worker.publish_result(b"result", headers={})


async def test_a_queue_declared_otherwise_names_the_conflict(
    rabbit_settings: RabbitSettings,
) -> None:
    connection = await aio_pika.connect(rabbit_settings.url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(rabbit_settings.results_queue, durable=True)  # classic
    with pytest.raises(TransportError, match="exists with other settings"):
        await open_coordinator_transport(rabbit_settings)


async def test_publishing_after_aclose_raises(rabbit_settings: RabbitSettings) -> None:
    coordinator = await open_coordinator_transport(rabbit_settings)
    worker = await open_worker_transport(rabbit_settings)
    await coordinator.aclose()
    await worker.aclose()
    with pytest.raises(TransportError, match="closed"):
        await coordinator.publish_task(b"late", headers={})
    with pytest.raises(TransportError, match="closed"):
        await worker.publish_result(b"late", headers={})


async def test_a_dropped_connection_is_restored(rabbit_settings: RabbitSettings) -> None:
    """Robust: after the broker drops both ends, publishing and consuming resume by
    themselves, and a task received before the break comes back (its ack can no longer
    count)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("needs rabbitmqctl to drop a connection")
    settings = replace(rabbit_settings, url=rabbit_settings.url + "?reconnect_interval=0.2")
    async with (
        await open_coordinator_transport(settings) as coordinator,
        await open_worker_transport(settings) as transport,
    ):
        await coordinator.publish_task(b"before", headers={})
        tasks = transport.tasks()
        with anyio.fail_after(5):
            before = await anext(tasks)
        await _drop_connection(f"upstream {settings.namespace}")
        assert isinstance(before, _RabbitDelivery)
        for _ in range(50):  # until the client has seen the close
            if before.stale:
                break
            await anyio.sleep(0.1)
        with pytest.raises(TransportError):
            await before.ack()
        with anyio.fail_after(10):
            await coordinator.publish_task(b"after", headers={})  # waits for the reconnect
            received = [(await anext(tasks)).body for _ in range(2)]
        assert sorted(received) == [b"after", b"before"]


async def _drop_connection(name: str) -> None:
    listing = await anyio.run_process(
        ["rabbitmqctl", "list_connections", "-q", "pid", "client_properties"], check=False
    )
    pids = [
        line.split("\t")[0] for line in listing.stdout.decode().splitlines() if f'"{name}"' in line
    ]
    if listing.returncode != 0 or len(pids) != 2:  # the coordinator's and the worker's
        pytest.skip(f"cannot find the connections with rabbitmqctl: {listing.stderr.decode()}")
    for pid in pids:
        await anyio.run_process(["rabbitmqctl", "close_connection", pid, "test"])


async def test_the_coordinator_sees_how_many_workers_consume_a_queue(
    rabbit_settings: RabbitSettings,
) -> None:
    """The count that sizes task messages: the workers on that queue, not on others."""
    async with (
        await open_coordinator_transport(rabbit_settings) as coordinator,
        await open_worker_transport(rabbit_settings),
        await open_worker_transport(rabbit_settings),
    ):
        assert await coordinator.task_consumers() == 2
        assert await coordinator.task_consumers("gpu") == 0  # declared, nobody serves it


def _recorded_declarations(transport: RabbitCoordinatorTransport) -> int:
    """Queue objects aio-pika's robust publisher channel keeps, to declare them again
    after a reconnect (its private record: what grew with every count)."""
    channel: Any = transport._publisher
    return sum(len(queues) for queues in channel._queues.values())


async def test_counting_consumers_keeps_no_declaration_per_count(
    rabbit_settings: RabbitSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The coordinator counts a queue's consumers about once a second while it publishes
    (and while steps wait on it): the robust channel must not record a declaration each
    time, or the coordinator's memory grows for as long as it lives."""
    monkeypatch.setattr(rabbitmq, "_CONSUMERS_TTL", 0.0)  # every call asks the broker
    async with (
        await open_coordinator_transport(rabbit_settings) as coordinator,
        await open_worker_transport(replace(rabbit_settings, task_queue="gpu")),
    ):
        assert await coordinator.task_consumers("gpu") == 1
        kept = _recorded_declarations(coordinator)
        for _ in range(300):
            assert await coordinator.task_consumers("gpu") == 1
        assert _recorded_declarations(coordinator) == kept


async def test_a_task_whose_workers_all_die_is_abandoned_to_the_coordinator(
    rabbit_settings: RabbitSettings,
) -> None:
    """Every worker that takes the task dies (its connection closes, the task unacked):
    after three deliveries the broker dead-letters it, and the coordinator receives it as
    abandoned. A task a worker rejected as unreadable is a dead letter too, but not that."""
    async with await open_coordinator_transport(rabbit_settings) as coordinator:
        await coordinator.publish_task(b"unreadable", headers={})
        async with await open_worker_transport(rabbit_settings) as worker:
            with anyio.fail_after(5):
                await (await anext(worker.tasks())).reject("not a task")
        await coordinator.publish_task(b"killer", headers={})
        for _ in range(3):
            async with await open_worker_transport(rabbit_settings) as worker:
                with anyio.fail_after(5):
                    assert (await anext(worker.tasks())).body == b"killer"
            # closed without an ack: the broker takes the task back, as from a dead worker
        with anyio.fail_after(5):
            abandoned = await anext(coordinator.abandoned_tasks())
        assert (abandoned.delivery.body, abandoned.deliveries) == (b"killer", 3)
        await abandoned.delivery.ack()
        async with await open_worker_transport(rabbit_settings) as worker:
            with anyio.move_on_after(0.5):  # nothing left to deliver
                await anext(worker.tasks())
                pytest.fail("the abandoned task was delivered a fourth time")


async def test_a_task_queue_without_the_delivery_limit_says_what_to_do(
    rabbit_settings: RabbitSettings,
) -> None:
    """A task queue declared by an older upstream (no delivery limit) cannot be redeclared
    with one: the error names the way out."""
    connection = await aio_pika.connect(rabbit_settings.url)
    async with connection:
        channel = await connection.channel()
        arguments = {"x-queue-type": "quorum", "x-dead-letter-exchange": "old"}
        await channel.declare_queue(
            rabbit_settings.task_queue_name(), durable=True, arguments=arguments
        )
    with pytest.raises(TransportError, match=r"without a delivery limit.*delete_queue"):
        await open_worker_transport(rabbit_settings)
