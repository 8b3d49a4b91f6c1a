"""One `storage` fixture over every backend, so the contract suite runs against each unchanged.

A new adapter adds one param here and a branch in `tests/backends.py`; no test changes.
PostgreSQL tests each get a schema of their own (`test_<hex>`), dropped afterwards, so they
share one database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
import pytest_asyncio
from tests.backends import drop_schema, open_store

from upstream.storage.base import RunStorage

BACKENDS = ["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.integration)]


@pytest_asyncio.fixture
async def pg_schema() -> AsyncIterator[str]:
    """A fresh schema name; the schema (if anything created it) is dropped after the test."""
    schema = f"test_{uuid4().hex}"
    try:
        yield schema
    finally:
        await drop_schema(schema)


@pytest_asyncio.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunStorage]:
    """A fresh, empty, migrated store of each backend; closed (and dropped) after the test."""
    async with open_store(request.param, tmp_path) as store:
        yield store
