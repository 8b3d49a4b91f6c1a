"""`get_upstream_logger()` (Dagster's `get_dagster_logger`): a plain `logging.Logger` whose
records also land in the running step's event log, so helper code needs no `context`."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from upstream.model.context import StepLog

__all__ = ["get_dagster_logger", "get_upstream_logger", "step_log"]

ROOT_NAME = "upstream.user"

# The log of the step running in this thread or task; set by the executor around the call.
_CURRENT: contextvars.ContextVar[StepLog | None] = contextvars.ContextVar(
    "upstream_step_log", default=None
)


@contextlib.contextmanager
def step_log(log: StepLog) -> Iterator[None]:
    """While inside, `get_upstream_logger()` records go to `log` (the step's event log)."""
    token = _CURRENT.set(log)
    try:
        yield
    finally:
        _CURRENT.reset(token)


class _StepHandler(logging.Handler):
    """Forwards a record to the current step's log, if a step is running here."""

    def emit(self, record: logging.LogRecord) -> None:
        log = _CURRENT.get()
        if log is None:
            return
        try:
            text = record.getMessage()
        except Exception:  # a bad %-format: say so rather than lose the line
            text = f"{record.msg!r} % {record.args!r}"
        if record.levelno >= logging.ERROR:
            log.error("%s", text)
        elif record.levelno >= logging.WARNING:
            log.warning("%s", text)
        elif record.levelno >= logging.INFO:
            log.info("%s", text)
        else:
            log.debug("%s", text)


def _root() -> logging.Logger:
    root = logging.getLogger(ROOT_NAME)
    if not any(isinstance(h, _StepHandler) for h in root.handlers):
        root.addHandler(_StepHandler())
        root.setLevel(logging.DEBUG)  # as Dagster's builtin logger: the step log keeps DEBUG
    return root


def get_upstream_logger(name: str | None = None) -> logging.Logger:
    """A logger (`upstream.user`, or `upstream.user.<name>`): inside a step its records are
    also the step's log lines (as `context.log`'s); elsewhere it is an ordinary logger whose
    records propagate to the root logger's handlers."""
    root = _root()
    return root.getChild(name) if name else root


get_dagster_logger = get_upstream_logger  # Dagster's name
