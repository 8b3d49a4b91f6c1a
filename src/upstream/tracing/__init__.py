"""Observability: structured logs (and, with the distributed issue, OpenTelemetry traces)."""

from upstream.tracing.logs import configure_logging, get_logger

__all__ = ["configure_logging", "get_logger"]
