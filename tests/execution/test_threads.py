"""StepThreads: sync user code off the event loop, with anyio.to_thread's guarantees."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable

import anyio
import pytest

from upstream.execution import threads as threads_module
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


async def _thread_names(
    size: int, calls: int, fn: Callable[[], object] = lambda: None
) -> list[str]:
    """The thread each of `calls` concurrent calls of `fn` ran on, in a pool of `size`."""
    threads = StepThreads(size)
    names: list[str] = []

    def call() -> str:
        fn()
        return threading.current_thread().name

    async def one() -> None:
        names.append(await threads.run(call))

    try:
        async with anyio.create_task_group() as group:
            for _ in range(calls):
                group.start_soon(one)
    finally:
        threads.close()
    assert len(names) == calls
    return names


async def test_up_to_size_calls_run_at_once() -> None:
    """Each call waits for all the others: it finishes only if all four run together."""
    barrier = threading.Barrier(4, timeout=5)
    assert len(set(await _thread_names(4, 4, barrier.wait))) == 4


async def test_quick_calls_run_in_turn_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waking a thread per call made threads and loop fight over the GIL: quick calls
    share one thread (none waits long enough to be given its own)."""
    monkeypatch.setattr(threads_module, "STALL_SECONDS", 60.0)
    assert len(set(await _thread_names(8, 50))) == 1


async def test_a_call_that_waited_gets_a_thread_though_others_keep_finishing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Calls of 10 ms each finish well within the 20 ms a call may wait: the ones still
    queued when it has passed get threads of their own instead of running one by one."""
    monkeypatch.setattr(threads_module, "STALL_SECONDS", 0.02)
    assert len(set(await _thread_names(8, 8, lambda: time.sleep(0.01)))) > 1


async def test_a_call_waiting_for_one_behind_it_gets_another_thread() -> None:
    """The first call blocks until the second runs: only a stall wakes a second thread."""
    second_ran = threading.Event()
    threads = StepThreads(2)
    try:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(threads.run, lambda: second_ran.wait(10))
                group.start_soon(threads.run, second_ran.set)
    finally:
        threads.close()
    assert second_ran.is_set()


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
