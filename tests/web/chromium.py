"""Debian's Chromium for Playwright (never a downloaded browser): shared by the browser
tests and benchmarks/ui.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

CHROMIUM = os.environ.get("UPSTREAM_CHROMIUM", "/usr/bin/chromium")
# Headless on a machine without a screen or a network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


INSTALL = "apt-get install chromium"


def require_chromium() -> None:
    """Skip without Debian's Chromium (a fresh machine passes the README's test command);
    fail instead under CI=true, where the browser tests are required (.ci/run installs it)."""
    if Path(CHROMIUM).exists():
        return
    reason = f"no Chromium at {CHROMIUM}: {INSTALL} (or set UPSTREAM_CHROMIUM)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true requires the browser tests")
    pytest.skip(reason)


def launch_chromium(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
