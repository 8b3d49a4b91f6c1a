"""Running multi-assets and outputs, in process (`materialize`), from Dagster's documented
behaviour: the function runs once and returns a tuple in `outs` order or yields `Output` /
`MaterializeResult` per asset; each asset is stored by its own IO manager and recorded
with its own metadata; an optional output left out skips what reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from upstream import (
    AssetExecutionContext,
    AssetOut,
    AssetSpec,
    Definitions,
    InMemoryIOManager,
    MaterializeResult,
    Output,
    UpstreamError,
    asset,
    materialize,
    multi_asset,
)
from upstream.execution.outputs import OutputError
from upstream.storage.base import EventType
from upstream.storage.records import StepStatus

calls: list[str] = []


@asset
def raw() -> int:
    return 10


@multi_asset(
    outs={"small": AssetOut(), "big": AssetOut(io_manager_key="big_io", metadata={"d": 1})}
)
def sized(raw: int) -> tuple[int, int]:
    calls.append("sized")
    return raw, raw * 100


@asset
def total(small: int, big: int) -> int:
    return small + big


def test_a_tuple_in_outs_order_gives_each_asset_its_value_via_its_own_io_manager() -> None:
    calls.clear()
    big_io = InMemoryIOManager()
    result = materialize([raw, sized, total], resources={"big_io": big_io})
    assert calls == ["sized"]  # once per run, however many assets it makes
    assert result.output_for("total") == 1010
    assert (result.output_for("small"), result.asset_value("big")) == (10, 1000)
    assert list(big_io.values.values()) == [1000]  # only `big` went to its IO manager
    assert set(result.steps) == {"raw", "sized", "total"}
    made = [e.data["asset_key"] for e in result.events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == ["raw", "small", "big", "total"]


def test_yielded_outputs_carry_their_own_metadata() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    def two(context: AssetExecutionContext) -> Iterator[Output]:
        context.add_output_metadata({"from_context": 1}, output_name="b")
        yield Output(1, output_name="a", metadata={"rows": 1})
        yield Output(2, output_name="b", metadata={"rows": 2})

    result = materialize([two])
    assert result.metadata_for("a") == {"rows": 1}
    assert result.metadata_for("b") == {"from_context": 1, "rows": 2}
    assert (result.output_for("a"), result.output_for("b")) == (1, 2)


def test_specs_store_their_own_data_and_yield_materialize_results() -> None:
    @multi_asset(specs=[AssetSpec("s1"), AssetSpec("s2", deps=["s1"])])
    def loader() -> Iterator[MaterializeResult]:
        yield MaterializeResult(asset_key="s1", metadata={"rows": 3})
        yield MaterializeResult(asset_key="s2")

    @multi_asset(specs=[AssetSpec("t1"), AssetSpec("t2")])
    def quiet() -> None:  # returning nothing materializes every spec, as in Dagster
        return None

    io = InMemoryIOManager()
    result = materialize([loader, quiet], resources={"io_manager": io})
    assert result.success
    assert result.metadata_for("s1") == {"rows": 3}
    assert io.values == {}  # nothing went to the IO manager
    made = {e.data["asset_key"] for e in result.events if e.type == EventType.ASSET_MATERIALIZATION}
    assert made == {"s1", "s2", "t1", "t2"}


def test_an_optional_output_left_out_is_not_materialized_and_its_readers_are_skipped() -> None:
    @multi_asset(outs={"kept": AssetOut(), "maybe": AssetOut(is_required=False)})
    def partial() -> Iterator[Output]:
        yield Output(1, output_name="kept")

    @asset
    def reads_maybe(maybe: int) -> int:
        return maybe

    @asset
    def reads_kept(kept: int) -> int:
        return kept

    result = materialize([partial, reads_maybe, reads_kept])
    assert result.success
    assert result.steps["reads_maybe"].status is StepStatus.SKIPPED
    assert (
        result.steps["reads_maybe"].skip_reason == "upstream 'partial' did not materialize 'maybe'"
    )
    assert result.output_for("reads_kept") == 1
    with pytest.raises(Exception, match="was not materialized in this run"):
        result.output_for("maybe")


def test_an_asset_with_output_required_false_that_yields_nothing_skips_its_downstream() -> None:
    @asset(output_required=False)
    def sometimes() -> Iterator[int]:
        if False:
            yield 1

    @asset
    def after(sometimes: int) -> int:
        return sometimes

    result = materialize([sometimes, after])
    assert result.success
    assert result.steps["sometimes"].status is StepStatus.SUCCESS
    assert result.steps["after"].status is StepStatus.SKIPPED


def test_a_required_output_left_out_fails_the_step_saying_which() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    def forgetful() -> Iterator[Output]:
        yield Output(1, output_name="a")

    with pytest.raises(OutputError, match="non-optional output 'b'"):
        materialize([forgetful])


@pytest.mark.parametrize(
    ("returned", "words"),
    [
        ((1,), "must return a tuple of 2 values \\('a', 'b', in outs order\\)"),
        (5, "must return a tuple of 2 values"),
        ((Output(1, output_name="zz"), 2), "output_name='zz'"),
        ((MaterializeResult(asset_key="elsewhere"), 2), "does not produce"),
    ],
)
def test_bad_returns_name_the_fix(returned: Any, words: str) -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    def wrong() -> Any:
        return returned

    with pytest.raises(OutputError, match=words):
        materialize([wrong])


def test_an_output_yielded_twice_is_an_error() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut(is_required=False)})
    def twice() -> Iterator[Output]:
        yield Output(1, output_name="a")
        yield Output(2, output_name="a")

    with pytest.raises(OutputError, match="twice"):
        materialize([twice])


def test_a_subset_run_makes_only_the_selected_assets() -> None:
    seen: list[tuple[frozenset[str], frozenset[str]]] = []

    @multi_asset(outs={"x": AssetOut(), "y": AssetOut()}, can_subset=True)
    def pick(context: AssetExecutionContext) -> Iterator[Output]:
        keys = frozenset(k.to_user_string() for k in context.selected_asset_keys)
        seen.append((keys, frozenset(context.selected_output_names)))
        for name in sorted(context.selected_output_names):
            yield Output(name.upper(), output_name=name)

    result = materialize([pick], selection="y")
    assert seen == [(frozenset({"y"}), frozenset({"y"}))]
    assert result.output_for("y") == "Y"
    made = [e.data["asset_key"] for e in result.events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == ["y"]


def test_an_unselected_output_yielded_is_an_error() -> None:
    @multi_asset(outs={"x": AssetOut(), "y": AssetOut()}, can_subset=True)
    def greedy() -> Iterator[Output]:
        yield Output(1, output_name="x")
        yield Output(2, output_name="y")

    with pytest.raises(OutputError, match="did not select"):
        materialize([greedy], selection="y")


def test_single_assets_return_or_yield_output_with_metadata() -> None:
    @asset
    def returned() -> Output:
        return Output(3, metadata={"rows": 3})

    @asset
    def yielded() -> Iterator[Output]:
        yield Output(4, metadata={"rows": 4})

    @asset
    def plain(returned: int, yielded: int) -> int:
        return returned + yielded

    result = materialize([returned, yielded, plain])
    assert result.output_for("plain") == 7
    assert result.metadata_for("returned") == {"rows": 3}
    assert result.metadata_for("yielded") == {"rows": 4}


def test_async_multi_assets_return_or_yield_on_the_loop() -> None:
    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()})
    async def returns() -> tuple[int, int]:
        return 1, 2

    @multi_asset(outs={"c": AssetOut(), "d": AssetOut()})
    async def yields() -> AsyncIterator[Output]:
        yield Output(3, output_name="c")
        yield Output(4, output_name="d")

    result = materialize([returns, yields])
    assert [result.output_for(k) for k in "abcd"] == [1, 2, 3, 4]


def test_one_output_multi_asset_returns_its_value_as_it_is() -> None:
    @multi_asset(outs={"only": AssetOut()})
    def single() -> list[int]:
        return [1, 2]

    assert materialize([single]).output_for("only") == [1, 2]


def test_a_multi_asset_reads_its_inputs_once_and_deps_order_it() -> None:
    order: list[str] = []

    @asset
    def first() -> None:
        order.append("first")

    @multi_asset(outs={"a": AssetOut(), "b": AssetOut()}, deps=[first])
    def later(raw: int) -> tuple[int, int]:
        order.append("later")
        return raw, raw

    result = materialize(Definitions([raw, first, later]), concurrency=1)
    assert order == ["first", "later"]
    assert result.output_for("b") == 10


def test_context_asset_key_raises_in_a_multi_asset_and_asset_key_for_output_answers() -> None:
    """Dagster's rule: a multi-asset of several assets has no one `context.asset_key`."""
    seen: dict[str, object] = {}

    @multi_asset(outs={"a": AssetOut(key_prefix="p"), "b": AssetOut()})
    def two(context: AssetExecutionContext) -> tuple[int, int]:
        try:
            context.asset_key  # noqa: B018
        except UpstreamError as exc:
            seen["error"] = str(exc)
        seen["a"] = context.asset_key_for_output("a").to_user_string()
        return 1, 2

    @asset
    def one(context: AssetExecutionContext) -> int:
        seen["one"] = context.asset_key.to_user_string()
        return 1

    assert materialize([two, one]).success
    assert "asset_key_for_output" in str(seen["error"])
    assert seen["a"] == "p/a"
    assert seen["one"] == "one"
