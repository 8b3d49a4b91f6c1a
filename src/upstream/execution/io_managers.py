"""The built-in IO managers: pickle files under a directory (default), and memory (tests)."""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import threading
from collections.abc import Callable, Mapping
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

    def __init__(self, key: AssetKey, where: str, partition: str | None = None) -> None:
        what = "" if partition is None else f" for partition {partition!r}"
        fix = "it" if partition is None else "that partition"
        super().__init__(
            f"asset {key.to_user_string()!r} has no stored value{what} ({where}); "
            f"materialize {fix} first or add it to the selection"
        )


# Dagster's UPathIOManager: with this metadata on the input (AssetIn(metadata=...)), a
# partition never stored is left out of the dict instead of failing the load.
ALLOW_MISSING_PARTITIONS = "allow_missing_partitions"


def partition_path(key: str) -> str:
    """A partition key as a relative path: the key itself, or a multi-dimensional key's
    values in the order of their dimension names, one directory each (Dagster's layout)."""
    by_dimension = getattr(key, "keys_by_dimension", None)
    if isinstance(by_dimension, Mapping):
        return os.path.join(*(str(by_dimension[name]) for name in sorted(by_dimension)))
    return key


def one_partition(context: OutputContext, manager: str) -> str | None:
    """The one partition an output stores (None: not partitioned). An IO manager storing a
    value per partition cannot store a range's one value: the error says what to do."""
    if not context.has_asset_partitions:
        return None
    keys = context.asset_partition_keys
    if len(keys) != 1:
        raise UpstreamError(
            f"{manager} stores one value per partition, but this step of "
            f"{context.asset_key.to_user_string()!r} covers {len(keys)} partitions (a range "
            "run); run one partition per run (BackfillPolicy.multi_run()), or store the data "
            "yourself and return None (or a MaterializeResult)"
        )
    return keys[0]


def load_partitions(
    context: InputContext, load: Callable[[str], Any], missing: type[Exception]
) -> Any:
    """Dagster's rule for a partitioned input: one partition, its value; several, a dict
    keyed by partition key; none, None. `load(key)` raises `missing` for a partition never
    stored, skipped when the input allows missing partitions."""
    keys = context.asset_partition_keys
    if len(keys) == 1:
        return load(keys[0])
    allow = bool(context.definition_metadata.get(ALLOW_MISSING_PARTITIONS, False))
    values: dict[str, Any] = {}
    for key in keys:
        try:
            values[key] = load(key)
        except missing:
            if not allow:
                raise
            context.log.warning(
                f"Couldn't load partition {key} and skipped it because the input metadata "
                f"includes {ALLOW_MISSING_PARTITIONS}=True"
            )
    return values if keys else None


class FilesystemIOManager(IOManager):
    """Pickles each value to `base_dir/<key path>`, atomically (temp file + rename).

    A reader never sees a half-written file, and a step re-executed after a crash simply
    replaces the previous value.
    """

    def __init__(self, base_dir: str | os.PathLike[str] | None = None) -> None:
        self.base_dir = Path(default_storage_dir() if base_dir is None else base_dir)
        self._base = str(self.base_dir)

    def path_for(self, key: AssetKey, partition: str | None = None) -> str:
        """Where `key`'s value lives (a partition's: under the key's directory, Dagster's
        layout). A string joined with `os.path`: a step asks for one per input and output,
        and building `Path` objects cost more than the file reads."""
        if partition is None:
            return os.path.join(self._base, *key.path)
        return os.path.join(self._base, *key.path, partition_path(partition))

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        partition = one_partition(context, type(self).__name__)
        path = self.path_for(context.asset_key, partition)
        if partition is not None:
            _replace_unpartitioned_file(self.path_for(context.asset_key), context)
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
        if context.has_asset_partitions:
            return load_partitions(
                context, lambda key: self._load(context.asset_key, key), MissingValue
            )
        return self._load(context.asset_key, None)

    def _load(self, key: AssetKey, partition: str | None) -> Any:
        path = self.path_for(key, partition)
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except (FileNotFoundError, NotADirectoryError):
            raise MissingValue(key, f"no file {path}", partition) from None
        except IsADirectoryError:  # a partitioned asset's directory, read without a partition
            raise MissingValue(
                key, f"{path} holds its partitions: load one with a partition key", None
            ) from None


def _replace_unpartitioned_file(path: str, context: OutputContext) -> None:
    """An asset that was stored unpartitioned left a file where its partitions' directory
    goes: remove it, as Dagster's UPathIOManager does, so the directory can be made."""
    if os.path.isfile(path):
        context.log.warning(
            f"Found file at {path} from the unpartitioned version of "
            f"{context.asset_key.to_user_string()}; removing it for the partitions' directory"
        )
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


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
    """Keeps values in a dict, for tests and in-process `materialize()`; nothing touches disk.

    A range run's output is kept as the one value it is, under its keys, and a reader of
    exactly those keys gets it back (Dagster's mem_io_manager keeps a step's output as is)."""

    runs_inline = True  # cheap and non-blocking: no need for a worker thread

    def __init__(self) -> None:
        # an asset's value by its key; a partitioned asset's by (key, partition key), a
        # range's by (key, its keys joined by NUL)
        self.values: dict[AssetKey | tuple[AssetKey, str], Any] = {}
        self._lock = threading.Lock()

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        stored: AssetKey | tuple[AssetKey, str] = context.asset_key
        if context.has_asset_partitions:
            stored = (context.asset_key, _RANGE.join(context.asset_partition_keys))
        with self._lock:
            self.values[stored] = obj

    def load_input(self, context: InputContext) -> Any:
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            whole = (context.asset_key, _RANGE.join(keys))
            with self._lock:
                if len(keys) > 1 and whole in self.values:
                    return self.values[whole]
            return load_partitions(
                context, lambda key: self._load(context.asset_key, key), MissingValue
            )
        return self._load(context.asset_key, None)

    def _load(self, key: AssetKey, partition: str | None) -> Any:
        stored: AssetKey | tuple[AssetKey, str] = key if partition is None else (key, partition)
        with self._lock:
            if stored not in self.values:
                raise MissingValue(key, "not in this process's memory", partition)
            return self.values[stored]


_RANGE = "\x00"  # joins a range's keys: no partition key holds it


@io_manager
def fs_io_manager(init_context: InitResourceContext) -> IOManager:
    """Dagster's `fs_io_manager`: a `FilesystemIOManager`; config `{"base_dir": ...}`."""
    config = init_context.resource_config or {}
    return FilesystemIOManager(base_dir=config.get("base_dir"))


@io_manager
def mem_io_manager(init_context: InitResourceContext) -> IOManager:
    """Dagster's `mem_io_manager`: values in this process's memory, one store per run."""
    return InMemoryIOManager()
