"""What `materialize()` returns, with Dagster's `ExecuteInProcessResult` API: the outcome,
the run's events as objects, and each asset's value."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from upstream.execution.step import io_manager_for
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.io_manager import InputContext, IOManager
from upstream.model.keys import AssetKey, CoercibleToAssetKey
from upstream.model.metadata import MetadataValue
from upstream.model.multi_asset import MultiAssetsDefinition
from upstream.model.partition_context import AssetPartitions
from upstream.model.partitions import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    partition_from_tags,
)
from upstream.storage.base import EventType
from upstream.storage.records import EventRecord, RunRecord, RunStatus, StepRecord, StepStatus

__all__ = [
    "DEFAULT_OUTPUT",
    "ExecuteInProcessResult",
    "RecordedMaterialization",
    "RunEvent",
    "StepMaterializationData",
]

DEFAULT_OUTPUT = "result"  # the name of an asset's one output, as in Dagster


def node_name(step_key: str) -> str:
    """Dagster's op name for an asset: its key's parts joined by `__`."""
    return step_key.replace("/", "__")


@dataclass(frozen=True)
class RecordedMaterialization:
    """One materialization as recorded: Dagster's `AssetMaterialization` fields tests read."""

    asset_key: AssetKey
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    description: str | None = None
    partition: str | None = None  # the partition key it materialized, if partitioned


@dataclass(frozen=True)
class StepMaterializationData:
    """Dagster's `event_specific_data` of a materialization event."""

    materialization: RecordedMaterialization


@dataclass(frozen=True)
class RunEvent:
    """One entry of the run's event log, shaped like Dagster's `DagsterEvent` for tests:
    `event_type_value`, `step_key`, `node_name`, `asset_key`, `is_step_success`..."""

    event_type_value: str
    step_key: str | None
    timestamp: float
    data: Mapping[str, Any]

    @property
    def event_type(self) -> str:
        return self.event_type_value

    @property
    def node_name(self) -> str | None:
        return None if self.step_key is None else node_name(self.step_key)

    @property
    def asset_key(self) -> AssetKey | None:
        """The asset a materialization made (a multi-asset's step makes several), else the
        asset of the step; None for run events."""
        made = self.data.get("asset_key") if self.is_step_materialization else None
        if isinstance(made, str):
            return AssetKey.from_user_string(made)
        if self.step_key is None or not self.event_type_value.startswith(("STEP_", "ASSET_")):
            return None
        try:
            return AssetKey.from_user_string(self.step_key)
        except ValueError:
            return None

    @property
    def is_step_success(self) -> bool:
        return self.event_type_value == EventType.STEP_SUCCESS

    @property
    def is_step_failure(self) -> bool:
        return self.event_type_value == EventType.STEP_FAILURE

    @property
    def is_step_skipped(self) -> bool:
        return self.event_type_value == EventType.STEP_SKIPPED

    @property
    def is_step_materialization(self) -> bool:
        return self.event_type_value == EventType.ASSET_MATERIALIZATION

    @property
    def is_failure(self) -> bool:
        return self.event_type_value in (EventType.STEP_FAILURE, EventType.RUN_FAILURE)

    @property
    def message(self) -> str | None:
        value = self.data.get("message")
        return value if isinstance(value, str) else None

    @property
    def materialization(self) -> RecordedMaterialization | None:
        """The materialization an ASSET_MATERIALIZATION event records (else None)."""
        key = self.asset_key
        if not self.is_step_materialization or key is None:
            return None
        entries = self.data.get("metadata") or {}
        metadata = {k: MetadataValue(e["type"], e["value"]) for k, e in entries.items()}
        partition = self.data.get("partition")
        return RecordedMaterialization(
            key, metadata, partition=partition if isinstance(partition, str) else None
        )

    @property
    def step_materialization_data(self) -> StepMaterializationData | None:
        found = self.materialization
        return None if found is None else StepMaterializationData(found)

    event_specific_data = step_materialization_data


class ExecuteInProcessResult:
    """What `materialize()` returns: the run's outcome, each step, and the values produced."""

    def __init__(
        self,
        definitions: Definitions,
        run: RunRecord,
        steps: Sequence[StepRecord],
        events: Sequence[EventRecord],
        default_io: IOManager,
        resources: Mapping[str, Any] | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> None:
        self.definitions = definitions
        self._dynamic = dynamic_partitions_store  # the run's dynamic keys, if it had any
        self._resources = resources  # the run's set-up values (an IO manager's, say)
        self.run = run
        self.steps: dict[str, StepRecord] = {s.step_key: s for s in steps}
        self.events = list(events)
        self._io = default_io
        self._nodes = {node_name(step): step for step in self.steps}

    @property
    def success(self) -> bool:
        return self.run.status is RunStatus.SUCCESS

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def dagster_run(self) -> RunRecord:
        """The run as recorded (Dagster's name): `run_id`, `status`, `tags`, `run_config`."""
        return self.run

    # -- values --------------------------------------------------------------------------

    def _step(self, key: CoercibleToAssetKey) -> tuple[AssetKey, StepRecord]:
        asset_key = AssetKey.from_coercible(key)
        name = asset_key.to_user_string()
        graph = self.definitions.graph
        step = self.steps.get(graph.step_key(asset_key) if asset_key in graph else name)
        if step is None:
            raise UpstreamError(
                f"asset {name!r} was not part of this run; selected: {', '.join(self.run.steps)}"
            )
        return asset_key, step

    def _node(self, name: str) -> str:
        """The step key of a Dagster node name (`sales__orders`) or an asset key string."""
        step = self._nodes.get(name) or (name if name in self.steps else None)
        if step is None:
            raise UpstreamError(
                f"no node {name!r} in this run; its nodes: {', '.join(sorted(self._nodes))}"
            )
        return step

    def output_for(self, key: CoercibleToAssetKey) -> Any:
        """The value the asset produced in this run (raises if it failed or was skipped)."""
        asset_key, step = self._step(key)
        if step.status is not StepStatus.SUCCESS:
            raise UpstreamError(
                f"asset {asset_key.to_user_string()!r} produced no value: step {step.status}"
            )
        if asset_key.to_user_string() not in self._materialized:
            raise UpstreamError(
                f"asset {asset_key.to_user_string()!r} was not materialized in this run "
                "(an optional output its step did not yield)"
            )
        asset = self.definitions.get_asset(asset_key)
        manager = io_manager_for(self.definitions, asset, self._io, asset_key, self._resources)
        return manager.load_input(
            InputContext(
                asset_key=asset_key,
                downstream_key=asset_key,
                parameter="output",
                run_id=self.run_id,
                run_partition=(target := partition_from_tags(self.dagster_run.tags)),
                asset_partitions=_partitions_made(
                    self.definitions, asset_key, target, self._dynamic
                ),
            )
        )

    def asset_value(self, asset_key: CoercibleToAssetKey) -> Any:
        """The asset's value in this run, loaded through its IO manager (Dagster's name)."""
        return self.output_for(asset_key)

    def output_for_node(self, node_str: str, output_name: str = DEFAULT_OUTPUT) -> Any:
        """The value of node `node_str` (Dagster's op name `prefix__name`, or the key
        `prefix/name`); an asset has the one output `result`, a multi-asset one per asset."""
        step = self._node(node_str)
        item = self.definitions.get_step(step) if self.definitions.has_step(step) else None
        if isinstance(item, MultiAssetsDefinition):
            out = item.output_named(output_name)
            if out is None:
                names = ", ".join(repr(item.output(k).output_name) for k in item.keys)
                raise UpstreamError(f"node {node_str!r} has outputs {names}; not {output_name!r}")
            return self.output_for(out.key)
        if output_name != DEFAULT_OUTPUT:
            raise UpstreamError(
                f"node {node_str!r} has one output, {DEFAULT_OUTPUT!r}; not {output_name!r}"
            )
        return self.output_for(step)

    def metadata_for(self, key: CoercibleToAssetKey) -> dict[str, Any]:
        """The metadata recorded with the asset's materialization, as plain values."""
        asset_key, _ = self._step(key)
        found = self._materialized.get(asset_key.to_user_string(), {})
        return {name: entry["value"] for name, entry in found.items()}

    @property
    def _materialized(self) -> dict[str, dict[str, Any]]:
        """Asset key -> the metadata of its materialization in this run (from the events:
        a multi-asset's step makes several)."""
        return {
            e.data["asset_key"]: e.data["metadata"]
            for e in self.events
            if e.type == EventType.ASSET_MATERIALIZATION
        }

    # -- events --------------------------------------------------------------------------

    @property
    def all_events(self) -> list[RunEvent]:
        """Every event of the run, in order (LOG lines too)."""
        return [RunEvent(e.type, e.step_key, e.timestamp, e.data) for e in self.events]

    def filter_events(self, predicate: Callable[[RunEvent], bool]) -> list[RunEvent]:
        return [event for event in self.all_events if predicate(event)]

    def events_for_node(self, node_name: str) -> list[RunEvent]:
        step = self._node(node_name)
        return self.filter_events(lambda e: e.step_key == step)

    def get_asset_materialization_events(self) -> list[RunEvent]:
        return self.filter_events(lambda e: e.is_step_materialization)

    def asset_materializations_for_node(self, node_name: str) -> list[RecordedMaterialization]:
        return [
            found
            for event in self.events_for_node(node_name)
            if (found := event.materialization) is not None
        ]

    def get_step_success_events(self) -> list[RunEvent]:
        return self.filter_events(lambda e: e.is_step_success)

    def get_step_failure_events(self) -> list[RunEvent]:
        return self.filter_events(lambda e: e.is_step_failure)

    def get_step_skipped_events(self) -> list[RunEvent]:
        return self.filter_events(lambda e: e.is_step_skipped)

    def get_failed_step_keys(self) -> set[str]:
        return set(self.failed_steps)

    @property
    def failed_steps(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.status is StepStatus.FAILURE]

    @property
    def skipped_steps(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.status is StepStatus.SKIPPED]

    def __repr__(self) -> str:
        return f"ExecuteInProcessResult(run_id={self.run_id!r}, status={self.run.status})"


def _partitions_made(
    definitions: Definitions,
    key: AssetKey,
    target: PartitionKeyRange | None,
    store: DynamicPartitionsStore | None,
) -> AssetPartitions | None:
    """The partitions of `key` a run of `target` made (None: `key` is not partitioned)."""
    partitions_def = definitions.graph.node(key).partitions_def
    if partitions_def is None or target is None:
        return None
    keys = partitions_def.get_partition_keys_in_range(target, store)
    return AssetPartitions(partitions_def, tuple(keys), store)
