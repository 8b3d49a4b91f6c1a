"""Launching partitioned assets in a real browser: the asset page's Materialize asks for a
partition (from and to, picked from the definition's keys), the run takes it, and the run
page shows it. An unpartitioned asset launches at once, as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from tests.partitioned import PIPELINE
from tests.web.test_browser import _eventually, _serve, browser, page

__all__ = ["browser", "page"]  # the fixtures, used by name


@pytest.fixture(scope="module")
def lettered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("lettered")
    (tmp / "pipeline.py").write_text(PIPELINE)
    yield from _serve(tmp, "-f", str(tmp / "pipeline.py"))


def test_materialize_asks_for_a_partition_and_the_run_shows_it(page: Page, lettered: str) -> None:
    page.goto(lettered + "/assets/daily")
    page.click("#materialize")
    dialog = page.locator("dialog.partition-dialog")
    dialog.wait_for(state="visible")
    assert "4 partitions" in dialog.inner_text()
    page.select_option("#partition-start", "b")
    page.select_option("#partition-end", "c")
    page.click("dialog.partition-dialog button[value=launch]")
    page.wait_for_url("**/runs/*")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")
    assert "b...c" in page.locator("#run-facts").inner_text()


def test_canceling_the_dialog_launches_nothing(page: Page, lettered: str) -> None:
    page.goto(lettered + "/assets/report")
    page.click("#materialize")
    page.locator("dialog.partition-dialog").wait_for(state="visible")
    page.click("#partition-all")
    page.click("dialog.partition-dialog button[value=cancel]")
    page.locator("dialog.partition-dialog").wait_for(state="detached")
    assert "/assets/report" in page.url


def test_an_unpartitioned_asset_launches_at_once(page: Page, lettered: str) -> None:
    page.goto(lettered + "/assets/lookup")
    page.click("#materialize")
    page.wait_for_url("**/runs/*")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")
    assert "Partition" not in page.locator("#run-facts").inner_text()


def test_a_range_launches_as_a_backfill_of_a_run_per_partition(page: Page, lettered: str) -> None:
    """The dialog's "Launch as backfill": runs cut by BackfillPolicy (one per partition by
    default), followed on the backfill's page until it completes."""
    page.goto(lettered + "/assets/daily")
    page.click("#materialize")
    page.locator("dialog.partition-dialog").wait_for(state="visible")
    page.select_option("#partition-start", "a")
    page.select_option("#partition-end", "c")
    page.click("dialog.partition-dialog button[value=backfill]")
    page.wait_for_url("**/backfills/*")
    _eventually(lambda: page.locator("#backfill-status").inner_text().strip().lower(), "completed")
    assert page.locator("#units-body tr").count() == 3
