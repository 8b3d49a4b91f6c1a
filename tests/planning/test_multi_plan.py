"""Plans over steps: a multi-asset is one step (its op name) whatever the number of its
assets selected; selecting part of one that cannot be subset is a SelectionError (Dagster:
"select all asset keys produced by this asset"); optional assets skip their readers."""

from __future__ import annotations

import pytest

from upstream import AssetOut, AssetSpec, Definitions, SelectionError, asset, multi_asset
from upstream.model.keys import AssetKey
from upstream.planning import ReadySet, build_plan, cut_plan
from upstream.planning.plan import step_assets


@asset
def p() -> int:
    return 1


@multi_asset(outs={"a": AssetOut()}, specs=[AssetSpec("c", deps=["p"])])
def m() -> None:
    return None


@asset
def after_a(a: int) -> int:
    return a


@asset
def after_c(c: int) -> int:
    return c


@multi_asset(outs={"x": AssetOut(), "y": AssetOut(is_required=False)}, can_subset=True)
def flexible() -> None:
    return None


@asset
def after_y(y: int) -> int:
    return y


DEFS = Definitions([p, m, after_a, after_c, flexible, after_y])


def test_a_multi_asset_is_one_step_ordered_after_every_parent_of_its_assets() -> None:
    """`a` has no parent but `c` reads `p`: the step `m` waits for `p` (an asset-level
    topological order would put `m` first)."""
    plan = build_plan(DEFS.graph)
    assert plan.steps.index("p") < plan.steps.index("m")
    assert plan.parents["m"] == ("p",)
    assert plan.parents["after_a"] == ("m",) and plan.parents["after_c"] == ("m",)
    assert plan.asset_keys("m") == ("a", "c")
    assert plan.asset_keys("p") == ("p",)
    assert len(plan) == 6


def test_selecting_part_of_a_multi_asset_that_cannot_be_subset_names_it_and_all_its_keys() -> None:
    with pytest.raises(SelectionError) as raised:
        build_plan(DEFS.graph, "a")
    message = str(raised.value)
    assert "multi_asset 'm'" in message and "'a', 'c'" in message
    assert "select all asset keys produced by this asset" in message
    assert "add 'c'" in message


def test_a_subsettable_multi_asset_makes_only_what_is_selected() -> None:
    plan = build_plan(DEFS.graph, "x")
    assert plan.steps == ("flexible",)
    assert plan.asset_keys("flexible") == ("x",)


def test_a_selection_downstream_of_one_output_runs_the_step_once() -> None:
    plan = build_plan(DEFS.graph, "a,c+")
    assert plan.steps == ("m", "after_c")
    assert plan.parents["after_c"] == ("m",)


def test_an_optional_asset_names_the_steps_reading_it() -> None:
    plan = build_plan(DEFS.graph, "x,y,after_y")
    assert plan.optional == {"flexible": {"y": ("after_y",)}}
    assert plan.skips_after("flexible", {"x"}) == {"after_y"}
    assert plan.skips_after("flexible", {"x", "y"}) == frozenset()
    assert plan.skips_after("flexible", None) == frozenset()


def test_a_plain_optional_asset_is_its_own_step() -> None:
    @asset(output_required=False)
    def maybe() -> int:
        return 1

    @asset
    def reader(maybe: int) -> int:
        return maybe

    plan = build_plan(Definitions([maybe, reader]).graph)
    assert plan.steps == ("maybe", "reader")
    assert plan.optional == {"maybe": {"maybe": ("reader",)}}
    assert plan.assets == {}


def test_a_stored_runs_steps_give_back_its_asset_keys() -> None:
    """Resuming a run re-cuts its plan from its steps: an op name stands for its assets,
    those of a subsettable multi-asset as the run's selection picked them."""
    graph = DEFS.graph
    keys = step_assets(graph, ["p", "m", "flexible", "gone"], "p,a,c,x")
    assert keys == [AssetKey("p"), AssetKey("a"), AssetKey("c"), AssetKey("x")]
    assert cut_plan(graph, keys, "p,a,c,x").asset_keys("flexible") == ("x",)


def test_ready_set_skips_the_readers_of_what_a_step_did_not_make() -> None:
    tracker = ReadySet({"m": (), "r1": ("m",), "r2": ("m",), "r3": ("r1",), "r4": ("r1", "r2")})
    assert tracker.initial() == ["m"]
    ready, skipped = tracker.succeeded_without("m", {"r1"})
    assert ready == ["r2"]
    assert sorted((s.step, s.because_of) for s in skipped) == [
        ("r1", "m"),
        ("r3", "m"),
        ("r4", "m"),
    ]
    assert tracker.succeeded("r2") == []  # r4 was skipped with r1
    assert tracker.complete
    assert tracker.succeeded_without("m", {"r1"}) == ([], [])  # a repeat changes nothing


def test_required_multi_asset_neighbors_adds_the_rest_of_a_non_subsettable_multi_asset() -> None:
    from upstream import AssetOut, AssetSelection, Definitions, asset, multi_asset

    @multi_asset(outs={"left": AssetOut(), "right": AssetOut()})
    def pair() -> tuple[int, int]:
        return 1, 2

    @multi_asset(outs={"up": AssetOut(), "down": AssetOut()}, can_subset=True)
    def loose(context):  # type: ignore[no-untyped-def]
        yield from ()

    @asset
    def alone(left: int) -> int:
        return left

    graph = Definitions(assets=[pair, loose, alone]).graph
    names = lambda sel: sorted(k.to_user_string() for k in sel.resolve(graph))  # noqa: E731
    assert names(AssetSelection.keys("left").required_multi_asset_neighbors()) == [
        "left",
        "right",
    ]
    assert names(AssetSelection.keys("up").required_multi_asset_neighbors()) == ["up"]
    assert names(AssetSelection.keys("alone").required_multi_asset_neighbors()) == ["alone"]
