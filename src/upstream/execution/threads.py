"""Threads for synchronous user code: a pool a worker keeps for as long as it serves.

A sync asset must never block the event loop, so it runs in a thread. `anyio.to_thread`
does that with generic machinery (a limiter, cancel scopes, checkpoints, a thread cache):
for no-op assets in the embedded executor its hop was about a third of the time per step,
and `loop.run_in_executor` (two futures per call) still half of that. A step needs less:
a fixed set of threads fed by one queue, results handed back in batches (one wake-up of
the loop for every call that finished since the last), the caller's context variables
(so the step's span and logging context reach user code), and anyio's default
cancellation rule: a running call is waited for, never abandoned.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

__all__ = ["StepThreads"]

T = TypeVar("T")

# One call for a thread: where to report, the caller's context, the function.
_Call = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", contextvars.Context, Callable[[], Any]
]
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]  # future, value, error
_names = itertools.count(1)


class StepThreads:
    """Runs sync calls in up to `size` threads, started on demand and reused until
    `close()` (a worker closes its pool when `serve` returns)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a thread pool needs at least 1 thread, got {size}")
        self._size = size
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._outbox: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}  # not yet delivered
        self._pending = 0  # calls queued or running: a thread is started while it exceeds them

    async def run(self, fn: Callable[[], T]) -> T:
        """`fn()` in a pooled thread, in a copy of the caller's context. Cancellation waits
        for the call to return (a thread cannot be interrupted), as `anyio.to_thread` does."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending += 1
        if self._pending > len(self._threads) and len(self._threads) < self._size:
            thread = threading.Thread(
                target=self._serve, name=f"upstream-step-{next(_names)}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self._calls.put((loop, future, contextvars.copy_context(), fn))
        try:
            with anyio.CancelScope(shield=True):
                value = await future
        finally:
            self._pending -= 1
        return value

    def close(self) -> None:
        """Let the threads exit once the calls queued so far are done. Never blocks; a later
        `run` starts threads again."""
        for _ in self._threads:
            self._calls.put(None)
        self._threads = []

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
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
