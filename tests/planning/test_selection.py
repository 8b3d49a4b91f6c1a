"""Selection strings: every Dagster-style form, depth semantics, order, and error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.planning.selection import select


def _k(text: str) -> AssetKey:
    return AssetKey.from_user_string(text)


def _node(key: str, *parents: str, group: str = "default") -> AssetNode:
    return AssetNode(key=_k(key), parents=tuple(_k(p) for p in parents), group=group)


# sales/raw_orders ─┐
#                   ├─> sales/orders -> finance/revenue -> finance/report
# sales/raw_customers┘                          └─> marketing/roas <- marketing/ad_spend
GRAPH = AssetGraph(
    [
        _node("finance/report", "finance/revenue", group="finance"),
        _node("marketing/roas", "finance/revenue", "marketing/ad_spend", group="marketing"),
        _node("finance/revenue", "sales/orders", group="finance"),
        _node("sales/orders", "sales/raw_orders", "sales/raw_customers", group="sales"),
        _node("sales/raw_orders", group="sales"),
        _node("sales/raw_customers", group="sales"),
        _node("marketing/ad_spend", group="marketing"),
    ]
)


def names(selection: str | list[str] | None) -> set[str]:
    return {k.to_user_string() for k in select(GRAPH, selection)}


def test_none_and_star_select_everything_in_topological_order() -> None:
    """None and '*' both mean every asset, ordered parents before children."""
    assert select(GRAPH, None) == GRAPH.keys
    assert select(GRAPH, "*") == GRAPH.keys


def test_single_key_in_user_form() -> None:
    """A bare clause is one asset key written with slashes."""
    assert select(GRAPH, "sales/orders") == [_k("sales/orders")]


def test_comma_union_ignores_whitespace() -> None:
    """Comma-separated clauses are a union; spaces around them do not matter."""
    assert names(" finance/report ,sales/raw_orders ") == {"finance/report", "sales/raw_orders"}


def test_union_result_is_in_topological_order_not_clause_order() -> None:
    """The result follows the graph's order whatever order the clauses were written in."""
    got = select(GRAPH, "finance/report, sales/orders, sales/raw_orders")
    assert got == [_k("sales/raw_orders"), _k("sales/orders"), _k("finance/report")]
    order = GRAPH.keys
    assert got == sorted(got, key=order.index)


def test_plus_prefix_is_one_level_of_parents() -> None:
    """'+a' adds only direct parents."""
    assert names("+finance/revenue") == {"finance/revenue", "sales/orders"}


def test_two_pluses_are_two_hops_not_all_ancestors() -> None:
    """'++a' stops after two levels; the raw tables three hops up stay out."""
    assert names("++finance/report") == {"finance/report", "finance/revenue", "sales/orders"}


def test_star_prefix_is_all_ancestors() -> None:
    """'*a' adds every ancestor at any depth."""
    assert names("*finance/revenue") == {
        "finance/revenue",
        "sales/orders",
        "sales/raw_orders",
        "sales/raw_customers",
    }


def test_downstream_forms() -> None:
    """'a+', 'a++' and 'a*' mirror the upstream forms."""
    assert names("sales/orders+") == {"sales/orders", "finance/revenue"}
    assert names("sales/orders++") == {
        "sales/orders",
        "finance/revenue",
        "finance/report",
        "marketing/roas",
    }
    assert names("sales/raw_orders*") == names("sales/raw_orders+++")


def test_both_sides_combine_as_a_union_of_up_and_down() -> None:
    """'+a+' is a's parents and children, not the children of its parents."""
    assert names("+sales/orders+") == {
        "sales/raw_orders",
        "sales/raw_customers",
        "sales/orders",
        "finance/revenue",
    }
    assert names("*finance/revenue*") == names("*") - {"marketing/ad_spend"}
    assert names("++finance/report*") == {"finance/report", "finance/revenue", "sales/orders"}


def test_group_clause() -> None:
    """'group:name' selects every asset in that group."""
    assert names("group:finance") == {"finance/revenue", "finance/report"}
    assert names('group:"finance"') == {"finance/revenue", "finance/report"}


def test_group_clause_takes_modifiers_on_the_whole_set() -> None:
    """'+group:x' extends from every member of the group, as Dagster's newer syntax does."""
    assert names("+group:finance") == {"sales/orders", "finance/revenue", "finance/report"}
    assert names("group:sales+") == {
        "sales/raw_orders",
        "sales/raw_customers",
        "sales/orders",
        "finance/revenue",
    }


def test_key_glob_matches_within_and_across_parts() -> None:
    """'key:' globs run on the whole user string, so '*' may cross slashes."""
    assert names("key:sales/*") == {"sales/raw_orders", "sales/raw_customers", "sales/orders"}
    assert names("key:*orders") == {"sales/raw_orders", "sales/orders"}
    assert names("key:s*/raw_*") == {"sales/raw_orders", "sales/raw_customers"}
    assert names("key:sales/orders") == {"sales/orders"}


def test_quoted_key_glob_and_modifiers() -> None:
    """Quotes are stripped, and quoting lets a trailing '*' be the downstream modifier."""
    assert names('key:"sales/*"') == names("key:sales/*")
    assert names('key:"sales/raw_*"*') == names("sales/raw_orders*, sales/raw_customers*")
    assert names("key:marketing/*+") == {"marketing/ad_spend", "marketing/roas"}
    assert names("+key:*roas") == {"marketing/roas", "finance/revenue", "marketing/ad_spend"}


def test_list_is_union_of_selections() -> None:
    """A list of strings is the union of each parsed as a whole selection."""
    got = select(GRAPH, ["finance/report", "group:marketing, sales/orders"])
    assert {k.to_user_string() for k in got} == {
        "finance/report",
        "marketing/ad_spend",
        "marketing/roas",
        "sales/orders",
    }
    assert got == [k for k in GRAPH.keys if k in set(got)]


def test_unknown_key_suggests_the_close_key() -> None:
    """A misspelt key names the clause and suggests the real key."""
    with pytest.raises(SelectionError) as err:
        select(GRAPH, "sales/raw_ordrs")
    msg = str(err.value)
    assert "'sales/raw_ordrs' matches no asset" in msg
    assert "did you mean 'sales/raw_orders'" in msg  # closest first


def test_bare_name_suggests_full_key_via_last_part() -> None:
    """A key missing its prefix is matched on its last part, and the full key suggested."""
    with pytest.raises(SelectionError, match=r"did you mean 'sales/raw_orders'\?") as err:
        select(GRAPH, "+raw_ordrs")
    assert "'+raw_ordrs'" in str(err.value)


def test_unknown_key_without_close_match_lists_known_keys() -> None:
    """With nothing close, the message shows which keys exist."""
    with pytest.raises(SelectionError, match="known asset keys: 'finance/report'"):
        select(GRAPH, "zzzzzz")


def test_unknown_group_suggests_group() -> None:
    """An unknown group names the clause and the closest group."""
    with pytest.raises(SelectionError, match="'group:financ' matches no group; did you mean"):
        select(GRAPH, "group:financ")
    with pytest.raises(SelectionError, match="known groups: 'finance', 'marketing', 'sales'"):
        select(GRAPH, "group:qqqqq")


def test_key_pattern_matching_nothing() -> None:
    """A glob matching no key is an error naming it, with the known keys."""
    with pytest.raises(SelectionError, match=r"'key:hr/\*' matches no asset; known asset keys"):
        select(GRAPH, "key:hr/*")


def test_one_bad_clause_fails_the_whole_selection() -> None:
    """A clause that matches nothing is not silently dropped from a union."""
    with pytest.raises(SelectionError, match="'nope' matches no asset"):
        select(GRAPH, "sales/orders, nope")


@pytest.mark.parametrize("selection", ["", "   ", []])
def test_empty_selection(selection: str | list[str]) -> None:
    """An empty selection is an error that shows the accepted forms."""
    with pytest.raises(SelectionError, match="selection is empty; accepted forms"):
        select(GRAPH, selection)


def test_stray_comma() -> None:
    """An empty clause between commas is reported, not ignored."""
    with pytest.raises(SelectionError, match="has an empty clause; remove the stray ','"):
        select(GRAPH, "sales/orders,,finance/report")
    with pytest.raises(SelectionError, match="empty clause"):
        select(GRAPH, "nope,")


def test_syntax_errors_are_reported_before_unmatched_clauses() -> None:
    """The whole selection is parsed before matching, so a typo elsewhere does not hide it."""
    with pytest.raises(SelectionError, match=r"upstream modifier '\*\*'"):
        select(GRAPH, "nope, **sales/orders")


@pytest.mark.parametrize(
    ("selection", "fragment"),
    [
        ("sales/orders+finance/report", "may only lead or trail a clause"),
        ("+", "names no asset key"),
        ("**sales/orders", "upstream modifier '**'"),
        ("+*sales/orders", "upstream modifier '+*'"),
        ("sales/orders*+", "downstream modifier '*+'"),
        ("group:", "names no group name"),
        ("key:", "names no key pattern"),
        ('key:"sales/*', "unclosed"),
        ('key:"sales/*"x', "after the closing quote"),
        ("key:a+b", "'+' cannot appear inside a key pattern"),
        ("sales/*/x", "write 'key:sales/*/x'"),
        ("sales//orders", "is not an asset key"),
        ("sales/*", "to match by pattern, write 'key:sales/*'"),
        ("+sales/*", "to match by pattern, write '+key:sales/*'"),
    ],
)
def test_malformed_clauses(selection: str, fragment: str) -> None:
    """Malformed clauses are named in the error along with what is wrong."""
    with pytest.raises(SelectionError) as err:
        select(GRAPH, selection)
    msg = str(err.value)
    assert repr(selection) in msg
    assert fragment in msg


def test_modifier_errors_show_accepted_forms() -> None:
    """Syntax errors teach the syntax: the message lists the accepted forms."""
    with pytest.raises(SelectionError, match="accepted forms: 'a' or 'prefix/a'"):
        select(GRAPH, "**a")


@st.composite
def dags(draw: st.DrawFn) -> AssetGraph:
    """Random DAGs: node i may depend on any earlier node, which rules out cycles."""
    size = draw(st.integers(min_value=1, max_value=9))
    nodes = []
    for i in range(size):
        parents = draw(st.sets(st.integers(min_value=0, max_value=i - 1))) if i else set()
        nodes.append(_node(f"p/n{i}", *(f"p/n{j}" for j in sorted(parents))))
    order = draw(st.permutations(nodes))
    return AssetGraph(order)


@given(graph=dags(), data=st.data())
def test_star_matches_graph_ancestors_and_descendants(
    graph: AssetGraph, data: st.DataObject
) -> None:
    """'*a' is a plus its ancestors and 'a*' a plus its descendants, on any DAG."""
    key = data.draw(st.sampled_from(graph.keys))
    text = key.to_user_string()
    assert set(select(graph, f"*{text}")) == {key} | graph.ancestors([key])
    assert set(select(graph, f"{text}*")) == {key} | graph.descendants([key])
    depth = data.draw(st.integers(min_value=1, max_value=4))
    assert set(select(graph, "+" * depth + text)) == {key} | graph.ancestors([key], depth)
    got = select(graph, f"*{text}*")
    assert got == [k for k in graph.keys if k in set(got)]
