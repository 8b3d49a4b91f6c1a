"""`AssetSelection`, the Python API: each constructor and combinator, as Dagster documents it."""

from __future__ import annotations

import pytest

from upstream import AssetSelection, Definitions, asset
from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.planning import build_plan


def _k(text: str) -> AssetKey:
    return AssetKey.from_user_string(text)


def _node(key: str, *parents: str, group: str = "default", **extra: object) -> AssetNode:
    return AssetNode(key=_k(key), parents=tuple(_k(p) for p in parents), group=group, **extra)  # type: ignore[arg-type]


# sales/raw ─> sales/orders ─> finance/revenue ─> finance/report
#                                   └─> marketing/roas <─ marketing/spend
GRAPH = AssetGraph(
    [
        _node("sales/raw", group="sales", kinds=("python", "s3"), owners=("team:sales",)),
        _node("sales/orders", "sales/raw", group="sales", kinds=("python",), tags={"tier": "1"}),
        _node("finance/revenue", "sales/orders", group="finance", tags={"pii": ""}),
        _node("finance/report", "finance/revenue", group="finance", owners=("ana@example.com",)),
        _node("marketing/spend", group="marketing", kinds=("snowflake",)),
        _node("marketing/roas", "finance/revenue", "marketing/spend", group="marketing"),
    ]
)


def names(selection: AssetSelection) -> set[str]:
    return {k.to_user_string() for k in selection.resolve(GRAPH)}


def test_all_assets_and_keys() -> None:
    assert names(AssetSelection.all()) == {k.to_user_string() for k in GRAPH.keys}
    assert names(AssetSelection.assets("sales/raw", AssetKey(["sales", "orders"]))) == {
        "sales/raw",
        "sales/orders",
    }
    assert names(AssetSelection.keys("finance/report", ["finance", "revenue"])) == {
        "finance/report",
        "finance/revenue",
    }


def test_assets_takes_asset_definitions() -> None:
    @asset
    def raw() -> int:
        return 1

    @asset
    def clean(raw: int) -> int:
        return raw

    assert AssetSelection.assets(clean).resolve([raw, clean]) == {AssetKey("clean")}
    defs = Definitions(assets=[raw, clean])
    assert AssetSelection.assets(raw).downstream().resolve(defs) == {
        AssetKey("raw"),
        AssetKey("clean"),
    }


def test_a_missing_key_is_an_error_with_a_suggestion_unless_allowed() -> None:
    with pytest.raises(SelectionError, match=r"\['sales/ordrs'\] were selected.*'sales/orders'"):
        AssetSelection.keys("sales/ordrs").resolve(GRAPH)
    assert AssetSelection.keys("sales/ordrs").resolve(GRAPH, allow_missing=True) == set()


def test_groups_prefixes_and_substrings() -> None:
    assert names(AssetSelection.groups("finance", "marketing")) == {
        "finance/revenue",
        "finance/report",
        "marketing/spend",
        "marketing/roas",
    }
    assert names(AssetSelection.groups("nope")) == set()  # as in Dagster: no error
    assert names(AssetSelection.key_prefixes("sales")) == {"sales/raw", "sales/orders"}
    assert names(AssetSelection.key_prefixes(["finance", "report"])) == {"finance/report"}
    assert names(AssetSelection.key_substring("rev")) == {"finance/revenue"}


def test_tags_kinds_and_owners() -> None:
    assert names(AssetSelection.tag("tier", "1")) == {"sales/orders"}
    assert names(AssetSelection.tag_string("pii")) == {"finance/revenue"}
    assert names(AssetSelection.tag_string("tier=1")) == {"sales/orders"}
    with pytest.raises(SelectionError, match="no more than one '='"):
        AssetSelection.tag_string("a=b=c")
    assert names(AssetSelection.kind("python")) == {"sales/raw", "sales/orders"}
    assert names(AssetSelection.owner("team:sales")) == {"sales/raw"}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            AssetSelection.assets("finance/revenue").upstream(),
            {"finance/revenue", "sales/orders", "sales/raw"},
        ),
        (AssetSelection.assets("finance/revenue").upstream(1), {"finance/revenue", "sales/orders"}),
        (
            AssetSelection.assets("finance/revenue").upstream(include_self=False),
            {"sales/orders", "sales/raw"},
        ),
        (AssetSelection.assets("sales/orders").downstream(1), {"sales/orders", "finance/revenue"}),
        (
            AssetSelection.assets("finance/revenue").downstream(include_self=False),
            {"finance/report", "marketing/roas"},
        ),
        (AssetSelection.assets("sales/raw").downstream(0), {"sales/raw"}),
    ],
)
def test_upstream_and_downstream(selection: AssetSelection, expected: set[str]) -> None:
    assert names(selection) == expected


def test_roots_and_sinks_are_within_the_selection() -> None:
    """A root has no ancestor inside the selection; a sink no descendant inside it."""
    sales_and_finance = AssetSelection.groups("sales", "finance")
    assert names(sales_and_finance.roots()) == {"sales/raw"}
    assert names(sales_and_finance.sinks()) == {"finance/report"}
    assert names(AssetSelection.assets("sales/raw", "finance/report").roots()) == {"sales/raw"}
    assert names(sales_and_finance.sources()) == {"sales/raw"}


def test_union_intersection_and_difference() -> None:
    sales, python = AssetSelection.groups("sales"), AssetSelection.kind("python")
    assert names(sales | AssetSelection.assets("finance/report")) == {
        "sales/raw",
        "sales/orders",
        "finance/report",
    }
    assert names(AssetSelection.all() & python) == {"sales/raw", "sales/orders"}
    assert names(AssetSelection.all() - AssetSelection.groups("finance", "marketing")) == {
        "sales/raw",
        "sales/orders",
    }
    assert names(sales - python) == set()
    with pytest.raises(SelectionError, match="cannot combine"):
        sales | "finance"  # type: ignore[operator]


def test_string_forms_round_trip_through_from_string() -> None:
    selections = [
        AssetSelection.groups("finance") | AssetSelection.kind("python"),
        (AssetSelection.all() - AssetSelection.tag("tier", "1"))
        & AssetSelection.key_prefixes("sales"),
        AssetSelection.assets("finance/revenue").upstream(1).downstream(include_self=False),
        AssetSelection.owner("team:sales").downstream().sinks(),
        AssetSelection.assets("finance/revenue").upstream(),
    ]
    for selection in selections:
        text = selection.to_selection_str()
        assert names(AssetSelection.from_string(text)) == names(selection), text


def test_from_coercible_takes_strings_keys_and_definitions() -> None:
    assert names(AssetSelection.from_coercible(["sales/raw", "group:finance"])) == {
        "sales/raw",
        "finance/revenue",
        "finance/report",
    }
    assert names(AssetSelection.from_coercible([AssetKey(["sales", "raw"])])) == {"sales/raw"}


def test_build_plan_accepts_an_asset_selection_and_records_its_string() -> None:
    plan = build_plan(GRAPH, AssetSelection.groups("sales") | AssetSelection.kind("snowflake"))
    assert set(plan.steps) == {"sales/raw", "sales/orders", "marketing/spend"}
    assert plan.selection == 'group:"sales" or kind:"snowflake"'


def test_a_selection_matching_nothing_cannot_plan() -> None:
    with pytest.raises(SelectionError, match="matches no asset"):
        build_plan(GRAPH, AssetSelection.groups("sales") & AssetSelection.groups("finance"))


@pytest.mark.parametrize("depth", [-1, 1.5, True])
def test_a_bad_depth_is_refused(depth: object) -> None:
    with pytest.raises(SelectionError, match="depth"):
        AssetSelection.all().upstream(depth)  # type: ignore[arg-type]


def test_a_recorded_selection_chooses_the_same_assets_again() -> None:
    """A run records its selection as a string that is parsed again to re-execute it; a
    leaf that matched nothing (fine in Python, an error as a string) records the keys."""
    lenient = AssetSelection.groups("sales", "nope")
    plan = build_plan(GRAPH, lenient)
    assert plan.selection == "sales/raw,sales/orders"
    assert set(build_plan(GRAPH, plan.selection).steps) == set(plan.steps)
    prefixed = build_plan(GRAPH, AssetSelection.key_prefixes("finance"))
    assert set(build_plan(GRAPH, prefixed.selection).steps) == set(prefixed.steps)
