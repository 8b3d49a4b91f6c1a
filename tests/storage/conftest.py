"""One `storage` fixture over every backend, so the contract suite runs against each unchanged.

A new adapter adds one param here (PostgreSQL: `pytest.param("postgres",
marks=pytest.mark.integration)`) and a branch below; no test changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from upstream.storage.base import RunStorage
from upstream.storage.sqlite import open_sqlite_storage

BACKENDS = ["sqlite-memory", "sqlite-file"]


@pytest_asyncio.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunStorage]:
    """A fresh, empty, migrated store of each backend; closed after the test."""
    if request.param == "sqlite-memory":
        store: RunStorage = await open_sqlite_storage(":memory:")
    elif request.param == "sqlite-file":
        store = await open_sqlite_storage(tmp_path / "state" / "upstream.db")
    else:
        raise ValueError(f"no storage backend named {request.param!r}")
    try:
        yield store
    finally:
        await store.close()
