"""The worker's loop on each backend (memory, RabbitMQ): what it refuses, how it runs a
message's tasks, and that it acks a task message only once its results are published."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from tests.backends import Backend
from tests.services import chain, make_task, make_worker, serving

from upstream import Definitions, asset
from upstream.protocol import ResultMessage, encode_tasks


def _results(backend: Backend) -> list[ResultMessage]:
    """Every result the worker published, in order."""
    return [result for message in backend.transport.result_messages for result in message]


async def test_a_malformed_task_is_dead_lettered_and_the_worker_keeps_serving(
    backend: Backend,
) -> None:
    """Garbage goes to the dead letters with a reason; the next good task still runs."""
    transport = backend.transport
    await transport.publish_task(b"\xc1not msgpack", headers={})
    await transport.publish_task(encode_tasks([make_task()]), headers={})
    async with serving(make_worker(transport)):
        await transport.until(lambda: transport.settled("task") == 2)
    [result] = _results(backend)
    assert result.status == "success"
    assert len(transport.rejected) == 1
    assert "not a msgpack message" in transport.rejected[0]


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        ({"definitions_hash": "0" * 64}, "DefinitionsMismatch", "restart workers"),
        ({"code_location": "other"}, "CodeLocationMismatch", "start a worker for it"),
        ({"step_key": "nope"}, "UnknownAsset", "has no asset 'nope'"),
    ],
)
async def test_a_worker_refuses_tasks_it_cannot_run_faithfully(
    backend: Backend, change: dict[str, Any], kind: str, words: str
) -> None:
    """Stale definitions, another code location, an unknown asset: a failed step that says so."""
    transport = backend.transport
    await transport.publish_task(encode_tasks([make_task(**change)]), headers={})
    async with serving(make_worker(transport)):
        await transport.until(lambda: transport.settled("task") == 1)
    [result] = _results(backend)
    assert result.status == "failure"
    assert result.error is not None
    assert result.error.type == kind
    assert words in result.error.message


async def test_a_worker_acks_a_task_only_after_its_result_is_published(backend: Backend) -> None:
    """Crash between the two and the task is redelivered: at-least-once execution."""
    transport = backend.transport
    await transport.publish_task(encode_tasks([make_task()]), headers={})
    async with serving(make_worker(transport)):
        await transport.until(lambda: transport.settled("task") == 1)
    assert transport.order == ["result published", "task acked"]


async def test_a_message_of_several_tasks_is_acked_once_after_all_their_results(
    backend: Backend,
) -> None:
    """Each task of a message runs and reports; the message is acked once, last."""
    transport = backend.transport
    tasks = [make_task(run_id=f"r{n}") for n in range(3)]
    await transport.publish_task(encode_tasks(tasks), headers={})
    async with serving(make_worker(transport)):
        await transport.until(lambda: transport.settled("task") == 1)
    seen = _results(backend)
    assert sorted(r.run_id for r in seen) == ["r0", "r1", "r2"]
    assert all(r.status == "success" for r in seen)
    assert transport.order.count("task acked") == 1
    assert transport.order[-1] == "task acked"


async def test_drain_finishes_a_message_already_taken_but_starts_no_other(
    backend: Backend,
) -> None:
    """A message is the unit of work: its tasks all run and it is acked; the next
    message stays unacked for another worker."""
    started = anyio.Event()
    release = anyio.Event()

    @asset
    async def slow() -> int:
        started.set()
        await release.wait()
        return 1

    defs = Definitions([slow])
    transport = backend.transport
    worker = make_worker(transport, defs=defs, concurrency=1)
    pair = [
        make_task(run_id=f"r{n}", step_key="slow", definitions_hash=defs.hash) for n in range(2)
    ]
    async with anyio.create_task_group() as group:
        group.start_soon(worker.serve)
        await transport.publish_task(encode_tasks(pair), headers={})
        await started.wait()
        await transport.publish_task(encode_tasks(pair[:1]), headers={})  # must not start
        worker.drain()
        release.set()
    assert sorted(r.run_id for r in _results(backend)) == ["r0", "r1"]
    assert transport.order.count("task acked") == 1


async def test_a_worker_runs_followed_tasks_in_order_and_reports_them_together(
    backend: Backend,
) -> None:
    """A task runs after the ones it names; the message's results go out in one message,
    and it is acked once, after them."""
    defs = chain(3)
    transport = backend.transport
    where = {"definitions_hash": defs.hash}
    tasks = [
        make_task(step_key="root", **where),
        make_task(step_key="s1", after=("root",), **where),
        make_task(step_key="side", after=("root",), **where),
        make_task(step_key="s2", after=("s1",), **where),
        make_task(step_key="s3", after=("s2",), **where),
    ]
    await transport.publish_task(encode_tasks(tasks), headers={})
    async with serving(make_worker(transport, defs=defs, concurrency=4)):
        await transport.until(lambda: transport.settled("task") == 1)
    results = transport.result_messages[0]
    assert [r.status for r in results] == ["success"] * 5
    ended = {r.step_key: r.ended_at for r in results}
    started = {r.step_key: r.started_at for r in results}
    for task in tasks:
        assert all(started[task.step_key] >= ended[up] for up in task.after)
    assert transport.order == ["result published", "task acked"]
