"""Backfills in the store: the record, its statuses, and the calls both adapters implement.

A backfill's progress is read from the runs carrying its id (the `dagster/backfill` tag,
indexed), never from the event log: counts by run status, and each run's partition tags.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from upstream.model.partitions import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    PartitionKeyRange,
)
from upstream.storage.records import RunRecord, RunStatus

__all__ = [
    "BACKFILL_COLUMNS",
    "BackfillRecord",
    "BackfillRun",
    "BackfillStatus",
    "BackfillStorage",
    "backfill_record",
    "backfill_run",
    "check_new_runs",
]


class BackfillStatus(StrEnum):
    """Dagster's `BulkActionStatus` names."""

    REQUESTED = "REQUESTED"  # runs are being launched and followed
    COMPLETED = "COMPLETED"  # every unit ran and succeeded
    FAILED = "FAILED"  # every unit ended; some failed (and their dependents were skipped)
    CANCELING = "CANCELING"  # no new run; queued and started ones are being canceled
    CANCELED = "CANCELED"

    @property
    def ended(self) -> bool:
        return self in (BackfillStatus.COMPLETED, BackfillStatus.FAILED, BackfillStatus.CANCELED)


@dataclass(frozen=True)
class BackfillRecord:
    """One backfill: what it selects over which partitions, of which code, and its end.
    `target` is `planning.backfill.BackfillTarget.to_dict()`; `skipped` the ids of the units
    never launched because a unit they wait for failed."""

    backfill_id: str
    status: BackfillStatus
    selection: str
    target: dict[str, Any]
    code_location: str
    definitions_hash: str
    created_at: float
    ended_at: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    message: str | None = None


@dataclass(frozen=True)
class BackfillRun:
    """A run of a backfill as its progress needs it: no steps, config or events."""

    run_id: str
    status: RunStatus
    selection: str
    partition: PartitionKeyRange | None
    created_at: float
    ended_at: float | None


class BackfillStorage(Protocol):
    """The backfill calls of `RunStorage`."""

    async def create_backfill(self, backfill: BackfillRecord) -> None:
        """Insert a backfill (REQUESTED); a repeat of its id is ignored."""
        ...

    async def get_backfill(self, backfill_id: str) -> BackfillRecord | None: ...

    async def list_backfills(
        self, limit: int = 50, statuses: Collection[BackfillStatus] | None = None
    ) -> list[BackfillRecord]:
        """Newest first."""
        ...

    async def set_backfill_status(
        self,
        backfill_id: str,
        status: BackfillStatus,
        *,
        ended_at: float | None = None,
        skipped: Sequence[str] = (),
        message: str | None = None,
        only_from: Collection[BackfillStatus] = (),
    ) -> bool:
        """Set the status (and end, skipped units, message); with `only_from`, only from
        those statuses (a conditional update: the claim of a concurrent caller). True if set."""
        ...

    async def create_runs(self, runs: Sequence[RunRecord]) -> int:
        """Insert QUEUED runs (no steps yet) in one statement, each with its RUN_QUEUED event;
        runs already stored are ignored; return how many were new. ValueError for a run that
        is not QUEUED or has steps (`check_new_runs`)."""
        ...

    async def start_runs(self, claims: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
        """`start_run` for many runs in one transaction: each QUEUED one becomes STARTED
        with its planned steps and a RUN_STARTED event; return the ids claimed (the others
        were not QUEUED any more)."""
        ...

    async def finish_runs(self, ends: Sequence[tuple[str, RunStatus]], ended_at: float) -> None:
        """`finish_run` (no message) for many runs in one transaction: the coordinator
        ends a backfill's short runs together."""
        ...

    async def backfill_runs(self, backfill_id: str) -> list[BackfillRun]:
        """Every run tagged with the backfill's id, oldest first (an index on the tag)."""
        ...

    async def backfill_run_counts(self, backfill_id: str) -> dict[RunStatus, int]:
        """How many of the backfill's runs have each status (every status, 0 where none)."""
        ...


def check_new_runs(runs: Sequence[RunRecord]) -> None:
    """ValueError unless every run is QUEUED, unplanned and not ended."""
    for run in runs:
        if run.status is not RunStatus.QUEUED or run.steps or run.ended_at is not None:
            raise ValueError(
                f"run {run.run_id}: create_runs inserts QUEUED runs with no steps; "
                "use create_run for a planned run"
            )


BACKFILL_COLUMNS = (
    "backfill_id, status, selection, target, code_location, definitions_hash, created_at,"
    " ended_at, tags, skipped, message"
)
# The tags a backfill's runs are found and read by, as JSON paths (SQLite) or keys (PG).
TAG_BACKFILL = BACKFILL_ID_TAG
TAG_PARTITION = PARTITION_NAME_TAG
TAG_RANGE_START = ASSET_PARTITION_RANGE_START_TAG
TAG_RANGE_END = ASSET_PARTITION_RANGE_END_TAG


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def backfill_record(row: Any) -> BackfillRecord:
    """A `BACKFILL_COLUMNS` row (JSON as text in SQLite and from asyncpg's jsonb)."""
    return BackfillRecord(
        backfill_id=row[0],
        status=BackfillStatus(row[1]),
        selection=row[2],
        target=_json(row[3]),
        code_location=row[4],
        definitions_hash=row[5],
        created_at=row[6],
        ended_at=row[7],
        tags=_json(row[8]),
        skipped=tuple(_json(row[9])),
        message=row[10],
    )


def backfill_run(row: Any) -> BackfillRun:
    """(run_id, status, selection, created_at, ended_at, partition, range start, range end)."""
    if row[5] is not None:
        partition: PartitionKeyRange | None = PartitionKeyRange(row[5], row[5])
    elif row[6] is not None and row[7] is not None:
        partition = PartitionKeyRange(row[6], row[7])
    else:
        partition = None
    return BackfillRun(row[0], RunStatus(row[1]), row[2], partition, row[3], row[4])
