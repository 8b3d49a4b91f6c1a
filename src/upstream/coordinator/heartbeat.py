"""A coordinator's heartbeat: its row in the store says it is alive and whether it can run
anything, so a client tells "no coordinator" from "a slow run" (`RunStorage.heartbeat`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable

import anyio

from upstream.storage.base import RunStorage, StorageError
from upstream.storage.records import HEARTBEAT_EVERY, CoordinatorState
from upstream.tracing import get_logger

__all__ = ["Heartbeat"]

log = get_logger("coordinator")

_LAST_WORDS = 2.0  # seconds a stopping coordinator spends saying so


class Heartbeat:
    """What this coordinator says of itself: every HEARTBEAT_EVERY seconds, and at once when
    it changes. Its own store connection outlives the coordinator's terms, so a standby, or
    a coordinator backing off from a lost broker, still says so."""

    def __init__(self, coordinator_id: str) -> None:
        self.coordinator_id = coordinator_id
        self.started_at = time.time()
        self._state = CoordinatorState.STANDBY
        self._broker_up: Callable[[], bool] | None = None
        self._changed = anyio.Event()

    @property
    def state(self) -> CoordinatorState:
        if self._broker_up is not None and not self._broker_up():
            return CoordinatorState.BROKER_UNREACHABLE  # leading, while the broker is away
        return self._state

    def set(self, state: CoordinatorState, broker_up: Callable[[], bool] | None = None) -> None:
        """Say `state` from now on; while ACTIVE, `broker_up` tells whether the broker is."""
        self._state, self._broker_up = state, broker_up
        self._changed.set()

    async def run(self, open_storage: Callable[[], Awaitable[RunStorage]]) -> None:
        """Beat until cancelled, then say STOPPED. A store that fails is reopened at the
        next beat; meanwhile the row ages, which is what readers should see."""
        storage: RunStorage | None = None
        failing = False
        try:
            while True:
                try:
                    storage = storage or await open_storage()
                    await storage.heartbeat(self.coordinator_id, self.state, self.started_at)
                    failing = False
                except StorageError as exc:
                    if not failing:
                        log.warning("heartbeat.failed", reason=str(exc))
                    failing = True
                    await _closed(storage)
                    storage = None
                with anyio.move_on_after(HEARTBEAT_EVERY):
                    await self._changed.wait()
                self._changed = anyio.Event()
        finally:
            with anyio.move_on_after(_LAST_WORDS, shield=True):
                if storage is not None:
                    # If this fails the row ages instead: readers see it stop all the same.
                    with contextlib.suppress(StorageError):
                        stopped = CoordinatorState.STOPPED
                        await storage.heartbeat(self.coordinator_id, stopped, self.started_at)
                    await _closed(storage)


async def _closed(storage: RunStorage | None) -> None:
    """Close a store that failed; closing it may fail too."""
    if storage is not None:
        with contextlib.suppress(StorageError):
            await storage.close()
