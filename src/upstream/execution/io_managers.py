"""The built-in IO managers: pickle files under a directory (default), and memory (tests)."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
from pathlib import Path
from typing import Any

from upstream.definitions.io_manager import InputContext, IOManager, OutputContext
from upstream.definitions.keys import AssetKey

__all__ = ["FilesystemIOManager", "InMemoryIOManager", "MissingValue"]


class MissingValue(LookupError):
    """An upstream value that was never stored; the message says how to produce it."""

    def __init__(self, key: AssetKey, where: str) -> None:
        super().__init__(
            f"asset {key.to_user_string()!r} has no stored value ({where}); "
            "materialize it first or add it to the selection"
        )


class FilesystemIOManager(IOManager):
    """Pickles each value to `base_dir/<key path>`, atomically (temp file + rename).

    A reader never sees a half-written file, and a step re-executed after a crash simply
    replaces the previous value.
    """

    def __init__(self, base_dir: str | os.PathLike[str]) -> None:
        self.base_dir = Path(base_dir)

    def path_for(self, key: AssetKey) -> Path:
        return self.base_dir.joinpath(*key.path)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        path = self.path_for(context.asset_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> Any:
        path = self.path_for(context.asset_key)
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            raise MissingValue(context.asset_key, f"no file {path}") from None


class InMemoryIOManager(IOManager):
    """Keeps values in a dict, for tests and in-process `materialize()`; nothing touches disk."""

    runs_inline = True  # cheap and non-blocking: no need for a worker thread

    def __init__(self) -> None:
        self.values: dict[AssetKey, Any] = {}
        self._lock = threading.Lock()

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        with self._lock:
            self.values[context.asset_key] = obj

    def load_input(self, context: InputContext) -> Any:
        with self._lock:
            if context.asset_key not in self.values:
                raise MissingValue(context.asset_key, "not in this process's memory")
            return self.values[context.asset_key]
