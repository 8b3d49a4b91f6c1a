"""The SQL of the SQLite adapter (`sqlite.py`), apart from the code that sends it.

Kept apart so `sqlite.py` reads as behaviour: what each call does, in which transaction.
The column lists are `rows.py`'s, in the order its converters (shared with PostgreSQL)
expect. Statements over a list of keys are functions of the list's length (bound `?`s).
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
    "ADD_DYNAMIC_PARTITION",
    "CANCEL_RUN",
    "COORDINATORS",
    "DELETE_DYNAMIC_PARTITION",
    "FIND_RUN_IDS",
    "FINISH_RUN",
    "FORGET_COORDINATORS",
    "GET_DYNAMIC_PARTITIONS",
    "GET_EVENTS",
    "GET_LOCATION",
    "GET_RUN",
    "GET_SNAPSHOT",
    "GET_STEPS",
    "HAS_DYNAMIC_PARTITION",
    "HEARTBEAT",
    "INSERT_EVENT",
    "INSERT_MATERIALIZATION",
    "INSERT_OBSERVATION",
    "INSERT_QUEUED",
    "INSERT_RUN",
    "INSERT_SNAPSHOT",
    "LIST_LOCATIONS",
    "MATERIALIZATIONS",
    "MAX_MATERIALIZATION",
    "NEW_MATERIALIZATIONS",
    "OBSERVATIONS",
    "PARTITION_STATUS",
    "RUN_STATUS",
    "START_RUN",
    "UPDATE_LATEST",
    "UPSERT_LOCATION",
    "UPSERT_OUTCOME",
    "UPSERT_PARTITION",
    "asset_states",
    "count_runs",
    "latest",
    "latest_observations",
    "latest_partitions",
    "list_runs",
    "runs_with_status",
]

INSERT_RUN = (
    "INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,"
    " created_at, run_config, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (run_id) DO NOTHING"
)
FINISH_RUN = (
    "UPDATE runs SET status = ?, ended_at = ? WHERE run_id = ?"
    " AND status IN ('QUEUED', 'STARTED', 'CANCELING')"
)
# A QUEUED run has nothing in flight and ends now; a STARTED one waits for its steps. The
# WHERE is the claim: of two cancels only one changes the row (rowcount 1) and appends.
CANCEL_RUN = """UPDATE runs SET
    status = CASE status WHEN 'QUEUED' THEN 'CANCELED' ELSE 'CANCELING' END,
    ended_at = CASE status WHEN 'QUEUED' THEN ? ELSE ended_at END
WHERE run_id = ? AND status IN ('QUEUED', 'STARTED')"""
RUN_STATUS = "SELECT status FROM runs WHERE run_id = ?"
START_RUN = "UPDATE runs SET status = 'STARTED', steps = ? WHERE run_id = ? AND status = 'QUEUED'"
GET_RUN = f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?"
FIND_RUN_IDS = "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id"
UPSERT_LOCATION = (
    "INSERT INTO code_locations (name, definitions_hash, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET definitions_hash = excluded.definitions_hash,"
    " updated_at = excluded.updated_at"
)
INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (definitions_hash, snapshot, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (definitions_hash) DO NOTHING"
)
GET_LOCATION = LOCATION_COLUMNS + " WHERE l.name = ?"
LIST_LOCATIONS = LOCATION_COLUMNS + " ORDER BY l.name"
GET_SNAPSHOT = "SELECT snapshot FROM snapshots WHERE definitions_hash = ?"
INSERT_QUEUED = (
    "INSERT INTO steps (run_id, step_key, attempt, status, queued_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (run_id, step_key, attempt) DO NOTHING"
)
# The WHERE makes a final row immovable: rowcount 0 then means "already recorded".
UPSERT_OUTCOME = """INSERT INTO steps (run_id, step_key, attempt, status, started_at, ended_at,
    worker_id, error_type, error_message, error_traceback, skip_reason, metadata)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, step_key, attempt) DO UPDATE SET
    status = excluded.status, started_at = excluded.started_at, ended_at = excluded.ended_at,
    worker_id = excluded.worker_id, error_type = excluded.error_type,
    error_message = excluded.error_message, error_traceback = excluded.error_traceback,
    skip_reason = excluded.skip_reason, metadata = excluded.metadata
WHERE steps.status = 'QUEUED'"""
GET_STEPS = f"SELECT {STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY seq"
INSERT_EVENT = "INSERT INTO events (run_id, step_key, timestamp, type, data) VALUES (?, ?, ?, ?, ?)"
GET_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events WHERE run_id = ? AND id > ? ORDER BY id"
INSERT_MATERIALIZATION = (
    "INSERT INTO materializations (asset_key, run_id, timestamp, duration, metadata)"
    " VALUES (?, ?, ?, ?, ?)"
)
MAX_MATERIALIZATION = "SELECT coalesce(max(id), 0) FROM materializations"
MATERIALIZATIONS = (
    f"SELECT {MATERIALIZATION_COLUMNS} FROM materializations"
    " WHERE asset_key = ? ORDER BY id DESC LIMIT ?"
)
# Point each asset touched by this batch at its newest row; ids only grow (AUTOINCREMENT).
# NOT INDEXED keeps the planner on the rowid range instead of scanning the asset index.
UPDATE_LATEST = """INSERT INTO asset_latest (asset_key, materialization_id)
SELECT asset_key, max(id) FROM materializations NOT INDEXED WHERE id > ? GROUP BY asset_key
ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id
WHERE excluded.materialization_id > asset_latest.materialization_id"""

HEARTBEAT = (
    "INSERT INTO coordinators (coordinator_id, state, started_at, seen_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (coordinator_id) DO UPDATE SET state = excluded.state,"
    " started_at = excluded.started_at, seen_at = excluded.seen_at"
)
FORGET_COORDINATORS = "DELETE FROM coordinators WHERE seen_at < ? AND coordinator_id <> ?"
# The reader's time is bound first: `seen_ago` comes back as the last column.
COORDINATORS = (
    f"SELECT {COORDINATOR_COLUMNS}, ? - seen_at FROM coordinators"
    " ORDER BY seen_at DESC, coordinator_id"
)

_QUALIFIED_STEP_COLUMNS = ", ".join(f"s.{column}" for column in STEP_COLUMNS.split(", "))


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def list_runs(with_status: bool) -> str:
    """Newest first, `LIMIT ?` last; of one status (bound first) when `with_status`."""
    where = " WHERE status = ?" if with_status else ""
    return f"SELECT {RUN_COLUMNS} FROM runs{where} ORDER BY created_at DESC, run_id DESC LIMIT ?"


def runs_with_status(statuses: int, limited: bool) -> str:
    """Runs of `statuses` statuses, oldest first; then `LIMIT ?` when `limited`."""
    sql = f"SELECT {RUN_COLUMNS} FROM runs WHERE status IN ({_marks(statuses)})"
    return sql + " ORDER BY created_at, run_id" + (" LIMIT ?" if limited else "")


def count_runs(statuses: int | None) -> str:
    """(status, count) of `statuses` statuses, or of all: one pass over `runs_by_status`."""
    where = "" if statuses is None else f" WHERE status IN ({_marks(statuses)})"
    return f"SELECT status, count(*) FROM runs{where} GROUP BY status"


def latest(keys: int | None) -> str:
    """The catalog: each asset's newest materialization, of all assets or of `keys` keys."""
    return LATEST if keys is None else f"{LATEST} WHERE l.asset_key IN ({_marks(keys)})"


def asset_states(keys: int | None) -> str:
    """Each step key's newest row (highest `seq`) and its run's status; of every key, or of
    `keys` keys bound as parameters. max(seq) per key is one pass over the covering index
    `steps_by_key`, then one rowid lookup per key: never a scan of every step's full row."""
    where = "" if keys is None else f" WHERE step_key IN ({_marks(keys)})"
    return (
        f"SELECT {_QUALIFIED_STEP_COLUMNS}, r.status"
        f" FROM (SELECT max(seq) AS seq FROM steps{where} GROUP BY step_key) AS newest"
        " JOIN steps AS s ON s.seq = newest.seq JOIN runs AS r ON r.run_id = s.run_id"
    )


INSERT_OBSERVATION = (
    "INSERT INTO observations (asset_key, observation_id, timestamp, data_version, metadata)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (observation_id) DO NOTHING"
)
OBSERVATIONS = (
    f"SELECT {OBSERVATION_COLUMNS} FROM observations WHERE asset_key = ? ORDER BY id DESC LIMIT ?"
)


def latest_observations(keys: int | None) -> str:
    """Each asset's newest observation (max id per key: one pass over its index)."""
    where = "" if keys is None else f" WHERE asset_key IN ({_marks(keys)})"
    return (
        f"SELECT {OBSERVATION_COLUMNS} FROM observations WHERE id IN"
        f" (SELECT max(id) FROM observations{where} GROUP BY asset_key)"
    )


# The ids the batch's materializations got, to point each partition row at its asset's.
NEW_MATERIALIZATIONS = "SELECT id, asset_key, run_id FROM materializations WHERE id > ?"
# Rows are upserted in the order given, so the last recorded attempt wins; a failure keeps
# the partition's last materialization (coalesce), a success points at its new one.
UPSERT_PARTITION = """INSERT INTO asset_partitions
    (asset_key, partition_key, last_run_id, last_status, last_at, materialization_id)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (asset_key, partition_key) DO UPDATE SET
    last_run_id = excluded.last_run_id, last_status = excluded.last_status,
    last_at = excluded.last_at,
    materialization_id = coalesce(excluded.materialization_id,
        asset_partitions.materialization_id)"""
# Two rows (one per status), each key list one JSON array: 100,000 keys cross from SQLite
# as two strings and one C-speed parse, not 100,000 Python row tuples.
PARTITION_STATUS = (
    "SELECT last_status, json_group_array(partition_key) FROM asset_partitions"
    " WHERE asset_key = ? GROUP BY last_status"
)

_LATEST_PARTITIONS = (
    "SELECT p.partition_key, m.asset_key, m.run_id, m.timestamp, m.duration, m.metadata"
    " FROM asset_partitions AS p JOIN materializations AS m ON m.id = p.materialization_id"
    " WHERE p.asset_key = ?"
)


def latest_partitions(keys: int | None) -> str:
    """Each partition's newest materialization, newest first, `LIMIT ?` last; of every key
    or of `keys` keys bound after the asset key."""
    where = "" if keys is None else f" AND p.partition_key IN ({_marks(keys)})"
    return f"{_LATEST_PARTITIONS}{where} ORDER BY p.materialization_id DESC LIMIT ?"


ADD_DYNAMIC_PARTITION = (
    "INSERT INTO dynamic_partitions (name, partition_key, added_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name, partition_key) DO NOTHING"
)
DELETE_DYNAMIC_PARTITION = "DELETE FROM dynamic_partitions WHERE name = ? AND partition_key = ?"
GET_DYNAMIC_PARTITIONS = "SELECT partition_key FROM dynamic_partitions WHERE name = ? ORDER BY seq"
HAS_DYNAMIC_PARTITION = "SELECT 1 FROM dynamic_partitions WHERE name = ? AND partition_key = ?"
