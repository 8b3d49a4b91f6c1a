"""`upstream init NAME` writes a project that passes its own test at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from upstream.cli.scaffold import package_name, scaffold_project

SRC = Path(__file__).resolve().parents[2] / "src"


def test_scaffold_writes_a_project_whose_test_passes(tmp_path: Path) -> None:
    root = scaffold_project("my-project", tmp_path)

    assert root == tmp_path / "my-project"
    for relative in (
        "pyproject.toml",
        "README.md",
        "my_project/__init__.py",
        "tests/test_assets.py",
    ):
        assert (root / relative).is_file(), relative
    assert "upstream materialize -m my_project" in (root / "README.md").read_text()
    assert 'packages = ["my_project"]' in (root / "pyproject.toml").read_text()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(root), str(SRC), env.get("PYTHONPATH")) if p
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_scaffold_into_an_existing_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    assert (scaffold_project("demo", tmp_path) / "demo" / "__init__.py").is_file()


def test_non_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        scaffold_project("demo", tmp_path)
    assert (tmp_path / "demo" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("2fast", "my_2fast"), ("class", "my_class"), ("my project", "my_project")],
)
def test_bad_name_says_which_name_would_work(tmp_path: Path, name: str, suggestion: str) -> None:
    with pytest.raises(ValueError, match=f"try '{suggestion}'"):
        scaffold_project(name, tmp_path)
    assert not (tmp_path / name).exists()


def test_package_names() -> None:
    assert package_name("my-project") == "my_project"
    assert package_name("Orders.Pipeline") == "orders_pipeline"
    with pytest.raises(ValueError, match="shadows"):
        package_name("upstream")
