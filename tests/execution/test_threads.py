"""StepThreads: sync user code off the event loop, with anyio.to_thread's guarantees."""

from __future__ import annotations

import contextvars
import threading
import time

import anyio
import pytest

from upstream.execution.threads import StepThreads

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def test_a_call_runs_in_another_thread_and_returns_its_value() -> None:
    threads = StepThreads(2)
    try:
        name = await threads.run(lambda: threading.current_thread().name)
    finally:
        threads.close()
    assert name != threading.current_thread().name
    assert name.startswith("upstream-step-")


async def test_the_callers_context_variables_reach_the_call() -> None:
    threads = StepThreads(1)
    _who.set("the step")
    try:
        assert await threads.run(_who.get) == "the step"
    finally:
        threads.close()


async def test_an_exception_is_raised_in_the_caller() -> None:
    def boom() -> None:
        raise ValueError("boom")

    threads = StepThreads(1)
    try:
        with pytest.raises(ValueError, match="boom"):
            await threads.run(boom)
    finally:
        threads.close()


async def test_up_to_size_calls_run_at_once() -> None:
    """Each call waits for all the others: it finishes only if all `size` run together."""
    size = 4
    barrier = threading.Barrier(size, timeout=5)
    threads = StepThreads(size)
    results: list[int] = []

    async def one() -> None:
        results.append(await threads.run(barrier.wait))

    try:
        async with anyio.create_task_group() as group:
            for _ in range(size):
                group.start_soon(one)
    finally:
        threads.close()
    assert sorted(results) == list(range(size))


async def test_cancellation_waits_for_the_running_call() -> None:
    """As anyio.to_thread does by default: a thread cannot be interrupted, so its caller
    waits for it (the call is never abandoned while it may still touch shared state)."""
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        finished.set()

    threads = StepThreads(1)
    try:
        with anyio.move_on_after(0.01):
            await threads.run(slow)
        assert finished.is_set()
    finally:
        threads.close()


async def test_it_serves_again_after_close() -> None:
    threads = StepThreads(1)
    assert await threads.run(lambda: 1) == 1
    threads.close()
    try:
        assert await threads.run(lambda: 2) == 2
    finally:
        threads.close()


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StepThreads(0)
