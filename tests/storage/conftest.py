"""One `storage` fixture over every backend, so the contract suite runs against each unchanged.

A new adapter adds one param here and a branch below; no test changes. PostgreSQL tests each
get a schema of their own (`test_<hex>`), dropped afterwards, so they share one database.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import pytest
import pytest_asyncio

from upstream.storage.base import RunStorage
from upstream.storage.postgres import open_postgres_storage
from upstream.storage.postgres_driver import quote_ident
from upstream.storage.sqlite import open_sqlite_storage

PG_URL = os.environ.get("UPSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.integration)]


async def drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
    finally:
        await conn.close()


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
    schema = None
    if request.param == "sqlite-memory":
        store: RunStorage = await open_sqlite_storage(":memory:")
    elif request.param == "sqlite-file":
        store = await open_sqlite_storage(tmp_path / "state" / "upstream.db")
    elif request.param == "postgres":
        schema = f"test_{uuid4().hex}"
        try:
            store = await open_postgres_storage(PG_URL, schema=schema)
        except BaseException:
            await drop_schema(schema)
            raise
    else:
        raise ValueError(f"no storage backend named {request.param!r}")
    try:
        yield store
    finally:
        await store.close()
        if schema is not None:
            await drop_schema(schema)
