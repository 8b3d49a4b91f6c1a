"""Observability: structured logs that join their traces, and OpenTelemetry spans."""

from upstream.tracing.logs import configure_logging, get_logger, quiet_libraries
from upstream.tracing.setup import configure_tracing, traced, tracing_enabled

__all__ = [
    "configure_logging",
    "configure_tracing",
    "get_logger",
    "quiet_libraries",
    "traced",
    "tracing_enabled",
]
