"""Embedded mode: everything in one process — in-memory transport, SQLite state."""

from upstream.embedded.materialize import ExecuteInProcessResult, materialize
from upstream.embedded.runner import (
    DEFAULT_CONCURRENCY,
    default_io_manager,
    run_embedded,
    upstream_home,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ExecuteInProcessResult",
    "default_io_manager",
    "materialize",
    "run_embedded",
    "upstream_home",
]
