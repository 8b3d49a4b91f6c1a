"""Turn tracing on from the standard OTEL_* environment; off, and free, without an endpoint.

OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) switches it on; OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER are honoured as the SDK defines them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

from opentelemetry import trace

from upstream.tracing.spans import FORCED_TRACE_ID

__all__ = ["configure_tracing", "run_id_generator", "traced", "tracing_enabled"]


def run_id_generator() -> Any:
    """The SDK id generator that gives a run's root span the run id as its trace id (see
    tracing.spans); for any tracer provider, including a test's."""
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class RunIdGenerator(RandomIdGenerator):
        def generate_trace_id(self) -> int:
            return FORCED_TRACE_ID.get() or super().generate_trace_id()

    return RunIdGenerator()


_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_enabled() -> bool:
    return any(os.environ.get(name) for name in _ENDPOINTS) and (
        os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"
    )


@contextlib.contextmanager
def traced(service_name: str, **attributes: str) -> Iterator[None]:
    """Tracing on for the block (when configured), spans flushed when it ends."""
    provider = configure_tracing(service_name, **attributes)
    try:
        yield
    finally:
        if provider is not None:
            provider.shutdown()


def configure_tracing(service_name: str, **attributes: str) -> Any:
    """Install an OTLP (HTTP/protobuf) tracer provider for this process and return it (call
    `.shutdown()` on exit to flush), or None when no endpoint is configured."""
    if not tracing_enabled():
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource_attributes = {
        "service.instance.id": str(uuid.uuid4()),
        "host.name": socket.gethostname(),
        **attributes,
    }
    if not os.environ.get("OTEL_SERVICE_NAME"):
        resource_attributes["service.name"] = service_name
    provider = TracerProvider(
        resource=Resource.create(resource_attributes), id_generator=run_id_generator()
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
