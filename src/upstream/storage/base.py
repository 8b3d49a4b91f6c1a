"""The storage port: one async interface, two adapters (SQLite embedded, PostgreSQL later).

Adapters raise `StorageError` for failures of the store itself, never a driver's exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from upstream.definitions.errors import UpstreamError
from upstream.storage.records import (
    EventRecord,
    Materialization,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
)

__all__ = ["EventType", "RunStorage", "StorageError"]


class StorageError(UpstreamError):
    """The state store failed or holds something this build cannot read."""


class EventType:
    """The `type` strings of the event log."""

    RUN_STARTED = "RUN_STARTED"
    RUN_SUCCESS = "RUN_SUCCESS"
    RUN_FAILURE = "RUN_FAILURE"
    RUN_CANCELED = "RUN_CANCELED"
    STEP_SUCCESS = "STEP_SUCCESS"
    STEP_FAILURE = "STEP_FAILURE"
    STEP_SKIPPED = "STEP_SKIPPED"
    ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"
    LOG = "LOG"


class RunStorage(Protocol):
    """Runs, steps, the event log and the asset catalog.

    Every write is idempotent: a redelivered result, a re-sent queue marker or a repeated
    run-finish changes nothing that was already recorded.
    """

    async def create_run(self, run: RunRecord) -> None:
        """Insert a run (status STARTED) and append RUN_STARTED. A repeat is ignored."""
        ...

    async def finish_run(self, run_id: str, status: RunStatus, ended_at: float) -> None:
        """Set the final status once and append RUN_SUCCESS / RUN_FAILURE / RUN_CANCELED."""
        ...

    async def record_queued(
        self, run_id: str, steps: Sequence[tuple[str, int]], queued_at: float
    ) -> None:
        """Insert (step_key, attempt) rows as QUEUED, in one transaction; repeats are ignored."""
        ...

    async def record_outcomes(self, outcomes: Sequence[StepOutcome]) -> list[bool]:
        """Record final outcomes in one transaction; True where newly recorded.

        For each new outcome: the step row becomes final, a STEP_* event is appended, each
        log line becomes a LOG event, and a success adds an ASSET_MATERIALIZATION event and a
        catalog entry. An outcome for a step already final returns False and writes nothing.
        """
        ...

    async def get_run(self, run_id: str) -> RunRecord | None: ...

    async def find_run_ids(self, prefix: str) -> list[str]:
        """Run ids starting with `prefix` (so users may type the first 8 characters)."""
        ...

    async def list_runs(self, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        """Newest first."""
        ...

    async def get_steps(self, run_id: str) -> list[StepRecord]:
        """Every attempt of every step of the run, in the order they were queued."""
        ...

    async def get_events(self, run_id: str, after_id: int = 0) -> list[EventRecord]:
        """The run's events with id > after_id, in order (for following a live run)."""
        ...

    async def latest_materializations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, Materialization]:
        """The newest materialization of each asset (of `asset_keys`, or of all)."""
        ...

    async def materializations(self, asset_key: str, limit: int = 100) -> list[Materialization]:
        """An asset's history, newest first."""
        ...

    async def close(self) -> None: ...
