"""Cron ticks in a time zone: the boundaries of time partitions, found fast.

Pure. A tick is a UTC timestamp (float seconds). Hourly-or-finer schedules step in UTC, so
across a fall-back day the repeated local hour is two ticks and across a spring-forward day
the missing hour is none (Dagster's behaviour). Daily, weekly and monthly schedules step
over local dates; a tick at a local time that does not exist (a spring-forward gap) falls on
the first instant after the gap, and an ambiguous one on its first occurrence (Dagster's
schedules do the same). Any other cron goes through croniter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from upstream.model.errors import DefinitionsError

__all__ = ["Schedule", "get_timezone", "schedule_for"]

_MINUTE = 60.0
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1)


@cache
def get_timezone(name: str) -> ZoneInfo:
    """The zone named `name` (IANA), or a `DefinitionsError` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise DefinitionsError(
            f"unknown time zone {name!r}; use an IANA name such as 'UTC' or 'America/Chicago'"
        ) from error


def localize(wall: datetime, tz: ZoneInfo) -> float:
    """The instant of the naive local time `wall` in `tz`: an ambiguous time's first
    occurrence; a time inside a spring-forward gap moves to the first instant after the gap."""
    if tz.key == "UTC":  # no gaps, no folds
        return (wall - _EPOCH).total_seconds()
    aware = wall.replace(tzinfo=tz, fold=0)
    ts = aware.timestamp()
    if datetime.fromtimestamp(ts, tz).replace(tzinfo=None) == wall:
        return ts
    # In a gap: fold=0 reads `wall` with the offset before the gap, landing after it.
    # Walk back minute by minute to the gap's end (gaps are at most a few hours).
    while datetime.fromtimestamp(ts - _MINUTE, tz).replace(tzinfo=None) > wall:
        ts -= _MINUTE
    return ts


class Schedule:
    """The ticks of one cron schedule in one time zone."""

    def __init__(self, cron: str, timezone: str) -> None:
        self.cron = cron
        self.timezone = timezone
        self.tz = get_timezone(timezone)
        fields = cron.split()
        self._interval: int | None = None  # minutes, for hourly-or-finer schedules
        self._phase = 0
        self._at: tuple[int, int] | None = None  # (hour, minute) of a calendar schedule
        self._weekday: int | None = None  # cron day of week, 0 = Sunday
        self._monthday: int | None = None
        if not croniter.is_valid(cron) or len(fields) != 5:
            raise DefinitionsError(
                f"invalid cron schedule {cron!r}; expected five fields, e.g. '0 0 * * *'"
            )
        minute, hour, dom, month, dow = fields
        if hour == dom == month == dow == "*":
            if minute.isdigit() and int(minute) < 60:
                self._interval, self._phase = 60, int(minute)
            elif minute.startswith("*/") and minute[2:].isdigit() and 60 % int(minute[2:]) == 0:
                self._interval, self._phase = int(minute[2:]), 0
        elif minute.isdigit() and hour.isdigit() and month == "*":
            at = (int(hour), int(minute))
            if dom == dow == "*":
                self._at = at
            elif dom == "*" and dow.isdigit() and int(dow) <= 7:
                self._at, self._weekday = at, int(dow) % 7
            elif dow == "*" and dom.isdigit() and 1 <= int(dom) <= 31:
                self._at, self._monthday = at, int(dom)

    @property
    def repeats_every_hour(self) -> bool:
        """Whether ticks may repeat a local hour (fall-back): Dagster then suffixes the
        second occurrence's key with its UTC offset."""
        return self.cron.split()[1] == "*"

    # -- calendar schedules -------------------------------------------------------------

    def _day_matches(self, day: date) -> bool:
        if self._weekday is not None:
            return (day.weekday() + 1) % 7 == self._weekday
        if self._monthday is not None:
            return day.day == self._monthday
        return True

    def _tick_on(self, day: date) -> float:
        assert self._at is not None
        hour, minute = self._at
        return localize(datetime(day.year, day.month, day.day, hour, minute), self.tz)

    def _next_day(self, day: date, step: int) -> date:
        """The nearest matching day from `day` (included) in direction `step` (+1 / -1)."""
        if self._monthday is not None:
            year, month = day.year, day.month
            if (step > 0 and day.day > self._monthday) or (step < 0 and day.day < self._monthday):
                month += step
            while True:
                if month > 12:
                    year, month = year + 1, 1
                elif month < 1:
                    year, month = year - 1, 12
                try:
                    return date(year, month, self._monthday)
                except ValueError:  # no such day this month: cron skips the month
                    month += step
        if self._weekday is not None:
            weekday = (day.weekday() + 1) % 7
            if step > 0:
                return day + timedelta(days=(self._weekday - weekday) % 7)
            return day - timedelta(days=(weekday - self._weekday) % 7)
        return day

    # -- the three questions --------------------------------------------------------------

    def at_or_after(self, ts: float) -> float:
        """The first tick at or after `ts`."""
        if self._interval is not None:
            return self._fixed(ts, up=True)
        if self._at is not None:
            day = self._next_day(datetime.fromtimestamp(ts, self.tz).date() - _ONE_DAY, +1)
            while (tick := self._tick_on(day)) < ts:
                day = self._next_day(day + _ONE_DAY, +1)
            return tick
        it = croniter(self.cron, datetime.fromtimestamp(ts - 1, self.tz))
        tick = float(it.get_next(float))
        while tick < ts:
            tick = float(it.get_next(float))
        return tick

    def at_or_before(self, ts: float) -> float:
        """The last tick at or before `ts`."""
        if self._interval is not None:
            return self._fixed(ts, up=False)
        if self._at is not None:
            day = self._next_day(datetime.fromtimestamp(ts, self.tz).date() + _ONE_DAY, -1)
            while (tick := self._tick_on(day)) > ts:
                day = self._next_day(day - _ONE_DAY, -1)
            return tick
        it = croniter(self.cron, datetime.fromtimestamp(ts + 1, self.tz))
        tick = float(it.get_prev(float))
        while tick > ts:
            tick = float(it.get_prev(float))
        return tick

    def after(self, tick: float) -> float:
        """The tick after `tick`."""
        if self._interval is not None:
            nxt = tick + self._interval * _MINUTE
            return nxt if self._in_phase(nxt) else self._fixed(tick + _MINUTE, up=True)
        if self._at is not None:  # the next matching local day (one tick, not two)
            day = datetime.fromtimestamp(tick, self.tz).date() + _ONE_DAY
            nxt = self._tick_on(self._next_day(day, +1))
            if nxt > tick:
                return nxt
        return self.at_or_after(tick + 1)

    def before(self, tick: float) -> float:
        """The tick before `tick`."""
        if self._interval is not None:
            prev = tick - self._interval * _MINUTE
            return prev if self._in_phase(prev) else self._fixed(tick - _MINUTE, up=False)
        return self.at_or_before(tick - 1)

    def iterate(self, first: float) -> Iterator[tuple[float, datetime]]:
        """Ticks from `first` (a tick) on, each with its local time."""
        tz = self.tz
        if self._interval is not None:
            step = self._interval * _MINUTE
            tick = first
            while True:
                local = datetime.fromtimestamp(tick, tz)
                if (local.minute - self._phase) % self._interval:  # an odd offset change
                    tick = self._fixed(tick, up=True)
                    local = datetime.fromtimestamp(tick, tz)
                yield tick, local
                tick += step
        tick = first
        while True:
            yield tick, datetime.fromtimestamp(tick, tz)
            tick = self.after(tick)

    def extend(self, ticks: list[float], count: int) -> None:
        """Append `count` ticks after `ticks[-1]` (arithmetic in blocks for hourly-or-finer
        schedules, checked at each block's end; one step at a time otherwise)."""
        if self._interval is None and self._at is None:  # one croniter for the whole run
            it = croniter(self.cron, datetime.fromtimestamp(ticks[-1], self.tz))
            ticks.extend(float(it.get_next(float)) for _ in range(count))
            return
        if self._interval is None:
            tick = ticks[-1]
            for _ in range(count):
                tick = self.after(tick)
                ticks.append(tick)
            return
        step = self._interval * _MINUTE
        while count > 0:
            block = min(count, 24)
            last = ticks[-1]
            if self._in_phase(last + block * step):
                ticks.extend(last + step * (i + 1) for i in range(block))
            else:  # an offset change that is not a multiple of the interval
                for _ in range(block):
                    ticks.append(self.after(ticks[-1]))
            count -= block

    # -- hourly-or-finer ----------------------------------------------------------------

    def _in_phase(self, ts: float) -> bool:
        assert self._interval is not None
        local = datetime.fromtimestamp(ts, self.tz)
        return local.second == 0 and (local.minute - self._phase) % self._interval == 0

    def _fixed(self, ts: float, *, up: bool) -> float:
        """The nearest in-phase minute from `ts` (included), up or down."""
        assert self._interval is not None
        minute = int(-(-ts // _MINUTE)) if up else int(ts // _MINUTE)
        for _ in range(2):  # a second pass if the offset differs at the candidate
            offset = datetime.fromtimestamp(minute * _MINUTE, self.tz).utcoffset()
            off = int(offset.total_seconds() // 60) if offset is not None else 0
            lag = (minute + off - self._phase) % self._interval
            if up:
                minute += (self._interval - lag) % self._interval
            else:
                minute -= lag
            if self._in_phase(minute * _MINUTE):
                break
        return minute * _MINUTE


@cache
def schedule_for(cron: str, timezone: str) -> Schedule:
    """The (shared, immutable) schedule of `cron` in `timezone`."""
    return Schedule(cron, timezone)
