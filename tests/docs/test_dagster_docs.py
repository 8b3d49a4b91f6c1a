"""Every Python example in docs/dagster/*.md runs: the guide for Dagster users never lies.

The blocks of one page run in order in one namespace (a later block may use what an
earlier one defined), in a fresh directory with its own UPSTREAM_HOME. A block whose
fence reads ```python no-run is shown but not run (it needs a cluster, say).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dagster"
_BLOCK = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def python_blocks(text: str) -> list[str]:
    """The runnable ```python blocks of a page, in order."""
    return [body for info, body in _BLOCK.findall(text) if "no-run" not in info.split()]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(page.read_text())
    assert blocks, f"{page.name} has no runnable python example"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UPSTREAM_HOME", str(tmp_path / ".upstream"))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = type(sys)(f"docs_{page.stem}")  # a real module: pickling and inspect need one
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for number, body in enumerate(blocks, 1):
        code = compile(body, f"{page.name}, python block {number}", "exec")
        exec(code, namespace)


def test_the_harness_finds_blocks() -> None:
    text = "x\n```python\na = 1\n```\n```python no-run\nb = 2\n```\n```bash\nc\n```\n"
    assert python_blocks(text) == ["a = 1\n"]
