"""A materialization logged with `context.log_event` travels in the worker's result, on
each backend: the result's `outputs` name the asset's own key and the logged one."""

from __future__ import annotations

from tests.backends import Backend
from tests.services import make_task, make_worker, serving

from upstream import (
    AssetExecutionContext,
    AssetMaterialization,
    Definitions,
    InMemoryIOManager,
    asset,
)
from upstream.protocol import encode_tasks


@asset
def loader(context: AssetExecutionContext) -> int:
    context.log_event(AssetMaterialization("lake/raw", metadata={"rows": 7}))
    return 7


DEFS = Definitions([loader])


async def test_a_logged_materialization_travels_in_the_result(backend: Backend) -> None:
    transport = backend.transport
    task = make_task(definitions_hash=DEFS.hash, step_key="loader")
    await transport.publish_task(encode_tasks([task]), headers={})
    async with serving(make_worker(transport, InMemoryIOManager(), defs=DEFS)):
        await transport.until(lambda: transport.settled("task") == 1)
    [result] = [r for message in transport.result_messages for r in message]
    assert result.status == "success"
    assert result.outputs == {"loader": {}, "lake/raw": {"rows": {"type": "int", "value": 7}}}
