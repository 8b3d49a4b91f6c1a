"""Items waiting to be published, taken in batches by one publisher (group commit).

A producer puts without waiting. The publisher takes everything that piled up while its
previous publish awaited the broker's confirm, so the busier a service is, the fewer and
larger its messages; an idle one publishes each item at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

import anyio

__all__ = ["Outbox"]

T = TypeVar("T")


class Outbox(Generic[T]):
    """Put items; `batches()` yields them in order, at most `limit` at a time, until
    `close()` and everything put before it has been taken."""

    def __init__(
        self, limit: int, *, linger: float = 0.0, more_coming: Callable[[], bool] | None = None
    ) -> None:
        """`linger`: how long a batch short of `limit` may wait for more items, and only
        while `more_coming()` says more are on their way (a worker with steps running;
        by default, always)."""
        if limit < 1:
            raise ValueError(f"an outbox batch needs room for at least 1 item, got {limit}")
        self._limit = limit
        self._linger = linger
        self._more_coming = more_coming or (lambda: True)
        self._items: list[T] = []
        self._wake = anyio.Event()
        self._closed = False

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake.set()

    def extend(self, items: list[T]) -> None:
        if items:
            self._items.extend(items)
            self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def batches(self) -> AsyncIterator[list[T]]:
        while self._items or not self._closed:
            if not self._items:
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            if self._linger:
                await self._fill()
            batch = self._items[: self._limit]
            del self._items[: self._limit]
            yield batch

    async def _fill(self) -> None:
        with anyio.move_on_after(self._linger):
            while len(self._items) < self._limit and not self._closed and self._more_coming():
                self._wake = anyio.Event()
                await self._wake.wait()
