"""Schemathesis calls every operation in /api/openapi.json with generated input, valid and
invalid, on `upstream dev` served on a loopback port: no answer is a 5xx, each has a
documented status, content type and shape, and invalid input is refused with a 4xx.
Bounded: a fixed number of derandomized examples per operation and mode, well under a
minute."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import hypothesis
import hypothesis.errors
import schemathesis
import uvicorn
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.conftest import open_dev

from upstream.web.server import bind

EXAMPLES = 12  # per operation and generation mode
FEWER = {"POST /api/reload": 3}  # each one re-imports the code location
WITHIN = 45.0  # seconds for the whole run
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what breaks the schema is refused with a 4xx
]


def fuzz(document: dict[str, Any], base_url: str) -> list[str]:
    """Run every operation's examples; return one line per operation and mode that failed."""
    deadline = time.monotonic() + WITHIN
    failures = []
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            assert time.monotonic() < deadline, f"over {WITHIN} s, at {operation.label}"

            @hypothesis.settings(
                max_examples=FEWER.get(operation.label, EXAMPLES),
                derandomize=True,
                database=None,
                deadline=None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=10)

            try:
                call()
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to make invalid: an operation without parameters or body
            except (Exception, FailureGroup) as exc:  # reported; on to the next operation
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:2_000]}")
    return failures


async def test_every_operation_answers_generated_input_as_documented(tmp_path: Path) -> None:
    async with open_dev(tmp_path) as dev:
        document = (await dev.client.get("/api/openapi.json")).json()
        sock = bind("127.0.0.1", 0)  # listening already: requests queue until served
        base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(dev.app, log_level="warning", lifespan="off"))
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: server.serve(sockets=[sock]))
            try:
                failures = await anyio.to_thread.run_sync(fuzz, document, base_url)
            finally:
                server.should_exit = True
        assert not failures, "\n\n".join(failures)
