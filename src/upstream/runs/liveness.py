"""Is a coordinator there to run what we submit? Read from the heartbeats coordinators write
(`RunStorage.coordinators`), so a client never waits on nobody in silence.

Before submitting, a client waits up to `patience` seconds for a coordinator to have been
alive within `patience` seconds (one starting alongside it counts), else submits nothing and
fails. Once a run is submitted, the client keeps following it whatever happens, saying when
no coordinator can run it and when one can again: a failover or restart resumes the run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence

import anyio

from upstream.definitions.errors import UpstreamError
from upstream.storage.base import RunStorage, StorageError
from upstream.storage.records import CoordinatorRecord, CoordinatorState

__all__ = ["DEFAULT_TIMEOUT", "NoCoordinator", "problem", "require_coordinator", "watching"]

DEFAULT_TIMEOUT = 10.0  # seconds; `upstream materialize --coordinator-timeout`
_CHECK_EVERY = 1.0  # seconds between reads of the heartbeats (one small query)


class NoCoordinator(UpstreamError):
    """No coordinator runs on the namespace: a run submitted now would never start."""


def problem(coordinators: Sequence[CoordinatorRecord], namespace: str) -> str | None:
    """Why no coordinator can run the namespace's runs now, in one line; None if one can."""
    if any(c.leading for c in coordinators):
        return None
    hint = f"start one with `upstream coordinator --namespace {namespace}`"
    if not coordinators:
        return f"no coordinator has ever run on namespace {namespace}; {hint}"
    alive = [c for c in coordinators if c.alive]
    cut_off = [c for c in alive if c.state is CoordinatorState.BROKER_UNREACHABLE]
    if cut_off:
        return (
            f"coordinator {cut_off[0].coordinator_id} of namespace {namespace} cannot reach the"
            " broker; check that RabbitMQ is up and the coordinator's --broker-url"
        )
    if alive:
        return (
            f"no coordinator leads namespace {namespace} yet; standby"
            f" {alive[0].coordinator_id} takes over once the active one is gone"
        )
    silent = min(c.seen_ago for c in coordinators)
    return f"no coordinator has been alive on namespace {namespace} for {silent:.0f} s; {hint}"


async def require_coordinator(storage: RunStorage, namespace: str, patience: float) -> None:
    """Return once some coordinator has been alive within `patience` seconds, waiting up to
    `patience` for one to start; else raise NoCoordinator saying why and what to start."""
    deadline = time.monotonic() + patience
    while True:
        found = await storage.coordinators()
        if any(c.alive or c.seen_ago <= patience for c in found):
            return
        if time.monotonic() >= deadline:
            why = problem(found, namespace) or f"no coordinator on namespace {namespace}"
            raise NoCoordinator(f"{why}; nothing was submitted")
        await anyio.sleep(min(_CHECK_EVERY, max(0.0, deadline - time.monotonic())))


@contextlib.asynccontextmanager
async def watching(
    storage: RunStorage, namespace: str, say: Callable[[str], None]
) -> AsyncIterator[None]:
    """While inside, `say` one line when no coordinator can run the namespace's runs, and
    one when a coordinator leads again. A store that fails a read is skipped, not fatal:
    the follower rides out database restarts on its own."""
    async with anyio.create_task_group() as group:
        group.start_soon(_watch, storage, namespace, say)
        yield
        group.cancel_scope.cancel()


async def _watch(storage: RunStorage, namespace: str, say: Callable[[str], None]) -> None:
    warned = False
    while True:
        with contextlib.suppress(StorageError):
            found = await storage.coordinators()
            why = problem(found, namespace)
            if why is not None and not warned:
                say(f"warning: {why}; the run waits for one")
            elif why is None and warned:
                leader = next(c for c in found if c.leading)
                say(f"coordinator {leader.coordinator_id} leads namespace {namespace}; going on")
            warned = why is not None
        await anyio.sleep(_CHECK_EVERY)
