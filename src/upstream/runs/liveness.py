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

from upstream.model.errors import UpstreamError
from upstream.storage.base import RunStorage, StorageError
from upstream.storage.records import HEARTBEAT_EVERY, CoordinatorRecord, CoordinatorState

__all__ = ["DEFAULT_TIMEOUT", "NoCoordinator", "problem", "require_coordinator", "watching"]

DEFAULT_TIMEOUT = 10.0  # seconds; `upstream materialize --coordinator-timeout`
_CHECK_EVERY = 1.0  # seconds between reads of the heartbeats (one small query)
# A problem is said once it has lasted this long (seconds): a coordinator starting says
# STANDBY for a moment before ACTIVE, and a failover takes about as long.
_QUIET_FOR = 2 * HEARTBEAT_EVERY


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
            f"no coordinator leads namespace {namespace}; {alive[0].coordinator_id} stands by,"
            " waiting for leadership"
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
    storage: RunStorage, namespace: str, say: Callable[[str], None], quiet_for: float = _QUIET_FOR
) -> AsyncIterator[None]:
    """While inside, `say` one line once no coordinator has been able to run the namespace's
    runs for `quiet_for` seconds, and one when a coordinator leads again. A store that fails
    a read is skipped, not fatal: the follower rides out database restarts on its own."""
    async with anyio.create_task_group() as group:
        group.start_soon(_watch, storage, namespace, say, quiet_for)
        yield
        group.cancel_scope.cancel()


async def _watch(
    storage: RunStorage, namespace: str, say: Callable[[str], None], quiet_for: float
) -> None:
    warned, since = False, None  # `since`: when the current problem began (monotonic)
    while True:
        with contextlib.suppress(StorageError):
            found = await storage.coordinators()
            why = problem(found, namespace)
            if why is None:
                if warned:
                    leader = next(c for c in found if c.leading)
                    say(
                        f"coordinator {leader.coordinator_id} leads namespace {namespace}; going on"
                    )
                warned, since = False, None
            else:
                since = time.monotonic() if since is None else since
                if not warned and time.monotonic() - since >= quiet_for:
                    say(f"warning: {why}; the run waits for one")
                    warned = True
        await anyio.sleep(_CHECK_EVERY)
