"""Database rows to records, shared by both adapters: they select the same columns in the
same order, so one set of converters serves both."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from upstream.execution.records import ErrorInfo
from upstream.storage.records import (
    CodeLocationRecord,
    Materialization,
    RunRecord,
    RunStatus,
    StepRecord,
    StepStatus,
)

__all__ = ["error_dict", "location", "materialization", "run_record", "step_record"]


def error_dict(error: ErrorInfo) -> dict[str, str]:
    return {"type": error.type, "message": error.message, "traceback": error.traceback}


def run_record(row: Any, steps: Iterable[str]) -> RunRecord:
    """`steps` comes decoded: JSON text in SQLite, an array in PostgreSQL."""
    return RunRecord(
        row[0], RunStatus(row[1]), row[2], tuple(steps), row[4], row[5], row[6], row[7]
    )


def step_record(row: Any) -> StepRecord:
    error = None if row[8] is None else ErrorInfo(row[8], row[9] or "", row[10] or "")
    key, times = (row[0], row[1], row[2], StepStatus(row[3])), (row[4], row[5], row[6])
    return StepRecord(*key, *times, row[7], error, row[11], json.loads(row[12]))


def location(row: Any) -> CodeLocationRecord:
    return CodeLocationRecord(
        name=row[0], definitions_hash=row[1], snapshot=json.loads(row[2]), updated_at=row[3]
    )


def materialization(row: Any) -> Materialization:
    return Materialization(row[0], row[1], row[2], row[3], json.loads(row[4]))
