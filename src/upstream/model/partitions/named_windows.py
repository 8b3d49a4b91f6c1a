"""Dagster's daily, hourly, weekly and monthly partitions: a `TimeWindowPartitionsDefinition`
built from `start_date`, offsets and a default key format, shown as written.

Pure. Also rebuilds every time window definition from its spec, as the class it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from upstream.model.partitions.base import PartitionsDefinition, register_partitions_spec
from upstream.model.partitions.time_window import (
    DEFAULT_DATE_FORMAT,
    DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE,
    ScheduleType,
    TimeWindowPartitionsDefinition,
)

__all__ = [
    "DailyPartitionsDefinition",
    "HourlyPartitionsDefinition",
    "MonthlyPartitionsDefinition",
    "WeeklyPartitionsDefinition",
]


class _Named(TimeWindowPartitionsDefinition):
    """The daily/hourly/weekly/monthly forms: `start_date`, a default format, Dagster's repr."""

    def __repr__(self) -> str:
        shown = f"{type(self).__name__}(start_date={self._shown_start()!r}"
        extras = self._extras().replace(", end=", ", end_date=")
        if self.minute_offset:
            extras += f", minute_offset={self.minute_offset}"
        if self.hour_offset and self.schedule_type is not ScheduleType.HOURLY:
            extras += f", hour_offset={self.hour_offset}"
        return shown + extras + ")"


class DailyPartitionsDefinition(_Named):
    """Dagster's: a partition per day, keys "%Y-%m-%d"."""

    _kind = "daily"

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        super().__init__(
            start=start_date,
            fmt=fmt or DEFAULT_DATE_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.DAILY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
        )


class HourlyPartitionsDefinition(_Named):
    """Dagster's: a partition per hour, keys "%Y-%m-%d-%H:%M"."""

    _kind = "hourly"

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        super().__init__(
            start=start_date,
            fmt=fmt or DEFAULT_HOURLY_FORMAT_WITHOUT_TIMEZONE,
            end=end_date,
            schedule_type=ScheduleType.HOURLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
        )


class WeeklyPartitionsDefinition(_Named):
    """Dagster's: a partition per week starting on `day_offset` (0 = Sunday), keys "%Y-%m-%d"."""

    _kind = "weekly"

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 0,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        super().__init__(
            start=start_date,
            fmt=fmt or DEFAULT_DATE_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.WEEKLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=day_offset,
        )

    def __repr__(self) -> str:
        shown = super().__repr__()
        return shown[:-1] + f", day_offset={self.day_offset})" if self.day_offset else shown


class MonthlyPartitionsDefinition(_Named):
    """Dagster's: a partition per month starting on day `day_offset` (default 1), keys
    "%Y-%m-%d"."""

    _kind = "monthly"

    def __init__(
        self,
        start_date: datetime | date | str,
        end_date: datetime | date | str | None = None,
        minute_offset: int = 0,
        hour_offset: int = 0,
        day_offset: int = 1,
        timezone: str | None = None,
        fmt: str | None = None,
        end_offset: int = 0,
    ) -> None:
        super().__init__(
            start=start_date,
            fmt=fmt or DEFAULT_DATE_FORMAT,
            end=end_date,
            schedule_type=ScheduleType.MONTHLY,
            timezone=timezone,
            end_offset=end_offset,
            minute_offset=minute_offset,
            hour_offset=hour_offset,
            day_offset=day_offset,
        )

    def __repr__(self) -> str:
        shown = super().__repr__()
        return shown[:-1] + f", day_offset={self.day_offset})" if self.day_offset != 1 else shown


_KINDS: dict[str, type[TimeWindowPartitionsDefinition]] = {
    "cron": TimeWindowPartitionsDefinition,
    "daily": DailyPartitionsDefinition,
    "hourly": HourlyPartitionsDefinition,
    "weekly": WeeklyPartitionsDefinition,
    "monthly": MonthlyPartitionsDefinition,
}


def _from_spec(spec: Mapping[str, Any]) -> PartitionsDefinition:
    cls = _KINDS.get(str(spec.get("kind", "cron")), TimeWindowPartitionsDefinition)
    made = cls.__new__(cls)
    TimeWindowPartitionsDefinition.__init__(
        made,
        start=datetime.fromisoformat(spec["start"]),
        fmt=spec["fmt"],
        end=None if spec.get("end") is None else datetime.fromisoformat(spec["end"]),
        timezone=spec.get("timezone"),
        end_offset=int(spec.get("end_offset", 0)),
        cron_schedule=spec["cron_schedule"],
    )
    return made


register_partitions_spec("time_window", _from_spec)
