"""Which partitions one step covers and reads: the facts behind `context.partition_key`,
`context.asset_partition_keys_for_input(...)` and the IO contexts' `asset_partition_keys`.

Pure. Built once per step from the asset graph, the step's assets and the run's target
(`step_partitions`); a step of unpartitioned assets that reads no partitioned parent gets None.
Works for any `PartitionsDefinition`: time windows are asked through `TimeWindowPartitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from upstream.model.errors import DefinitionsError, UpstreamError
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
)

if TYPE_CHECKING:
    from upstream.model.graph import AssetGraph

__all__ = [
    "AssetPartitions",
    "PartitionError",
    "StepPartitions",
    "TimeWindowPartitions",
    "step_partitions",
    "time_window_of",
    "typed_key",
]


class PartitionError(UpstreamError):
    """A partition accessor asked of a step (or IO context) that has no such partitions:
    Dagster's `DagsterInvariantViolationError` / `CheckError` of the same name."""


class _TimeWindow(Protocol):
    """Dagster's `TimeWindow`: a NamedTuple (start, end)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@runtime_checkable
class TimeWindowPartitions(Protocol):
    """A partitions definition whose keys are time windows (Dagster's
    `TimeWindowPartitionsDefinition`, or a `MultiPartitionsDefinition` with a time dimension)."""

    def time_window_for_partition_key(self, partition_key: str) -> Any: ...


class _Dimension(Protocol):
    """Dagster's `PartitionDimensionDefinition`: a dimension's name and definition."""

    @property
    def name(self) -> str: ...

    @property
    def partitions_def(self) -> PartitionsDefinition: ...


@runtime_checkable
class _TimeDimensioned(Protocol):
    """A multi-dimensional definition whose one time dimension gives the windows
    (Dagster's `MultiPartitionsDefinition.time_window_dimension`, None without one)."""

    @property
    def time_window_dimension(self) -> _Dimension | None: ...


@runtime_checkable
class _ParsesKeys(Protocol):
    """A definition whose keys are richer than their strings (Dagster's
    `MultiPartitionsDefinition.get_partition_key_from_str` gives a `MultiPartitionKey`)."""

    def get_partition_key_from_str(self, partition_key_str: str) -> str: ...


def typed_key(partitions_def: PartitionsDefinition, key: str) -> str:
    """`key` as the definition's own key object (a `MultiPartitionKey` of a
    multi-dimensional definition, so `context.partition_key.keys_by_dimension` works)."""
    if isinstance(partitions_def, _ParsesKeys):
        return partitions_def.get_partition_key_from_str(key)
    return key


def time_window_of(partitions_def: PartitionsDefinition, keys: Sequence[str], what: str) -> Any:
    """The window from the first key's start to the last key's end (Dagster's `TimeWindow`,
    built as the definition builds its own). `what` names the asset or run in the error."""
    window_of = _window_function(partitions_def)
    if window_of is None:
        raise PartitionError(
            "Expected a TimeWindowPartitionsDefinition or MultiPartitionsDefinition with a "
            f"single time dimension, but instead found {type(partitions_def).__name__} "
            f"({what} has no time window)"
        )
    if not keys:
        raise PartitionError(f"{what}: no partitions, so no time window")
    first = window_of(keys[0])
    if len(keys) == 1:
        return first
    last = window_of(keys[-1])
    return type(first)(first.start, last.end)


def _window_function(partitions_def: PartitionsDefinition) -> Callable[[str], Any] | None:
    """How to ask the window of a key: the definition itself, or its one time dimension
    (a multi-dimensional key's value in that dimension); None: no time windows."""
    if isinstance(partitions_def, TimeWindowPartitions):
        return partitions_def.time_window_for_partition_key
    if not isinstance(partitions_def, _TimeDimensioned):
        return None
    dimension = partitions_def.time_window_dimension
    if dimension is None or not isinstance(dimension.partitions_def, TimeWindowPartitions):
        return None
    name, timed = dimension.name, dimension.partitions_def

    def window(key: str) -> Any:
        parts = getattr(typed_key(partitions_def, key), "keys_by_dimension", {})
        return timed.time_window_for_partition_key(parts[name])

    return window


@dataclass(frozen=True)
class AssetPartitions:
    """One asset's partitions as a step sees them: its definition and the keys the step
    writes (an output) or reads (an input), in the definition's order."""

    partitions_def: PartitionsDefinition
    keys: tuple[str, ...]
    # Where a dynamic definition's keys are read (`key_range` checks they are contiguous).
    store: DynamicPartitionsStore | None = field(default=None, compare=False, repr=False)

    def key(self, what: str) -> str:
        """The one key; a `PartitionError` naming `what` when there are several."""
        if len(self.keys) != 1:
            shown = f"'{self.keys[0]}' to '{self.keys[-1]}'" if self.keys else "none"
            raise PartitionError(
                f"Tried to access partition key for {what}, but it covers {len(self.keys)} "
                f"partitions ({shown}); use the keys or the key range instead"
            )
        return self.keys[0]

    def key_range(self, what: str) -> PartitionKeyRange:
        """The keys as one range; a `PartitionError` when they are not contiguous in the
        definition (a mapping may pick scattered keys), as Dagster's."""
        if not self.keys:
            raise PartitionError(f"Tried to access the partition key range of {what}: no keys")
        found = PartitionKeyRange(self.keys[0], self.keys[-1])
        if len(self.keys) > 2:
            spanned = self.partitions_def.get_partition_keys_in_range(found, self.store)
            if len(spanned) != len(self.keys):
                raise PartitionError(
                    f"Tried to access the partition key range of {what}, but its "
                    f"{len(self.keys)} keys are not one contiguous range; use the keys"
                )
        return found

    def time_window(self, what: str) -> Any:
        return time_window_of(self.partitions_def, self.keys, what)

    def typed_keys(self) -> list[str]:
        """The keys as the definition's own key objects (a `MultiPartitionKey` per key of a
        multi-dimensional definition), for IO managers that lay them out by dimension."""
        return [typed_key(self.partitions_def, k) for k in self.keys]


@dataclass(frozen=True)
class StepPartitions:
    """A step's partitions: the run's target (None: the step is not partitioned, its
    assets are not), the partitioned assets it makes, and the partitioned upstreams each
    of its inputs reads (by parameter name)."""

    target: PartitionKeyRange | None = None
    partitions_def: PartitionsDefinition | None = None  # the step's assets' definition
    keys: tuple[str, ...] = ()  # the target, expanded
    outputs: Mapping[AssetKey, AssetPartitions] = field(default_factory=dict)
    inputs: Mapping[str, AssetPartitions] = field(default_factory=dict)


def _expand(
    partitions_def: PartitionsDefinition,
    target: PartitionKeyRange,
    label: str,
    store: DynamicPartitionsStore | None,
) -> tuple[str, ...]:
    if target.start == target.end:
        if not partitions_def.has_partition_key(target.start, dynamic_partitions_store=store):
            raise DefinitionsError(
                f"partition key {target.start!r} is not in {partitions_def!r} of {label!r}; "
                "pick one of its keys"
            )
        return (typed_key(partitions_def, target.start),)
    try:
        keys = partitions_def.get_partition_keys_in_range(target, store)
        return tuple(typed_key(partitions_def, k) for k in keys)
    except DefinitionsError as exc:
        raise DefinitionsError(f"{label!r}: {exc}") from exc


def shared_partitions_def(
    graph: AssetGraph, keys: Iterable[AssetKey], label: str
) -> PartitionsDefinition | None:
    """The one definition of a step's assets (None: unpartitioned); a step whose assets
    differ is a `DefinitionsError` (Dagster: all assets of a step share one)."""
    found: dict[PartitionsDefinition | None, AssetKey] = {}
    for key in keys:
        found.setdefault(graph.node(key).partitions_def, key)
    if len(found) > 1:
        shown = ", ".join(f"{k.to_user_string()!r}: {d!r}" for d, k in found.items())
        raise DefinitionsError(
            f"{label!r}: its assets have different partitions definitions ({shown}); "
            "give them all the same partitions_def"
        )
    return next(iter(found), None)


def step_partitions(
    graph: AssetGraph,
    keys: Sequence[AssetKey],
    inputs: Mapping[str, AssetKey],
    target: PartitionKeyRange | None,
    *,
    label: str,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
    current_time: datetime | None = None,
) -> StepPartitions | None:
    """What the step making `keys` (reading `inputs`, parameter -> upstream key) covers
    and reads for the run's `target`. None when nothing about it is partitioned. A target
    on a step of unpartitioned assets is ignored; a partitioned step without a target runs
    as Dagster's does in a run without a partition: its context's `partition_key` raises,
    and its inputs read their parents as an unpartitioned reader would."""
    partitions_def = shared_partitions_def(graph, keys, label)
    partitioned_inputs = {
        name: up for name, up in inputs.items() if graph.node(up).partitions_def is not None
    }
    if partitions_def is None and not partitioned_inputs:
        return None
    expanded: tuple[str, ...] | None = None
    if partitions_def is not None and target is not None:
        expanded = _expand(partitions_def, target, label, dynamic_partitions_store)
    read: dict[str, AssetPartitions] = {}
    for name, up in partitioned_inputs.items():
        mapping = graph.partition_mapping(keys[0], up)
        upstream_def = graph.node(up).partitions_def
        if mapping is None or upstream_def is None:  # never: the parent is partitioned
            continue
        wanted = mapping.upstream_partition_keys(
            expanded,
            partitions_def if expanded is not None else None,
            upstream_def,
            current_time=current_time,
            dynamic_partitions_store=dynamic_partitions_store,
        )
        read[name] = AssetPartitions(upstream_def, tuple(wanted), dynamic_partitions_store)
    if partitions_def is None or expanded is None or target is None:
        return StepPartitions(partitions_def=partitions_def, inputs=read)
    made = AssetPartitions(partitions_def, expanded, dynamic_partitions_store)
    return StepPartitions(
        target=PartitionKeyRange(expanded[0], expanded[-1]) if expanded else target,
        partitions_def=partitions_def,
        keys=expanded,
        outputs=dict.fromkeys(keys, made),
        inputs=read,
    )
