"""`@asset(kinds=, compute_kind=, owners=, tags=)`: checked as Dagster does, kept on the graph."""

from __future__ import annotations

from typing import Any

import pytest

from upstream import Definitions, DefinitionsError, asset
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey


def _define(**kwargs: Any) -> Any:
    @asset(**kwargs)
    def orders() -> int:
        return 1

    return orders


def test_kinds_owners_and_tags_reach_the_graph_node() -> None:
    orders = _define(
        kinds={"python", "snowflake"},
        owners=["team:sales", "ana@example.com"],
        tags={"domain": "sales", "pii": ""},
    )
    assert orders.kinds == {"python", "snowflake"}
    assert orders.owners == ("team:sales", "ana@example.com")
    node = Definitions(assets=[orders]).graph.node(AssetKey("orders"))
    assert node.kinds == ("python", "snowflake")
    assert node.owners == ("team:sales", "ana@example.com")
    assert node.tags == {"domain": "sales", "pii": ""}


def test_compute_kind_is_shown_as_a_kind() -> None:
    assert _define(compute_kind="dbt").kinds == {"dbt"}


def test_kind_tags_become_kinds() -> None:
    """Dagster stores kinds as `dagster/kind/<kind>` tags; such a tag is read as a kind."""
    orders = _define(tags={"dagster/kind/duckdb": "", "a": "b"})
    assert orders.kinds == {"duckdb"}
    assert orders.tags == {"a": "b"}


def test_at_most_three_kinds() -> None:
    with pytest.raises(DefinitionsError, match="at most three kinds currently"):
        _define(kinds={"python", "snowflake", "bigquery", "airflow"})


def test_compute_kind_and_kinds_together_are_refused() -> None:
    with pytest.raises(DefinitionsError, match="cannot specify compute_kind and kinds"):
        _define(compute_kind="my_compute_kind", kinds={"python"})


@pytest.mark.parametrize("owner", ["arbitrary string", "notanemail@com", "team:", ""])
def test_an_owner_is_an_email_or_a_team(owner: str) -> None:
    with pytest.raises(DefinitionsError, match=r"'orders'.*email address or a team name"):
        _define(owners=[owner])


def test_owners_none_or_empty_is_no_owner() -> None:
    assert _define(owners=None).owners == ()
    assert _define(owners=[]).owners == ()


@pytest.mark.parametrize(
    "tags",
    [
        {"a%": "b"},
        {"a/b/c": "x"},
        {"/a": "x"},
        {"x" * 64: "y"},
        {"a": "has space"},
        {"a": "y" * 64},
        {"a": 1},
    ],
)
def test_tags_follow_dagster_s_strict_rules(tags: dict[str, Any]) -> None:
    with pytest.raises(DefinitionsError, match="'orders': found invalid tag"):
        _define(tags=tags)


def test_valid_tag_keys_take_one_prefix() -> None:
    assert _define(tags={"dagster/priority": "1", "abc.x-y_z": ""}).tags == {
        "dagster/priority": "1",
        "abc.x-y_z": "",
    }


def test_the_snapshot_round_trips_and_older_snapshots_load() -> None:
    node = AssetNode(AssetKey("a"), kinds=("python",), owners=("team:x",), tags={"t": "v"})
    again = AssetGraph.from_snapshot(AssetGraph([node]).to_snapshot()).node(AssetKey("a"))
    assert again == node
    old = {"assets": [{"key": "a", "parents": [], "group": "default"}]}
    loaded = AssetGraph.from_snapshot(old).node(AssetKey("a"))
    assert (loaded.kinds, loaded.owners) == ((), ())


def test_a_graph_without_kinds_or_owners_snapshots_as_before() -> None:
    snapshot = AssetGraph([AssetNode(AssetKey("a"))]).to_snapshot()
    assert "kinds" not in snapshot["assets"][0] and "owners" not in snapshot["assets"][0]
