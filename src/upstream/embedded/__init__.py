"""Embedded mode: everything in one process — in-memory transport, SQLite state."""

from upstream.embedded.materialize import ExecuteInProcessResult, materialize
from upstream.embedded.runner import DEFAULT_CONCURRENCY, run_embedded, upstream_home

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ExecuteInProcessResult",
    "materialize",
    "run_embedded",
    "upstream_home",
]
