"""The IO manager interface: how an asset's value is stored and loaded by its downstreams.

Pure interface; the built-in implementations (filesystem, in-memory) live in
`upstream.execution.io_managers` because they do I/O.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from upstream.model.keys import AssetKey

__all__ = ["DEFAULT_IO_MANAGER_KEY", "IOManager", "InputContext", "OutputContext"]

DEFAULT_IO_MANAGER_KEY = "io_manager"


@dataclass
class OutputContext:
    """What an IO manager knows when it stores an asset's value."""

    asset_key: AssetKey
    run_id: str
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Record metadata (a path, a size) with this materialization."""
        self.metadata.update(metadata)


@dataclass
class InputContext:
    """What an IO manager knows when it loads an upstream value for a downstream asset."""

    asset_key: AssetKey  # the upstream asset being loaded
    downstream_key: AssetKey
    parameter: str
    run_id: str


class IOManager(ABC):
    """Stores asset values and loads them for downstream assets.

    Provide one as a resource (`Definitions(resources={"io_manager": MyIOManager()})` replaces
    the default; other keys are chosen per asset with `@asset(io_manager_key=...)`).
    Implementations must write atomically: a re-executed step never leaves half an asset.
    """

    @abstractmethod
    def handle_output(self, context: OutputContext, obj: Any) -> None:
        """Store `obj`, the value of `context.asset_key`."""

    @abstractmethod
    def load_input(self, context: InputContext) -> Any:
        """Return the stored value of `context.asset_key`."""
