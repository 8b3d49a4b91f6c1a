"""`get_upstream_logger()` on a worker, on each backend (memory, RabbitMQ): a helper's log
records travel with the step's result, as `context.log` lines do."""

from __future__ import annotations

from tests.backends import Backend
from tests.services import make_task, make_worker, serving

from upstream import Definitions, asset, get_dagster_logger
from upstream.protocol import encode_tasks


def _helper() -> None:
    get_dagster_logger("helper").info("computed %d rows", 3)


@asset
def logs_in_a_thread() -> int:
    _helper()
    return 1


@asset
async def logs_on_the_loop() -> int:
    _helper()
    return 1


async def test_a_helpers_log_lines_are_the_steps(backend: Backend) -> None:
    defs = Definitions([logs_in_a_thread, logs_on_the_loop])
    transport = backend.transport
    tasks = [
        make_task(run_id=f"r-{key}", step_key=key, definitions_hash=defs.hash)
        for key in ("logs_in_a_thread", "logs_on_the_loop")
    ]
    await transport.publish_task(encode_tasks(tasks), headers={})
    async with serving(make_worker(transport, defs=defs)):
        await transport.until(lambda: transport.settled("task") == 1)
    results = [r for message in transport.result_messages for r in message]
    assert sorted(r.step_key for r in results) == ["logs_in_a_thread", "logs_on_the_loop"]
    for result in results:
        assert result.status == "success"
        assert [(line.level, line.message) for line in result.logs] == [("info", "computed 3 rows")]
