"""The real backends tests run on, each opened fresh and isolated: a transport's two ends
(in memory, or RabbitMQ under a namespace of its own) and a store (SQLite, or PostgreSQL in
a schema of its own). Whatever a test creates on the servers is deleted after it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple
from uuid import uuid4

import aio_pika
import asyncpg  # type: ignore[import-untyped, unused-ignore]
from tests.recording import Recording

from upstream.storage.base import RunStorage
from upstream.storage.postgres import open_postgres_storage
from upstream.storage.postgres_driver import quote_ident
from upstream.storage.sqlite import open_sqlite_storage
from upstream.transport.base import CoordinatorTransport, WorkerTransport
from upstream.transport.memory import MemoryTransport
from upstream.transport.rabbitmq import (
    RabbitSettings,
    open_coordinator_transport,
    open_worker_transport,
)

PG_URL = os.environ.get("UPSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Backend(NamedTuple):
    """What the service suites run on: a fresh store, and a recording transport whose two
    ends the services share."""

    storage: RunStorage
    transport: Recording


class Ends(NamedTuple):
    """Both roles' ends of one transport: what the coordinator holds, and what a worker
    holds (on the memory backend, one object)."""

    coordinator: CoordinatorTransport
    worker: WorkerTransport


def fresh_settings() -> RabbitSettings:
    """Settings on the local broker with a namespace no other test uses."""
    return RabbitSettings(namespace=f"test-{uuid4().hex}")


async def delete_topology(settings: RabbitSettings, task_queues: Iterable[str] = ()) -> None:
    """Delete every queue and exchange `settings` names (missing ones are fine)."""
    queues = [settings.task_queue_name(), settings.results_queue, settings.dead_letter_queue]
    queues.append(settings.abandoned_queue)
    queues += [settings.task_queue_name(queue) for queue in task_queues]
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            await channel.queue_delete(name)
        for name in (settings.task_exchange, settings.dead_exchange):
            await channel.exchange_delete(name)


async def drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
    finally:
        await conn.close()


@asynccontextmanager
async def open_ends(kind: str) -> AsyncIterator[Ends]:
    """Fresh ends of transport `kind` ("memory" or "rabbitmq"), each consuming its stream;
    closed (and the broker's queues deleted) after."""
    if kind == "memory":
        memory = MemoryTransport()
        try:
            yield Ends(memory, memory)
        finally:
            await memory.aclose()
        return
    if kind != "rabbitmq":
        raise ValueError(f"no transport backend named {kind!r}")
    settings = fresh_settings()
    try:
        async with (
            await open_coordinator_transport(settings) as coordinator,
            await open_worker_transport(settings) as worker,
        ):
            yield Ends(coordinator, worker)
    finally:
        await delete_topology(settings)


@asynccontextmanager
async def open_store(kind: str, tmp_path: Path) -> AsyncIterator[RunStorage]:
    """A fresh, empty, migrated store of `kind` ("sqlite-memory", "sqlite-file" or
    "postgres"); closed (and its schema dropped) after."""
    schema = None
    if kind == "sqlite-memory":
        store: RunStorage = await open_sqlite_storage(":memory:")
    elif kind == "sqlite-file":
        store = await open_sqlite_storage(tmp_path / "state" / "upstream.db")
    elif kind == "postgres":
        schema = f"test_{uuid4().hex}"
        try:
            store = await open_postgres_storage(PG_URL, schema=schema)
        except BaseException:
            await drop_schema(schema)
            raise
    else:
        raise ValueError(f"no storage backend named {kind!r}")
    try:
        yield store
    finally:
        await store.close()
        if schema is not None:
            await drop_schema(schema)
