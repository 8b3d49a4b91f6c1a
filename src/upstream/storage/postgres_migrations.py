"""The PostgreSQL schema as an ordered list of migrations, applied once each, never edited.

A new schema change is a new entry at the end of `MIGRATIONS`; version N is entry N-1, and
`schema_version` holds one row per applied version. The tables mirror the SQLite ones (see
`sqlite_migrations.py`) in PostgreSQL's idiom: identity columns, `double precision` times,
`jsonb` documents, a `text[]` of run steps, and keys compared byte for byte (COLLATE "C") so
that ordering and prefix ranges match SQLite's.
"""

from __future__ import annotations

import time
from typing import Any

from upstream.storage.base import pending_versions
from upstream.storage.postgres_driver import advisory_key, quote_ident

__all__ = ["LATEST_VERSION", "MIGRATIONS", "migrate"]

_V1 = (
    """CREATE TABLE runs (
        run_id text COLLATE "C" PRIMARY KEY,
        status text NOT NULL,
        selection text NOT NULL,
        steps text[] NOT NULL,
        code_location text NOT NULL,
        definitions_hash text NOT NULL,
        created_at double precision NOT NULL,
        ended_at double precision
    )""",
    "CREATE INDEX runs_by_created ON runs (created_at)",
    "CREATE INDEX runs_by_status ON runs (status, created_at)",
    # `seq` is the queue order; the logical key is the UNIQUE triple.
    """CREATE TABLE steps (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id),
        step_key text COLLATE "C" NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL,
        queued_at double precision,
        started_at double precision,
        ended_at double precision,
        worker_id text,
        error_type text,
        error_message text,
        error_traceback text,
        skip_reason text,
        metadata jsonb NOT NULL DEFAULT '{}',
        UNIQUE (run_id, step_key, attempt)
    )""",
    # Ids come from a sequence; the adapter serialises each run's writers (an advisory lock
    # per run), so a run's ids commit in order and `after_id` polling never skips one.
    """CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id),
        step_key text COLLATE "C",
        timestamp double precision NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL
    )""",
    "CREATE INDEX events_by_run ON events (run_id, id)",
    """CREATE TABLE materializations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        asset_key text COLLATE "C" NOT NULL,
        run_id text COLLATE "C" NOT NULL REFERENCES runs (run_id),
        timestamp double precision NOT NULL,
        duration double precision,
        metadata jsonb NOT NULL
    )""",
    "CREATE INDEX materializations_by_asset ON materializations (asset_key, id)",
    # One row per asset pointing at its newest materialization: the catalog stays O(assets).
    """CREATE TABLE asset_latest (
        asset_key text COLLATE "C" PRIMARY KEY,
        materialization_id bigint NOT NULL REFERENCES materializations (id)
    )""",
    """CREATE TABLE code_locations (
        name text COLLATE "C" PRIMARY KEY,
        definitions_hash text NOT NULL,
        updated_at double precision NOT NULL
    )""",
    """CREATE TABLE snapshots (
        definitions_hash text PRIMARY KEY,
        snapshot jsonb NOT NULL,
        created_at double precision NOT NULL
    )""",
)

# The live asset graph (`asset_states`): each step key's newest row is the first of its
# key in this index (seq descending), so DISTINCT ON reads it in order without a sort.
_V2 = ("CREATE INDEX steps_by_key ON steps (step_key, seq DESC)",)

# Coordinators' heartbeats (`RunStorage.heartbeat`): one row per coordinator process.
_V3 = (
    """CREATE TABLE coordinators (
        coordinator_id text COLLATE "C" PRIMARY KEY,
        state text NOT NULL,
        started_at double precision NOT NULL,
        seen_at double precision NOT NULL
    )""",
)

# Observations of (external) assets: data version and metadata, outside any run. The index
# is (asset_key, id DESC) so DISTINCT ON reads each asset's newest first, without a sort.
_V4 = (
    """CREATE TABLE observations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        observation_id text COLLATE "C" NOT NULL UNIQUE,
        asset_key text COLLATE "C" NOT NULL,
        timestamp double precision NOT NULL,
        data_version text,
        metadata jsonb NOT NULL
    )""",
    "CREATE INDEX observations_by_asset ON observations (asset_key, id DESC)",
)
# Run config (`RunRecord.run_config`): the normalised dict; '{}' for runs before it.
_V5 = ("ALTER TABLE runs ADD COLUMN run_config jsonb NOT NULL DEFAULT '{}'",)
# Run tags (`RunRecord.tags`): str -> str; '{}' for runs before them.
_V6 = ("ALTER TABLE runs ADD COLUMN tags jsonb NOT NULL DEFAULT '{}'",)

# The catalog per partition: one row per (asset, partition key) with its last attempt and a
# reference to its newest materialization (no foreign key: checked per row it would cost
# as much as the upsert, and the id comes from the same transaction's insert); an asset's
# partitions are one range of the primary key. Dynamic partitions' keys, in the order they
# were added (`seq`).
_V7 = (
    """CREATE TABLE asset_partitions (
        asset_key text COLLATE "C" NOT NULL,
        partition_key text COLLATE "C" NOT NULL,
        last_status text NOT NULL,
        last_run_id text COLLATE "C" NOT NULL,
        last_at double precision NOT NULL,
        materialization_id bigint,
        PRIMARY KEY (asset_key, partition_key)
    )""",
    """CREATE TABLE dynamic_partitions (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        partition_key text COLLATE "C" NOT NULL,
        added_at double precision NOT NULL,
        UNIQUE (name, partition_key)
    )""",
    "CREATE INDEX dynamic_partitions_by_name ON dynamic_partitions (name, seq)",
)

# Backfills (`storage.backfills`): the stored object, and its runs found by their
# `dagster/backfill` tag through an expression index, with no new run column.
_V8 = (
    """CREATE TABLE backfills (
        backfill_id text COLLATE "C" PRIMARY KEY,
        status text NOT NULL,
        selection text NOT NULL,
        target jsonb NOT NULL,
        code_location text NOT NULL,
        definitions_hash text NOT NULL,
        created_at double precision NOT NULL,
        ended_at double precision,
        tags jsonb NOT NULL DEFAULT '{}',
        skipped jsonb NOT NULL DEFAULT '[]',
        message text
    )""",
    "CREATE INDEX backfills_by_created ON backfills (created_at)",
    "CREATE INDEX runs_by_backfill ON runs ((tags ->> 'dagster/backfill'), created_at)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
LATEST_VERSION = len(MIGRATIONS)

_CREATE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    applied_at double precision NOT NULL
)"""
_VERSION = "SELECT coalesce(max(version), 0) FROM schema_version"


async def _current_version(conn: Any, schema: str) -> int:
    table = f"{quote_ident(schema)}.schema_version"
    if await conn.fetchval("SELECT to_regclass($1)", table) is None:
        return 0
    return int(await conn.fetchval(_VERSION))


async def migrate(conn: Any, schema: str, where: str) -> list[int]:
    """Create `schema` if missing and apply pending migrations in one transaction.

    `conn` is an asyncpg connection whose search_path is `schema`. An up-to-date schema is
    only read, never written or locked. Otherwise a transaction-scoped advisory lock keyed on
    the schema name serialises processes starting at once: the second waits, then finds
    nothing left to do. Returns the versions applied; `where` names the store in errors.
    """
    if not pending_versions(await _current_version(conn, schema), LATEST_VERSION, where):
        return []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", advisory_key("migrate", schema))
        if await conn.fetchval("SELECT to_regnamespace($1)", quote_ident(schema)) is None:
            await conn.execute(f"CREATE SCHEMA {quote_ident(schema)}")
        await conn.execute(_CREATE_VERSION_TABLE)
        current = int(await conn.fetchval(_VERSION))
        applied = list(pending_versions(current, LATEST_VERSION, where))
        for version in applied:
            for statement in MIGRATIONS[version - 1]:
                await conn.execute(statement)
            await conn.execute("INSERT INTO schema_version VALUES ($1, $2)", version, time.time())
    return applied
