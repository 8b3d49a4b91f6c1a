"""The asset page's partition status bar in Chromium: 12,000 partitions drawn from a few
segments, counts beside it, the keys and status under the pointer, and a click (shift-click
to extend) dispatching `upstream:partition-range` for the launch dialog."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from playwright.sync_api import Page
from tests.web.test_browser import _serve, _shot, browser, page  # noqa: F401
from tests.web.test_partitions_api import PARTITIONED, _record

from upstream.storage import open_sqlite_storage


async def _seed(home: Path) -> None:
    async with await open_sqlite_storage(home / "state.db") as storage:
        await _record(storage)


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("partitioned")
    (tmp / "partitioned.py").write_text(PARTITIONED)
    # Playwright's sync API runs an event loop in this thread: seed from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, _seed, tmp / ".upstream").result()
    yield from _serve(tmp, "-f", str(tmp / "partitioned.py"))


def test_the_partition_bar_shows_counts_hover_and_dispatches_a_range(
    page: Page,  # noqa: F811
    partitioned: str,
) -> None:
    page.goto(partitioned + "/assets/daily")
    section = page.locator("#partitions-section")
    section.wait_for(state="visible")
    assert page.locator("#partitions-count").inner_text() == "(12,000)"
    counts = {
        c.get_attribute("data-status"): c.locator("b").inner_text()
        for c in page.locator(".partition-count").all()
    }
    assert counts == {
        "materialized": "10,000",
        "failed": "1",
        "in_progress": "2",
        "missing": "1,997",
    }
    bar = page.locator("#partitions-bar")
    box = bar.bounding_box()
    assert box is not None and box["width"] > 500

    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
    tip = page.locator("#partitions-tip")
    assert tip.inner_text() == "k00000 … k09999 · Materialized · 10,000 keys"
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    assert tip.inner_text().endswith("Missing · 1,997 keys")

    page.evaluate(
        "window.picked = []; document.addEventListener("
        "'upstream:partition-range', (e) => window.picked.push(e.detail))"
    )
    bar.click(position={"x": box["width"] * 0.1, "y": 5})
    bar.click(position={"x": box["width"] * 0.95, "y": 5}, modifiers=["Shift"])
    picked = page.evaluate("window.picked")
    assert picked[0] == {
        "asset": "daily",
        "start": "k00000",
        "end": "k09999",
        "count": 10_000,
        "statuses": ["materialized"],
    }
    assert picked[1]["start"] == "k00000" and picked[1]["end"] == "k11999"
    assert picked[1]["count"] == 12_000
    assert "k11999" in page.locator("#partitions-selected").inner_text()
    _shot(page, "ui-partitions.png")

    # The selection launches: the dialog opens filled in with its first and last key.
    page.click("#launch-partitions")
    dialog = page.locator("dialog.partition-dialog")
    dialog.wait_for(state="visible")
    assert page.locator("#partition-start").input_value() == "k00000"
    assert page.locator("#partition-end").input_value() == "k11999"
    page.click("dialog.partition-dialog button[value=cancel]")


def test_an_unpartitioned_asset_has_no_bar(page: Page, partitioned: str) -> None:  # noqa: F811
    page.goto(partitioned + "/assets/plain")
    page.locator("#asset-page").wait_for(state="visible")
    assert page.locator("#partitions-section").is_hidden()
