"""The storage port: one async interface, two adapters (SQLite embedded, PostgreSQL cluster).

The contract is stated and enforced here, once: what each call refuses (a caller's mistake
is a ValueError), which runs are resumable, and which events each write appends with what
`data`. The adapters are SQL and a driver around the pure helpers below, and raise
`StorageError` for failures of the store itself, never a driver's exception.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol, Self

from upstream.execution.records import ErrorInfo
from upstream.model.errors import UpstreamError
from upstream.model.partitions.tags import partition_from_tags
from upstream.storage.backfills import BackfillStorage
from upstream.storage.records import (
    AssetState,
    CodeLocationRecord,
    CoordinatorRecord,
    CoordinatorState,
    EventRecord,
    Materialization,
    Observation,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepOutcome,
    StepRecord,
    StepStatus,
)

__all__ = [
    "CANCELED_BEFORE_START",
    "FORGET_COORDINATORS_AFTER",
    "RESUMABLE",
    "EventType",
    "PartitionRow",
    "RunStorage",
    "StepAttempt",
    "StorageError",
    "cancel_event",
    "check_dynamic_partitions",
    "check_outcomes",
    "created_event",
    "error_dict",
    "finished_event",
    "outcome_rows",
    "outcome_time",
    "partition_rows",
    "pending_versions",
    "prefix_bounds",
]


class StorageError(UpstreamError):
    """The state store failed or holds something this build cannot read."""


class EventType:
    """The `type` strings of the event log, and the `data` each carries (a JSON object).

    RUN_QUEUED and RUN_STARTED {selection} from `create_run`, RUN_STARTED {} from
    `start_run`; RUN_CANCELING {}; RUN_SUCCESS / RUN_FAILURE / RUN_CANCELED {message} when
    there is a why (a QUEUED run canceled says it never started), else {}; STEP_SUCCESS
    {attempt, duration, metadata}; STEP_FAILURE {attempt, error: {type, message, traceback}
    or null}; STEP_SKIPPED {attempt, reason}; ASSET_MATERIALIZATION {asset_key, metadata}, plus
    {partition} for a step of one partition or {partition_range: {start, end, count}} for a
    range (one event per asset per step: the per-partition truth is the catalog's rows);
    LOG {level, message}. A success appends its LOG events, then ASSET_MATERIALIZATION,
    then STEP_SUCCESS, so the log reads in the order things happened. The helpers below
    build every one of them, so the log reads the same on every adapter.
    """

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


# What `unfinished_runs` returns: runs a coordinator that takes over must carry on.
RESUMABLE = (RunStatus.STARTED, RunStatus.CANCELING)
StepAttempt = tuple[str, str, int]  # (run_id, step_key, attempt): what every step write keys on
FORGET_COORDINATORS_AFTER = 86_400.0  # seconds: a heartbeat this old is deleted by the next


class RunStorage(BackfillStorage, Protocol):
    """Runs, steps, the event log and the asset catalog.

    Every write is idempotent: a redelivered result, a re-sent queue marker or a repeated
    run-finish changes nothing that was already recorded. Adapters subclass this class, so
    mypy proves they implement every call, and `async with store:` closes the store.
    """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def create_run(self, run: RunRecord) -> None:
        """Insert a run, STARTED (planned, appends RUN_STARTED) or QUEUED (submitted to a
        cluster, steps not yet planned; appends RUN_QUEUED). A repeat is ignored. Any other
        status, or an `ended_at`, is a ValueError (`created_event`)."""
        ...

    async def start_run(self, run_id: str, steps: Sequence[str]) -> bool:
        """QUEUED -> STARTED with its planned steps, appending RUN_STARTED. False (and no
        write) unless the run was QUEUED: this conditional update is the claim."""
        ...

    async def finish_run(
        self, run_id: str, status: RunStatus, ended_at: float, message: str | None = None
    ) -> None:
        """Set the final status once (from QUEUED, STARTED or CANCELING) and append
        RUN_SUCCESS / RUN_FAILURE / RUN_CANCELED, with `message` (why) in its data when given.
        A status that is not final is a ValueError (`finished_event`)."""
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
        queued: Sequence[StepAttempt] = (),
        queued_at: float = 0.0,
    ) -> list[bool]:
        """Record final outcomes in one transaction; True where newly recorded.

        `queued` (run_id, step_key, attempt) are the steps those outcomes made ready: they
        are inserted QUEUED (at `queued_at`) in the same transaction, as `record_queued`
        would, saving the coordinator a second round trip per burst.

        For each new outcome: the step row becomes final, a STEP_* event is appended, each
        log line becomes a LOG event, and a success adds an ASSET_MATERIALIZATION event and a
        catalog entry (`outcome_rows`). An outcome for a step already final returns False and
        writes nothing. A QUEUED outcome is a ValueError (`check_outcomes`), nothing written.

        An outcome with `partitions` also upserts, in the same transaction and set-based, a
        catalog row per (asset, partition key) (`partition_rows`): the last attempt's status,
        run and time, and on success a reference to the new materialization.
        """
        ...

    async def partition_status(self, asset_key: str) -> PartitionStatus:
        """The keys of `asset_key` whose last attempt succeeded, and those that failed: one
        range read of the (asset_key, partition_key) primary key, never the event log."""
        ...

    async def latest_partition_materializations(
        self, asset_key: str, keys: Sequence[str] | None = None, limit: int = 1000
    ) -> dict[str, Materialization]:
        """Each partition's newest materialization (of `keys`, or of every key), at most
        `limit`, newest first, keyed by partition key."""
        ...

    async def partition_runs_in_progress(self) -> list[RunRecord]:
        """Unfinished runs (QUEUED, STARTED, CANCELING) that target a partition or a range by
        their tags, oldest first. Which assets each covers is the caller's to decide: a
        STARTED run lists its steps; a QUEUED one only has its selection, to resolve."""
        runs = [*await self.queued_runs(limit=100_000), *await self.unfinished_runs()]
        return [run for run in runs if partition_from_tags(run.tags) is not None]

    async def add_dynamic_partitions(self, name: str, keys: Sequence[str]) -> list[str]:
        """Append `keys` to the dynamic partitions definition `name`, in order, in one
        transaction; keys already there keep their place. Returns the keys newly added.
        An empty name or key is a ValueError (`check_dynamic_partitions`)."""
        ...

    async def delete_dynamic_partition(self, name: str, key: str) -> bool:
        """Remove `key` from `name`; False if it was not there. Catalog rows stay (history)."""
        ...

    async def get_dynamic_partitions(self, name: str) -> list[str]:
        """The keys of `name` in the order they were added ([] for an unknown name)."""
        ...

    async def has_dynamic_partition(self, name: str, key: str) -> bool: ...

    async def get_run(self, run_id: str) -> RunRecord | None: ...

    async def find_run_ids(self, prefix: str) -> list[str]:
        """Run ids starting with `prefix` (so users may type the first 8 characters)."""
        ...

    async def list_runs(self, limit: int = 50, status: RunStatus | None = None) -> list[RunRecord]:
        """Newest first."""
        ...

    async def count_runs(
        self, statuses: Collection[RunStatus] | None = None
    ) -> dict[RunStatus, int]:
        """How many runs have each of `statuses` (or each status there is), 0 where none.
        Counted on the status index, never by reading the runs: the web polls it."""
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

    async def record_observations(self, observations: Sequence[Observation]) -> None:
        """Append observations (of external assets, usually) in one transaction; one whose
        `observation_id` is already stored is ignored."""
        ...

    async def latest_observations(
        self, asset_keys: Sequence[str] | None = None
    ) -> dict[str, Observation]:
        """The newest observation of each asset (of `asset_keys`, or of all)."""
        ...

    async def observations(self, asset_key: str, limit: int = 100) -> list[Observation]:
        """An asset's observations, newest first."""
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
        """RESUMABLE (STARTED and CANCELING) runs, oldest first: what a new active coordinator
        must resume (a CANCELING one only to wait for its steps in flight and end it CANCELED)."""
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

    async def heartbeat(
        self, coordinator_id: str, state: CoordinatorState, started_at: float
    ) -> None:
        """Record that this coordinator is alive in `state` now, by the store's clock: its row
        (keyed by `coordinator_id`) is inserted or overwritten. In the same transaction, rows
        not written for FORGET_COORDINATORS_AFTER are deleted, so the table stays small."""
        ...

    async def coordinators(self) -> list[CoordinatorRecord]:
        """Every coordinator's last heartbeat, most recent first, each with `seen_ago` taken
        from the store's clock in the same read. Empty if no coordinator ever ran here."""
        ...

    def leadership(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held by one process at a time per store and `name` (e.g. the active coordinator);
        entering waits until it is free. A holder that dies releases it."""
        ...

    async def close(self) -> None:
        """Close the store (after any call in flight); a second close does nothing."""
        ...


Dumps = Callable[[Any], str]  # an adapter's compact JSON encoder
EventRow = tuple[str, str, float, str, str]  # run_id, step_key, timestamp, type, data (JSON)
CatalogRow = tuple[str, str, float, float | None, str]  # asset, run, time, duration, metadata
# asset, partition key, run, status (SUCCESS / FAILURE), time: one per (asset made, key)
PartitionRow = tuple[str, str, str, str, float]

_FINISHED = {
    RunStatus.SUCCESS: EventType.RUN_SUCCESS,
    RunStatus.FAILURE: EventType.RUN_FAILURE,
    RunStatus.CANCELED: EventType.RUN_CANCELED,
}
CANCELED_BEFORE_START = "canceled before it started"


def created_event(run: RunRecord, dumps: Dumps) -> tuple[str, str]:
    """The (type, data) `create_run` appends; ValueError unless the run is new, that is
    STARTED or QUEUED with no `ended_at`."""
    if run.status not in (RunStatus.STARTED, RunStatus.QUEUED) or run.ended_at is not None:
        raise ValueError(
            f"run {run.run_id}: a run is created STARTED or QUEUED; end it with finish_run"
        )
    kind = EventType.RUN_QUEUED if run.status is RunStatus.QUEUED else EventType.RUN_STARTED
    return kind, dumps({"selection": run.selection})


def finished_event(
    run_id: str, status: RunStatus, message: str | None, dumps: Dumps
) -> tuple[str, str]:
    """The (type, data) `finish_run` appends; ValueError for a status that is not final."""
    if status not in _FINISHED:
        raise ValueError(f"run {run_id}: finish_run needs a final status, not {status}")
    return _FINISHED[status], dumps({"message": message} if message is not None else {})


def cancel_event(status: RunStatus, dumps: Dumps) -> tuple[str, str]:
    """The (type, data) a `request_cancel` appends for the status it set: RUN_CANCELED,
    saying why, for a run that never started; RUN_CANCELING for one with steps in flight."""
    if status is RunStatus.CANCELED:
        return EventType.RUN_CANCELED, dumps({"message": CANCELED_BEFORE_START})
    return EventType.RUN_CANCELING, "{}"


def check_outcomes(outcomes: Sequence[StepOutcome]) -> None:
    """ValueError for an outcome that is not final: `record_outcomes` writes none of them."""
    for outcome in outcomes:
        if outcome.status is StepStatus.QUEUED:
            raise ValueError(f"step {outcome.step_key}: an outcome must be final, not QUEUED")


def error_dict(error: ErrorInfo) -> dict[str, str]:
    return {"type": error.type, "message": error.message, "traceback": error.traceback}


def outcome_rows(
    o: StepOutcome, metadata: str, dumps: Dumps, now: float
) -> tuple[list[EventRow], list[CatalogRow]]:
    """What one newly recorded outcome appends: its LOG events, then ASSET_MATERIALIZATION
    (one per asset made: `outputs`, else the step key's asset) and STEP_SUCCESS for a
    success (or STEP_FAILURE / STEP_SKIPPED), and a catalog row per asset made. `metadata`
    is the outcome's metadata already encoded with `dumps`."""
    events: list[EventRow] = []
    when = outcome_time(o, now)
    for line in o.logs:
        data = dumps({"level": line.level, "message": line.message})
        events.append((o.run_id, o.step_key, line.timestamp, EventType.LOG, data))
    if o.status is StepStatus.SUCCESS:
        duration: float | None = None
        if o.started_at is not None and o.ended_at is not None:
            duration = o.ended_at - o.started_at
        made = (
            [(o.step_key, metadata)]
            if o.outputs is None
            else [(key, dumps(found)) for key, found in o.outputs.items()]
        )
        covered = _covered(o.partitions, dumps)
        for key, encoded in made:
            data = f'{{"asset_key":{dumps(key)},"metadata":{encoded}{covered}}}'
            events.append((o.run_id, o.step_key, when, EventType.ASSET_MATERIALIZATION, data))
        data = f'{{"attempt":{o.attempt},"duration":{dumps(duration)},"metadata":{metadata}}}'
        events.append((o.run_id, o.step_key, when, EventType.STEP_SUCCESS, data))
        return events, [(key, o.run_id, when, duration, encoded) for key, encoded in made]
    if o.status is StepStatus.FAILURE:
        info = None if o.error is None else error_dict(o.error)
        data = dumps({"attempt": o.attempt, "error": info})
        events.append((o.run_id, o.step_key, when, EventType.STEP_FAILURE, data))
    else:
        data = dumps({"attempt": o.attempt, "reason": o.skip_reason})
        events.append((o.run_id, o.step_key, when, EventType.STEP_SKIPPED, data))
    return events, []


def _covered(keys: Sequence[str], dumps: Dumps) -> str:
    """The partition fields of a materialization event (JSON members, with a leading comma)."""
    if not keys:
        return ""
    if len(keys) == 1:
        return f',"partition":{dumps(keys[0])}'
    span = {"start": keys[0], "end": keys[-1], "count": len(keys)}
    return f',"partition_range":{dumps(span)}'


def partition_rows(o: StepOutcome, when: float) -> list[PartitionRow]:
    """The per-partition catalog rows of one newly recorded outcome: one per asset it made
    (`outputs`, else its step key) x key in `partitions`, for a success or a failure (a
    multi-asset's failure names its assets in `outputs`, else the step key is used). A
    skipped step attempted nothing: no rows."""
    if not o.partitions or o.status not in (StepStatus.SUCCESS, StepStatus.FAILURE):
        return []
    assets = [o.step_key] if o.outputs is None else list(o.outputs)
    status = o.status.value
    return [(a, key, o.run_id, status, when) for a in assets for key in o.partitions]


def outcome_time(o: StepOutcome, now: float) -> float:
    """When an outcome happened: its end, else its start, else `now` (as `outcome_rows`)."""
    return next((t for t in (o.ended_at, o.started_at) if t is not None), now)


def check_dynamic_partitions(name: str, keys: Sequence[str]) -> list[str]:
    """`keys` without repeats, in order; ValueError for an empty name or key."""
    if not name:
        raise ValueError("a dynamic partitions definition needs a name, not an empty string")
    for key in keys:
        if not isinstance(key, str) or not key:
            raise ValueError(
                f"dynamic partitions {name!r}: a partition key is a non-empty string, not {key!r}"
            )
    return list(dict.fromkeys(keys))


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """`find_run_ids` as a range on the primary key, not LIKE (case-insensitive in SQLite,
    and it skips the index): run_id >= low AND run_id < high, compared byte for byte."""
    return prefix, prefix + "\U0010ffff"


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
