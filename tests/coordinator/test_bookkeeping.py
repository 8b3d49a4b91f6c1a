"""What the coordinator keeps between runs stays bounded: it lives for weeks."""

from __future__ import annotations

from pathlib import Path

from tests.backends import open_store
from tests.recording import Recording
from tests.services import serving

from upstream.coordinator import Coordinator
from upstream.planning.plan import Plan
from upstream.protocol import ResultMessage, encode_results
from upstream.transport.memory import MemoryTransport


async def test_finished_runs_are_remembered_boundedly_and_late_results_still_acked(
    tmp_path: Path,
) -> None:
    """After 10,000 runs the coordinator remembers a bounded number of finished run ids
    (it kept every one: ~0.1 KiB a run); a late duplicate result of the first run, long
    forgotten, is still acked as a finished run's, from storage."""
    async with open_store("sqlite-memory", tmp_path) as storage:
        memory = MemoryTransport()
        transport = Recording(memory, memory)
        coordinator = Coordinator(storage, transport)
        empty = Plan(steps=(), parents={}, selection="")
        for number in range(10_000):  # cheap runs: no steps, each ends as it starts
            handle = await coordinator.submit(
                empty, code_location="tests", definitions_hash="0" * 64, run_id=f"r{number}"
            )
            await handle.wait()
        assert len(coordinator._done) <= 1024
        late = ResultMessage("r0", "a", 1, "success", 1.0, 2.0, "w1")
        async with serving(coordinator):
            await transport.publish_result(encode_results([late]), headers={})
            await transport.until(lambda: transport.settled() == 1)
        assert transport.received["result"][0].acked
        assert transport.rejected == []
