"""The SQL of the PostgreSQL adapter (`postgres.py`), apart from the code that sends it.

Kept apart so `postgres.py` reads as behaviour, as `sqlite_sql.py` is for SQLite. Lists go
in as arrays (`= ANY($1::text[])`, `unnest`), so each statement has one text and asyncpg
prepares it once. The column lists are `rows.py`'s, in its converters' order.
"""

from __future__ import annotations

from upstream.storage.rows import (
    COORDINATOR_COLUMNS,
    EVENT_COLUMNS,
    LATEST,
    LOCATION_COLUMNS,
    MATERIALIZATION_COLUMNS,
    OBSERVATION_COLUMNS,
    RUN_COLUMNS,
    STEP_COLUMNS,
)

__all__ = [
    "ADD_DYNAMIC_PARTITIONS",
    "ASSET_STATES",
    "ASSET_STATES_OF",
    "CANCEL_RUN",
    "COORDINATORS",
    "COUNT_RUNS",
    "COUNT_RUNS_OF",
    "DELETE_DYNAMIC_PARTITION",
    "FIND_RUN_IDS",
    "FINISH_RUN",
    "GET_DYNAMIC_PARTITIONS",
    "GET_EVENTS",
    "GET_LOCATION",
    "GET_RUN",
    "GET_SNAPSHOT",
    "GET_STEPS",
    "HAS_DYNAMIC_PARTITION",
    "HEARTBEAT",
    "INSERT_EVENT",
    "INSERT_OBSERVATIONS",
    "INSERT_QUEUED",
    "INSERT_QUEUED_MANY",
    "INSERT_RUN",
    "INSERT_SNAPSHOT",
    "LATEST",
    "LATEST_OBSERVATIONS",
    "LATEST_OBSERVATIONS_OF",
    "LATEST_OF",
    "LATEST_PARTITIONS",
    "LATEST_PARTITIONS_OF",
    "LEADERSHIP_LOCK",
    "LIST_LOCATIONS",
    "LIST_RUNS",
    "LIST_RUNS_OF",
    "LOCK_RUNS",
    "MATERIALIZATIONS",
    "NOTIFY",
    "OBSERVATIONS",
    "PARTITION_STATUS",
    "RECORD_OUTCOMES",
    "RUNS_WITH_STATUS",
    "RUN_STATUS",
    "START_RUN",
    "UPSERT_LOCATION",
]

INSERT_RUN = (
    "INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,"
    " created_at, run_config, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (run_id) DO NOTHING"
    " RETURNING run_id"
)
START_RUN = (
    "UPDATE runs SET status = 'STARTED', steps = $1 WHERE run_id = $2 AND status = 'QUEUED'"
    " RETURNING run_id"
)
FINISH_RUN = (
    "UPDATE runs SET status = $1, ended_at = $2 WHERE run_id = $3"
    " AND status IN ('QUEUED', 'STARTED', 'CANCELING') RETURNING run_id"
)
# A QUEUED run has nothing in flight and ends now; a STARTED one waits for its steps. The
# WHERE is the claim (rechecked after a concurrent update): only one of two cancels acts.
CANCEL_RUN = """UPDATE runs SET
    status = CASE status WHEN 'QUEUED' THEN 'CANCELED' ELSE 'CANCELING' END,
    ended_at = CASE status WHEN 'QUEUED' THEN $2 ELSE ended_at END
WHERE run_id = $1 AND status IN ('QUEUED', 'STARTED') RETURNING status"""
RUN_STATUS = "SELECT status FROM runs WHERE run_id = $1"
GET_RUN = f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = $1"
# A range on the primary key (byte order, COLLATE "C"), as in SQLite: case-sensitive.
FIND_RUN_IDS = "SELECT run_id FROM runs WHERE run_id >= $1 AND run_id < $2 ORDER BY run_id"
_NEWEST_FIRST = " ORDER BY created_at DESC, run_id DESC LIMIT $1"
LIST_RUNS = f"SELECT {RUN_COLUMNS} FROM runs" + _NEWEST_FIRST
LIST_RUNS_OF = f"SELECT {RUN_COLUMNS} FROM runs WHERE status = $2" + _NEWEST_FIRST
# Oldest first; LIMIT NULL is no limit.
RUNS_WITH_STATUS = (
    f"SELECT {RUN_COLUMNS} FROM runs WHERE status = ANY($1::text[])"
    " ORDER BY created_at, run_id LIMIT $2"
)
# Each statement over a list of keys comes twice, for every key and for some (`_OF`).
COUNT_RUNS = "SELECT status, count(*) FROM runs GROUP BY status"
COUNT_RUNS_OF = "SELECT status, count(*) FROM runs WHERE status = ANY($1::text[]) GROUP BY status"
NOTIFY = "SELECT pg_notify($1, $2)"
LEADERSHIP_LOCK = "SELECT pg_advisory_lock($1)"
INSERT_EVENT = (
    "INSERT INTO events (run_id, step_key, timestamp, type, data) VALUES ($1, $2, $3, $4, $5)"
)
GET_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events WHERE run_id = $1 AND id > $2 ORDER BY id"
LOCK_RUNS = "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k"
INSERT_QUEUED = """INSERT INTO steps (run_id, step_key, attempt, status, queued_at)
SELECT $1, k, a, 'QUEUED', $4 FROM unnest($2::text[], $3::int4[]) AS u (k, a)
ON CONFLICT (run_id, step_key, attempt) DO NOTHING"""
INSERT_QUEUED_MANY = """INSERT INTO steps (run_id, step_key, attempt, status, queued_at)
SELECT r, k, a, 'QUEUED', $4 FROM unnest($1::text[], $2::text[], $3::int4[]) AS u (r, k, a)
ON CONFLICT (run_id, step_key, attempt) DO NOTHING"""
# A burst of outcomes in one statement, so one round trip and one implicit transaction:
# the runs' append locks (every other CTE waits on `locked`, directly or through `up`, so
# no id is drawn before them); the outcomes, where the WHERE makes a final row immovable
# (only rows inserted or moved off QUEUED come back); the events and catalog rows of just
# those, in the order given; each asset's pointer to its newest row (upserted in key
# order, so two batches never deadlock on asset_latest); the steps made ready, QUEUED; and
# the catalog per partition: one row per (asset, key), the last attempt of the batch and
# its last success's materialization (ids grow, so the max; one upsert may touch a row
# once), in key order: one sort, no join.
RECORD_OUTCOMES = """WITH locked AS (
    SELECT count(pg_advisory_xact_lock($1, k)) AS n FROM unnest($2::int4[]) AS k
), up AS (
    INSERT INTO steps (run_id, step_key, attempt, status, started_at, ended_at, worker_id,
        error_type, error_message, error_traceback, skip_reason, metadata)
    SELECT r, k, a, s, sa, ea, w, et, em, eb, sr, m::jsonb
    FROM unnest($3::text[], $4::text[], $5::int4[], $6::text[], $7::float8[], $8::float8[],
        $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
        AS u (r, k, a, s, sa, ea, w, et, em, eb, sr, m), locked
    ON CONFLICT (run_id, step_key, attempt) DO UPDATE SET
        status = excluded.status, started_at = excluded.started_at,
        ended_at = excluded.ended_at, worker_id = excluded.worker_id,
        error_type = excluded.error_type, error_message = excluded.error_message,
        error_traceback = excluded.error_traceback, skip_reason = excluded.skip_reason,
        metadata = excluded.metadata
    WHERE steps.status = 'QUEUED'
    RETURNING run_id, step_key, attempt
), e AS (
    INSERT INTO events (run_id, step_key, timestamp, type, data)
    SELECT r, k, t, y, d::jsonb FROM (
        SELECT u.* FROM unnest($15::text[], $16::text[], $17::int4[], $18::float8[],
            $19::text[], $20::text[]) WITH ORDINALITY AS u (r, k, a, t, y, d, n)
        JOIN up ON (up.run_id, up.step_key, up.attempt) = (u.r, u.k, u.a) ORDER BY u.n
    ) AS chosen
), m AS (
    INSERT INTO materializations (asset_key, run_id, timestamp, duration, metadata)
    SELECT k, r, t, d, m::jsonb FROM (
        SELECT u.* FROM unnest($21::text[], $22::text[], $23::int4[], $24::float8[],
            $25::float8[], $26::text[], $27::text[]) WITH ORDINALITY AS u (k, r, a, t, d, m, s, n)
        JOIN up ON (up.run_id, up.step_key, up.attempt) = (u.r, u.s, u.a) ORDER BY u.n
    ) AS chosen
    RETURNING id, asset_key, run_id
), latest AS (
    INSERT INTO asset_latest (asset_key, materialization_id)
    SELECT asset_key, max(id) FROM m GROUP BY asset_key ORDER BY asset_key
    ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id
    WHERE excluded.materialization_id > asset_latest.materialization_id
), queued AS (
    INSERT INTO steps (run_id, step_key, attempt, status, queued_at)
    SELECT r, k, a, 'QUEUED', $31
    FROM unnest($28::text[], $29::text[], $30::int4[]) AS u (r, k, a), locked
    ON CONFLICT (run_id, step_key, attempt) DO NOTHING
), parts AS (
    SELECT u.k, u.p, u.r, u.st, u.t, u.n, made.id AS mid
    FROM unnest($32::text[], $33::text[], $34::text[], $35::int4[], $36::text[], $37::text[],
        $38::float8[]) WITH ORDINALITY AS u (k, p, r, a, s, st, t, n)
    JOIN up ON (up.run_id, up.step_key, up.attempt) = (u.r, u.s, u.a)
    LEFT JOIN (SELECT asset_key, run_id, max(id) AS id FROM m GROUP BY asset_key, run_id)
        AS made ON u.st = 'SUCCESS' AND (made.asset_key, made.run_id) = (u.k, u.r)
), last_attempt AS (
    SELECT DISTINCT ON (k, p) k, p, r, st, t, max(mid) OVER (PARTITION BY k, p) AS mid
    FROM parts ORDER BY k, p, n DESC
), partitioned AS (
    INSERT INTO asset_partitions
        (asset_key, partition_key, last_run_id, last_status, last_at, materialization_id)
    SELECT k, p, r, st, t, mid FROM last_attempt ORDER BY k, p
    ON CONFLICT (asset_key, partition_key) DO UPDATE SET
        last_run_id = excluded.last_run_id, last_status = excluded.last_status,
        last_at = excluded.last_at,
        materialization_id = coalesce(excluded.materialization_id,
            asset_partitions.materialization_id)
)
SELECT run_id, step_key, attempt FROM up"""
GET_STEPS = f"SELECT {STEP_COLUMNS} FROM steps WHERE run_id = $1 ORDER BY seq"
LATEST_OF = LATEST + " WHERE l.asset_key = ANY($1::text[])"
MATERIALIZATIONS = (
    f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations"
    " WHERE asset_key = $1 ORDER BY id DESC LIMIT $2"
)
# Each key's newest row, the first of its key in steps_by_key (step_key, seq DESC), and its
# run's status.
_ASSET_STATES = (
    f"SELECT {', '.join(f's.{c}' for c in STEP_COLUMNS.split(', '))}, r.status"
    " FROM (SELECT DISTINCT ON (step_key) * FROM steps{} ORDER BY step_key, seq DESC) AS s"
    " JOIN runs AS r ON r.run_id = s.run_id"
)
ASSET_STATES = _ASSET_STATES.format("")
ASSET_STATES_OF = _ASSET_STATES.format(" WHERE step_key = ANY($1::text[])")
UPSERT_LOCATION = (
    "INSERT INTO code_locations (name, definitions_hash, updated_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (name) DO UPDATE SET definitions_hash = excluded.definitions_hash,"
    " updated_at = excluded.updated_at"
)
INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (definitions_hash, snapshot, created_at) VALUES ($1, $2, $3)"
    " ON CONFLICT (definitions_hash) DO NOTHING"
)
GET_LOCATION = LOCATION_COLUMNS + " WHERE l.name = $1"
LIST_LOCATIONS = LOCATION_COLUMNS + " ORDER BY l.name"
GET_SNAPSHOT = "SELECT snapshot FROM snapshots WHERE definitions_hash = $1"
# The store's clock, never the caller's: hosts' clocks may disagree. A row not written for
# $4 seconds is deleted by another coordinator's heartbeat (never the writer's own row: one
# statement may not both delete and upsert it).
_NOW = "extract(epoch FROM clock_timestamp())::float8"
HEARTBEAT = f"""WITH forgotten AS (
    DELETE FROM coordinators WHERE seen_at < {_NOW} - $4 AND coordinator_id <> $1
)
INSERT INTO coordinators (coordinator_id, state, started_at, seen_at) VALUES ($1, $2, $3, {_NOW})
ON CONFLICT (coordinator_id) DO UPDATE SET state = excluded.state,
    started_at = excluded.started_at, seen_at = excluded.seen_at"""
COORDINATORS = (
    f"SELECT {COORDINATOR_COLUMNS}, {_NOW} - seen_at FROM coordinators"
    " ORDER BY seen_at DESC, coordinator_id"
)

INSERT_OBSERVATIONS = """INSERT INTO observations
    (asset_key, observation_id, timestamp, data_version, metadata)
SELECT k, i, t, v, m::jsonb FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[],
    $5::text[]) AS u (k, i, t, v, m)
ON CONFLICT (observation_id) DO NOTHING"""
OBSERVATIONS = (
    f"SELECT {OBSERVATION_COLUMNS} FROM observations WHERE asset_key = $1 ORDER BY id DESC LIMIT $2"
)
# Each asset's newest row: the first of its key in observations_by_asset (asset_key, id DESC).
LATEST_OBSERVATIONS = (
    f"SELECT DISTINCT ON (asset_key) {OBSERVATION_COLUMNS} FROM observations"
    " ORDER BY asset_key, id DESC"
)
LATEST_OBSERVATIONS_OF = (
    f"SELECT DISTINCT ON (asset_key) {OBSERVATION_COLUMNS} FROM observations"
    " WHERE asset_key = ANY($1::text[]) ORDER BY asset_key, id DESC"
)

# Two rows (one per status), each key list one array, decoded by asyncpg in C.
PARTITION_STATUS = (
    "SELECT last_status, array_agg(partition_key) FROM asset_partitions"
    " WHERE asset_key = $1 GROUP BY last_status"
)
_LATEST_PARTITIONS = (
    "SELECT p.partition_key, m.asset_key, m.run_id, m.timestamp, m.duration, m.metadata"
    " FROM asset_partitions AS p JOIN materializations AS m ON m.id = p.materialization_id"
    " WHERE p.asset_key = $1{} ORDER BY p.materialization_id DESC LIMIT $2"
)
LATEST_PARTITIONS = _LATEST_PARTITIONS.format("")
LATEST_PARTITIONS_OF = _LATEST_PARTITIONS.format(" AND p.partition_key = ANY($3::text[])")
# In the order given (WITH ORDINALITY): identities are drawn in that order, which `seq` keeps.
ADD_DYNAMIC_PARTITIONS = """INSERT INTO dynamic_partitions (name, partition_key, added_at)
SELECT $1, k, $3 FROM unnest($2::text[]) WITH ORDINALITY AS u (k, n) ORDER BY n
ON CONFLICT (name, partition_key) DO NOTHING RETURNING partition_key"""
DELETE_DYNAMIC_PARTITION = (
    "DELETE FROM dynamic_partitions WHERE name = $1 AND partition_key = $2 RETURNING seq"
)
GET_DYNAMIC_PARTITIONS = "SELECT partition_key FROM dynamic_partitions WHERE name = $1 ORDER BY seq"
HAS_DYNAMIC_PARTITION = "SELECT 1 FROM dynamic_partitions WHERE name = $1 AND partition_key = $2"
