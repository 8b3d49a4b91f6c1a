"""Loading a code location again after its file changed: the edited code, never a stale one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from upstream.locations import forget_code_location, load_code_location

_SOURCE = """from upstream import Definitions, asset

@asset
def {name}() -> int:
    return 1

defs = Definitions([{name}])
"""


def test_an_edit_of_the_same_size_within_the_second_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python trusts a cached .pyc by its source's size and whole-second mtime, so the
    bytecode of the first version must go when the location is forgotten."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    code = tmp_path / "pipeline.py"
    code.write_text(_SOURCE.format(name="aaa"))
    os.utime(code, (1_000_000_000, 1_000_000_000))
    first = load_code_location(file=str(code))
    assert [k.to_user_string() for k in first.definitions.graph.keys] == ["aaa"]

    forget_code_location(file=str(code))
    code.write_text(_SOURCE.format(name="bbb"))  # same size
    os.utime(code, (1_000_000_000, 1_000_000_000))  # same second
    second = load_code_location(file=str(code))
    assert [k.to_user_string() for k in second.definitions.graph.keys] == ["bbb"]
    forget_code_location(file=str(code))
