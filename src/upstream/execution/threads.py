"""Threads for synchronous user code: a pool a worker keeps for as long as it serves.

A sync asset must never block the event loop, so it runs in a thread. `anyio.to_thread`
does that with generic machinery (a limiter, cancel scopes, checkpoints, a thread cache):
for no-op assets in the embedded executor its hop was about a third of the time per step,
and `loop.run_in_executor` (two futures per call) still half of that. A step needs less:
a fixed set of threads fed by one queue, results handed back in batches (one wake-up of
the loop for every call that finished since the last), the caller's context variables
(so the step's span and logging context reach user code), and anyio's default
cancellation rule: a running call is waited for, never abandoned.

Threads are woken only as calls need them. Quick calls (most steps of no-op or small
assets) run one after another on one thread: waking a thread per call made the threads
and the loop take the GIL from each other, which cost more than the calls. A call that
has waited `STALL_SECONDS` for a thread gets one of its own (as far as the pool allows),
so a slow, sleeping or blocked call (even one waiting for a call behind it) holds each of
the others up by little more than that.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from upstream.model.errors import ConfigurationError

__all__ = ["STALL_SECONDS", "StepThreads"]

T = TypeVar("T")

STALL_SECONDS = 0.002  # a call waiting this long for a thread wakes one for itself

# One call for a thread: where to report, the caller's context, the function.
_Call = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[[], Any]
]
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]  # future, value, error
_names = itertools.count(1)


@dataclass(eq=False)
class _Thread:
    """A pool thread's wake-up (released to wake it while it is parked) and stop flag."""

    wake: threading.Lock = field(default_factory=threading.Lock)
    stop: bool = False


class StepThreads:
    """Runs sync calls in up to `size` threads, started on demand and reused until
    `close()` (a worker closes its pool when `serve` returns)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ConfigurationError(f"a thread pool needs at least 1 thread, got {size}")
        self._size = size
        self._lock = threading.Lock()  # guards every field below
        self._calls: collections.deque[_Call] = collections.deque()
        self._threads: list[_Thread] = []  # this pool's, since the last close()
        self._parked: list[_Thread] = []  # idle, each waiting on its wake lock
        self._awake = 0  # threads running a call or about to look for one
        self._added = 0  # calls queued so far
        self._taken = 0  # calls a thread has taken so far: the rest are waiting
        self._watching = False  # a check for waiting calls is scheduled
        self._outbox: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}  # not yet delivered

    async def run(self, fn: Callable[[], T]) -> T:
        """`fn()` in a pooled thread, in a copy of the caller's context. Cancellation waits
        for the call to return (a thread cannot be interrupted), as `anyio.to_thread` does."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._calls.append((loop, future, contextvars.copy_context(), fn))
            self._added += 1
            if self._awake == 0:
                self._wake_one()
            elif not self._watching:
                self._watch_from(loop)
        with anyio.CancelScope(shield=True):
            value = await future
        return value

    def close(self) -> None:
        """Let the threads exit once the calls queued so far are done. Never blocks; a later
        `run` starts threads again."""
        with self._lock:
            for thread in self._threads:
                thread.stop = True
            for thread in self._parked:
                self._awake += 1  # it wakes, finds the stop flag and leaves
                thread.wake.release()
            self._threads = []
            self._parked = []
            self._watching = False  # a check pending on a loop that has ended never fires

    def _wake_one(self) -> None:
        """Unpark a thread, or start one if the pool is not full (the lock is held)."""
        if self._parked:
            self._parked.pop().wake.release()
        elif len(self._threads) < self._size:
            thread = _Thread()
            thread.wake.acquire()  # held while the thread runs: released only to unpark it
            self._threads.append(thread)
            threading.Thread(
                target=self._serve,
                args=(thread,),
                name=f"upstream-step-{next(_names)}",
                daemon=True,
            ).start()
        else:
            return
        self._awake += 1

    def _watch_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Look for waiting calls `STALL_SECONDS` from now (the lock is held)."""
        self._watching = True
        loop.call_later(STALL_SECONDS, self._check, loop, self._added)

    def _check(self, loop: asyncio.AbstractEventLoop, added: int) -> None:
        """On the loop: wake a thread for each call queued before the check was set (the
        first `added`) that no thread has taken yet; look again while calls wait."""
        with self._lock:
            self._watching = False
            for _ in range(added - self._taken):
                self._wake_one()
            if self._calls:
                self._watch_from(loop)

    def _serve(self, thread: _Thread) -> None:
        while True:
            with self._lock:
                if self._calls:
                    call: _Call | None = self._calls.popleft()
                    self._taken += 1
                else:
                    call = None
                    self._awake -= 1
                    if thread.stop:
                        return
                    self._parked.append(thread)
            if call is None:
                thread.wake.acquire()  # parked until _wake_one or close releases it
                continue
            loop, future, context, fn = call
            try:
                outcome: _Outcome = (future, context.run(fn), None)
            except BaseException as exc:  # handed to the awaiting task, as anyio does
                outcome = (future, None, exc)
            self._report(loop, outcome)
            del call, future, outcome  # drop references (the value) while idle

    def _report(self, loop: asyncio.AbstractEventLoop, outcome: _Outcome) -> None:
        """Hand `outcome` to its loop. Outcomes that finish while the loop has not yet
        taken the earlier ones join them: one wake-up of the loop serves them all."""
        with self._lock:
            box = self._outbox.get(loop)
            if box is not None:
                box.append(outcome)
                return
            self._outbox[loop] = [outcome]
        try:
            loop.call_soon_threadsafe(self._deliver, loop)
        except RuntimeError:  # a closed loop: nobody waits any more
            with self._lock:
                del self._outbox[loop]

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            outcomes = self._outbox.pop(loop)
        for future, value, error in outcomes:
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)
