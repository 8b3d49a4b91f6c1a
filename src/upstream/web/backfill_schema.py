"""The JSON of a backfill, one shape for the API and `upstream backfill list/show --json`."""

from __future__ import annotations

from typing import Any

from upstream.planning.backfill import BackfillTarget
from upstream.runs.backfills import BackfillProgress
from upstream.storage.backfills import BackfillRecord
from upstream.storage.records import RunStatus

__all__ = ["backfill_detail_dict", "backfill_dict"]


def backfill_dict(
    record: BackfillRecord, counts: dict[RunStatus, int] | None = None
) -> dict[str, Any]:
    """A backfill's fields; with `counts`, its runs by status (`runs`)."""
    data: dict[str, Any] = {
        "backfill_id": record.backfill_id,
        "status": record.status.value,
        "selection": record.selection,
        "partitions": record.target,
        "partitions_text": BackfillTarget.from_dict(record.target).describe(),
        "code_location": record.code_location,
        "definitions_hash": record.definitions_hash,
        "created_at": record.created_at,
        "ended_at": record.ended_at,
        "tags": record.tags,
        "message": record.message,
    }
    if counts is not None:
        data["runs"] = {status.value: n for status, n in counts.items() if n}
    return data


def backfill_detail_dict(progress: BackfillProgress) -> dict[str, Any]:
    """`backfill_dict` with its units, per-partition statuses and progress counts."""
    data = backfill_dict(progress.record, progress.counts)
    tally: dict[str, int] = {}
    for status in progress.partitions.values():
        tally[status] = tally.get(status, 0) + 1
    data.update(
        units_total=len(progress.units),
        units_done=progress.done,
        partition_counts=tally,
        partitions_status=progress.partitions,
        units=[
            {
                "id": u.id,
                "selection": u.selection,
                "partition_range": None if u.partition is None else list(u.partition),
                "status": u.status,
                "run_id": u.run_id,
            }
            for u in progress.units
        ],
    )
    return data
