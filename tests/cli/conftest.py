"""Fixtures for the CLI tests: each test gets its own, not yet existing, UPSTREAM_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """Where the CLI under test keeps its state; absent until a command creates it."""
    return tmp_path / "home"
