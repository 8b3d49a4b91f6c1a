"""Which tasks of a redelivered message are already recorded, so a worker does not run them
again: the worker that took the message before sent their results, then died unacked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from upstream.protocol import TaskMessage
from upstream.storage.base import RunStorage, StorageError
from upstream.storage.records import FINAL_STEP_STATUSES, StepStatus
from upstream.tracing import get_logger

__all__ = ["Recorded", "recorded_in", "still_to_run"]

log = get_logger("worker")

Recorded = Callable[[str], Awaitable[dict[tuple[str, int], bool]]]
"""A run id -> its (step key, attempt)s with a final outcome recorded: True if a success."""


def recorded_in(storage: RunStorage) -> Recorded:
    """`Recorded` read from the state store (one query a run); a store that cannot answer
    says nothing is recorded, so the tasks run again as they would without it."""

    async def recorded(run_id: str) -> dict[tuple[str, int], bool]:
        try:
            steps = await storage.get_steps(run_id)
        except StorageError as exc:
            log.warning("task.recorded_unknown", run_id=run_id, reason=str(exc))
            return {}
        return {
            (step.step_key, step.attempt): step.status is StepStatus.SUCCESS
            for step in steps
            if step.status in FINAL_STEP_STATUSES
        }

    return recorded


async def still_to_run(tasks: Sequence[TaskMessage], recorded: Recorded) -> list[TaskMessage]:
    """The tasks whose attempt has no outcome recorded, in order. One after a recorded
    success no longer waits for it; one after a recorded failure or skip is dropped (no
    result: the coordinator skips it), as is any task after a dropped one."""
    outcomes = {run_id: await recorded(run_id) for run_id in dict.fromkeys(t.run_id for t in tasks)}
    succeeded: set[tuple[str, str]] = set()
    blocked: set[tuple[str, str]] = set()
    left: list[TaskMessage] = []
    for task in tasks:  # in order: a task comes after those it waits for
        key = (task.run_id, task.step_key)
        outcome = outcomes[task.run_id].get((task.step_key, task.attempt))
        if outcome is not None:
            (succeeded if outcome else blocked).add(key)
        elif any((task.run_id, step) in blocked for step in task.after):
            blocked.add(key)
        else:
            after = tuple(step for step in task.after if (task.run_id, step) not in succeeded)
            left.append(task if after == task.after else replace(task, after=after))
    return left
