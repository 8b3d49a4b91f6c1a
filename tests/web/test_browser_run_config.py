"""The run page in a real browser shows the run config and tags a run was launched with."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from tests.web.test_browser import _eventually, _serve, browser, page
from tests.web.test_run_config_api import CONFIGURED

__all__ = ["browser", "page"]  # the fixtures, used by name


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("configured")
    (tmp / "pipeline.py").write_text(CONFIGURED)
    yield from _serve(tmp, "-f", str(tmp / "pipeline.py"))


def test_the_run_page_shows_the_run_config(page: Page, configured: str) -> None:
    body = {
        "selection": "key:sales/*",
        "run_config": {"ops": {"sales__scaled": {"config": {"factor": 3}}}},
    }
    request = urllib.request.Request(
        configured + "/api/runs",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Upstream-CSRF": "1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        (run_id,) = json.loads(response.read())["run_ids"]
    page.goto(f"{configured}/runs/{run_id}")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")
    shown = page.locator("pre.run-config")
    shown.wait_for(state="visible")
    assert json.loads(shown.inner_text()) == body["run_config"]


def test_the_run_page_shows_the_run_tags(page: Page, configured: str) -> None:
    body = {"selection": "key:sales/orders", "tags": {"team": "sales", "note": "<b>x</b>"}}
    request = urllib.request.Request(
        configured + "/api/runs",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Upstream-CSRF": "1"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        (run_id,) = json.loads(response.read())["run_ids"]
    page.goto(f"{configured}/runs/{run_id}")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")
    facts = page.locator("#run-facts")
    _eventually(lambda: "team=sales" in facts.inner_text(), True)
    assert "note=<b>x</b>" in facts.inner_text()  # escaped: shown as text, not markup
