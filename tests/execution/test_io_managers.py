"""The filesystem IO manager writes atomically: a failed write leaves the old value whole."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from upstream import AssetKey, FilesystemIOManager
from upstream.definitions.io_manager import InputContext, OutputContext
from upstream.execution.io_managers import MissingValue

KEY = AssetKey(["sales", "orders"])


def _out(key: AssetKey = KEY) -> OutputContext:
    return OutputContext(asset_key=key, run_id="r1")


def _in(key: AssetKey = KEY) -> InputContext:
    return InputContext(asset_key=key, downstream_key=AssetKey("x"), parameter="p", run_id="r1")


def test_values_are_pickled_under_the_key_path(tmp_path: Path) -> None:
    """The file lives at base/<key parts>, and its path is recorded as metadata."""
    manager = FilesystemIOManager(tmp_path)
    context = _out()
    manager.handle_output(context, {"rows": 3})
    path = tmp_path / "sales" / "orders"
    assert pickle.loads(path.read_bytes()) == {"rows": 3}
    assert context.metadata == {"path": str(path)}
    assert manager.load_input(_in()) == {"rows": 3}


def test_a_failed_write_keeps_the_previous_value_and_leaves_no_temp_file(tmp_path: Path) -> None:
    """An unpicklable value raises, the old file is intact, and no temp file is left."""
    manager = FilesystemIOManager(tmp_path)
    manager.handle_output(_out(), "old")
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        manager.handle_output(_out(), lambda: None)
    assert manager.load_input(_in()) == "old"
    assert sorted(p.name for p in (tmp_path / "sales").iterdir()) == ["orders"]


def test_a_missing_value_says_what_to_do(tmp_path: Path) -> None:
    """Loading what was never stored names the asset and the fix."""
    manager = FilesystemIOManager(tmp_path)
    with pytest.raises(MissingValue, match=r"'sales/orders' has no stored value.*materialize it"):
        manager.load_input(_in())
