"""What storage holds: runs, steps, events and materializations, as plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from upstream.protocol import ErrorInfo, LogLine

__all__ = [
    "ALIVE_WITHIN",
    "HEARTBEAT_EVERY",
    "AssetState",
    "CodeLocationRecord",
    "CoordinatorRecord",
    "CoordinatorState",
    "EventRecord",
    "Materialization",
    "Observation",
    "PartitionStatus",
    "RunRecord",
    "RunStatus",
    "StepOutcome",
    "StepRecord",
    "StepStatus",
]


class RunStatus(StrEnum):
    QUEUED = "QUEUED"  # submitted to a cluster; no coordinator has planned it yet
    STARTED = "STARTED"
    # Asked to stop (`request_cancel`): no new steps launch; it ends CANCELED once the steps
    # in flight have reported. Not final: a coordinator taking over must finish it.
    CANCELING = "CANCELING"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELED = "CANCELED"  # stopped before the end (interrupted, or canceled on request)

    @property
    def ended(self) -> bool:
        """SUCCESS, FAILURE or CANCELED: final, nothing more will happen to the run."""
        return self in _ENDED


_ENDED = frozenset({RunStatus.SUCCESS, RunStatus.FAILURE, RunStatus.CANCELED})


class StepStatus(StrEnum):
    QUEUED = "QUEUED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"


FINAL_STEP_STATUSES = frozenset({StepStatus.SUCCESS, StepStatus.FAILURE, StepStatus.SKIPPED})


@dataclass(frozen=True)
class RunRecord:
    """One run: what was selected, against which definitions, and how it ended."""

    run_id: str
    status: RunStatus
    selection: str
    steps: tuple[str, ...]
    code_location: str
    definitions_hash: str
    created_at: float
    ended_at: float | None = None
    # The run config, normalised (`upstream.model.config`): {"ops": ..., "resources": ...}.
    run_config: dict[str, Any] = field(default_factory=dict)
    # Run tags, as Dagster's: string keys to string values.
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        return None if self.ended_at is None else self.ended_at - self.created_at


@dataclass(frozen=True)
class StepRecord:
    """One attempt of one step, as stored."""

    run_id: str
    step_key: str
    attempt: int
    status: StepStatus
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    worker_id: str | None = None
    error: ErrorInfo | None = None
    skip_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AssetState:
    """Where an asset stands now: the newest attempt of its step, whichever run queued it,
    and that run's status (a QUEUED step of a CANCELING run will never run, for instance).

    This is what a live graph colours a node by; the catalog (`Materialization`) only knows
    the last success.
    """

    step: StepRecord
    run_status: RunStatus


@dataclass(frozen=True)
class StepOutcome:
    """A final outcome to record: success, failure (with error) or skipped (with reason).

    Recording is idempotent on (run_id, step_key, attempt): the first outcome wins.
    """

    run_id: str
    step_key: str
    attempt: int
    status: StepStatus
    started_at: float | None = None
    ended_at: float | None = None
    worker_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    skip_reason: str | None = None
    logs: tuple[LogLine, ...] = ()
    # A success that made other assets than its step key's one: asset key -> metadata, one
    # materialization each (a multi-asset's step; {} when it made none). None: the step
    # key is the asset, materialized with `metadata`.
    outputs: dict[str, dict[str, Any]] | None = None
    # The partition keys the step covered (its run's partition or range, expanded); empty:
    # the step's assets are not partitioned. The catalog keeps a row per (asset, key).
    partitions: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventRecord:
    """One entry of the append-only event log. `id` orders events; `data` is JSON-safe."""

    id: int
    run_id: str
    step_key: str | None
    timestamp: float
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Materialization:
    """One successful materialization of an asset: the catalog's unit."""

    asset_key: str
    run_id: str
    timestamp: float
    duration: float | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class PartitionStatus:
    """Where an asset's partitions stand, by the catalog's per-partition rows: the keys whose
    last attempt succeeded and those whose last attempt failed (Dagster counts a partition
    materialized once, then failed, as failed). Missing keys are the definition's others:
    the caller, which has the definition, computes them. Keys come in byte order."""

    asset_key: str
    materialized: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass(frozen=True)
class Observation:
    """One observation of an asset (an external one, usually): its data version then and
    metadata. `observation_id` makes a repeated write a no-op."""

    asset_key: str
    observation_id: str
    timestamp: float
    data_version: str | None
    metadata: dict[str, Any]


@dataclass(frozen=True)
class CodeLocationRecord:
    """What a worker registers: its code location's name and the graph it serves.

    The coordinator plans from `snapshot` (an `AssetGraph.to_snapshot()`), never from code.
    """

    name: str
    definitions_hash: str
    snapshot: dict[str, Any]
    updated_at: float


HEARTBEAT_EVERY = 2.0  # seconds between a coordinator's heartbeats
ALIVE_WITHIN = 10.0  # a heartbeat older than this: the coordinator died, hung or lost the store


class CoordinatorState(StrEnum):
    """What a coordinator said of itself in its last heartbeat."""

    ACTIVE = "ACTIVE"  # leads: plans runs, and reaches the broker
    STANDBY = "STANDBY"  # waits for leadership; takes over when the active one lets go
    BROKER_UNREACHABLE = "BROKER_UNREACHABLE"  # cannot run steps until the broker is back
    STOPPED = "STOPPED"  # shut down cleanly (its last heartbeat says when)


@dataclass(frozen=True)
class CoordinatorRecord:
    """A coordinator's heartbeat row. `seen_ago` is seconds since that heartbeat by the
    store's clock, so skew between hosts never makes a live coordinator look dead."""

    coordinator_id: str
    state: CoordinatorState
    started_at: float
    seen_at: float
    seen_ago: float

    @property
    def alive(self) -> bool:
        """Running, and heard from within `ALIVE_WITHIN` seconds."""
        return self.state is not CoordinatorState.STOPPED and self.seen_ago <= ALIVE_WITHIN

    @property
    def leading(self) -> bool:
        """Alive, leading and reaching the broker: runs submitted now will run."""
        return self.alive and self.state is CoordinatorState.ACTIVE
