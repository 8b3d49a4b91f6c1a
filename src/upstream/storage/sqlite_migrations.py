"""The SQLite schema as an ordered list of migrations, applied once each, never edited.

A new schema change is a new entry at the end of `MIGRATIONS`; version N is entry N-1.
`schema_version` holds one row per applied version, so a database knows how far it got.
"""

from __future__ import annotations

import sqlite3
import time

from upstream.storage.base import pending_versions

__all__ = ["LATEST_VERSION", "MIGRATIONS", "migrate"]

_V1 = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        selection TEXT NOT NULL,
        steps TEXT NOT NULL,
        code_location TEXT NOT NULL,
        definitions_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL
    )""",
    "CREATE INDEX runs_by_created ON runs (created_at)",
    # `seq` (a rowid alias) is the queue order; the logical key is the UNIQUE triple.
    """CREATE TABLE steps (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        step_key TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        queued_at REAL,
        started_at REAL,
        ended_at REAL,
        worker_id TEXT,
        error_type TEXT,
        error_message TEXT,
        error_traceback TEXT,
        skip_reason TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        UNIQUE (run_id, step_key, attempt)
    )""",
    # AUTOINCREMENT: ids never go backwards or get reused, so `after_id` polling is safe.
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        step_key TEXT,
        timestamp REAL NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_run ON events (run_id, id)",
    """CREATE TABLE materializations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        asset_key TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        timestamp REAL NOT NULL,
        duration REAL,
        metadata TEXT NOT NULL
    )""",
    "CREATE INDEX materializations_by_asset ON materializations (asset_key, id)",
    # One row per asset pointing at its newest materialization: the catalog stays O(assets).
    """CREATE TABLE asset_latest (
        asset_key TEXT PRIMARY KEY,
        materialization_id INTEGER NOT NULL REFERENCES materializations (id)
    )""",
)

# Cluster mode: the code locations workers register, every graph snapshot by its hash,
# and run lookups by status (queued runs to plan, started runs to resume).
_V2 = (
    """CREATE TABLE code_locations (
        name TEXT PRIMARY KEY,
        definitions_hash TEXT NOT NULL,
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE snapshots (
        definitions_hash TEXT PRIMARY KEY,
        snapshot TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX runs_by_status ON runs (status, created_at)",
)

# The live asset graph (`asset_states`): each step key's newest row, found by one pass
# over this index (max(seq) per key) instead of a scan and sort of every step ever run.
_V3 = ("CREATE INDEX steps_by_key ON steps (step_key, seq)",)

# Coordinators' heartbeats (`RunStorage.heartbeat`), as in PostgreSQL: cluster mode keeps
# its state there, but both adapters hold the same tables and pass the same contract.
_V4 = (
    """CREATE TABLE coordinators (
        coordinator_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        started_at REAL NOT NULL,
        seen_at REAL NOT NULL
    )""",
)

# Observations of (external) assets: data version and metadata, outside any run.
_V5 = (
    """CREATE TABLE observations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        observation_id TEXT NOT NULL UNIQUE,
        asset_key TEXT NOT NULL,
        timestamp REAL NOT NULL,
        data_version TEXT,
        metadata TEXT NOT NULL
    )""",
    "CREATE INDEX observations_by_asset ON observations (asset_key, id)",
)
# Run config (`RunRecord.run_config`): the normalised dict, JSON; '{}' for runs before it.
_V6 = ("ALTER TABLE runs ADD COLUMN run_config TEXT NOT NULL DEFAULT '{}'",)
# Run tags (`RunRecord.tags`): str -> str, JSON; '{}' for runs before them.
_V7 = ("ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT '{}'",)

# The catalog per partition: one row per (asset, partition key) with its last attempt and a
# reference to its newest materialization (no foreign key: checked per row it would cost
# as much as the upsert, and the id comes from the same transaction's insert), clustered on
# the key (WITHOUT ROWID), so an asset's 100,000 partitions are one range read; and dynamic
# partitions' keys, in the order they were added (`seq`).
_V8 = (
    """CREATE TABLE asset_partitions (
        asset_key TEXT NOT NULL,
        partition_key TEXT NOT NULL,
        last_status TEXT NOT NULL,
        last_run_id TEXT NOT NULL,
        last_at REAL NOT NULL,
        materialization_id INTEGER,
        PRIMARY KEY (asset_key, partition_key)
    ) WITHOUT ROWID""",
    """CREATE TABLE dynamic_partitions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        partition_key TEXT NOT NULL,
        added_at REAL NOT NULL,
        UNIQUE (name, partition_key)
    )""",
    "CREATE INDEX dynamic_partitions_by_name ON dynamic_partitions (name, seq)",
)

# Backfills (`storage.backfills`): the stored object, and its runs found by their
# `dagster/backfill` tag through an expression index, with no new run column.
_V9 = (
    """CREATE TABLE backfills (
        backfill_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        selection TEXT NOT NULL,
        target TEXT NOT NULL,
        code_location TEXT NOT NULL,
        definitions_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL,
        tags TEXT NOT NULL DEFAULT '{}',
        skipped TEXT NOT NULL DEFAULT '[]',
        message TEXT
    )""",
    "CREATE INDEX backfills_by_created ON backfills (created_at)",
    "CREATE INDEX runs_by_backfill"
    """ ON runs (json_extract(tags, '$."dagster/backfill"'), created_at)""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9)
LATEST_VERSION = len(MIGRATIONS)

_CREATE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
)"""


def _current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, where: str) -> list[int]:
    """Apply pending migrations in one transaction; return the versions applied.

    An up-to-date database is only read, never written. `conn` must be in autocommit mode
    (isolation_level=None). `where` names the database in error messages.
    """
    if not pending_versions(_current_version(conn), LATEST_VERSION, where):
        return []
    conn.execute("BEGIN IMMEDIATE")  # take the write lock: two processes never both migrate
    try:
        conn.execute(_CREATE_VERSION_TABLE)
        applied = list(pending_versions(_current_version(conn), LATEST_VERSION, where))
        for version in applied:
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, time.time()))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return applied
