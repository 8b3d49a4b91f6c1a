"""State: the storage port and its adapters (SQLite here; PostgreSQL beside it)."""

from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.records import (
    EventRecord,
    Materialization,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
    StepStatus,
)
from upstream.storage.sqlite import SqliteStorage, open_sqlite_storage

__all__ = [
    "EventRecord",
    "EventType",
    "Materialization",
    "RunRecord",
    "RunStatus",
    "RunStorage",
    "SqliteStorage",
    "StepOutcome",
    "StepRecord",
    "StepStatus",
    "StorageError",
    "open_sqlite_storage",
]
