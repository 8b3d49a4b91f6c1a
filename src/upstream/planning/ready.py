"""The ready-set tracker: which steps may start now, and which must be skipped. Pure.

Fed one event at a time ("step X succeeded/failed"); each costs O(out-edges of X), never a
rescan of the graph. A repeated event (a redelivered result) changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["ReadySet", "Skipped"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """A step that will not run, and the failed upstream that caused it."""

    step: str
    because_of: str


class ReadySet:
    """Tracks a plan's steps from "waiting" to "done", "failed" or "skipped"."""

    def __init__(self, parents: Mapping[str, Collection[str]]) -> None:
        self._parents = parents
        self._children: dict[str, list[str]] = {step: [] for step in parents}
        for step, ups in parents.items():
            for up in ups:
                self._children[up].append(step)
        self._waiting = {step: len(ups) for step, ups in parents.items()}
        self._finished: set[str] = set()  # succeeded, failed or skipped
        self._failed: set[str] = set()
        self._skipped: set[str] = set()
        self._started: set[str] = set()  # handed out: ready, or claimed by `follow`

    def initial(self) -> list[str]:
        """The steps with no parents in the plan; each is returned once over the tracker's life."""
        roots = [s for s, n in self._waiting.items() if n == 0 and s not in self._started]
        self._started.update(roots)
        return roots

    def succeeded(self, step: str) -> list[str]:
        """Record success; return the children whose last parent was `step`."""
        if not self._finish(step):
            return []
        ready = []
        for child in self._children[step]:
            self._waiting[child] -= 1
            if self._waiting[child] or child in self._finished:
                continue
            if child not in self._started:  # else `follow` handed it out already
                self._started.add(child)
                ready.append(child)
        return ready

    def succeeded_without(
        self, step: str, skip: Collection[str]
    ) -> tuple[list[str], list[Skipped]]:
        """Record success of a step that left some optional assets unmaterialized: its
        children in `skip` (those reading them) and their descendants are skipped, as
        Dagster skips what follows an output that was not yielded; the rest as `succeeded`."""
        if step not in self._waiting or step in self._finished:
            return [], []
        skipped: list[Skipped] = []
        stack = [c for c in self._children[step] if c in skip]
        while stack:
            child = stack.pop()
            if child in self._finished:
                continue
            self._finished.add(child)
            self._skipped.add(child)
            skipped.append(Skipped(child, step))
            stack.extend(self._children[child])
        return self.succeeded(step), skipped

    def follow(
        self, steps: Sequence[str], limit: int, accept: Callable[[str], bool] | None = None
    ) -> list[tuple[str, tuple[str, ...]]]:
        """Hand out, with `steps` (just handed out, in this order), up to `limit` steps that
        can run right after them: descendants whose every parent has succeeded or is among
        `steps` or the steps followed before them (breadth first, so in topological order),
        and that `accept`. Each comes with the parents it must wait for (those among the
        others). `succeeded` never returns a followed step; `failed` skips it as usual."""
        chosen = set(steps)
        left: dict[str, int] = {}  # per child: parents not yet succeeded nor chosen
        followed: list[tuple[str, tuple[str, ...]]] = []
        order = deque(steps)
        while order and len(followed) < limit:
            for child in self._children[order.popleft()]:
                if child in self._started or child in self._finished:
                    continue
                count = left[child] = left.get(child, self._waiting[child]) - 1
                if count == 0 and (accept is None or accept(child)):
                    chosen.add(child)
                    self._started.add(child)
                    followed.append((child, tuple(p for p in self._parents[child] if p in chosen)))
                    order.append(child)
                    if len(followed) == limit:
                        break
        return followed

    def failed(self, step: str) -> list[Skipped]:
        """Record failure; return every descendant not already finished, now skipped."""
        if not self._finish(step):
            return []
        self._failed.add(step)
        skipped: list[Skipped] = []
        stack = list(self._children[step])
        while stack:
            child = stack.pop()
            if child in self._finished:
                continue
            self._finished.add(child)
            self._skipped.add(child)
            skipped.append(Skipped(child, step))
            stack.extend(self._children[child])
        return skipped

    def cancel(self) -> list[str]:
        """Hand out nothing more: every step not yet started is finished as skipped and
        returned. Steps in flight still report; their successes then make nothing ready."""
        pending = [s for s in self._waiting if s not in self._started and s not in self._finished]
        self._finished.update(pending)
        self._skipped.update(pending)
        return pending

    def _finish(self, step: str) -> bool:
        if step not in self._waiting:
            raise KeyError(f"step {step!r} is not in this plan")
        if step in self._finished:
            return False
        self._finished.add(step)
        return True

    @property
    def in_flight(self) -> list[str]:
        """Steps handed out (ready) whose outcome has not arrived: after a replay of recorded
        outcomes, exactly what a restarted coordinator must publish again."""
        return [s for s in self._waiting if s in self._started and s not in self._finished]

    @property
    def complete(self) -> bool:
        """Every step has succeeded, failed or been skipped."""
        return len(self._finished) == len(self._waiting)

    @property
    def failed_steps(self) -> frozenset[str]:
        return frozenset(self._failed)

    @property
    def skipped_steps(self) -> frozenset[str]:
        return frozenset(self._skipped)

    def is_finished(self, step: str) -> bool:
        return step in self._finished
