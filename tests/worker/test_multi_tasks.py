"""A worker running a multi-asset's task, on each backend: the task names the op and the
keys to make; the result carries metadata per asset made (`outputs`). A task naming an
asset of a multi-asset (not its op) is refused: that is not a step."""

from __future__ import annotations

from collections.abc import Iterator

from tests.backends import Backend
from tests.services import LOCATION, make_task, make_worker, serving

from upstream import (
    AssetExecutionContext,
    AssetOut,
    Definitions,
    InMemoryIOManager,
    Output,
    multi_asset,
)
from upstream.model.keys import AssetKey
from upstream.protocol import ResultMessage, encode_tasks


@multi_asset(outs={"x": AssetOut(), "y": AssetOut(is_required=False)}, can_subset=True)
def pair(context: AssetExecutionContext) -> Iterator[Output]:
    for name in sorted(context.selected_output_names):
        yield Output(name, output_name=name, metadata={"name": name})


DEFS = Definitions([pair])


def _results(backend: Backend) -> list[ResultMessage]:
    return [result for message in backend.transport.result_messages for result in message]


async def _one(backend: Backend, **change: object) -> tuple[ResultMessage, InMemoryIOManager]:
    transport = backend.transport
    task = make_task(definitions_hash=DEFS.hash, **change)
    await transport.publish_task(encode_tasks([task]), headers={})
    io = InMemoryIOManager()
    async with serving(make_worker(transport, io, defs=DEFS)):
        await transport.until(lambda: transport.settled("task") == 1)
    [result] = _results(backend)
    return result, io


async def test_a_task_for_some_keys_of_a_multi_asset_makes_those(backend: Backend) -> None:
    result, io = await _one(backend, step_key="pair", assets=("y",))
    assert result.status == "success"
    assert result.outputs == {"y": {"name": {"type": "text", "value": "y"}}}
    assert result.metadata == {}
    assert io.values == {AssetKey("y"): "y"}


async def test_a_task_without_keys_makes_them_all(backend: Backend) -> None:
    result, io = await _one(backend, step_key="pair")
    assert result.outputs is not None and set(result.outputs) == {"x", "y"}
    assert set(io.values) == {AssetKey("x"), AssetKey("y")}


async def test_a_task_naming_an_asset_of_a_multi_asset_is_refused(backend: Backend) -> None:
    result, _ = await _one(backend, step_key="x")
    assert result.status == "failure"
    assert result.error is not None and result.error.type == "UnknownAsset"
    assert LOCATION in result.error.message
