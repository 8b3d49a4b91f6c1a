"""Transport: a port per role and its adapters (in-memory here; RabbitMQ beside it)."""

from upstream.transport.base import CoordinatorTransport, Delivery, TransportError, WorkerTransport
from upstream.transport.memory import DeadLetter, MemoryTransport

__all__ = [
    "CoordinatorTransport",
    "DeadLetter",
    "Delivery",
    "MemoryTransport",
    "TransportError",
    "WorkerTransport",
]
