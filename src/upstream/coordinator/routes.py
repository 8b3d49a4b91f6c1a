"""Which task routes no worker serves. Tasks go to the queue of their run's code location,
definitions hash and task queue (`task_route`); a route that has had steps waiting and no
consumer for `grace` seconds fails those steps, with a reason naming the code to start."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from upstream.model.errors import ConfigurationError
from upstream.transport.base import task_route

__all__ = ["WORKER_GRACE", "Route", "Unserved"]

# Seconds a route may have steps waiting and no worker before they fail: long enough for
# workers to restart (a crash, a deploy's replacement pods), short enough that a run for
# code nobody serves any more ends within a minute.
WORKER_GRACE = 60.0


class Route(NamedTuple):
    """Which workers may take a step: those serving this code, on this task queue."""

    code_location: str
    definitions_hash: str
    queue: str | None = None

    @property
    def name(self) -> str:
        return task_route(self.code_location, self.definitions_hash, self.queue)

    def unserved(self, seconds: float) -> str:
        """Why its steps failed, and what to start."""
        queue = f" on task queue {self.queue!r}" if self.queue else ""
        flag = f" --queue {self.queue}" if self.queue else ""
        return (
            f"no worker serves code location {self.code_location!r} with definitions hash "
            f"{self.definitions_hash[:12]}{queue} (none for {seconds:.0f} s); start one on "
            f"that code with `upstream worker -m <module>{flag}` (or -f <file>)"
        )


class Unserved:
    """Since when each route in use has had no consumer. Pure: fed counts, no I/O."""

    def __init__(self, grace: float) -> None:
        if grace <= 0:
            raise ConfigurationError(f"the worker grace period must be positive, got {grace}")
        self.grace = grace
        self._since: dict[Route, float] = {}  # routes seen with no consumer -> first seen

    def expired(self, route: Route, consumers: int, now: float) -> bool:
        """Note `route`'s consumer count at `now`; True once it has had none for `grace`."""
        if consumers:
            self._since.pop(route, None)
            return False
        since = self._since.setdefault(route, now)
        return now - since >= self.grace

    def keep(self, routes: Iterable[Route]) -> None:
        """Forget every route not in `routes` (no step waits on it): the map stays small."""
        used = set(routes)
        for route in [r for r in self._since if r not in used]:
            del self._since[route]
