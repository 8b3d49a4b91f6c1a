"""The `context` an asset may take as its first parameter."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Protocol

from upstream.model.errors import UpstreamError
from upstream.model.events import AssetMaterialization
from upstream.model.keys import AssetKey
from upstream.model.partition_context import (
    AssetPartitions,
    PartitionError,
    StepPartitions,
    time_window_of,
)
from upstream.model.partitions import PartitionKeyRange, PartitionsDefinition

__all__ = ["AssetExecutionContext", "OpExecutionContext", "Resources", "StepLog"]


class StepLog(Protocol):
    """The logger behind `context.log`; its lines land in the run's event log."""

    def debug(self, msg: str, *args: Any) -> None: ...
    def info(self, msg: str, *args: Any) -> None: ...
    def warning(self, msg: str, *args: Any) -> None: ...
    def error(self, msg: str, *args: Any) -> None: ...
    def exception(self, msg: str, *args: Any) -> None: ...


class Resources:
    """Resources by attribute (`context.resources.db`) and by key (`context.resources["db"]`)."""

    def __init__(self, resources: Mapping[str, Any]) -> None:
        self._resources = dict(resources)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._resources[name]
        except KeyError:
            known = ", ".join(sorted(self._resources)) or "none"
            raise AttributeError(f"no resource {name!r}; provided: {known}") from None

    def __getitem__(self, name: str) -> Any:
        return self._resources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._resources

    def __repr__(self) -> str:
        return f"Resources({sorted(self._resources)})"


class AssetExecutionContext:
    """Run id, asset key, a logger and the resources, for the asset being materialized."""

    def __init__(
        self,
        *,
        run_id: str,
        asset_key: AssetKey,
        log: StepLog,
        resources: Mapping[str, Any],
        attempt: int = 1,
        selected_asset_keys: AbstractSet[AssetKey] | None = None,
        selected_output_names: AbstractSet[str] | None = None,
        op_config: Any = None,
        output_keys: Mapping[str, AssetKey] | None = None,
        partitions: StepPartitions | None = None,
    ) -> None:
        self.run_id = run_id
        self.op_config = op_config  # this asset's raw run config (`ops.<op>.config`), as Dagster's
        self._asset_key = asset_key
        # output name -> asset key: a multi-asset's outputs (else the one output "result")
        self._output_keys = dict(output_keys or {"result": asset_key})
        self.log = log
        self.resources = Resources(resources)
        self.attempt = attempt
        self.selected_asset_keys = frozenset(selected_asset_keys or {asset_key})
        self.selected_output_names = frozenset(selected_output_names or {"result"})
        self._metadata: dict[str | None, dict[str, Any]] = {}
        self._logged: list[AssetMaterialization] = []
        self._partitions = partitions or StepPartitions()

    def add_output_metadata(
        self, metadata: Mapping[str, Any], output_name: str | None = None
    ) -> None:
        """Attach metadata to this materialization, as `MaterializeResult(metadata=...)` does;
        a multi-asset names the output (`output_name=`), as in Dagster."""
        self._metadata.setdefault(output_name, {}).update(metadata)

    @property
    def output_metadata(self) -> dict[str, Any]:
        """What `add_output_metadata` attached without an output name."""
        return dict(self._metadata.get(None, {}))

    @property
    def metadata_by_output(self) -> dict[str | None, dict[str, Any]]:
        """Everything `add_output_metadata` attached, by output name (None: unnamed)."""
        return {name: dict(found) for name, found in self._metadata.items()}

    @property
    def asset_key(self) -> AssetKey:
        """The asset being materialized. A multi-asset of several assets has no one key:
        this raises, as Dagster's does; use `asset_key_for_output`."""
        if len(self._output_keys) > 1:
            raise UpstreamError(
                "Cannot call `context.asset_key` in a multi_asset with more than one asset; "
                "use `context.asset_key_for_output(name)` or `context.selected_asset_keys`"
            )
        return self._asset_key

    def asset_key_for_output(self, output_name: str = "result") -> AssetKey:
        """The asset key an output of this step materializes (Dagster's name)."""
        try:
            return self._output_keys[output_name]
        except KeyError:
            known = ", ".join(repr(n) for n in self._output_keys)
            raise UpstreamError(f"no output {output_name!r}; outputs: {known}") from None

    def log_event(self, event: AssetMaterialization) -> None:
        """Record `event`, a materialization of another asset (an external one, a table
        written on the side), with this step, as Dagster's `context.log_event`."""
        if not isinstance(event, AssetMaterialization):
            raise TypeError(f"log_event takes an AssetMaterialization, got {type(event).__name__}")
        self._logged.append(event)

    @property
    def logged_materializations(self) -> list[AssetMaterialization]:
        """What `log_event` recorded, in order."""
        return list(self._logged)

    # -- partitions (Dagster's names and errors) ----------------------------------------

    @property
    def has_partition_key(self) -> bool:
        """Whether this run targets one partition key."""
        target = self._partitions.target
        return target is not None and target.start == target.end

    @property
    def has_partition_key_range(self) -> bool:
        """Whether this run targets a range of several partitions."""
        target = self._partitions.target
        return target is not None and target.start != target.end

    @property
    def partition_key(self) -> str:
        """The run's partition key; raises for an unpartitioned run or a range."""
        target = self._target("partition_key")
        if target.start != target.end:
            raise PartitionError(
                "Cannot access partition_key for a partitioned run with a range of partitions. "
                "Call partition_key_range instead."
            )
        return target.start

    @property
    def partition_key_range(self) -> PartitionKeyRange:
        """The run's partition key range (one key: a range from it to itself)."""
        return self._target("partition_key_range")

    @property
    def partition_keys(self) -> list[str]:
        """Every partition key this run covers, in the definition's order."""
        self._target("partition_keys")
        return list(self._step_keys())

    @property
    def partition_time_window(self) -> Any:
        """The time window the run covers: a key's window, or a range's first start to its
        last end. Raises for an unpartitioned run or a definition without time windows."""
        partitions_def = self._partitions.partitions_def
        if partitions_def is None:
            raise PartitionError("Partitions definition is not defined")
        self._target("partition_time_window")
        return time_window_of(partitions_def, self._step_keys(), "partition_time_window")

    def _target(self, what: str) -> PartitionKeyRange:
        target = self._partitions.target
        if target is None:
            raise PartitionError(f"Cannot access {what} for a non-partitioned run")
        return target

    def _step_keys(self) -> tuple[str, ...]:
        return self._partitions.keys

    def _output(self, output_name: str) -> AssetPartitions:
        key = self.asset_key_for_output(output_name)
        found = self._partitions.outputs.get(key)
        if found is None:
            raise PartitionError(
                f"The output {output_name!r} ({key.to_user_string()}) has no asset partitions"
            )
        return found

    def asset_partitions_def_for_output(self, output_name: str = "result") -> PartitionsDefinition:
        return self._output(output_name).partitions_def

    def asset_partition_key_for_output(self, output_name: str = "result") -> str:
        return self._output(output_name).key(f"output {output_name!r}")

    def asset_partition_keys_for_output(self, output_name: str = "result") -> list[str]:
        return list(self._output(output_name).keys)

    def asset_partition_key_range_for_output(
        self, output_name: str = "result"
    ) -> PartitionKeyRange:
        return self._output(output_name).key_range(f"output {output_name!r}")

    def asset_partitions_time_window_for_output(self, output_name: str = "result") -> Any:
        return self._output(output_name).time_window(f"output {output_name!r}")

    def _input(self, input_name: str) -> AssetPartitions:
        found = self._partitions.inputs.get(input_name)
        if found is None:
            raise PartitionError(
                f"The input {input_name!r} has no asset partitions: it names no input of this "
                "asset, or its upstream asset is not partitioned"
            )
        return found

    def asset_partitions_def_for_input(self, input_name: str) -> PartitionsDefinition:
        """The partitions definition of the upstream asset behind `input_name`."""
        return self._input(input_name).partitions_def

    def asset_partition_key_for_input(self, input_name: str) -> str:
        """The one upstream partition `input_name` reads."""
        return self._input(input_name).key(f"input {input_name!r}")

    def asset_partition_keys_for_input(self, input_name: str) -> list[str]:
        """The upstream partitions `input_name` reads (through its partition mapping)."""
        return list(self._input(input_name).keys)

    def asset_partition_key_range_for_input(self, input_name: str) -> PartitionKeyRange:
        return self._input(input_name).key_range(f"input {input_name!r}")

    def asset_partitions_time_window_for_input(self, input_name: str) -> Any:
        return self._input(input_name).time_window(f"input {input_name!r}")

    def __repr__(self) -> str:
        return f"AssetExecutionContext(run_id={self.run_id!r}, asset_key={self._asset_key})"


# Dagster's older name; there an asset's context is also an OpExecutionContext.
OpExecutionContext = AssetExecutionContext
