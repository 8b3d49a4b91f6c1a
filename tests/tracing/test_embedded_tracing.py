"""Tracing in one process: one trace per run, steps nested as in a cluster, errors marked,
a caller's span joined, and log lines that carry the trace id."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from upstream import AssetExecutionContext, Definitions, asset, materialize
from upstream.tracing import configure_logging, quiet_libraries
from upstream.tracing.setup import run_id_generator

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once: OpenTelemetry allows no second one)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider(id_generator=run_id_generator())
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


@asset
def source(context: AssetExecutionContext) -> int:
    context.log.info("reading the source")
    return 1


@asset
def broken(source: int) -> int:
    raise ValueError(f"bad value {source}")


@asset
def healthy(source: int) -> int:
    return source + 1


DEFS = Definitions([source, broken, healthy])


def _by_name(finished: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in finished}


def test_a_run_is_one_trace_whose_id_is_the_run_id(spans: InMemorySpanExporter) -> None:
    """Every span of the run shares the trace id, which is the run id; execute spans are
    children of their materialize spans; inputs, compute and output are timed."""
    result = materialize(DEFS, raise_on_error=False)
    finished = spans.get_finished_spans()
    trace_ids = {span.context.trace_id for span in finished}
    assert trace_ids == {uuid.UUID(result.run_id).int}
    named = _by_name(finished)
    run = named["run"]
    assert run.parent is None
    for step in ("source", "broken", "healthy"):
        published, executed = named[f"materialize {step}"], named[f"execute {step}"]
        assert published.parent is not None and published.parent.span_id == run.context.span_id
        assert executed.parent is not None
        assert executed.parent.span_id == published.context.span_id
        assert executed.attributes is not None
        assert executed.attributes["upstream.asset_key"] == step
    children = {
        s.name
        for s in finished
        if s.parent and s.parent.span_id == named["execute healthy"].context.span_id
    }
    assert {"load inputs", "compute", "store output"} <= children


def test_a_failed_step_is_an_error_span_with_its_exception(spans: InMemorySpanExporter) -> None:
    """The failed asset's spans (and the run's) have status ERROR; the exception is there."""
    materialize(DEFS, raise_on_error=False)
    named = _by_name(spans.get_finished_spans())
    for name in ("execute broken", "materialize broken", "run"):
        assert named[name].status.status_code is StatusCode.ERROR, name
    events = named["execute broken"].events
    assert any(
        e.name == "exception" and e.attributes and e.attributes["exception.type"] == "ValueError"
        for e in events
    )
    assert named["execute healthy"].status.status_code is StatusCode.UNSET


def test_a_run_joins_the_callers_trace(spans: InMemorySpanExporter) -> None:
    """materialize() inside a traced application: the run span is a child of the caller's."""
    tracer = trace.get_tracer("my-app")
    with tracer.start_as_current_span("nightly job") as outer:
        materialize([source, healthy])
    named = _by_name(spans.get_finished_spans())
    assert named["run"].parent is not None
    assert named["run"].parent.span_id == outer.get_span_context().span_id
    assert {s.context.trace_id for s in spans.get_finished_spans()} == {
        outer.get_span_context().trace_id
    }


def test_log_lines_of_a_step_carry_its_trace_id(spans: InMemorySpanExporter) -> None:
    """context.log lands in the service log stream, with the step's trace and span ids."""
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        result = materialize([source])
    finally:
        configure_logging("WARNING")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [user_line] = [line for line in lines if line.get("event") == "asset.log"]
    assert user_line["message"] == "reading the source"
    assert user_line["run_id"] == result.run_id
    assert user_line["trace_id"] == format(uuid.UUID(result.run_id).int, "032x")
    span_ids = {format(s.context.span_id, "016x") for s in spans.get_finished_spans()}
    assert user_line["span_id"] in span_ids


def _logged(level: str, spans: InMemorySpanExporter) -> tuple[str, list[dict[str, object]]]:
    """Run DEFS with upstream's logs at `level`; the run id and the JSON lines written."""
    stream = io.StringIO()
    configure_logging(level, stream)
    try:
        result = materialize(DEFS, raise_on_error=False)
    finally:
        configure_logging("WARNING")
    return result.run_id, [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_worker_logs_one_line_per_step_finished(spans: InMemorySpanExporter) -> None:
    """As Celery workers do: run, asset, outcome, duration, attempt, in the step's trace."""
    run_id, lines = _logged("INFO", spans)
    finished = {line["asset_key"]: line for line in lines if line["event"] == "step.finished"}
    assert sorted(finished) == ["broken", "healthy", "source"]
    assert finished["broken"]["outcome"] == "failure"
    assert finished["broken"]["error"] == "ValueError"
    execute_spans = {format(s.context.span_id, "016x"): s.name for s in spans.get_finished_spans()}
    for key, line in finished.items():
        assert line["level"] == "info"
        assert line["run_id"] == run_id
        assert line["attempt"] == 1
        assert isinstance(line["duration"], float) and line["duration"] >= 0
        assert line["trace_id"] == format(uuid.UUID(run_id).int, "032x")
        assert execute_spans[str(line["span_id"])] == f"execute {key}"
    assert finished["healthy"]["outcome"] == "success"


def test_a_log_level_above_info_quiets_the_step_lines(spans: InMemorySpanExporter) -> None:
    _, lines = _logged("WARNING", spans)
    assert not [line for line in lines if line["event"] == "step.finished"]


def test_other_libraries_records_are_json_lines_too() -> None:
    """aiormq's error with a traceback, as on a broker restart: one JSON line, traceback
    inside it, named by its logger."""
    stream = io.StringIO()
    configure_logging("INFO", stream)
    quiet_libraries(False)
    try:
        try:
            raise ConnectionError("CONNECTION_FORCED")
        except ConnectionError:
            logging.getLogger("aiormq.connection").warning("reader exited", exc_info=True)
    finally:
        configure_logging("WARNING")
    [line] = stream.getvalue().splitlines()
    event = json.loads(line)
    assert event["logger"] == "aiormq.connection"
    assert event["level"] == "warning"
    assert event["event"] == "reader exited"
    assert "ConnectionError: CONNECTION_FORCED" in event["exception"]


def test_a_command_keeps_libraries_quiet_until_it_has_started() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    quiet_libraries()
    try:
        logging.getLogger("aio_pika.robust_connection").error("connect failed")
    finally:
        quiet_libraries(False)
        configure_logging("WARNING")
    assert stream.getvalue() == ""
