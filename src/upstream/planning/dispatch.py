"""Dispatch policy: how a run's ready steps travel as task messages. Pure.

Learns what steps cost from their results, then cuts each ready set into messages: sized
by that cost, shared among workers only when each gets enough work, and carrying the quick
steps that can run right after their own. The coordinator turns each decision into task
messages and spans; nothing here knows the wire or the store.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from upstream.planning.ready import ReadySet

__all__ = ["Costs", "Ran", "Task", "cut_messages", "split_tasks"]

T = TypeVar("T")

Task = tuple[str, tuple[str, ...]]  # a step, and the earlier steps of its message it waits for

# A ready set is published in messages of at most _BATCH_MAX tasks: a wide ready set
# costs the broker a few hundred messages, not one per step...
_BATCH_MAX = 32
# ...and of at most about _MESSAGE_SECONDS of work, estimated from what the run's steps
# cost so far (_UNTIMED_MAX before any has reported): a worker reserves up to
# `concurrency` messages, so slow steps travel few to a message and a slower worker is
# never left holding many of them while others idle.
_MESSAGE_SECONDS = 0.25
_UNTIMED_MAX = 8
# With several workers on its queue, a set is shared among as many of them as get at least
# _SHARE_SECONDS of work each: a message costs about a millisecond of CPU across the
# broker, coordinator and worker, so a set of fast steps goes to one worker whole. On the
# layered graph (10 no-op steps a layer) that more than halved the task messages.
_SHARE_SECONDS = 0.005
# A message may also carry steps that can run right after its own (their other parents
# done), for its worker to run in order without a round trip through the coordinator for
# each generation: up to _FOLLOW_SECONDS of work and _FOLLOW_MAX tasks in all, judged by
# what each asset cost when it last ran here (an asset not yet seen is never followed nor
# followed by others). On a deep graph of quick steps that round trip (~10 ms here) costs
# more than the steps: layered N=10,000 on 2 workers went from ~800 to ~1,700 assets/s
# (~2,600 with values on tmpfs). A followed step may wait that long behind its message,
# and still runs if the run is canceled meanwhile.
_FOLLOW_SECONDS = 0.05
_FOLLOW_MAX = 128


class Ran(Protocol):
    """What a step's result says of the time it took (a protocol `ResultMessage` fits)."""

    @property
    def step_key(self) -> str: ...
    @property
    def worker_id(self) -> str: ...
    @property
    def started_at(self) -> float: ...
    @property
    def ended_at(self) -> float: ...


class Costs:
    """What one run's steps cost a worker so far, on average, and what each step cost the
    last time it ran in any run of its code location."""

    def __init__(self, last: dict[str, float] | None = None) -> None:
        """`last`: step -> its latest cost, shared by the runs of one code location (a new
        run starts out knowing it), updated in place."""
        self._last = {} if last is None else last
        self._count = 0
        self._seconds = 0.0
        self._ended: dict[str, float] = {}  # by worker, on its clock

    def learn(self, results: Sequence[Ran]) -> None:
        """Add what one results message says of this run's steps. Steps that ran side by
        side on a worker share its time: their cost is the time the worker spent on them,
        from the first start (or the end of its previous such message, if later) to the
        last end, when that is less than the sum of their durations."""
        by_worker: dict[str, list[Ran]] = {}
        for result in results:
            by_worker.setdefault(result.worker_id, []).append(result)
        for worker, mine in by_worker.items():
            start = min(r.started_at for r in mine)
            end = max(r.ended_at for r in mine)
            previous = self._ended.get(worker, start)
            busy = end - max(start, previous)
            total = sum(r.ended_at - r.started_at for r in mine)
            self._ended[worker] = max(end, previous)
            spent = max(0.0, min(busy, total))
            self._count += len(mine)
            self._seconds += spent
            for result in mine:  # a step's own time, or its share if they overlapped
                cost = min(result.ended_at - result.started_at, spent / len(mine))
                self._last[result.step_key] = cost

    @property
    def per_step(self) -> float | None:
        """What a step of this run has cost so far, on average (None: none has reported)."""
        return self._seconds / self._count if self._count else None

    def last(self, step: str) -> float | None:
        """What `step` cost when it last ran (None: never seen)."""
        return self._last.get(step)


def cut_messages(
    ready: Sequence[str],
    consumers: int,
    costs: Costs,
    tracker: ReadySet | None = None,
    accept: Callable[[str], bool] | None = None,
) -> list[list[Task]]:
    """`ready` steps of one run, bound for one queue with `consumers` consumers, cut into
    messages of (step, after) tasks: each holds a slice of `ready` (after nothing), then
    the steps `tracker` hands out to follow them (`_FOLLOW_SECONDS`), those `accept` takes
    (e.g. bound for the same queue). No `tracker` (a canceled run): nothing follows."""
    messages: list[list[Task]] = []
    for part in split_tasks(ready, _shares(costs, len(ready), consumers), _limit(costs)):
        message: list[Task] = [(step, ()) for step in part]
        if tracker is not None:
            message += _follow(part, costs, tracker, accept)
        messages.append(message)
    return messages


def _follow(
    part: Sequence[str], costs: Costs, tracker: ReadySet, accept: Callable[[str], bool] | None
) -> list[Task]:
    """The steps that may follow `part` in its message, claimed from `tracker`."""
    if len(part) >= _FOLLOW_MAX:
        return []
    left = _FOLLOW_SECONDS
    for step in part:
        cost = costs.last(step)
        if cost is None:
            return []
        left -= cost
    if left <= 0:
        return []

    def fits(step: str) -> bool:
        nonlocal left
        cost = costs.last(step)
        if cost is None or cost > left or (accept is not None and not accept(step)):
            return False
        left -= cost
        return True

    return tracker.follow(part, _FOLLOW_MAX - len(part), fits)


def _limit(costs: Costs) -> int:
    """Tasks per message: about `_MESSAGE_SECONDS` of work, between 1 and `_BATCH_MAX`."""
    if (cost := costs.per_step) is None:
        return _UNTIMED_MAX
    return max(1, min(_BATCH_MAX, int(_MESSAGE_SECONDS / cost) if cost > 0 else _BATCH_MAX))


def _shares(costs: Costs, count: int, consumers: int) -> int:
    """Among how many of the queue's `consumers` to share `count` ready steps: all of them
    until the run's cost is known, then as many as get `_SHARE_SECONDS` of work each."""
    if consumers <= 1 or (cost := costs.per_step) is None:
        return consumers
    return max(1, min(consumers, int(count * cost / _SHARE_SECONDS)))


def split_tasks(items: Sequence[T], shares: int, limit: int = _BATCH_MAX) -> list[Sequence[T]]:
    """`items` cut into messages of nearly equal size, at most `limit` in one, and at least
    `shares` messages while there are items enough (0 or 1: as few as the limit allows)."""
    if not items:
        return []
    per = min(limit, max(1, math.ceil(len(items) / max(1, shares))))
    count = math.ceil(len(items) / per)
    size, extra = divmod(len(items), count)
    parts, start = [], 0
    for number in range(count):
        end = start + size + (number < extra)
        parts.append(items[start:end])
        start = end
    return parts
