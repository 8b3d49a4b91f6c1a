"""The IO manager interface: how an asset's value is stored and loaded by its downstreams.

Pure interface; the built-in implementations (filesystem, in-memory) live in
`upstream.execution.io_managers` because they do I/O.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from upstream.model.context import StepLog
from upstream.model.errors import UpstreamError
from upstream.model.keys import AssetKey

__all__ = ["DEFAULT_IO_MANAGER_KEY", "IOManager", "InputContext", "OutputContext"]

DEFAULT_IO_MANAGER_KEY = "io_manager"


_LOG = logging.getLogger("upstream.io")


def _no_partition() -> UpstreamError:
    # Dagster's words; partitions are upstream's issue 18, so every run is unpartitioned
    return UpstreamError("Tried to access partition_key on a non-partitioned run.")


class _AssetContext:
    """What both contexts say alike: they always name an asset (upstream stores assets, never
    op outputs), and no run is partitioned yet (partitions are issue 18)."""

    @property
    def has_asset_key(self) -> bool:
        return True

    @property
    def has_partition_key(self) -> bool:
        return False

    @property
    def partition_key(self) -> str:
        """Raises, as Dagster does on a run that is not partitioned."""
        raise _no_partition()


@dataclass
class OutputContext(_AssetContext):
    """What an IO manager knows when it stores an asset's value (Dagster's names).

    `definition_metadata` is the asset's `metadata=`; `output_metadata` is what
    `add_output_metadata` recorded; `metadata` is Dagster's deprecated name for the former.
    `log` writes to the run's event log during a run (a plain logger otherwise).
    """

    asset_key: AssetKey
    run_id: str
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    output_metadata: dict[str, Any] = field(default_factory=dict)
    log: StepLog = field(default=_LOG, repr=False)
    name: str = "result"  # the output's name: an @asset has one, named "result"
    step_key: str | None = None

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Record metadata (a path, a size) with this materialization."""
        self.output_metadata.update(metadata)

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Dagster's deprecated name for `definition_metadata`."""
        return self.definition_metadata


@dataclass
class InputContext(_AssetContext):
    """What an IO manager knows when it loads an upstream value for a downstream asset.

    `name` is the parameter; `definition_metadata` the `AssetIn(metadata=...)` of that
    parameter; `upstream_output` describes the asset being loaded (its definition metadata,
    not the runtime metadata of its last materialization, as in Dagster).
    """

    asset_key: AssetKey  # the upstream asset being loaded
    downstream_key: AssetKey
    parameter: str
    run_id: str
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    upstream_output: OutputContext | None = None
    log: StepLog = field(default=_LOG, repr=False)

    @property
    def name(self) -> str:
        """The input's name: the downstream's parameter."""
        return self.parameter

    @property
    def metadata(self) -> Mapping[str, Any]:
        """Dagster's deprecated name for `definition_metadata`."""
        return self.definition_metadata


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
