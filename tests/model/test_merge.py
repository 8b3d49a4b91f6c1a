"""`Definitions.merge`, `get_assets_def`, `resolve_asset_graph` and `@definitions`, with
Dagster's rules (its `test_definitions_class.py`)."""

from __future__ import annotations

import pytest

from upstream import Definitions, DefinitionsError, asset, definitions
from upstream.model import AssetGraph, AssetKey
from upstream.model.lazy import LazyDefinitions


@asset
def orders() -> int:
    return 1


@asset
def summary(orders: int, db: str) -> int:
    return orders


class Db:
    pass


def test_merge_unites_assets_and_resources() -> None:
    db = Db()
    first = Definitions(assets=[orders])
    second = Definitions(resources={"db": db})
    third = Definitions(assets=[orders, summary], resources={"db": db})
    merged = Definitions.merge(first, second, third)
    assert [k.to_user_string() for k in merged.graph.keys] == ["orders", "summary"]
    assert merged.resources == {"db": db}


def test_merge_refuses_two_resources_under_one_key() -> None:
    """Dagster: 'Definitions objects 0 and 1 have different resources with same key'."""
    with pytest.raises(DefinitionsError, match=r"objects 0 and 1 have different resources.*'db'"):
        Definitions.merge(Definitions(resources={"db": Db()}), Definitions(resources={"db": Db()}))


def test_merge_refuses_two_assets_with_one_key() -> None:
    @asset(name="orders")
    def other_orders() -> int:
        return 2

    with pytest.raises(DefinitionsError, match=r"'orders' is defined twice"):
        Definitions.merge(Definitions(assets=[orders]), Definitions(assets=[other_orders]))


def test_merge_takes_only_definitions() -> None:
    with pytest.raises(DefinitionsError, match=r"argument 1 is list"):
        Definitions.merge(Definitions(), [orders])  # type: ignore[arg-type]


def test_get_assets_def_and_the_graph() -> None:
    defs = Definitions(assets=[orders, summary], resources={"db": "x"})
    assert defs.get_assets_def("orders") is orders
    assert defs.get_assets_def(AssetKey(["summary"])) is summary
    with pytest.raises(DefinitionsError, match=r"no asset 'nope'.*known: orders, summary"):
        defs.get_assets_def("nope")
    graph = defs.resolve_asset_graph()
    assert isinstance(graph, AssetGraph)
    assert defs.resolve_all_asset_keys() == [AssetKey(["orders"]), AssetKey(["summary"])]


def test_definitions_decorator_builds_when_called() -> None:
    calls = []

    @definitions
    def defs() -> Definitions:
        calls.append(1)
        return Definitions(assets=[orders])

    assert isinstance(defs, LazyDefinitions)
    assert calls == []
    built = defs()
    assert isinstance(built, Definitions) and built.has_asset(AssetKey(["orders"]))


def test_definitions_decorator_checks_what_it_returns() -> None:
    @definitions
    def wrong() -> Definitions:
        return [orders]  # type: ignore[return-value]

    with pytest.raises(DefinitionsError, match=r"returned list, not a Definitions"):
        wrong()


def test_definitions_decorator_refuses_a_load_context() -> None:
    with pytest.raises(DefinitionsError, match=r"takes parameters \(context\)"):

        @definitions
        def with_context(context: object) -> Definitions:  # type: ignore[misc]
            return Definitions()


def test_the_public_name_is_the_decorator() -> None:
    import upstream

    assert upstream.definitions is definitions
