"""Structured logs: structlog events routed through stdlib logging under the `upstream` logger.

A library must not print: until an entry point calls `configure_logging`, only warnings
reach stderr (Python's default). Services call it for JSON lines, the CLI for a console view.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

__all__ = ["configure_logging", "get_logger"]

_ROOT = "upstream"
_PROCESSORS: list[Any] = [
    structlog.stdlib.filter_by_level,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def get_logger(name: str) -> Any:
    """A structlog logger for `upstream.<name>`, filtered by stdlib logging levels."""
    logger = logging.getLogger(f"{_ROOT}.{name}")
    return structlog.wrap_logger(
        logger,
        processors=[*_PROCESSORS, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def configure_logging(level: str = "WARNING", stream: TextIO | None = None) -> None:
    """Send upstream's logs at `level` and above to `stream` (stderr), one JSON object a line."""
    root = logging.getLogger(_ROOT)
    root.setLevel(level.upper())
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.propagate = False
