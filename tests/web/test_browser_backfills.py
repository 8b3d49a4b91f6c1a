"""The backfills pages in a real browser: the list (linked from the nav) shows a backfill
with its progress bar; its page shows each partition's unit and links the runs; a run's
page links back to its backfill."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from tests.web.test_backfills_api import PARTITIONED
from tests.web.test_browser import _eventually, _serve, browser, page

__all__ = ["browser", "page"]  # the fixtures, used by name


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("partitioned")
    (tmp / "pipeline.py").write_text(PARTITIONED)
    yield from _serve(tmp, "-f", str(tmp / "pipeline.py"))


def test_a_backfill_shows_its_partitions_and_runs(page: Page, partitioned: str) -> None:
    body = {"selection": "events,daily", "partitions": {"range": ["2024-01-01", "2024-01-04"]}}
    request = urllib.request.Request(
        partitioned + "/api/backfills",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Upstream-CSRF": "1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        backfill_id = json.loads(response.read())["backfill_id"]
    page.goto(f"{partitioned}/runs")
    page.locator("nav#nav a", has_text="Backfills").click()
    row = page.locator(f'#backfills-body tr[data-id="{backfill_id}"]')
    _eventually(lambda: "completed" in row.inner_text().lower(), True)
    assert row.locator(".progress .p-success").count() == 1
    row.locator("a").click()
    _eventually(lambda: page.locator("#backfill-status").inner_text().strip().lower(), "completed")
    assert "4 success partitions" in page.locator("#backfill-legend").inner_text()
    units = page.locator("#units-body tr")
    assert units.count() == 4
    assert "2024-01-02" in units.nth(1).inner_text()
    units.nth(1).locator("a").click()
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")
    page.locator("#run-backfill").click()
    _eventually(lambda: page.url.endswith(f"/backfills/{backfill_id}"), True)
