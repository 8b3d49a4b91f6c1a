"""`TimeWindowPartitionMapping`: a time partition reads the upstream windows overlapping its
own window, shifted by `start_offset` / `end_offset` of its own partitions.

Pure. Works across granularities (a day reads its 24 hours; an hour reads its day) and time
zones (windows are compared as instants). Upstream windows that do not exist (before the
upstream's start, or not ended yet) are an error naming them, unless
`allow_nonexistent_upstream_partitions`, which drops them (Dagster's flag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import DynamicPartitionsStore, PartitionsDefinition
from upstream.model.partitions.mappings import PartitionMapping, register_mapping_spec
from upstream.model.partitions.time_window import TimeWindowPartitionsDefinition

__all__ = ["TimeWindowPartitionMapping"]


def _time_def(
    partitions_def: PartitionsDefinition | None, side: str
) -> TimeWindowPartitionsDefinition:
    if not isinstance(partitions_def, TimeWindowPartitionsDefinition):
        raise DefinitionsError(
            f"TimeWindowPartitionMapping maps time partitions, but the {side} asset's "
            f"partitions are {partitions_def!r}; use a time window partitions definition "
            "(daily, hourly, ...) on both sides, or another mapping"
        )
    return partitions_def


def _spans(
    partitions_def: TimeWindowPartitionsDefinition, keys: Sequence[str]
) -> list[tuple[float, float]]:
    """The windows of `keys` as (start, end) timestamps, adjacent windows merged."""
    schedule = partitions_def._schedule
    spans: list[tuple[float, float]] = []
    for start in sorted(set(partitions_def.window_starts(keys))):
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], schedule.after(start))
        else:
            spans.append((start, schedule.after(start)))
    return spans


def _shift(partitions_def: TimeWindowPartitionsDefinition, tick: float, offset: int) -> float:
    schedule = partitions_def._schedule
    for _ in range(abs(offset)):
        tick = schedule.after(tick) if offset > 0 else schedule.before(tick)
    return tick


def _overlapping(
    partitions_def: TimeWindowPartitionsDefinition, start: float, end: float
) -> tuple[float, float] | None:
    """The first and last window starts of `partitions_def` overlapping [start, end)."""
    if end <= start:
        return None
    schedule = partitions_def._schedule
    first = schedule.at_or_before(start)
    last = schedule.at_or_before(end)
    if last >= end:
        last = schedule.before(last)
    return first, last


class TimeWindowPartitionMapping(PartitionMapping):
    """Dagster's: downstream window [start, end) reads the upstream windows overlapping
    [start shifted by `start_offset` partitions, end shifted by `end_offset` partitions)."""

    def __init__(
        self,
        start_offset: int = 0,
        end_offset: int = 0,
        allow_nonexistent_upstream_partitions: bool = False,
    ) -> None:
        if start_offset > end_offset:
            raise DefinitionsError(
                f"TimeWindowPartitionMapping(start_offset={start_offset}, end_offset="
                f"{end_offset}) reads nothing; start_offset must not be after end_offset"
            )
        self.start_offset = int(start_offset)
        self.end_offset = int(end_offset)
        self.allow_nonexistent_upstream_partitions = bool(allow_nonexistent_upstream_partitions)

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        upstream = _time_def(upstream_def, "upstream")
        if downstream_keys is None:
            return list(upstream.get_partition_keys(current_time))
        downstream = _time_def(downstream_def, "downstream")
        first_tick, limit = upstream._ticks[0], upstream._limit(current_time)
        keys: list[str] = []
        missing: list[str] = []
        for start, end in _spans(downstream, downstream_keys):
            found = _overlapping(
                upstream,
                _shift(downstream, start, self.start_offset),
                _shift(downstream, end, self.end_offset),
            )
            if found is None:
                continue
            low, high = found
            schedule = upstream._schedule
            if low < first_tick:
                missing.extend(upstream._keys_between(low, min(high, schedule.before(first_tick))))
            if high >= limit:
                missing.extend(upstream._keys_between(max(low, limit), high))
            low, high = max(low, first_tick), min(high, schedule.before(limit))
            if low <= high:
                keys.extend(upstream._keys_between(low, high))
        if missing and not self.allow_nonexistent_upstream_partitions:
            shown = ", ".join(repr(k) for k in missing[:3]) + (", ..." if len(missing) > 3 else "")
            first_key = upstream.get_first_partition_key(current_time)
            last_key = upstream.get_last_partition_key(current_time)
            raise DefinitionsError(
                f"downstream partitions {_show(downstream_keys)} map through {self!r} to "
                f"upstream partitions {shown} that do not exist in {upstream!r} (its partitions "
                f"now run {first_key!r}..{last_key!r}); pass "
                "allow_nonexistent_upstream_partitions=True to read only those that exist"
            )
        return list(dict.fromkeys(keys))

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        upstream = _time_def(upstream_def, "upstream")
        downstream = _time_def(downstream_def, "downstream")
        first_tick, limit = downstream._ticks[0], downstream._limit(current_time)
        keys: list[str] = []
        for start, end in _spans(upstream, upstream_keys):
            # The downstream windows over these upstream ones, shifted back by the offsets
            # (counted in downstream partitions, as upstream_partition_keys counts them).
            found = _overlapping(downstream, start, end)
            if found is None:
                continue
            found = (
                _shift(downstream, found[0], -self.end_offset),
                _shift(downstream, found[1], -self.start_offset),
            )
            low, high = max(found[0], first_tick), found[1]
            if high >= limit:
                high = downstream._schedule.before(limit)
            if low <= high:
                keys.extend(downstream._keys_between(low, high))
        return list(dict.fromkeys(keys))

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "time_window",
            "start_offset": self.start_offset,
            "end_offset": self.end_offset,
            "allow_nonexistent_upstream_partitions": self.allow_nonexistent_upstream_partitions,
        }

    def __repr__(self) -> str:
        shown = []
        if self.start_offset:
            shown.append(f"start_offset={self.start_offset}")
        if self.end_offset:
            shown.append(f"end_offset={self.end_offset}")
        if self.allow_nonexistent_upstream_partitions:
            shown.append("allow_nonexistent_upstream_partitions=True")
        return f"TimeWindowPartitionMapping({', '.join(shown)})"


def _show(keys: Sequence[str]) -> str:
    if len(keys) <= 3:
        return ", ".join(repr(k) for k in keys)
    return f"{keys[0]!r}..{keys[-1]!r}"


def _from_spec(spec: Mapping[str, Any]) -> PartitionMapping:
    return TimeWindowPartitionMapping(
        start_offset=int(spec.get("start_offset", 0)),
        end_offset=int(spec.get("end_offset", 0)),
        allow_nonexistent_upstream_partitions=bool(
            spec.get("allow_nonexistent_upstream_partitions", False)
        ),
    )


register_mapping_spec("time_window", _from_spec)
