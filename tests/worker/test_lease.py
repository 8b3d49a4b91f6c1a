"""A worker takes a long step under lease, on each backend: it says the step is running and
acks its message before the step ends, so no broker ack timeout can hand it to another."""

from __future__ import annotations

import threading

import pytest
from tests.backends import Backend
from tests.services import make_task, make_worker, serving

from upstream import Definitions, asset
from upstream.protocol import encode_tasks
from upstream.worker import service


async def test_a_long_step_is_leased_and_its_message_acked_before_it_ends(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held past LEASE_SECONDS (shortened here): "running" is published, then the message
    acked, while the step runs; its result follows, and the message is not acked again."""
    monkeypatch.setattr(service, "LEASE_SECONDS", 0.05)
    release = threading.Event()

    @asset
    def a() -> int:
        release.wait(10)
        return 1

    defs = Definitions([a])
    transport = backend.transport
    await transport.publish_task(encode_tasks([make_task(definitions_hash=defs.hash)]), headers={})
    async with serving(make_worker(transport, defs=defs)):
        await transport.until(lambda: transport.settled("task") == 1)
        assert not release.is_set()
        release.set()
        await transport.until(lambda: "success" in _statuses(backend))
    assert transport.order[:2] == ["result published", "task acked"]
    assert transport.order.count("task acked") == 1
    statuses = _statuses(backend)
    assert statuses[0] == "running" and statuses.count("success") == 1
    assert set(statuses) == {"running", "success"}


def _statuses(backend: Backend) -> list[str]:
    return [r.status for message in backend.transport.result_messages for r in message]
