"""Structured logs: structlog events routed through stdlib logging under the `upstream` logger.

A library must not print: until an entry point calls `configure_logging`, only warnings
reach stderr (Python's default). Services call it for JSON lines, the CLI for a console view.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from opentelemetry import trace

__all__ = ["configure_logging", "get_logger"]

_ROOT = "upstream"


def add_trace_ids(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """trace_id and span_id of the current span, so a log line joins its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


_PROCESSORS: list[Any] = [
    structlog.stdlib.filter_by_level,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    add_trace_ids,
]


_RENDERERS: list[Any] = [structlog.processors.JSONRenderer()]  # chosen by configure_logging


def _render(logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
    return _RENDERERS[0](logger, method, event)


def get_logger(name: str) -> Any:
    """A structlog logger for `upstream.<name>`, filtered by stdlib logging levels."""
    logger = logging.getLogger(f"{_ROOT}.{name}")
    return structlog.wrap_logger(
        logger, processors=[*_PROCESSORS, _render], wrapper_class=structlog.stdlib.BoundLogger
    )


def configure_logging(level: str = "WARNING", stream: TextIO | None = None) -> None:
    """Send upstream's logs at `level` and above to `stream` (stderr): one JSON object a
    line, or a readable console view when the stream is a terminal."""
    stream = stream or sys.stderr
    _RENDERERS[0] = (
        structlog.dev.ConsoleRenderer(colors=False)
        if stream.isatty()
        else structlog.processors.JSONRenderer()
    )
    root = logging.getLogger(_ROOT)
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.propagate = False
