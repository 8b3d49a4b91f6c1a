"""The worker's per-run resources: set up at a run's first step that needs them, torn down
once no step of the run has run here for `idle_timeout` seconds, and when the worker stops.

A worker never learns that a run has ended (the coordinator tells no one), so idleness is
the signal; a run whose steps come back after that is set up again.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from upstream.execution.resources import RunResources
from upstream.tracing import get_logger

__all__ = ["DEFAULT_IDLE_TIMEOUT", "ReleaseSink", "RunResourceCache"]

log = get_logger("worker")

DEFAULT_IDLE_TIMEOUT = 60.0  # seconds without a step of the run before its teardown

ReleaseSink = Callable[[str, Mapping[str, Any]], None]  # run id, the values torn down


@dataclass(eq=False)
class _Run:
    resources: RunResources
    lock: anyio.Lock = field(default_factory=anyio.Lock)
    active: int = 0  # steps of the run using the resources now
    last_used: float = field(default_factory=time.monotonic)


class RunResourceCache:
    """Set-up resources by run id. Setup and teardown (user code) run in threads."""

    def __init__(
        self,
        resources: Mapping[str, Any],
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        on_release: ReleaseSink | None = None,
    ) -> None:
        self._resources = resources
        self._idle_timeout = idle_timeout
        self._on_release = on_release
        self._runs: dict[str, _Run] = {}

    @asynccontextmanager
    async def step(
        self, run_id: str, keys: Sequence[str], resources_config: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """The set-up values of `keys` for a step of `run_id`; the run is not torn down
        while a step holds them. Setup errors (a missing variable, bad config) raise here."""
        run = self._runs.get(run_id)
        if run is None:
            fresh = RunResources(self._resources, resources_config, run_id=run_id)
            run = self._runs[run_id] = _Run(fresh)
        run.active += 1
        try:
            ready = run.resources.ready(keys)
            if ready is not None:  # the usual case: no lock, no thread
                yield ready
            else:
                async with run.lock:
                    values = await anyio.to_thread.run_sync(run.resources.setup, keys)
                yield values
        finally:
            run.active -= 1
            run.last_used = time.monotonic()

    async def release(self, run_id: str) -> None:
        """Tear down `run_id`'s resources now (last set up first); errors are logged."""
        run = self._runs.pop(run_id, None)
        if run is None:
            return
        async with run.lock:
            try:
                await anyio.to_thread.run_sync(run.resources.close)
            except Exception as exc:
                log.warning("resources.teardown_failed", run_id=run_id, error=repr(exc))
        if self._on_release is not None:
            self._on_release(run_id, run.resources.instances)

    async def release_idle(self) -> None:
        """Tear down every run idle for `idle_timeout` seconds."""
        due = time.monotonic() - self._idle_timeout
        for run_id, run in list(self._runs.items()):
            if run.active == 0 and run.last_used <= due:
                await self.release(run_id)

    async def reap(self) -> None:
        """Forever: tear down idle runs, checking a few times per `idle_timeout`."""
        while True:
            await anyio.sleep(max(self._idle_timeout / 4, 0.01))
            await self.release_idle()

    async def aclose(self) -> None:
        """Tear down every run's resources (the worker is stopping)."""
        for run_id in list(self._runs):
            await self.release(run_id)

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._runs
