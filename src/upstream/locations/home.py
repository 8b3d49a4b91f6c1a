"""The home directory: where embedded state and the default IO manager's values live."""

from __future__ import annotations

import os
from pathlib import Path

from upstream.execution.io_managers import FilesystemIOManager
from upstream.model.definitions import Definitions
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY, IOManager

__all__ = ["default_io_manager", "upstream_home"]


def default_io_manager(definitions: Definitions) -> IOManager:
    """The definitions' own `io_manager` resource, else pickles under `upstream_home()`:
    what the CLI's runs, workers and `upstream dev` store values with."""
    own = definitions.resources.get(DEFAULT_IO_MANAGER_KEY)
    if isinstance(own, IOManager):
        return own
    return FilesystemIOManager(upstream_home() / "storage")


def upstream_home() -> Path:
    """Where embedded state lives: `$UPSTREAM_HOME`, else `.upstream/` in the current dir."""
    configured = os.environ.get("UPSTREAM_HOME")
    return Path(configured) if configured else Path.cwd() / ".upstream"
