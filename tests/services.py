"""What the coordinator and worker suites share: small definitions, tasks and workers for
them, and running services' loops for the length of a block."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import anyio
from tests.recording import Recording

from upstream import AssetIn, Definitions, InMemoryIOManager, asset
from upstream.protocol import TaskMessage
from upstream.worker import Worker, WorkerSettings
from upstream.worker.dynamic_keys import DynamicKeys


@asset
def a() -> int:
    return 1


@asset
def b(a: int) -> int:
    return a + 1


DEFS = Definitions([a, b])
LOCATION = "tests"
WHERE = {"code_location": LOCATION, "definitions_hash": DEFS.hash}


class Service(Protocol):
    async def serve(self) -> None: ...


@asynccontextmanager
async def serving(*services: Service) -> AsyncIterator[None]:
    """Run the services' loops while the block runs; stop them after it."""
    async with anyio.create_task_group() as group:
        for service in services:
            group.start_soon(service.serve)
        yield
        group.cancel_scope.cancel()


def make_worker(
    transport: Recording,
    io: InMemoryIOManager | None = None,
    *,
    defs: Definitions = DEFS,
    concurrency: int = 2,
    dynamic_keys: DynamicKeys | None = None,
) -> Worker:
    return Worker(
        defs,
        transport,
        WorkerSettings(LOCATION, "w1", concurrency=concurrency),
        default_io_manager=io or InMemoryIOManager(),
        dynamic_keys=dynamic_keys,
    )


def make_task(**change: Any) -> TaskMessage:
    fields: dict[str, Any] = {
        "run_id": "r1",
        "step_key": "a",
        "attempt": 1,
        "code_location": LOCATION,
        "definitions_hash": DEFS.hash,
    }
    return TaskMessage(**{**fields, **change})


def chain(length: int, failing: set[int] | None = None) -> Definitions:
    """root -> s1 -> s2 -> ... -> s{length}, plus a child `side` of root; the steps
    numbered in `failing` (a set the caller may change between runs) raise."""
    failing = set() if failing is None else failing

    def step(n: int) -> Any:
        def body(up: int) -> int:
            if n in failing:
                raise ValueError(f"s{n} fails")
            return up + 1

        parent = "root" if n == 1 else f"s{n - 1}"
        return asset(name=f"s{n}", ins={"up": AssetIn(key=parent)})(body)

    @asset
    def root() -> int:
        return 0

    @asset
    def side(root: int) -> int:
        return root

    return Definitions([root, side, *(step(n) for n in range(1, length + 1))])
