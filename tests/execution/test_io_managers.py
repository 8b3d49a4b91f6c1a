"""The filesystem IO manager writes atomically: a failed write leaves the old value whole."""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import pickle
import shutil
import stat
import threading
from pathlib import Path

import pytest

from upstream import AssetKey, FilesystemIOManager
from upstream.execution import io_managers
from upstream.execution.io_managers import MissingValue
from upstream.model.io_manager import InputContext, OutputContext

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
    assert context.output_metadata == {"path": str(path)}
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


def test_directories_are_created_on_first_write_and_again_if_removed(tmp_path: Path) -> None:
    """A nested key's directories appear on its first write, and reappear if deleted since."""
    manager = FilesystemIOManager(tmp_path / "storage")
    key = AssetKey(["warehouse", "sales", "orders"])
    manager.handle_output(_out(key), 1)
    assert manager.load_input(_in(key)) == 1
    shutil.rmtree(tmp_path / "storage")
    manager.handle_output(_out(key), 2)
    assert manager.load_input(_in(key)) == 2


def test_a_rewrite_replaces_the_value_and_leaves_only_the_value_file(tmp_path: Path) -> None:
    """A re-executed step replaces the file; no temporary file stays behind."""
    manager = FilesystemIOManager(tmp_path)
    for value in range(3):
        manager.handle_output(_out(), value)
    assert manager.load_input(_in()) == 2
    assert sorted(p.name for p in (tmp_path / "sales").iterdir()) == ["orders"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_stored_value_is_private_to_its_owner(tmp_path: Path) -> None:
    """As with tempfile.mkstemp, the value file is created 0600."""
    FilesystemIOManager(tmp_path).handle_output(_out(), 1)
    assert stat.S_IMODE((tmp_path / "sales" / "orders").stat().st_mode) == 0o600


def test_a_temp_file_left_by_a_crashed_process_is_never_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leftover with the name this process would pick is skipped, not overwritten."""
    monkeypatch.setattr(io_managers, "_temp_numbers", itertools.count())
    (tmp_path / "sales").mkdir()
    stale = tmp_path / "sales" / f".orders.{os.getpid()}-0.tmp"
    stale.write_bytes(b"half a value")
    manager = FilesystemIOManager(tmp_path)
    manager.handle_output(_out(), "whole")
    assert manager.load_input(_in()) == "whole"
    assert stale.read_bytes() == b"half a value"


def test_concurrent_writers_never_expose_half_a_value(tmp_path: Path) -> None:
    """Threads rewriting one key while another reads: every read is one whole value."""
    manager = FilesystemIOManager(tmp_path)
    values = [list(range(n, n + 20_000)) for n in range(4)]
    manager.handle_output(_out(), values[0])
    stop = threading.Event()

    def write(value: list[int]) -> None:
        for _ in range(20):
            manager.handle_output(_out(), value)

    def read() -> None:
        while not stop.is_set():
            assert manager.load_input(_in()) in values

    with concurrent.futures.ThreadPoolExecutor(1 + len(values)) as pool:
        reader = pool.submit(read)
        for writer in [pool.submit(write, value) for value in values]:
            writer.result()
        stop.set()
        reader.result()
    assert sorted(p.name for p in (tmp_path / "sales").iterdir()) == ["orders"]
