"""Spans for runs and steps, and W3C trace context carried in message headers.

Only the OpenTelemetry API is used here: with no SDK configured every call is a cheap
no-op. A run's trace id is its run id (a uuid4 is 128 bits), so a coordinator that resumes
a run after a crash continues the same trace, and a UI can link a run to its trace.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Status, StatusCode

from upstream.execution.records import ErrorInfo

__all__ = [
    "FORCED_TRACE_ID",
    "context_from_headers",
    "current_span",
    "headers_for",
    "mark_failed",
    "recording",
    "start_run_span",
    "start_step_span",
    "tracer",
]

tracer = trace.get_tracer("upstream")

# Read by the SDK's id generator (tracing.setup): the trace id a new root span must take.
FORCED_TRACE_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "upstream_forced_trace_id", default=None
)


def recording() -> bool:
    """True once a real tracer provider is installed (ours or an application's). Checked at
    each call, so an application that installs one later is traced from then on; until
    then no span object is made at all: no cost on the hot path."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def current_span(
    name: str, parent: Context | None, attributes: Mapping[str, str | int]
) -> AbstractContextManager[Span]:
    """`execute <asset>` and the like: the span, current for the block (INVALID_SPAN off)."""
    if not recording():
        return contextlib.nullcontext(INVALID_SPAN)
    return tracer.start_as_current_span(
        name, context=parent, kind=SpanKind.CONSUMER, attributes=dict(attributes)
    )


def _trace_id(run_id: str) -> int | None:
    try:
        return uuid.UUID(run_id).int or None
    except ValueError:
        return None


def start_run_span(run_id: str, attributes: Mapping[str, str | int]) -> Span:
    """The run's `run` span: a child of the caller's span if there is one (a traced
    application calling materialize), else the root of a trace whose id is the run id."""
    if not recording():
        return INVALID_SPAN
    token = FORCED_TRACE_ID.set(_trace_id(run_id))
    try:
        return tracer.start_span("run", attributes=dict(attributes))
    finally:
        FORCED_TRACE_ID.reset(token)


def start_step_span(run_span: Span, step: str, attributes: Mapping[str, str | int]) -> Span:
    """`materialize <asset>`: from publishing the task to recording its result."""
    if not run_span.is_recording():
        return INVALID_SPAN
    return tracer.start_span(
        f"materialize {step}",
        context=trace.set_span_in_context(run_span),
        kind=SpanKind.PRODUCER,
        attributes=dict(attributes),
    )


def headers_for(span: Span) -> dict[str, str]:
    """W3C trace context (`traceparent`) of `span`, for a message's headers."""
    carrier: dict[str, str] = {}
    if span.is_recording():
        inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> Context | None:
    """The remote parent a message's headers carry (None if none)."""
    return extract(dict(headers)) if "traceparent" in headers else None


def mark_failed(span: Span, error: ErrorInfo, exception: BaseException | None = None) -> None:
    """Status ERROR, and the exception as an event (the object where we have it)."""
    if not span.is_recording():
        return
    span.set_status(Status(StatusCode.ERROR, f"{error.type}: {error.message}"))
    if exception is not None:
        span.record_exception(exception)
    else:
        span.add_event(
            "exception",
            {
                "exception.type": error.type,
                "exception.message": error.message,
                "exception.stacktrace": error.traceback,
            },
        )
