"""What running one asset produces: an error as text, log lines, the outcome of a step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ErrorInfo", "LogLine", "StepResult"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """A user error, as text: type, message, formatted traceback."""

    type: str
    message: str
    traceback: str


@dataclass(frozen=True, slots=True)
class LogLine:
    """One `context.log` call: wall time, level name, message."""

    timestamp: float
    level: str
    message: str


@dataclass
class StepResult:
    """The outcome of one attempt of one asset. A user's exception is data here, not a raise."""

    success: bool
    started_at: float
    ended_at: float
    metadata: dict[str, Any] = field(default_factory=dict)
    error: ErrorInfo | None = None
    logs: list[LogLine] = field(default_factory=list)
    exception: BaseException | None = field(default=None, repr=False)  # in-process only
    # Per asset key materialized, its metadata: for a multi-asset's step, or one that may
    # leave its asset unmaterialized. None: the step's one asset, with `metadata`.
    outputs: dict[str, dict[str, Any]] | None = None
