"""`.venv/bin/python benchmarks/ui.py [--sizes 1000,10000] [--repeat 3]`: the web UI's speed.

For each size, starts `upstream dev` on the layered graph (width 10, 3 parents), runs it once
so every asset has a status and one run has N steps, then measures in headless Chromium
(Debian's, driven by Playwright): time until the asset graph page is interactive, frame
times while panning it, time until the catalog shows rows and until its last row is
reached, and time until the N-step run page shows its timeline. Medians over --repeat
fresh page loads; results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Browser, Page, sync_playwright
from tests.web.chromium import launch_chromium

from benchmarks.graphs import module_file
from benchmarks.procs import bench_env

HEADERS = {"X-Upstream-CSRF": "1", "Content-Type": "application/json"}

# Frame times while dragging: one requestAnimationFrame stamp per frame (CSP-safe: CDP).
_RECORD_FRAMES = """() => {
  window.__frames = [];
  const tick = (t) => { window.__frames.push(t); if (window.__frames.length < 2000)
    requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _call(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=HEADERS)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _start_dev(n: int, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    module = module_file("layered", n)
    proc = subprocess.Popen(
        [sys.executable, "-m", "upstream", "dev", "-f", str(module), "--port", str(port)],
        env=bench_env({"UPSTREAM_HOME": str(home)}),
        stdout=subprocess.DEVNULL,
        stderr=(home / "dev.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            _call(base, "/api/info")
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"upstream dev did not start: {home / 'dev.log'}") from None
            time.sleep(0.2)


def _materialize_all(base: str) -> str:
    (run_id,) = _call(base, "/api/runs", {"selection": "*"})["run_ids"]
    while _call(base, f"/api/runs/{run_id}")["status"] in ("QUEUED", "STARTED", "CANCELING"):
        time.sleep(0.5)
    return str(run_id)


def _timed(page: Page, url: str, ready: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    return time.perf_counter() - started


def _graph(page: Page, base: str) -> dict[str, float]:
    interactive = _timed(page, base + "/", 'body[data-graph-ready="1"]')
    box = page.locator("canvas").first.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(_RECORD_FRAMES)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(120):  # two seconds of dragging at 60 moves a second
        page.mouse.move(x + (step % 60) * 6 - 180, y + (step % 40) * 3 - 60)
        page.wait_for_timeout(1000 / 60)
    page.mouse.up()
    stamps: list[float] = page.evaluate("() => window.__frames")
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
    p95 = gaps[int(len(gaps) * 0.95)] if gaps else float("nan")
    return {"graph interactive s": interactive, "pan frame p95 ms": p95}


def _catalog(page: Page, base: str) -> dict[str, float]:
    first_rows = _timed(page, base + "/catalog", "tr[data-key]")
    last = page.evaluate("() => document.querySelector('#catalog-count').textContent")
    started = time.perf_counter()
    page.locator("#catalog-scroll").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    count = int("".join(ch for ch in last if ch.isdigit()) or "0")
    page.wait_for_selector(f"tr[data-key='a{count - 1}']", state="attached", timeout=30_000)
    return {"catalog rows s": first_rows, "catalog last row s": time.perf_counter() - started}


def _run_page(page: Page, base: str, run_id: str) -> dict[str, float]:
    return {"run page timeline s": _timed(page, f"{base}/runs/{run_id}", "#gantt .gantt-row")}


def _measure(browser: Browser, fn: Callable[[Page], dict[str, float]]) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        return fn(context.new_page())
    finally:
        context.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    sizes = [int(s) for s in options.sizes.split(",")]
    results: dict[int, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for n in sizes:
            with tempfile.TemporaryDirectory(prefix="upstream-ui-bench-") as tmp:
                proc, base = _start_dev(n, Path(tmp))
                try:
                    print(f"N={n}: materializing once ...", file=sys.stderr)
                    run_id = _materialize_all(base)
                    samples: dict[str, list[float]] = {}
                    for _ in range(options.repeat):
                        for fn in (
                            functools.partial(_graph, base=base),
                            functools.partial(_catalog, base=base),
                            functools.partial(_run_page, base=base, run_id=run_id),
                        ):
                            for name, value in _measure(browser, fn).items():
                                samples.setdefault(name, []).append(value)
                    results[n] = samples
                finally:
                    proc.terminate()
                    proc.wait(30)
        browser.close()
    names = list(next(iter(results.values())))
    print("| measure | " + " | ".join(f"N={n:,} median (min-max)" for n in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = []
        for samples in results.values():
            values = samples[name]
            cells.append(f"{statistics.median(values):.3g} ({min(values):.3g}-{max(values):.3g})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
