"""The UI in a real browser: Debian's headless Chromium driven by Playwright, against a real
`upstream dev` process. What a user does first: open the graph, click an asset,
materialize it, watch it finish; read a failure's traceback; filter by a selection."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from tests.web.chromium import launch_chromium, require_chromium
from tests.web.conftest import PIPELINE

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = os.environ.get("UPSTREAM_SCREENSHOTS")  # a directory: keep what the tests see


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(tmp: Path, *location: str) -> Iterator[str]:
    """`upstream dev` as a user starts it; yields its address; stopped afterwards."""
    port = _free_port()
    env = {**os.environ, "UPSTREAM_HOME": str(tmp / ".upstream"), "PYTHONPATH": str(ROOT)}
    env.pop("UPSTREAM_DATABASE_URL", None)
    log = (tmp / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "upstream", "dev", *location, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/api/info", timeout=2).close()
            break
        except OSError:
            assert proc.poll() is None, (tmp / "dev.log").read_text()
            assert time.monotonic() < deadline, "upstream dev did not answer in 30 s"
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The README's example: `upstream dev -m examples.orders`."""
    yield from _serve(tmp_path_factory.mktemp("orders"), "-m", "examples.orders")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A code location with a failing asset."""
    tmp = tmp_path_factory.mktemp("pipeline")
    (tmp / "pipeline.py").write_text(PIPELINE)
    yield from _serve(tmp, "-f", str(tmp / "pipeline.py"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page whose console errors (a script error, a CSP violation) fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert errors == [], errors


def _eventually(read: Callable[[], Any], want: Any, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while (got := read()) != want:
        assert time.monotonic() < deadline, f"still {got!r}, waiting for {want!r}"
        time.sleep(0.1)


def _open_graph(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('body[data-graph-ready="1"]', state="attached")


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / name))


def test_click_an_asset_materialize_it_and_see_its_status_change(page: Page, orders: str) -> None:
    _open_graph(page, orders + "/")
    assert page.evaluate("upstreamGraph.nodeCount()") == 3
    assert page.evaluate("upstreamGraph.nodeStatus('raw_orders')") == "never"

    spot = page.evaluate("upstreamGraph.screenPosition('raw_orders')")
    page.mouse.click(spot["x"], spot["y"])
    panel = page.locator("#asset-panel")
    panel.wait_for(state="visible")
    assert "raw_orders" in panel.inner_text()
    _shot(page, "ui-graph.png")

    page.click("#materialize")
    page.wait_for_url("**/runs/*")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "success")

    _open_graph(page, orders + "/")
    _eventually(lambda: page.evaluate("upstreamGraph.nodeStatus('raw_orders')"), "materialized")
    assert page.evaluate("upstreamGraph.nodeStatus('daily_summary')") == "never"


def test_a_failed_run_shows_the_traceback(page: Page, pipeline: str) -> None:
    page.goto(pipeline + "/assets/broken")
    page.click("#materialize")
    page.wait_for_url("**/runs/*")
    _eventually(lambda: page.locator("#run-status").inner_text().strip().lower(), "failure")
    traceback = page.locator("pre.traceback")
    traceback.wait_for(state="visible")
    text = traceback.inner_text()
    assert 'raise ValueError("bad data in row 3")' in text
    assert "ValueError: bad data in row 3" in text or "bad data in row 3" in text
    assert page.locator("tr.step-failure").count() == 1
    _shot(page, "ui-run.png")


def test_a_selection_filters_the_graph(page: Page, pipeline: str) -> None:
    _open_graph(page, pipeline + "/")
    assert page.evaluate("upstreamGraph.selectedCount()") is None
    page.fill("#selection", "group:quality")
    page.click("#apply-selection")
    _eventually(lambda: page.evaluate("upstreamGraph.selectedCount()"), 2)
    page.fill("#selection", "+sales/revenue")
    page.press("#selection", "Enter")
    _eventually(lambda: page.evaluate("upstreamGraph.selectedCount()"), 2)


def test_the_catalog_lists_and_filters_assets(page: Page, pipeline: str) -> None:
    page.goto(pipeline + "/catalog")
    page.wait_for_selector("tr[data-key]")
    assert page.locator("tr[data-key]").count() == 5
    page.fill("#catalog-search", "sales")
    _eventually(lambda: page.locator("tr[data-key]").count(), 2)


def test_a_missing_run_is_a_404_page(browser: Browser, pipeline: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()  # not the `page` fixture: the 404 itself logs an error
        response = page.goto(pipeline + "/runs/no-such-run")
        assert response is not None and response.status == 404
        assert "no-such-run" in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_broken_edit_shows_its_error_and_the_fix_clears_it(page: Page, tmp_path: Path) -> None:
    """The module is re-imported when it changes; the open page shows the error live."""
    code = tmp_path / "pipeline.py"
    code.write_text(PIPELINE)
    with contextlib.contextmanager(_serve)(tmp_path, "-f", str(code)) as base:
        _open_graph(page, base + "/")
        code.write_text(PIPELINE.replace("def revenue(orders", "def revenue(ordrs"))
        banner = page.locator("#load-error")
        banner.wait_for(state="visible", timeout=15_000)
        assert "did you mean 'orders'" in banner.inner_text()
        assert page.evaluate("upstreamGraph.nodeCount()") == 5  # the last good graph stays
        code.write_text(PIPELINE)
        banner.wait_for(state="detached", timeout=15_000)
        # leave before this test's server stops: a poll landing after it would be a console
        # error ("connection refused") that fails the page fixture, by timing alone
        page.goto("about:blank")
