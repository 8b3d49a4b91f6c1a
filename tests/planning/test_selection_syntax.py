"""The string syntax's boolean forms: `and`, `or`, `not`, parentheses, `tag:`, `kind:`,
`owner:`, depth digits and `roots()`/`sinks()`; errors say the forms and 'did you mean'."""

from __future__ import annotations

import pytest
from tests.planning.test_asset_selection import GRAPH

from upstream.model.errors import SelectionError
from upstream.planning.selection import select


def names(text: str) -> set[str]:
    return {k.to_user_string() for k in select(GRAPH, text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("group:sales and kind:python", {"sales/raw", "sales/orders"}),
        ("group:sales AND kind:s3", {"sales/raw"}),
        (
            "group:sales or group:marketing",
            {"sales/raw", "sales/orders", "marketing/spend", "marketing/roas"},
        ),
        ("not group:finance and not group:marketing", {"sales/raw", "sales/orders"}),
        ("NOT kind:python and group:sales", set()),
        ("kind:python or kind:snowflake and group:sales", {"sales/raw", "sales/orders"}),
        ("(kind:python or kind:snowflake) and group:marketing", {"marketing/spend"}),
        ("tag:tier=1", {"sales/orders"}),
        ('tag:"tier"="1"', {"sales/orders"}),
        ('tag:tier="1"', {"sales/orders"}),
        ("tag:pii", {"finance/revenue"}),
        ("owner:team:sales", {"sales/raw"}),
        ('owner:"ana@example.com"', {"finance/report"}),
        ("kind:snowflake+", {"marketing/spend", "marketing/roas"}),
        ("2+key:finance/revenue", {"finance/revenue", "sales/orders", "sales/raw"}),
        ("finance/revenue+2", {"finance/revenue", "finance/report", "marketing/roas"}),
        ('key:"sales/raw"+1', {"sales/raw", "sales/orders"}),
        (
            "(sales/raw or marketing/spend)+",
            {"sales/raw", "sales/orders", "marketing/spend", "marketing/roas"},
        ),
        ("+(finance/report)", {"finance/report", "finance/revenue"}),
        ("*(finance/report)", {"finance/report", "finance/revenue", "sales/orders", "sales/raw"}),
        ("roots(group:finance or group:sales)", {"sales/raw"}),
        ("sinks(*finance/revenue)", {"finance/revenue"}),
        ("+sinks(group:sales)", {"sales/orders", "sales/raw"}),
        ("sales/raw, group:marketing and kind:snowflake", {"sales/raw", "marketing/spend"}),
        ("*finance/revenue and sales/raw*", {"sales/raw", "sales/orders", "finance/revenue"}),
    ],
)
def test_boolean_forms(text: str, expected: set[str]) -> None:
    assert (names(text) if expected else _empty(text)) == expected


def _empty(text: str) -> set[str]:
    with pytest.raises(SelectionError, match="matches no asset; loosen it"):
        select(GRAPH, text)
    return set()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("kind:pyton", "did you mean 'python'?"),
        ("owner:team:sale", "did you mean 'team:sales'?"),
        ("tag:tire=1", "did you mean 'tier=1'"),
        ("tags:tier", "unknown filter 'tags:'; did you mean 'tag:'?"),
        ("status:missing", "'status:' is not supported by upstream"),
        ("group:sales and", "at its end: expected a clause"),
        ("(group:sales", "expected ')'"),
        ("group:sales)", "expected 'and', 'or', ',' or the end"),
        ("rots(group:sales)", "unknown function 'rots'; did you mean 'roots'?"),
        ("(group:sales)x", "only '+', '+<n>' or '*' may follow ')'"),
        (
            "group:sales kind:python",
            "at 'kind:python' (position 12): expected 'and', 'or', ',' or the end",
        ),
        ("tag:", "names no tag key"),
    ],
)
def test_errors_name_the_problem_and_a_fix(text: str, fragment: str) -> None:
    with pytest.raises(SelectionError) as err:
        select(GRAPH, text)
    assert fragment in str(err.value)


def test_syntax_errors_list_the_accepted_forms() -> None:
    with pytest.raises(SelectionError, match=r"accepted forms: .*'and'"):
        select(GRAPH, "group:sales or")
