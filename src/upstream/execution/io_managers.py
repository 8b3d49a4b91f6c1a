"""The built-in IO managers: pickle files under a directory (default), and memory (tests)."""

from __future__ import annotations

import itertools
import os
import pickle
import threading
from pathlib import Path
from typing import Any

from upstream.model.errors import UpstreamError
from upstream.model.io_manager import InputContext, IOManager, OutputContext
from upstream.model.keys import AssetKey
from upstream.model.resource_definition import InitResourceContext, io_manager

__all__ = [
    "FilesystemIOManager",
    "InMemoryIOManager",
    "MissingValue",
    "default_storage_dir",
    "fs_io_manager",
    "mem_io_manager",
]

# What tempfile.mkstemp uses: a new file only (never an existing one or a symlink), private.
_TEMP_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_temp_numbers = itertools.count()  # process-wide, so threads never pick the same name


class MissingValue(UpstreamError, LookupError):
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

    def __init__(self, base_dir: str | os.PathLike[str] | None = None) -> None:
        self.base_dir = Path(default_storage_dir() if base_dir is None else base_dir)
        self._base = str(self.base_dir)

    def path_for(self, key: AssetKey) -> str:
        """Where `key`'s value lives. A string joined with `os.path`: a step asks for one
        per input and output, and building `Path` objects cost more than the file reads."""
        return os.path.join(self._base, *key.path)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        path = self.path_for(context.asset_key)
        try:
            fd, tmp = _create_temp_beside(path)
        except FileNotFoundError:  # the key's first value here: create its directory once
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = _create_temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        context.add_output_metadata({"path": path})

    def load_input(self, context: InputContext) -> Any:
        path = self.path_for(context.asset_key)
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except FileNotFoundError:
            raise MissingValue(context.asset_key, f"no file {path}") from None


def default_storage_dir() -> str:
    """Where values go without a `base_dir`: `storage/` under `$UPSTREAM_HOME` (else
    `.upstream/`), as Dagster's default is its instance's storage directory."""
    return os.path.join(os.environ.get("UPSTREAM_HOME") or ".upstream", "storage")


def _create_temp_beside(path: str) -> tuple[int, str]:
    """Create a new, empty, private file in `path`'s directory (so that `os.replace` onto
    `path` is atomic); return its descriptor, open for writing, and its name.

    Named `.<name>.<pid>-<n>.tmp`, unique among live processes on this host; `O_EXCL`
    guarantees it is a new file even if a crashed process left one of that name behind.
    """
    directory, name = os.path.split(path)
    while True:
        tmp = os.path.join(directory, f".{name}.{os.getpid()}-{next(_temp_numbers)}.tmp")
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue  # a leftover of an earlier process with our pid: take the next number


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


@io_manager
def fs_io_manager(init_context: InitResourceContext) -> IOManager:
    """Dagster's `fs_io_manager`: a `FilesystemIOManager`; config `{"base_dir": ...}`."""
    config = init_context.resource_config or {}
    return FilesystemIOManager(base_dir=config.get("base_dir"))


@io_manager
def mem_io_manager(init_context: InitResourceContext) -> IOManager:
    """Dagster's `mem_io_manager`: values in this process's memory, one store per run."""
    return InMemoryIOManager()
