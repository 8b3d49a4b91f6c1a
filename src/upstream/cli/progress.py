"""Progress while a run goes: a bar on a terminal, one plain line per step otherwise."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Protocol, TextIO

import click

from upstream.execution.records import ErrorInfo
from upstream.storage.records import StepStatus

__all__ = ["Progress"]

_MARK = {StepStatus.SUCCESS: "ok", StepStatus.FAILURE: "FAILED", StepStatus.SKIPPED: "skipped"}


class FinishedStep(Protocol):
    """A step's outcome as recorded (StepOutcome) or as read back (StepRecord)."""

    @property
    def step_key(self) -> str: ...
    @property
    def status(self) -> StepStatus: ...
    @property
    def started_at(self) -> float | None: ...
    @property
    def ended_at(self) -> float | None: ...
    @property
    def error(self) -> ErrorInfo | None: ...
    @property
    def skip_reason(self) -> str | None: ...


def describe(outcome: FinishedStep) -> str:
    """`daily_summary  ok  0.12s`, or the error / skip reason."""
    text = f"{outcome.step_key}  {_MARK.get(outcome.status, outcome.status)}"
    if outcome.started_at is not None and outcome.ended_at is not None:
        text += f"  {outcome.ended_at - outcome.started_at:.2f}s"
    if outcome.error is not None:
        first_line = (outcome.error.message.splitlines() or [""])[0]
        text += f"  {outcome.error.type}: {first_line}"
    if outcome.skip_reason:
        text += f"  ({outcome.skip_reason})"
    return text


class Progress:
    """Observer for the coordinator: call it with each recorded outcome."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._total = total
        self._done = 0
        self._bar: Any = None
        if self._stream.isatty():
            self._bar = click.progressbar(
                length=total, label="materializing", file=self._stream, show_pos=True
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)

    def __call__(self, outcome: FinishedStep) -> None:
        self._done += 1
        if self._bar is not None:
            self._bar.update(1)
            if outcome.status is not StepStatus.SUCCESS:
                click.echo("\n" + describe(outcome), file=self._stream)
            return
        click.echo(f"[{self._done}/{self._total}] {describe(outcome)}", file=self._stream)
