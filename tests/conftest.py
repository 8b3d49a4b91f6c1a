"""The `backend` fixture of the service suites (tests/coordinator, tests/worker): each test
runs on the in-memory transport with SQLite, and again on RabbitMQ with PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from tests.backends import Backend, delete_topology, fresh_settings, open_ends, open_store
from tests.recording import Recording

from upstream.transport.rabbitmq import RabbitSettings

SERVICE_BACKENDS = ["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)]
_STORE_OF = {"memory": "sqlite-memory", "rabbitmq": "postgres"}


@pytest_asyncio.fixture(params=SERVICE_BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Memory transport and in-memory SQLite, or RabbitMQ on a namespace of its own and
    PostgreSQL in a schema of its own; all closed and deleted after the test."""
    async with (
        open_ends(request.param) as ends,
        open_store(_STORE_OF[request.param], tmp_path) as storage,
    ):
        yield Backend(storage, Recording(ends.coordinator, ends.worker))


@pytest_asyncio.fixture
async def rabbit_settings() -> AsyncIterator[RabbitSettings]:
    """Fresh settings for a rabbit-only test; its topology (and a "gpu" queue) deleted after."""
    settings = fresh_settings()
    try:
        yield settings
    finally:
        await delete_topology(settings, task_queues=["gpu"])
