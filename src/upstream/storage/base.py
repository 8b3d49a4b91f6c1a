"""The storage port: one async interface, two adapters (SQLite embedded, PostgreSQL later).

Adapters raise `StorageError` for failures of the store itself, never a driver's exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from upstream.definitions.errors import UpstreamError
from upstream.storage.records import (
    AssetState,
    CodeLocationRecord,
    EventRecord,
    Materialization,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
)

__all__ = ["EventType", "RunStorage", "StorageError", "pending_versions"]


class StorageError(UpstreamError):
    """The state store failed or holds something this build cannot read."""


class EventType:
    """The `type` strings of the event log."""

    RUN_QUEUED = "RUN_QUEUED"
    RUN_STARTED = "RUN_STARTED"
    RUN_CANCELING = "RUN_CANCELING"
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
        """Insert a run, STARTED (planned, appends RUN_STARTED) or QUEUED (submitted to a
        cluster, steps not yet planned; appends RUN_QUEUED). A repeat is ignored."""
        ...

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        """QUEUED -> STARTED with its planned steps, appending RUN_STARTED. False (and no
        write) unless the run was QUEUED: this conditional update is the claim."""
        ...

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        """Set the final status once (from QUEUED, STARTED or CANCELING) and append
        RUN_SUCCESS / RUN_FAILURE / RUN_CANCELED, with `message` (why) in its data when given."""
        ...

    async def request_cancel(self, run_id: str, at: float) -> RunStatus | None:
        """Ask a run to stop; return its status after the call, None if there is no such run.

        A QUEUED run has nothing in flight, so it becomes CANCELED at once (`ended_at` = `at`,
        a RUN_CANCELED event with {"message": "canceled before it started"}); no coordinator
        can start it afterwards. A STARTED run becomes CANCELING (a RUN_CANCELING event): its
        coordinator launches nothing more and ends it with `finish_run(CANCELED)` once the
        steps in flight have reported. A run already CANCELING or final is left unchanged.
        One transaction and a conditional update: of two concurrent callers only one acts.
        """
        ...

    async def record_queued(
        self, run_id: str, steps: Sequence[tuple[str, int]], queued_at: float
    ) -> None:
        """Insert (step_key, attempt) rows as QUEUED, in one transaction; repeats are ignored."""
        ...

    async def record_outcomes(
        self,
        outcomes: Sequence[StepOutcome],
        queued: Sequence[tuple[str, str, int]] = (),
        queued_at: float = 0.0,
    ) -> list[bool]:
        """Record final outcomes in one transaction; True where newly recorded.

        `queued` (run_id, step_key, attempt) are the steps those outcomes made ready: they
        are inserted QUEUED (at `queued_at`) in the same transaction, as `record_queued`
        would, saving the coordinator a second round trip per burst.

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

    async def asset_states(self, asset_keys: Sequence[str] | None = None) -> dict[str, AssetState]:
        """The newest step attempt of each asset (of `asset_keys`, or of every asset ever
        queued) across all runs, newest by insertion (queue) order, with its run's status:
        what the web UI's live graph shows. Step keys are asset key strings.

        An index on (step_key, seq) makes this one pass over it, not a scan and sort of every
        step ever run: thousands of assets with long histories answer in milliseconds.
        """
        ...

    async def unfinished_runs(self) -> list[RunRecord]:
        """STARTED and CANCELING runs, oldest first: what a new active coordinator must
        resume (a CANCELING one only to wait for its steps in flight and end it CANCELED)."""
        ...

    async def queued_runs(self, limit: int = 100) -> list[RunRecord]:
        """QUEUED runs, oldest first: what the active coordinator should plan and start."""
        ...

    async def wait_for_queued_runs(self) -> None:
        """Return when a run may have been queued (a notification, or a short poll interval
        where the store has none). Callers bound the wait with a cancel scope."""
        ...

    async def register_code_location(self, location: CodeLocationRecord) -> None:
        """Make `location` the current version of its name; its snapshot is kept under its
        hash for good, so runs planned against an older version can still be resumed."""
        ...

    async def get_code_location(self, name: str) -> CodeLocationRecord | None: ...

    async def list_code_locations(self) -> list[CodeLocationRecord]: ...

    async def get_snapshot(self, definitions_hash: str) -> dict[str, Any] | None:
        """The asset graph snapshot registered under that hash, if any ever was."""
        ...

    def leadership(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held by one process at a time per store and `name` (e.g. the active coordinator);
        entering waits until it is free. A holder that dies releases it."""
        ...

    async def close(self) -> None: ...


def pending_versions(current: int, latest: int, where: str) -> range:
    """The schema versions a store at `current` still lacks, up to this build's `latest`.

    A store written by a newer upstream is refused, never guessed at: `where` names it in
    the StorageError, which asks for an upgrade. Every adapter's `migrate` asks this.
    """
    if current > latest:
        raise StorageError(
            f"{where} was written by a newer upstream (schema {current} > {latest});"
            " upgrade upstream"
        )
    return range(current + 1, latest + 1)
