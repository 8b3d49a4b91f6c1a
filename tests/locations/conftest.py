"""A fixture writing Python packages into a temporary directory on `sys.path`, and
forgetting them afterwards, so each test imports its own fresh code."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WriteTree = Callable[[dict[str, str]], Path]


@pytest.fixture
def write_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteTree]:
    """`write_tree({"pkg/__init__.py": "...", ...})` writes the files (dedented) under
    tmp_path, which is on sys.path; the modules imported from there are dropped after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)

    def write(files: dict[str, str]) -> Path:
        tops = {Path(name).parts[0].removesuffix(".py") for name in files}
        tops |= {Path(name).parts[1] for name in files if name.startswith("src/")}
        for name in list(sys.modules):  # a module of that name imported elsewhere
            if name.split(".")[0] in tops:
                monkeypatch.delitem(sys.modules, name)
        for name, source in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source), encoding="utf-8")
        importlib.invalidate_caches()
        return tmp_path

    yield write
    for name in set(sys.modules) - before:
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin.startswith(str(tmp_path)):
            del sys.modules[name]
