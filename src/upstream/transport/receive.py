"""What every consumer of the transport does with what arrives: take a burst whole, and
decode each message or dead-letter it, so one bad message never stops a service."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from upstream.protocol import ProtocolError
from upstream.transport.base import Delivery

__all__ = ["decode_or_reject", "drain"]

T = TypeVar("T")


def drain(stream: MemoryObjectReceiveStream[T], batch: list[T], limit: float = math.inf) -> list[T]:
    """Add to `batch` what `stream` already holds, without waiting, up to `limit` items in
    all; return `batch`. A burst that arrived while the consumer was busy is taken whole."""
    while len(batch) < limit:
        try:
            batch.append(stream.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream):
            break
    return batch


async def decode_or_reject(
    delivery: Delivery, decode: Callable[[bytes], list[T]], log: Any, event: str
) -> list[T] | None:
    """The records `delivery` holds; None once it is dead-lettered because `decode` raised
    `ProtocolError` (logged as `event` with the reason, which the reject carries too)."""
    try:
        return decode(delivery.body)
    except ProtocolError as exc:
        reason = str(exc)
        log.warning(event, reason=reason)
        await delivery.reject(reason)
        return None
