"""The SQL of the SQLite adapter (`sqlite.py`), apart from the code that sends it.

Kept apart so `sqlite.py` reads as behaviour: what each call does, in which transaction.
The column lists are in the order `rows.py`'s converters (shared with PostgreSQL) expect.
"""

from __future__ import annotations

__all__ = [
    "CANCEL_RUN",
    "FINISH_RUN",
    "INSERT_EVENT",
    "INSERT_MATERIALIZATION",
    "INSERT_QUEUED",
    "INSERT_RUN",
    "INSERT_SNAPSHOT",
    "LATEST",
    "LOCATION_COLUMNS",
    "RUN_COLUMNS",
    "RUN_STATUS",
    "START_RUN",
    "STEP_COLUMNS",
    "UPDATE_LATEST",
    "UPSERT_LOCATION",
    "UPSERT_OUTCOME",
    "asset_states",
]

INSERT_RUN = (
    "INSERT INTO runs (run_id, status, selection, steps, code_location, definitions_hash,"
    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING"
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
UPSERT_LOCATION = (
    "INSERT INTO code_locations (name, definitions_hash, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET definitions_hash = excluded.definitions_hash,"
    " updated_at = excluded.updated_at"
)
INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (definitions_hash, snapshot, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (definitions_hash) DO NOTHING"
)
LOCATION_COLUMNS = (
    "SELECT l.name, l.definitions_hash, s.snapshot, l.updated_at FROM code_locations l"
    " JOIN snapshots s ON s.definitions_hash = l.definitions_hash"
)
RUN_COLUMNS = (
    "run_id, status, selection, steps, code_location, definitions_hash, created_at, ended_at"
)
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
STEP_COLUMNS = (
    "run_id, step_key, attempt, status, queued_at, started_at, ended_at, worker_id,"
    " error_type, error_message, error_traceback, skip_reason, metadata"
)
INSERT_EVENT = "INSERT INTO events (run_id, step_key, timestamp, type, data) VALUES (?, ?, ?, ?, ?)"
INSERT_MATERIALIZATION = (
    "INSERT INTO materializations (asset_key, run_id, timestamp, duration, metadata)"
    " VALUES (?, ?, ?, ?, ?)"
)
# Point each asset touched by this batch at its newest row; ids only grow (AUTOINCREMENT).
# NOT INDEXED keeps the planner on the rowid range instead of scanning the asset index.
UPDATE_LATEST = """INSERT INTO asset_latest (asset_key, materialization_id)
SELECT asset_key, max(id) FROM materializations NOT INDEXED WHERE id > ? GROUP BY asset_key
ON CONFLICT (asset_key) DO UPDATE SET materialization_id = excluded.materialization_id
WHERE excluded.materialization_id > asset_latest.materialization_id"""
LATEST = (
    "SELECT m.asset_key, m.run_id, m.timestamp, m.duration, m.metadata"
    " FROM asset_latest AS l JOIN materializations AS m ON m.id = l.materialization_id"
)

_QUALIFIED_STEP_COLUMNS = ", ".join(f"s.{column}" for column in STEP_COLUMNS.split(", "))


def asset_states(keys: int | None) -> str:
    """Each step key's newest row (highest `seq`) and its run's status; of every key, or of
    `keys` keys bound as parameters. max(seq) per key is one pass over the covering index
    `steps_by_key`, then one rowid lookup per key: never a scan of every step's full row."""
    where = "" if keys is None else f" WHERE step_key IN ({', '.join('?' * keys)})"
    return (
        f"SELECT {_QUALIFIED_STEP_COLUMNS}, r.status"
        f" FROM (SELECT max(seq) AS seq FROM steps{where} GROUP BY step_key) AS newest"
        " JOIN steps AS s ON s.seq = newest.seq JOIN runs AS r ON r.run_id = s.run_id"
    )
