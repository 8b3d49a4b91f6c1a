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
from upstream.model.keys import AssetKey
from upstream.model.partition_context import AssetPartitions, PartitionError
from upstream.model.partitions import PartitionKeyRange, PartitionsDefinition

__all__ = ["DEFAULT_IO_MANAGER_KEY", "IOManager", "InputContext", "OutputContext"]

DEFAULT_IO_MANAGER_KEY = "io_manager"


_LOG = logging.getLogger("upstream.io")


class _AssetContext:
    """What both contexts say alike (Dagster's names): they always name an asset (upstream
    stores assets, never op outputs); `run_partition` is the step's partition key or range
    (None: an unpartitioned step); `asset_partitions` the partitions of `asset_key` this
    context writes (output) or reads (input; the upstream's keys, through the mapping)."""

    run_partition: PartitionKeyRange | None
    asset_partitions: AssetPartitions | None
    asset_key: AssetKey

    @property
    def has_asset_key(self) -> bool:
        return True

    @property
    def has_partition_key(self) -> bool:
        """Whether the step runs for one partition key."""
        found = self.run_partition
        return found is not None and found.start == found.end

    @property
    def partition_key(self) -> str:
        """The step's partition key; raises, as Dagster does, on an unpartitioned run (or
        one of a range)."""
        found = self.run_partition
        if found is None or found.start != found.end:
            raise PartitionError("Tried to access partition_key on a non-partitioned run.")
        return found.start

    @property
    def has_asset_partitions(self) -> bool:
        """Whether `asset_key` is partitioned, so values are stored per partition."""
        return self.asset_partitions is not None

    def _partitions(self, what: str) -> AssetPartitions:
        if self.asset_partitions is None:
            raise PartitionError(
                f"Tried to access {what}, but the asset {self.asset_key.to_user_string()!r} "
                "is not partitioned"
            )
        return self.asset_partitions

    @property
    def asset_partitions_def(self) -> PartitionsDefinition:
        return self._partitions("asset_partitions_def").partitions_def

    @property
    def asset_partition_key(self) -> str:
        """The one partition of `asset_key` written or read; raises for several."""
        return self._partitions("asset_partition_key").key(
            f"asset {self.asset_key.to_user_string()!r}"
        )

    @property
    def asset_partition_keys(self) -> list[str]:
        """The partitions of `asset_key` written or read, in the definition's order (a
        multi-dimensional definition's keys as its own key objects)."""
        return self._partitions("asset_partition_keys").typed_keys()

    @property
    def asset_partition_key_range(self) -> PartitionKeyRange:
        return self._partitions("asset_partition_key_range").key_range(
            f"asset {self.asset_key.to_user_string()!r}"
        )

    @property
    def asset_partitions_time_window(self) -> Any:
        return self._partitions("asset_partitions_time_window").time_window(
            f"asset {self.asset_key.to_user_string()!r}"
        )

    def get_asset_identifier(self) -> list[str]:
        """The asset key's path, plus the partition key when partitioned (Dagster's)."""
        if self.asset_partitions is None:
            return list(self.asset_key.path)
        return [*self.asset_key.path, self.asset_partition_key]


@dataclass
class OutputContext(_AssetContext):
    """What an IO manager knows when it stores an asset's value (Dagster's names).

    `definition_metadata` is the asset's `metadata=`; `output_metadata` is what
    `add_output_metadata` recorded; `metadata` is Dagster's deprecated name for the former.
    `log` writes to the run's event log during a run (a plain logger otherwise).
    A partitioned asset's value is one per partition: `asset_partition_key(s)` say which.
    """

    asset_key: AssetKey
    run_id: str
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    output_metadata: dict[str, Any] = field(default_factory=dict)
    log: StepLog = field(default=_LOG, repr=False)
    name: str = "result"  # the output's name: an @asset has one, named "result"
    step_key: str | None = None
    run_partition: PartitionKeyRange | None = None
    asset_partitions: AssetPartitions | None = None

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
    not the runtime metadata of its last materialization, as in Dagster). `partition_key`
    is the running (downstream) step's; `asset_partition_keys` are the upstream partitions
    to load, through the edge's partition mapping (several: return a dict keyed by key).
    """

    asset_key: AssetKey  # the upstream asset being loaded
    downstream_key: AssetKey
    parameter: str
    run_id: str
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    upstream_output: OutputContext | None = None
    log: StepLog = field(default=_LOG, repr=False)
    run_partition: PartitionKeyRange | None = None  # the downstream step's
    asset_partitions: AssetPartitions | None = None  # the upstream partitions to load

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
