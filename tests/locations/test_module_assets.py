"""Dagster's module loaders (its `test_load_assets_from_modules.py`): what counts as an
asset, deduplication, collisions, and the group and key-prefix overrides."""

from __future__ import annotations

import importlib

import pytest
from tests.locations.conftest import WriteTree

from upstream import (
    Definitions,
    DefinitionsError,
    load_assets_from_modules,
    load_assets_from_package_module,
    load_assets_from_package_name,
    materialize,
)

PACKAGE = {
    "shop/__init__.py": "",
    "shop/raw.py": """
        from upstream import asset

        @asset
        def orders() -> list[int]:
            return [1, 2, 3]

        @asset(group_name="ingest")
        def customers() -> list[str]:
            return ["ann"]

        not_an_asset = 42
    """,
    "shop/reports/__init__.py": "",
    "shop/reports/daily.py": """
        from upstream import asset
        from shop.raw import orders  # imported: the same object, found twice, kept once

        @asset
        def total(orders: list[int]) -> int:
            return sum(orders)

        both = [total]  # a list of assets counts as well
    """,
}


def _keys(assets: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(a.key.to_user_string() for a in assets)


def test_assets_of_modules_are_found_once(write_tree: WriteTree) -> None:
    write_tree(PACKAGE)
    raw = importlib.import_module("shop.raw")
    daily = importlib.import_module("shop.reports.daily")
    assets = load_assets_from_modules([raw, daily])
    assert _keys(assets) == ["customers", "orders", "total"]
    assert materialize(assets).asset_value("total") == 6


def test_a_package_is_walked(write_tree: WriteTree) -> None:
    write_tree(PACKAGE)
    by_module = load_assets_from_package_module(importlib.import_module("shop"))
    by_name = load_assets_from_package_name("shop")
    assert _keys(by_module) == _keys(by_name) == ["customers", "orders", "total"]


def test_key_prefix_prefixes_every_key_and_the_dependencies_among_them(
    write_tree: WriteTree,
) -> None:
    write_tree(PACKAGE)
    raw = importlib.import_module("shop.raw")
    daily = importlib.import_module("shop.reports.daily")
    assets = load_assets_from_modules([raw, daily], key_prefix=["shop", "v1"])
    assert _keys(assets) == ["shop/v1/customers", "shop/v1/orders", "shop/v1/total"]
    defs = Definitions(assets=assets)
    total = defs.graph.node(defs.get_assets_def("shop/v1/total").key)
    assert [p.to_user_string() for p in total.parents] == ["shop/v1/orders"]
    assert materialize(defs).asset_value("shop/v1/total") == 6
    assert raw.orders.key.to_user_string() == "orders"  # the module's own asset is unchanged


def test_group_name_applies_to_assets_in_the_default_group(write_tree: WriteTree) -> None:
    write_tree(PACKAGE)
    daily = importlib.import_module("shop.reports.daily")
    assets = load_assets_from_modules([daily], group_name="reports")
    assert {a.group_name for a in assets} == {"reports"}


def test_group_name_conflicting_with_an_assets_own_group_is_an_error(
    write_tree: WriteTree,
) -> None:
    """Dagster: 'Asset spec customers has group name ingest, which conflicts with ...'."""
    write_tree(PACKAGE)
    raw = importlib.import_module("shop.raw")
    with pytest.raises(DefinitionsError, match=r"'customers' has group name 'ingest'.*'sales'"):
        load_assets_from_modules([raw], group_name="sales")
    same = load_assets_from_modules([raw], group_name="ingest")
    assert {a.group_name for a in same} == {"ingest"}


def test_two_assets_with_one_key_name_both_modules(write_tree: WriteTree) -> None:
    write_tree(
        {
            "dup/__init__.py": "",
            "dup/a.py": "from upstream import asset\n@asset\ndef x() -> int:\n    return 1\n",
            "dup/b.py": "from upstream import asset\n@asset\ndef x() -> int:\n    return 2\n",
        }
    )
    with pytest.raises(DefinitionsError, match=r"'x' is defined twice.*dup.a.*dup.b"):
        load_assets_from_package_name("dup")


def test_modules_only(write_tree: WriteTree) -> None:
    with pytest.raises(DefinitionsError, match=r"takes modules"):
        load_assets_from_modules(["shop.raw"])  # type: ignore[list-item]


def test_load_assets_from_current_module(write_tree: WriteTree) -> None:
    write_tree(
        {
            "here.py": """
                from upstream import asset, load_assets_from_current_module

                @asset
                def one() -> int:
                    return 1

                @asset
                def two(one: int) -> int:
                    return one + 1

                all_assets = load_assets_from_current_module(group_name="here")
            """
        }
    )
    here = importlib.import_module("here")
    assert _keys(here.all_assets) == ["one", "two"]
    assert {a.group_name for a in here.all_assets} == {"here"}


def test_source_assets_load_and_specs_only_when_asked(write_tree: WriteTree) -> None:
    """Dagster's loaders return `SourceAsset`s, and `AssetSpec`s with include_specs=True;
    a key prefix leaves external assets' keys alone."""
    write_tree(
        {
            "ext_mod.py": """
                from upstream import AssetSpec, SourceAsset, asset

                raw = SourceAsset("raw")
                spec = AssetSpec("vendor")

                @asset(deps=["vendor"])
                def clean(raw):
                    return raw
            """
        }
    )
    module = importlib.import_module("ext_mod")
    plain = load_assets_from_modules([module])
    assert sorted(type(a).__name__ for a in plain) == ["AssetsDefinition", "SourceAsset"]
    every = load_assets_from_modules([module], include_specs=True)
    assert sorted(a.key.to_user_string() for a in every) == ["clean", "raw", "vendor"]
    prefixed = load_assets_from_modules([module], key_prefix="p", include_specs=True)
    assert sorted(a.key.to_user_string() for a in prefixed) == ["p/clean", "raw", "vendor"]
    Definitions(assets=prefixed)  # the prefixed asset still finds `raw` by name
