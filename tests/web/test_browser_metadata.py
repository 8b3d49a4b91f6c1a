"""The UI shows each metadata kind as Dagster's does (a table as a table, a timestamp as a
date, an asset and a run as links) and an asset's kinds, owners and tags, in Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from tests.web.test_browser import _eventually, _serve, _shot, browser, page  # noqa: F401

LABELLED = """
from datetime import datetime, timezone

from upstream import (
    AssetKey, Definitions, MaterializeResult, MetadataValue, TableColumn,
    TableColumnConstraints, TableRecord, TableSchema, asset,
)

SCHEMA = TableSchema(columns=[
    TableColumn("id", "int", constraints=TableColumnConstraints(nullable=False, unique=True)),
    TableColumn("city", description="where"),
])

@asset(key_prefix="sales", kinds={"python", "duckdb"}, owners=["team:sales"], tags={"tier": "1"})
def orders() -> int:
    return 1

@asset(compute_kind="pandas")
def report(orders: int) -> MaterializeResult:
    return MaterializeResult(value=orders, metadata={
        "preview": MetadataValue.table(
            [TableRecord({"id": 1, "city": "Oslo"}), TableRecord({"id": 2, "city": None})], SCHEMA
        ),
        "schema": MetadataValue.table_schema(SCHEMA),
        "as_of": MetadataValue.timestamp(datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)),
        "source": MetadataValue.asset(AssetKey(["sales", "orders"])),
        "previous_run": MetadataValue.dagster_run("0123456789abcdef"),
    })

defs = Definitions(assets=[orders, report], resources={})
"""


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("labelled")
    (tmp / "labelled.py").write_text(LABELLED)
    yield from _serve(tmp, "-f", str(tmp / "labelled.py"))


def test_metadata_kinds_render_as_tables_dates_and_links(page: Page, labelled: str) -> None:  # noqa: F811
    for key in ("sales/orders", "report"):  # report loads what orders stored
        page.goto(f"{labelled}/assets/{key}")
        page.click("#materialize")
        page.wait_for_url("**/runs/*")
        _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")

    page.goto(labelled + "/assets/report")
    latest = page.locator("#asset-latest")
    latest.locator("table.meta-table").first.wait_for()
    preview = latest.locator('dd[data-type="table"] table')
    assert preview.locator("th").all_inner_texts() == ["id", "city"]
    assert preview.locator("tbody tr").count() == 2
    assert preview.locator("tbody tr").nth(1).inner_text().split() == ["2", "null"]
    schema = latest.locator('dd[data-type="table_schema"] table')
    assert "not null, unique" in schema.locator("tbody tr").first.inner_text()
    when = latest.locator('dd[data-type="timestamp"] time')
    assert when.get_attribute("datetime") == "2024-05-06T07:08:09.000Z"
    assert when.inner_text().startswith("2024-05-0")  # local time, as a date, not seconds
    assert latest.locator("a.meta-asset").get_attribute("href") == "/assets/sales/orders"
    assert latest.locator("a.meta-run").get_attribute("href") == "/runs/0123456789abcdef"
    assert latest.locator("a.meta-run").inner_text() == "01234567"
    definition = page.locator("#asset-definition")
    assert "pandas" in definition.inner_text()  # compute_kind is shown as a kind
    _shot(page, "ui-metadata.png")


def test_kinds_owners_and_tags_show_on_the_asset_page_and_catalog(
    page: Page,  # noqa: F811
    labelled: str,
) -> None:
    page.goto(labelled + "/assets/sales/orders")
    definition = page.locator("#asset-definition")
    definition.locator(".chip.kind").first.wait_for()
    assert definition.locator(".chip.kind").all_inner_texts() == ["duckdb", "python"]
    assert definition.locator(".chip.owner").all_inner_texts() == ["team:sales"]
    assert "tier" in definition.locator(".chip.tag").first.inner_text()

    page.goto(labelled + "/catalog")
    page.wait_for_selector("tr[data-key]")
    assert page.locator('tr[data-key="sales/orders"] .chip.kind').count() == 2
    page.fill("#catalog-search", "team:sales")
    _eventually(lambda: page.locator("tr[data-key]").count(), 1)
    page.fill("#catalog-search", "pandas")
    _eventually(lambda: page.locator("tr[data-key]").all_inner_texts()[0].split()[0], "report")
