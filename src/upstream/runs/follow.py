"""Following a run from the store alone, wherever it executes: what the CLI shows for a
run it submitted to a cluster."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from upstream.model.errors import UpstreamError
from upstream.storage.base import EventType, RunStorage, StorageError
from upstream.storage.records import RunRecord, RunStatus, StepRecord, StepStatus

__all__ = ["follow_run"]

_FOLLOW_EVERY = 0.2  # seconds between polls while following a run
_FOLLOW_PATIENCE = 60.0  # seconds a follower rides out an unreachable database
_RETRY_EVERY = 0.5  # seconds between tries while it is unreachable


async def follow_run(
    storage: RunStorage, run_id: str, on_step: Callable[[StepRecord], None]
) -> tuple[RunRecord, str | None]:
    """Poll until the run ends, reporting each step as it finishes; return the final record
    and, for a run that failed before any step, the coordinator's reason."""
    reported: set[str] = set()
    failing_since: float | None = None
    while True:
        try:
            run = await storage.get_run(run_id)
            steps = await storage.get_steps(run_id)
        except StorageError:
            # The database may be restarting: keep following for a while, as services do.
            failing_since = failing_since or time.monotonic()
            if time.monotonic() - failing_since > _FOLLOW_PATIENCE:
                raise
            await anyio.sleep(_RETRY_EVERY)
            continue
        failing_since = None
        if run is None:
            raise UpstreamError(f"run {run_id} vanished from the store; was its schema dropped?")
        for step in steps:
            if step.status is not StepStatus.QUEUED and step.step_key not in reported:
                reported.add(step.step_key)
                on_step(step)
        if run.status.ended:
            break
        await anyio.sleep(_FOLLOW_EVERY)
    reason = None
    if run.status is RunStatus.FAILURE:
        for event in await storage.get_events(run_id):
            if event.type == EventType.RUN_FAILURE and "message" in event.data:
                reason = str(event.data["message"])
    return run, reason
