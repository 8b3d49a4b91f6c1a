"""State: the storage port and its SQLite adapter. The PostgreSQL adapter is imported
from `upstream.storage.postgres` where a cluster needs it, so embedded use never loads
asyncpg."""

from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.records import (
    AssetState,
    CodeLocationRecord,
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
    "AssetState",
    "CodeLocationRecord",
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
