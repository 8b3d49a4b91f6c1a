"""Time window partitions: one key per cron window, Dagster's `TimeWindowPartitionsDefinition`
(its daily, hourly, weekly and monthly forms are in `named_windows`).

Pure. A key names its window's start, formatted with `fmt`; the first window starts at the
first cron tick at or after `start`; a window exists once it has ended (by `current_time`,
default now), plus `end_offset` windows more, and never past `end` (exclusive). The window
boundaries are cached per definition and grow as "now" moves, so listing 100,000 hourly keys
costs their formatting once; asking about one key or one range never lists them all.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
)
from upstream.model.partitions.schedule import Schedule, get_timezone, localize, schedule_for
from upstream.model.partitions.time_keys import format_tick, format_ticks, parse_key

__all__ = [
    "DEFAULT_DATE_FORMAT",
    "DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE",
    "ScheduleType",
    "TimeWindow",
    "TimeWindowPartitionsDefinition",
]

DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE = "%Y-%m-%d-%H:%M"


class ScheduleType(StrEnum):
    """Dagster's schedule types: the cron shapes the daily/hourly/... definitions use."""

    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class TimeWindow(NamedTuple):
    """Dagster's: a window closed at `start`, open at `end` (aware datetimes)."""

    start: datetime
    end: datetime


def _cron_for(
    schedule_type: ScheduleType, minute_offset: int, hour_offset: int, day_offset: int | None
) -> str:
    """Dagster's cron for a schedule type and its offsets."""
    if not 0 <= minute_offset <= 59:
        raise DefinitionsError(f"minute_offset must be 0..59, got {minute_offset}")
    if not 0 <= hour_offset <= 23:
        raise DefinitionsError(f"hour_offset must be 0..23, got {hour_offset}")
    if schedule_type is ScheduleType.HOURLY:
        return f"{minute_offset} * * * *"
    if schedule_type is ScheduleType.DAILY:
        return f"{minute_offset} {hour_offset} * * *"
    if schedule_type is ScheduleType.WEEKLY:
        day = 0 if day_offset is None else day_offset
        if not 0 <= day <= 6:
            raise DefinitionsError(
                f"day_offset of a weekly schedule must be 0..6 (0 = Sunday), got {day}"
            )
        return f"{minute_offset} {hour_offset} * * {day}"
    day = 1 if day_offset is None else day_offset
    if not 1 <= day <= 31:
        raise DefinitionsError(f"day_offset of a monthly schedule must be 1..31, got {day}")
    return f"{minute_offset} {hour_offset} {day} * *"


def _instant(value: datetime | date | str, fmt: str, timezone: str, what: str) -> float:
    """`start`/`end` as a timestamp: a string in `fmt` (or ISO 8601) or a naive datetime is
    read in the definition's zone; an aware datetime is its instant."""
    tz = get_timezone(timezone)
    if isinstance(value, str):
        parsed = parse_key(value, fmt, tz)
        if parsed is not None:
            return parsed
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DefinitionsError(
                f"{what} {value!r} does not match the format {fmt!r} (nor ISO 8601); "
                f"write it like {datetime(2024, 1, 1).strftime(fmt)!r}"
            ) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        return value.timestamp()
    return localize(value, tz)


class TimeWindowPartitionsDefinition(PartitionsDefinition):
    """Dagster's: a partition per window of `cron_schedule` (or `schedule_type` with offsets)
    in `timezone` (default UTC), from `start`, keys formatted with `fmt`."""

    _kind = "cron"

    def __init__(
        self,
        start: datetime | date | str,
        fmt: str,
        end: datetime | date | str | None = None,
        schedule_type: ScheduleType | str | None = None,
        timezone: str | None = None,
        end_offset: int = 0,
        minute_offset: int | None = 0,
        hour_offset: int | None = 0,
        day_offset: int | None = None,
        cron_schedule: str | None = None,
    ) -> None:
        tz_name = timezone or "UTC"
        get_timezone(tz_name)
        if cron_schedule is not None:
            if schedule_type is not None or minute_offset or hour_offset or day_offset:
                raise DefinitionsError(
                    "pass either cron_schedule or schedule_type with minute_offset/hour_offset/"
                    "day_offset, not both"
                )
            cron = cron_schedule
        elif schedule_type is None:
            raise DefinitionsError("pass cron_schedule or schedule_type (e.g. 'DAILY')")
        else:
            try:
                kind = ScheduleType(str(getattr(schedule_type, "value", schedule_type)).upper())
            except ValueError:
                raise DefinitionsError(
                    f"unknown schedule_type {schedule_type!r}; use one of "
                    f"{[t.value for t in ScheduleType]}"
                ) from None
            cron = _cron_for(kind, minute_offset or 0, hour_offset or 0, day_offset)
        self._schedule: Schedule = schedule_for(cron, tz_name)
        self._fmt = fmt
        self._start_ts = _instant(start, fmt, tz_name, "start")
        self._end_ts = None if end is None else _instant(end, fmt, tz_name, "end")
        self._end_offset = int(end_offset)
        self._init_cache()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the definition, not its cache (nor its lock)."""
        state = dict(self.__dict__)
        for cached in ("_lock", "_ticks", "_keys", "_index"):
            state.pop(cached, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_cache()

    def _init_cache(self) -> None:
        self._lock = threading.Lock()
        first = self._schedule.at_or_after(self._start_ts)
        self._index: dict[str, int] = {}  # key -> position in the cache, built on demand
        self._ticks: list[float] = [first]  # window boundaries; window i = [ticks[i], ticks[i+1])
        self._keys: list[str] = format_ticks(self._ticks, self._schedule.tz, self._fmt, self._folds)

    # -- Dagster's properties -------------------------------------------------------------

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self._start_ts, self._schedule.tz)

    @property
    def end(self) -> datetime | None:
        return (
            None
            if self._end_ts is None
            else datetime.fromtimestamp(self._end_ts, self._schedule.tz)
        )

    @property
    def timezone(self) -> str:
        return self._schedule.timezone

    @property
    def fmt(self) -> str:
        return self._fmt

    @property
    def end_offset(self) -> int:
        return self._end_offset

    @property
    def cron_schedule(self) -> str:
        return self._schedule.cron

    @property
    def schedule_type(self) -> ScheduleType | None:
        """The Dagster schedule type the cron has the shape of, else None."""
        minute, hour, dom, month, dow = self.cron_schedule.split()
        if not minute.isdigit() or month != "*":
            return None
        if hour == dom == dow == "*":
            return ScheduleType.HOURLY
        if not hour.isdigit():
            return None
        if dom == dow == "*":
            return ScheduleType.DAILY
        if dom == "*" and dow.isdigit():
            return ScheduleType.WEEKLY
        if dow == "*" and dom.isdigit():
            return ScheduleType.MONTHLY
        return None

    @property
    def minute_offset(self) -> int:
        field = self.cron_schedule.split()[0]
        return int(field) if field.isdigit() else 0

    @property
    def hour_offset(self) -> int:
        field = self.cron_schedule.split()[1]
        return int(field) if field.isdigit() else 0

    @property
    def day_offset(self) -> int:
        fields = self.cron_schedule.split()
        if self.schedule_type is ScheduleType.WEEKLY:
            return int(fields[4])
        if self.schedule_type is ScheduleType.MONTHLY:
            return int(fields[2])
        return 0

    @property
    def _folds(self) -> bool:
        return self._schedule.repeats_every_hour

    # -- keys -------------------------------------------------------------------------------

    def _now(self, current_time: datetime | None) -> float:
        if current_time is None:
            return time.time()
        if current_time.tzinfo is None:  # Dagster: a naive time is in the definition's zone
            return localize(current_time, self._schedule.tz)
        return current_time.timestamp()

    def _grow(self, count: int, past: float | None = None) -> None:
        """Make the cache hold at least `count` ticks, and a tick after `past`."""
        ticks = self._ticks
        if len(ticks) >= count and (past is None or ticks[-1] > past):
            return
        with self._lock:
            before = len(ticks)
            if len(ticks) < count:
                self._schedule.extend(ticks, count - len(ticks))
            if past is not None and ticks[-1] <= past:
                if len(ticks) < 2:
                    self._schedule.extend(ticks, 1)
                step = max(ticks[-1] - ticks[-2], 60.0)
                while ticks[-1] <= past:
                    missing = int((past - ticks[-1]) // step) + 1
                    self._schedule.extend(ticks, max(missing, len(ticks) // 4, 1))
            self._keys.extend(
                format_ticks(ticks[before:], self._schedule.tz, self._fmt, self._folds)
            )

    def _limit(self, current_time: datetime | None) -> float:
        """The end of the last window that exists at `current_time` (the first tick when none
        does): Dagster's rule, with `end_offset` and `end`, found without listing keys."""
        schedule, first = self._schedule, self._ticks[0]
        limit = max(schedule.at_or_before(self._now(current_time)), first)
        for _ in range(max(self._end_offset, 0)):
            limit = schedule.after(limit)
        if self._end_ts is not None and limit > self._end_ts:
            limit = max(schedule.at_or_before(self._end_ts), first)
        for _ in range(max(-self._end_offset, 0)):
            if limit <= first:
                break
            limit = schedule.before(limit)
        return limit

    def _count(self, current_time: datetime | None) -> int:
        """How many partitions exist at `current_time`."""
        limit = self._limit(current_time)
        self._grow(1, past=limit)
        return bisect_left(self._ticks, limit)

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return self._keys[: self._count(current_time)]

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        return self._count(current_time)

    def get_partition_keys_between_indexes(
        self, start_idx: int, end_idx: int, current_time: datetime | None = None
    ) -> list[str]:
        """Dagster's: the keys at positions `start_idx` (included) to `end_idx` (excluded)."""
        return self._keys[start_idx : min(end_idx, self._count(current_time))]

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        return self._keys[0] if self._limit(current_time) > self._ticks[0] else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        limit = self._limit(current_time)
        return self._format(self._schedule.before(limit)) if limit > self._ticks[0] else None

    def get_first_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        key = self.get_first_partition_key(current_time)
        return None if key is None else self.time_window_for_partition_key(key)

    def get_last_partition_window(self, current_time: datetime | None = None) -> TimeWindow | None:
        key = self.get_last_partition_key(current_time)
        return None if key is None else self.time_window_for_partition_key(key)

    # -- one key at a time, without listing -------------------------------------------------

    def _tick_of(self, partition_key: str) -> float | None:
        """The window start `partition_key` names, None if it is not a key of this schedule
        in this format: the key parses to a time, the first window at or after that time
        formats back to the key (Dagster's reading; "2024-1-5" is not "2024-01-05", and a
        daily key names the window at the day's offset time)."""
        ts = parse_key(partition_key, self._fmt, self._schedule.tz)
        if ts is None:
            return None
        tick = self._schedule.at_or_after(ts)
        return tick if self._format(tick) == partition_key else None

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        ts = self._tick_of(partition_key)
        return ts is not None and self._ticks[0] <= ts < self._limit(current_time)

    def _tick_of_cached(self, partition_key: str) -> float | None:
        """`_tick_of`, by a dictionary over the cached keys when there are many to look up."""
        index = self._index
        if len(index) < len(self._keys):
            keys = self._keys
            index.update((keys[i], i) for i in range(len(index), len(keys)))
        at = index.get(partition_key)
        return self._ticks[at] if at is not None else self._tick_of(partition_key)

    def window_starts(self, partition_keys: Sequence[str]) -> list[float]:
        """The window start (a UTC timestamp) of each key; a `DefinitionsError` names a key
        that is not one of this definition's."""
        starts = []
        for key in partition_keys:
            ts = self._tick_of_cached(key) if len(partition_keys) > 8 else self._tick_of(key)
            starts.append(self._check_key(key) if ts is None else ts)
        return starts

    def _not_a_key(self, partition_key: str) -> DefinitionsError:
        return DefinitionsError(
            f"partition key {partition_key!r} is not in {self!r}; its keys look like "
            f"{self._keys[0]!r} (format {self._fmt!r})"
        )

    def _check_key(self, partition_key: str) -> float:
        ts = self._tick_of(partition_key)
        if ts is None:
            raise self._not_a_key(partition_key)
        return ts

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        """The keys from `start` to `end`, both included. As in Dagster, both must be keys of
        this definition within its `start` and `end`; "now" does not bound a range."""
        start, end = partition_key_range
        first, last = self._check_key(start), self._check_key(end)
        if first < self._ticks[0]:
            raise DefinitionsError(
                f"partition key {start!r} is before the start of {self!r}; its first key is "
                f"{self._keys[0]!r}"
            )
        if self._end_ts is not None and self._schedule.after(last) > self._end_ts:
            raise DefinitionsError(
                f"partition key {end!r} is after the end of {self!r} (its windows end by "
                f"{self.end.isoformat() if self.end else ''})"
            )
        if first > last:
            raise DefinitionsError(
                f"partition key range {start!r}..{end!r} is reversed; put the earlier key first"
            )
        return self._keys_between(first, last)

    def _keys_between(self, first: float, last: float) -> list[str]:
        """The keys of the windows starting at ticks `first`..`last` (both ticks), in order."""
        ticks = self._ticks
        if ticks[0] <= first and last <= ticks[-1]:
            return self._keys[bisect_left(ticks, first) : bisect_right(ticks, last)]
        span = [first]
        while span[-1] < last:
            step = span[-1] - span[-2] if len(span) > 1 else None
            self._schedule.extend(span, 1 if step is None else int((last - span[-1]) // step) + 1)
        while span[-1] > last:
            span.pop()
        return format_ticks(span, self._schedule.tz, self._fmt, self._folds)

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        """The window `partition_key` names: Dagster's reading, the first window starting at or
        after the time the key parses to (not checked against start, end or now)."""
        ts = parse_key(partition_key, self._fmt, self._schedule.tz)
        if ts is None:
            raise self._not_a_key(partition_key)
        tz, schedule = self._schedule.tz, self._schedule
        start = schedule.at_or_after(ts)
        return TimeWindow(
            datetime.fromtimestamp(start, tz), datetime.fromtimestamp(schedule.after(start), tz)
        )

    def start_time_for_partition_key(self, partition_key: str) -> datetime:
        return self.time_window_for_partition_key(partition_key).start

    def end_time_for_partition_key(self, partition_key: str) -> datetime:
        return self.time_window_for_partition_key(partition_key).end

    def time_windows_for_partition_keys(self, partition_keys: Sequence[str]) -> list[TimeWindow]:
        return [self.time_window_for_partition_key(key) for key in partition_keys]

    def get_partition_key_for_timestamp(self, timestamp: float, end_closed: bool = False) -> str:
        """The key of the window holding `timestamp` (`end_closed`: a boundary belongs to the
        window it ends)."""
        tick = self._schedule.at_or_before(timestamp)
        if end_closed and tick == timestamp:
            tick = self._schedule.before(tick)
        return self._format(tick)

    def get_partition_keys_in_time_window(self, time_window: TimeWindow) -> list[str]:
        """Dagster's: the keys of the windows inside `time_window`."""
        first = self._schedule.at_or_after(max(time_window.start.timestamp(), self._ticks[0]))
        end = time_window.end.timestamp()
        if self._schedule.after(first) > end:
            return []
        last = self._schedule.at_or_before(end)
        return self._keys_between(first, self._schedule.before(last))

    def get_next_partition_key(
        self, partition_key: str, current_time: datetime | None = None
    ) -> str | None:
        """The key after `partition_key`, None if that partition does not exist (yet)."""
        key = self._format(self._schedule.after(self._check_key(partition_key)))
        return key if self.has_partition_key(key, current_time) else None

    def get_prev_partition_key(self, partition_key: str) -> str | None:
        """The key before `partition_key`, None before the first."""
        ts = self._check_key(partition_key)
        if ts <= self._ticks[0]:
            return None
        return self._format(self._schedule.before(ts))

    def _format(self, tick: float) -> str:
        return format_tick(datetime.fromtimestamp(tick, self._schedule.tz), self._fmt, self._folds)

    # -- identity ---------------------------------------------------------------------------

    def _identity(self) -> tuple[Any, ...]:
        return (
            self._start_ts,
            self._end_ts,
            self.timezone,
            self._fmt,
            self._end_offset,
            self.cron_schedule,
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TimeWindowPartitionsDefinition)
            and self._identity() == other._identity()
        )

    def __hash__(self) -> int:
        return hash(self._identity())

    def to_spec(self) -> dict[str, Any]:
        end = self.end
        return {
            "type": "time_window",
            "kind": self._kind,
            "start": self.start.isoformat(),
            "end": None if end is None else end.isoformat(),
            "timezone": self.timezone,
            "fmt": self._fmt,
            "end_offset": self._end_offset,
            "cron_schedule": self.cron_schedule,
        }

    def _shown_start(self) -> str:
        return self.start.strftime(self._fmt)

    def _extras(self) -> str:
        shown = ""
        if self._end_ts is not None:
            shown += f", end={self.end.strftime(self._fmt)!r}" if self.end else ""
        if self.timezone != "UTC":
            shown += f", timezone={self.timezone!r}"
        if self._end_offset:
            shown += f", end_offset={self._end_offset}"
        return shown

    def __str__(self) -> str:
        """Dagster's description: "Daily, starting 2024-01-01 UTC."."""
        kind = self.schedule_type
        shown = kind.value.capitalize() if kind is not None else self.cron_schedule
        text = f"{shown}, starting {self._shown_start()} {self.timezone}."
        if self._end_offset:
            plural = "" if self._end_offset == 1 else "s"
            text += f" End offsetted by {self._end_offset} partition{plural}."
        return text

    def __repr__(self) -> str:
        return (
            f"TimeWindowPartitionsDefinition(start={self._shown_start()!r}, fmt={self._fmt!r}, "
            f"cron_schedule={self.cron_schedule!r}{self._extras()})"
        )
