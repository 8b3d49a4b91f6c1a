"""`upstream materialize -f` on the files Dagster users have: bare assets with no
`Definitions`, and a module whose definitions come from an `@definitions` function."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run_cli, write

BARE = """
from upstream import asset

@asset
def raw() -> int:
    return 2

@asset
def doubled(raw: int) -> int:
    return raw * 2
"""

LAZY = """
from upstream import Definitions, asset, definitions

@asset
def only() -> int:
    return 1

@definitions
def defs():
    return Definitions(assets=[only])
"""

MIXED = """
from upstream import Definitions, definitions

defs = Definitions()

@definitions
def more():
    return Definitions()
"""


def test_a_file_of_bare_assets_materializes(tmp_path: Path, home: Path) -> None:
    write(tmp_path, BARE)
    proc = run_cli("materialize", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    assert "2 succeeded" in proc.stdout


def test_a_definitions_function_materializes(tmp_path: Path, home: Path) -> None:
    write(tmp_path, LAZY)
    proc = run_cli("materialize", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    assert "1 succeeded" in proc.stdout


def test_a_mixed_module_is_one_line_and_exit_2(tmp_path: Path, home: Path) -> None:
    write(tmp_path, MIXED)
    proc = run_cli("materialize", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "keep one of them" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
