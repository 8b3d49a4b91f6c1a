"""Transport: the port and its adapters (in-memory here; RabbitMQ beside it)."""

from upstream.transport.base import Delivery, Transport, TransportError
from upstream.transport.memory import DeadLetter, MemoryTransport

__all__ = ["DeadLetter", "Delivery", "MemoryTransport", "Transport", "TransportError"]
