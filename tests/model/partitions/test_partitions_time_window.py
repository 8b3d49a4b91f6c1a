"""Time window partitions: keys, formats, windows, offsets, time zones and DST days.

The tables follow Dagster's `dagster_tests/definitions_tests/partitions_tests/
test_time_window_partitions.py` (cases and expected keys), so a Dagster user's definition
gives the same keys here.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from upstream import (
    DailyPartitionsDefinition,
    DefinitionsError,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    PartitionKeyRange,
    TimeWindow,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from upstream.model.partitions import ScheduleType


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def window(start: str, end: str, tz: str = "UTC") -> TimeWindow:
    zone = ZoneInfo(tz)
    return TimeWindow(
        datetime.fromisoformat(start).replace(tzinfo=zone),
        datetime.fromisoformat(end).replace(tzinfo=zone),
    )


# (definition, current_time, expected keys) — Dagster's test_time_partitions_*_partitions.
KEYS = [
    # daily, end_offset 0 / 1 / 2 / -2, year change, leap year, not a leap year
    (
        DailyPartitionsDefinition(datetime(2021, 1, 1)),
        utc(2021, 1, 6, 1, 20),
        ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04", "2021-01-05"],
    ),
    (
        DailyPartitionsDefinition(datetime(2021, 1, 1), end_offset=1),
        utc(2021, 1, 6, 1, 20),
        ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04", "2021-01-05", "2021-01-06"],
    ),
    (
        DailyPartitionsDefinition(datetime(2021, 1, 1), end_offset=2),
        utc(2021, 1, 6, 1, 20),
        [
            "2021-01-01",
            "2021-01-02",
            "2021-01-03",
            "2021-01-04",
            "2021-01-05",
            "2021-01-06",
            "2021-01-07",
        ],
    ),
    (
        DailyPartitionsDefinition(datetime(2021, 1, 1), end_offset=-2),
        utc(2021, 1, 8, 1, 20),
        ["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-04", "2021-01-05"],
    ),
    (
        DailyPartitionsDefinition(datetime(2020, 12, 29)),
        utc(2021, 1, 3, 1, 20),
        ["2020-12-29", "2020-12-30", "2020-12-31", "2021-01-01", "2021-01-02"],
    ),
    (
        DailyPartitionsDefinition(datetime(2020, 2, 28)),
        utc(2020, 3, 3, 1, 20),
        ["2020-02-28", "2020-02-29", "2020-03-01", "2020-03-02"],
    ),
    (
        DailyPartitionsDefinition(datetime(2021, 2, 28)),
        utc(2021, 3, 3, 1, 20),
        ["2021-02-28", "2021-03-01", "2021-03-02"],
    ),
    # monthly, end_offset 0 / 1 / 2 / -1, and a start after the month's first day
    (
        MonthlyPartitionsDefinition(datetime(2021, 1, 1)),
        utc(2021, 3, 1, 1, 20),
        ["2021-01-01", "2021-02-01"],
    ),
    (
        MonthlyPartitionsDefinition(datetime(2021, 1, 1), end_offset=1),
        utc(2021, 3, 1, 1, 20),
        ["2021-01-01", "2021-02-01", "2021-03-01"],
    ),
    (
        MonthlyPartitionsDefinition(datetime(2021, 1, 1), end_offset=2),
        utc(2021, 3, 1, 1, 20),
        ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01"],
    ),
    (
        MonthlyPartitionsDefinition(datetime(2021, 1, 1), end_offset=-1),
        utc(2021, 3, 27),
        ["2021-01-01"],
    ),
    (MonthlyPartitionsDefinition(datetime(2021, 1, 3)), utc(2021, 1, 31), []),
    # weekly (Sunday), end_offset 0 / 1 / 2 / -2, and no whole week yet
    (
        WeeklyPartitionsDefinition(datetime(2021, 1, 1)),
        utc(2021, 1, 31, 1, 20),
        ["2021-01-03", "2021-01-10", "2021-01-17", "2021-01-24"],
    ),
    (
        WeeklyPartitionsDefinition(datetime(2021, 1, 1), end_offset=1),
        utc(2021, 1, 31, 1, 20),
        ["2021-01-03", "2021-01-10", "2021-01-17", "2021-01-24", "2021-01-31"],
    ),
    (
        WeeklyPartitionsDefinition(datetime(2021, 1, 1), end_offset=2),
        utc(2021, 1, 31, 1, 20),
        ["2021-01-03", "2021-01-10", "2021-01-17", "2021-01-24", "2021-01-31", "2021-02-07"],
    ),
    (
        WeeklyPartitionsDefinition(datetime(2021, 1, 1), end_offset=-2),
        utc(2021, 1, 24, 1, 20),
        ["2021-01-03"],
    ),
    (WeeklyPartitionsDefinition(datetime(2021, 1, 4)), utc(2021, 1, 9), []),
    # hourly, end_offset 0 / 1 / 2 / -1, a start off the hour
    (
        HourlyPartitionsDefinition(datetime(2021, 1, 1, 0)),
        utc(2021, 1, 1, 4, 1),
        ["2021-01-01-00:00", "2021-01-01-01:00", "2021-01-01-02:00", "2021-01-01-03:00"],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 1, 1, 0), end_offset=1),
        utc(2021, 1, 1, 4, 1),
        [
            "2021-01-01-00:00",
            "2021-01-01-01:00",
            "2021-01-01-02:00",
            "2021-01-01-03:00",
            "2021-01-01-04:00",
        ],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 1, 1, 0), end_offset=2),
        utc(2021, 1, 1, 4, 1),
        [
            "2021-01-01-00:00",
            "2021-01-01-01:00",
            "2021-01-01-02:00",
            "2021-01-01-03:00",
            "2021-01-01-04:00",
            "2021-01-01-05:00",
        ],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 1, 1, 0), end_offset=-1),
        utc(2021, 1, 1, 3, 30),
        ["2021-01-01-00:00", "2021-01-01-01:00"],
    ),
    (HourlyPartitionsDefinition(datetime(2021, 1, 1, 0, 2)), utc(2021, 1, 1, 0, 59), []),
    # DST days: UTC has none; US/Central skips 02:00 in spring and repeats 01:00 in the fall,
    # the second one keyed with its UTC offset (Dagster's "Spring/Fall DST with timezone")
    (
        HourlyPartitionsDefinition(datetime(2021, 3, 14, 1)),
        utc(2021, 3, 14, 4, 1),
        ["2021-03-14-01:00", "2021-03-14-02:00", "2021-03-14-03:00"],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 3, 14, 1), timezone="US/Central"),
        datetime(2021, 3, 14, 4, 1, tzinfo=ZoneInfo("US/Central")),
        ["2021-03-14-01:00", "2021-03-14-03:00"],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 11, 7, 0)),
        utc(2021, 11, 7, 4, 1),
        ["2021-11-07-00:00", "2021-11-07-01:00", "2021-11-07-02:00", "2021-11-07-03:00"],
    ),
    (
        HourlyPartitionsDefinition(datetime(2021, 11, 7, 0), timezone="US/Central"),
        datetime(2021, 11, 7, 4, 1, tzinfo=ZoneInfo("US/Central")),
        [
            "2021-11-07-00:00",
            "2021-11-07-01:00",
            "2021-11-07-01:00-0600",
            "2021-11-07-02:00",
            "2021-11-07-03:00",
        ],
    ),
    # Dagster's test_nov_2023_dst_transition_with_hourly_partitions (America/Los_Angeles)
    (
        HourlyPartitionsDefinition("2023-11-05-00:00", timezone="America/Los_Angeles"),
        datetime(2023, 11, 5, 3, tzinfo=ZoneInfo("America/Los_Angeles")),
        ["2023-11-05-00:00", "2023-11-05-01:00", "2023-11-05-01:00-0800", "2023-11-05-02:00"],
    ),
    # offsets: Dagster's test_*_partitions_with_time_offset
    (DailyPartitionsDefinition("2021-05-05", minute_offset=15), utc(2021, 5, 7), ["2021-05-05"]),
    (
        HourlyPartitionsDefinition("2021-05-05-01:00", minute_offset=15),
        utc(2021, 5, 5, 3, 30),
        ["2021-05-05-01:15", "2021-05-05-02:15"],
    ),
    (
        WeeklyPartitionsDefinition("2021-05-01", minute_offset=15, hour_offset=4, day_offset=3),
        utc(2021, 5, 20),
        ["2021-05-05", "2021-05-12"],
    ),
    (
        MonthlyPartitionsDefinition("2021-05-01", minute_offset=15, hour_offset=3, day_offset=12),
        utc(2021, 7, 13),
        ["2021-05-12", "2021-06-12"],
    ),
    # a monthly day that some months lack: cron skips those months
    (
        MonthlyPartitionsDefinition("2021-01-01", day_offset=31),
        utc(2021, 9, 1),
        ["2021-01-31", "2021-03-31", "2021-05-31", "2021-07-31"],
    ),
    # `end` is exclusive: the last window ends at or before it
    (
        DailyPartitionsDefinition("2020-01-01", end_date="2020-01-05"),
        utc(2030, 1, 1),
        ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"],
    ),
    (
        DailyPartitionsDefinition("2020-01-01", end_date="2020-01-05", end_offset=3),
        utc(2020, 1, 3),
        ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"],
    ),
    (
        DailyPartitionsDefinition("2020-01-01", end_date="2020-01-05", end_offset=-1),
        utc(2030, 1, 1),
        ["2020-01-01", "2020-01-02", "2020-01-03"],
    ),
    # a naive current time is in the definition's zone (Dagster)
    (
        DailyPartitionsDefinition("2024-01-01", timezone="America/Chicago"),
        datetime(2024, 1, 3, 0, 30),
        ["2024-01-01", "2024-01-02"],
    ),
    # before the start: nothing
    (DailyPartitionsDefinition("2024-01-01"), utc(2023, 6, 1), []),
    # a cron of its own: twice a day (Dagster's test_twice_daily_partitions)
    (
        TimeWindowPartitionsDefinition(
            start="2021-05-05-00:00", fmt="%Y-%m-%d-%H:%M", cron_schedule="0 0,11 * * *"
        ),
        utc(2021, 5, 7),
        ["2021-05-05-00:00", "2021-05-05-11:00", "2021-05-06-00:00", "2021-05-06-11:00"],
    ),
    # every 15 minutes
    (
        TimeWindowPartitionsDefinition(
            start="2024-01-01-00:00", fmt="%Y-%m-%d-%H:%M", cron_schedule="*/15 * * * *"
        ),
        utc(2024, 1, 1, 1),
        ["2024-01-01-00:00", "2024-01-01-00:15", "2024-01-01-00:30", "2024-01-01-00:45"],
    ),
]


@pytest.mark.parametrize(("partitions_def", "now", "keys"), KEYS)
def test_keys_at_a_time(
    partitions_def: TimeWindowPartitionsDefinition, now: datetime, keys: list[str]
) -> None:
    assert list(partitions_def.get_partition_keys(current_time=now)) == keys
    assert partitions_def.get_num_partitions(now) == len(keys)
    assert partitions_def.get_first_partition_key(now) == (keys[0] if keys else None)
    assert partitions_def.get_last_partition_key(now) == (keys[-1] if keys else None)
    for key in keys:  # one key at a time agrees with the list, without listing
        assert partitions_def.has_partition_key(key, current_time=now), key


@pytest.mark.parametrize(("partitions_def", "now", "keys"), KEYS)
def test_the_key_after_the_last_does_not_exist_yet(
    partitions_def: TimeWindowPartitionsDefinition, now: datetime, keys: list[str]
) -> None:
    later = partitions_def.get_partition_keys(current_time=now.replace(year=now.year + 1))
    beyond = [key for key in later if key not in keys]
    if beyond:
        assert not partitions_def.has_partition_key(beyond[0], current_time=now)


def test_a_key_is_checked_by_parsing_and_formatting_back() -> None:
    daily = DailyPartitionsDefinition("2024-01-01")
    now = utc(2024, 3, 1)
    assert daily.has_partition_key("2024-01-05", now)
    assert not daily.has_partition_key("2024-1-5", now)  # parses, but is not the key
    assert not daily.has_partition_key("2024-13-01", now)
    assert not daily.has_partition_key("2023-12-31", now)  # before the start
    assert not daily.has_partition_key("2024-03-01", now)  # not ended yet
    assert not daily.has_partition_key("banana", now)
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00")
    assert not hourly.has_partition_key("2024-01-01-00:30", now)  # not on the schedule


def test_default_formats_and_properties() -> None:
    # Dagster's defaults: "%Y-%m-%d" for days, weeks and months, "%Y-%m-%d-%H:%M" for hours
    daily = DailyPartitionsDefinition("2024-01-01", hour_offset=6, timezone="Europe/Paris")
    assert (daily.fmt, daily.timezone, daily.cron_schedule) == (
        "%Y-%m-%d",
        "Europe/Paris",
        "0 6 * * *",
    )
    assert daily.schedule_type is ScheduleType.DAILY
    assert (daily.minute_offset, daily.hour_offset, daily.end_offset) == (0, 6, 0)
    assert daily.start == datetime(2024, 1, 1, tzinfo=ZoneInfo("Europe/Paris"))
    assert daily.end is None
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00")
    assert (hourly.fmt, hourly.cron_schedule, hourly.schedule_type) == (
        "%Y-%m-%d-%H:%M",
        "0 * * * *",
        ScheduleType.HOURLY,
    )
    weekly = WeeklyPartitionsDefinition("2024-01-01", day_offset=1)
    assert (weekly.fmt, weekly.cron_schedule, weekly.day_offset) == ("%Y-%m-%d", "0 0 * * 1", 1)
    monthly = MonthlyPartitionsDefinition("2024-01-01")
    assert (monthly.cron_schedule, monthly.day_offset) == ("0 0 1 * *", 1)
    assert TimeWindowPartitionsDefinition(
        start="2024-01-01", fmt="%Y-%m-%d", schedule_type="WEEKLY"
    ) == WeeklyPartitionsDefinition("2024-01-01")
    custom = TimeWindowPartitionsDefinition(
        start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="0 0,12 * * *"
    )
    assert custom.schedule_type is None


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2024-02-01", datetime(2024, 2, 1)),
        (datetime(2024, 2, 1), datetime(2024, 2, 1)),
        (date(2024, 2, 1), datetime(2024, 2, 1)),
        ("2024-02-01T00:00:00", datetime(2024, 2, 1)),  # ISO 8601 also reads
    ],
)
def test_start_as_str_date_or_datetime(start: str | date, expected: datetime) -> None:
    partitions_def = DailyPartitionsDefinition(start, timezone="Asia/Tokyo")
    assert partitions_def.start == expected.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    assert partitions_def == DailyPartitionsDefinition("2024-02-01", timezone="Asia/Tokyo")


def test_an_aware_start_is_its_instant() -> None:
    partitions_def = DailyPartitionsDefinition(
        datetime(2024, 2, 1, 6, tzinfo=UTC), timezone="America/Chicago"
    )
    assert partitions_def.start == datetime(2024, 2, 1, 0, tzinfo=ZoneInfo("America/Chicago"))


def test_a_custom_format() -> None:
    partitions_def = DailyPartitionsDefinition("2024/01/30", fmt="%Y/%m/%d")
    assert partitions_def.get_partition_keys(utc(2024, 2, 2)) == [
        "2024/01/30",
        "2024/01/31",
        "2024/02/01",
    ]
    monthly = MonthlyPartitionsDefinition("2024-01", fmt="%Y-%m")
    assert monthly.get_partition_keys(utc(2024, 4, 2)) == ["2024-01", "2024-02", "2024-03"]


WINDOWS = [
    # Dagster's test_daily_partitions / _with_time_offset / monthly / hourly / weekly
    (DailyPartitionsDefinition("2021-05-05"), "2021-05-05", window("2021-05-05", "2021-05-06")),
    (DailyPartitionsDefinition("2021-05-05"), "2021-05-08", window("2021-05-08", "2021-05-09")),
    (
        DailyPartitionsDefinition("2021-05-05", minute_offset=15),
        "2021-05-08",
        window("2021-05-08T00:15", "2021-05-09T00:15"),
    ),
    (MonthlyPartitionsDefinition("2021-05-01"), "2021-05-01", window("2021-05-01", "2021-06-01")),
    (
        MonthlyPartitionsDefinition("2021-05-01", minute_offset=15, hour_offset=3, day_offset=12),
        "2021-05-01",
        window("2021-05-12T03:15", "2021-06-12T03:15"),
    ),
    (
        HourlyPartitionsDefinition("2021-05-05-01:00"),
        "2021-05-05-01:00",
        window("2021-05-05T01:00", "2021-05-05T02:00"),
    ),
    (
        HourlyPartitionsDefinition("2021-05-05-01:00", minute_offset=15),
        "2021-05-05-01:00",
        window("2021-05-05T01:15", "2021-05-05T02:15"),
    ),
    (WeeklyPartitionsDefinition("2021-05-01"), "2021-05-01", window("2021-05-02", "2021-05-09")),
    (
        WeeklyPartitionsDefinition("2021-05-01", minute_offset=15, hour_offset=4, day_offset=3),
        "2021-05-01",
        window("2021-05-05T04:15", "2021-05-12T04:15"),
    ),
    # a day in a time zone; the spring-forward day has 23 hours, the fall-back day 25
    (
        DailyPartitionsDefinition("2024-01-01", timezone="America/Chicago"),
        "2024-03-10",
        window("2024-03-10", "2024-03-11", "America/Chicago"),
    ),
]


@pytest.mark.parametrize(("partitions_def", "key", "expected"), WINDOWS)
def test_time_window_for_partition_key(
    partitions_def: TimeWindowPartitionsDefinition, key: str, expected: TimeWindow
) -> None:
    assert partitions_def.time_window_for_partition_key(key) == expected


@pytest.mark.parametrize(
    ("date_key", "hours"), [("2024-03-10", 23), ("2024-11-03", 25), ("2024-06-01", 24)]
)
def test_a_local_day_lasts_what_the_clock_says(date_key: str, hours: int) -> None:
    daily = DailyPartitionsDefinition("2024-01-01", timezone="America/Chicago")
    start, end = daily.time_window_for_partition_key(date_key)
    assert end.timestamp() - start.timestamp() == hours * 3600


def test_fall_back_hours_have_distinct_windows() -> None:
    hourly = HourlyPartitionsDefinition("2023-11-01-00:00", timezone="America/Los_Angeles")
    first = hourly.time_window_for_partition_key("2023-11-05-01:00")
    second = hourly.time_window_for_partition_key("2023-11-05-01:00-0800")
    assert first.end == second.start
    assert second.start.timestamp() - first.start.timestamp() == 3600
    assert (
        hourly.get_next_partition_key("2023-11-05-01:00", utc(2024, 1, 1))
        == "2023-11-05-01:00-0800"
    )
    assert hourly.get_prev_partition_key("2023-11-05-02:00") == "2023-11-05-01:00-0800"


def test_fifteen_minute_partitions_across_fall_back() -> None:
    # Dagster's test_dst_transition_15_minute_partitions
    partitions_def = TimeWindowPartitionsDefinition(
        cron_schedule="*/15 * * * *",
        start="2020-11-01-00:30",
        end="2020-11-01-2:30",
        timezone="US/Pacific",
        fmt="%Y-%m-%d-%H:%M",
    )
    assert partitions_def.get_partition_keys(current_time=utc(2030, 1, 1)) == [
        "2020-11-01-00:30",
        "2020-11-01-00:45",
        "2020-11-01-01:00",
        "2020-11-01-01:15",
        "2020-11-01-01:30",
        "2020-11-01-01:45",
        "2020-11-01-01:00-0800",
        "2020-11-01-01:15-0800",
        "2020-11-01-01:30-0800",
        "2020-11-01-01:45-0800",
        "2020-11-01-02:00",
        "2020-11-01-02:15",
    ]


def test_a_daily_tick_inside_the_spring_gap_moves_past_it() -> None:
    # 02:30 does not exist on 2024-03-10 in Chicago: that day's window starts at 03:00
    # (Dagster's schedules run "at the next time that exists").
    daily = DailyPartitionsDefinition(
        "2024-03-01", hour_offset=2, minute_offset=30, timezone="America/Chicago"
    )
    start, end = daily.time_window_for_partition_key("2024-03-10")
    zone = ZoneInfo("America/Chicago")
    assert start == datetime(2024, 3, 10, 3, 0, tzinfo=zone)
    assert end == datetime(2024, 3, 11, 2, 30, tzinfo=zone)


RANGES = [
    (DailyPartitionsDefinition("2021-05-01"), "2021-05-01", "2021-05-01", ["2021-05-01"]),
    (
        DailyPartitionsDefinition("2021-05-01"),
        "2021-05-02",
        "2021-05-05",
        ["2021-05-02", "2021-05-03", "2021-05-04", "2021-05-05"],
    ),
    (
        DailyPartitionsDefinition("2020-01-01", end_date="2020-01-05"),
        "2020-01-01",
        "2020-01-04",
        ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"],
    ),
    (
        HourlyPartitionsDefinition("2023-11-04-00:00", timezone="US/Central"),
        "2023-11-05-00:00",
        "2023-11-05-02:00",
        ["2023-11-05-00:00", "2023-11-05-01:00", "2023-11-05-01:00-0600", "2023-11-05-02:00"],
    ),
]


@pytest.mark.parametrize(("partitions_def", "start", "end", "keys"), RANGES)
def test_keys_in_range(
    partitions_def: TimeWindowPartitionsDefinition, start: str, end: str, keys: list[str]
) -> None:
    assert partitions_def.get_partition_keys_in_range(PartitionKeyRange(start, end)) == keys


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        # Dagster's test_invalid_get_partition_keys_in_range
        ("2019-12-12", "2020-01-01", "'2019-12-12' is before the start of DailyPartitionsDef"),
        ("2020-01-01", "2020-01-06", "'2020-01-06' is after the end of DailyPartitionsDef"),
        ("2020-01-03", "2020-01-01", "reversed"),
        ("2020-13-01", "2020-01-01", "keys look like '2020-01-01'"),
    ],
)
def test_a_bad_range_names_the_key(start: str, end: str, message: str) -> None:
    partitions_def = DailyPartitionsDefinition(start_date="2020-01-01", end_date="2020-01-05")
    with pytest.raises(DefinitionsError, match=message):
        partitions_def.get_partition_keys_in_range(PartitionKeyRange(start, end))


def test_a_range_is_bounded_by_start_and_end_not_by_now() -> None:
    # Dagster's get_partition_keys_in_range checks the definition's start and end only
    daily = DailyPartitionsDefinition("2024-01-01")
    far = daily.get_partition_keys_in_range(PartitionKeyRange("2090-01-01", "2090-01-02"))
    assert far == ["2090-01-01", "2090-01-02"]


def test_keys_in_a_time_window_and_by_index() -> None:
    daily = DailyPartitionsDefinition("2024-01-01")
    inside = TimeWindow(utc(2024, 1, 2, 12), utc(2024, 1, 6))
    assert daily.get_partition_keys_in_time_window(inside) == [
        "2024-01-03",
        "2024-01-04",
        "2024-01-05",
    ]
    assert daily.get_partition_keys_between_indexes(1, 3, utc(2024, 2, 1)) == [
        "2024-01-02",
        "2024-01-03",
    ]
    assert daily.get_partition_key_for_timestamp(utc(2024, 1, 3, 5).timestamp()) == "2024-01-03"
    boundary = utc(2024, 1, 3).timestamp()
    assert daily.get_partition_key_for_timestamp(boundary, end_closed=True) == "2024-01-02"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: DailyPartitionsDefinition("2024-01-01", timezone="Mars/Olympus"),
            "unknown time zone",
        ),
        (lambda: DailyPartitionsDefinition("01/01/2024"), "does not match the format '%Y-%m-%d'"),
        (lambda: WeeklyPartitionsDefinition("2024-01-01", day_offset=8), "day_offset"),
        (lambda: MonthlyPartitionsDefinition("2024-01-01", day_offset=32), "day_offset"),
        (lambda: DailyPartitionsDefinition("2024-01-01", hour_offset=24), "hour_offset"),
        (
            lambda: TimeWindowPartitionsDefinition(
                start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="bad"
            ),
            "invalid cron schedule",
        ),
        (
            lambda: TimeWindowPartitionsDefinition(start="2024-01-01", fmt="%Y-%m-%d"),
            "cron_schedule",
        ),
        (
            lambda: TimeWindowPartitionsDefinition(
                start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="0 0 * * *", hour_offset=1
            ),
            "not both",
        ),
    ],
)
def test_bad_definitions_say_why(build: object, message: str) -> None:
    with pytest.raises(DefinitionsError, match=message):
        build()  # type: ignore[operator]


def test_repr_reads_like_the_definition() -> None:
    assert (
        repr(DailyPartitionsDefinition("2024-01-01"))
        == "DailyPartitionsDefinition(start_date='2024-01-01')"
    )
    assert (
        repr(HourlyPartitionsDefinition("2024-01-01-00:00", timezone="US/Central", end_offset=1))
        == "HourlyPartitionsDefinition(start_date='2024-01-01-00:00', "
        "timezone='US/Central', end_offset=1)"
    )


def test_str_is_dagsters_description() -> None:
    assert str(DailyPartitionsDefinition("2024-01-01")) == "Daily, starting 2024-01-01 UTC."
    assert (
        str(HourlyPartitionsDefinition("2024-01-01-00:00", timezone="US/Central", end_offset=2))
        == "Hourly, starting 2024-01-01-00:00 US/Central. End offsetted by 2 partitions."
    )


def test_neighbours_and_window_edges() -> None:
    daily = DailyPartitionsDefinition("2024-01-01", end_date="2024-01-04")
    now = utc(2030, 1, 1)
    assert daily.get_next_partition_key("2024-01-02", now) == "2024-01-03"
    assert daily.get_next_partition_key("2024-01-03", now) is None  # past the end
    assert daily.get_prev_partition_key("2024-01-02") == "2024-01-01"
    assert daily.get_prev_partition_key("2024-01-01") is None
    assert daily.end_time_for_partition_key("2024-01-03") == utc(2024, 1, 4)
    assert daily.start_time_for_partition_key("2024-01-03") == utc(2024, 1, 3)
    assert daily.get_first_partition_window(now) == window("2024-01-01", "2024-01-02")
    assert daily.get_last_partition_window(now) == window("2024-01-03", "2024-01-04")
    assert daily.get_last_partition_window(utc(2023, 1, 1)) is None


def test_equal_definitions_are_equal_and_hash_alike() -> None:
    a = DailyPartitionsDefinition("2024-01-01")
    b = TimeWindowPartitionsDefinition(
        start="2024-01-01", fmt="%Y-%m-%d", cron_schedule="0 0 * * *"
    )
    assert a == b and hash(a) == hash(b)
    assert a != DailyPartitionsDefinition("2024-01-02")
    assert a != DailyPartitionsDefinition("2024-01-01", timezone="US/Central")
    assert a != DailyPartitionsDefinition("2024-01-01", end_offset=1)


def test_keys_follow_now_as_it_moves() -> None:
    daily = DailyPartitionsDefinition("2024-01-01")
    assert len(daily.get_partition_keys(utc(2024, 1, 11))) == 10
    assert len(daily.get_partition_keys(utc(2025, 1, 1))) == 366
    assert len(daily.get_partition_keys(utc(2024, 1, 3))) == 2  # the cache never leaks later keys


def test_many_keys_are_fast() -> None:
    # 100,000 hourly keys and ten years of days, well under a second each (measured), even
    # in a zone with DST; asking about one key or one range never lists them.
    hourly = HourlyPartitionsDefinition("2010-01-01-00:00", timezone="America/Chicago")
    now = datetime(2021, 5, 29, tzinfo=ZoneInfo("America/Chicago"))
    started = time.process_time()
    keys = hourly.get_partition_keys(now)
    assert len(keys) > 99_000
    assert time.process_time() - started < 1.0
    assert keys[:2] == ["2010-01-01-00:00", "2010-01-01-01:00"]
    assert "2020-11-01-01:00-0600" in keys and "2020-03-08-02:00" not in keys
    daily = DailyPartitionsDefinition("2015-01-01")
    started = time.process_time()
    assert len(daily.get_partition_keys(utc(2025, 1, 1))) == 3653
    assert time.process_time() - started < 1.0

    fresh = HourlyPartitionsDefinition("2010-01-01-00:00")
    started = time.process_time()
    assert fresh.has_partition_key("2020-06-01-03:00", utc(2021, 1, 1))
    in_range = fresh.get_partition_keys_in_range(
        PartitionKeyRange("2020-06-01-00:00", "2020-06-03-23:00")
    )
    assert len(in_range) == 72
    assert time.process_time() - started < 0.1
    assert len(fresh._ticks) < 100  # nothing was listed


def test_listed_keys_match_one_by_one_formatting_across_many_dst_changes() -> None:
    # The fast formatter (per day, offsets in blocks) against datetime.strftime, tick by tick.
    for zone in ("America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"):
        hourly = HourlyPartitionsDefinition("2015-01-01-00:00", timezone=zone)
        keys = hourly.get_partition_keys(datetime(2019, 1, 1, tzinfo=ZoneInfo(zone)))
        for key in keys[::97] + [k for k in keys if len(k) > 16]:
            start = hourly.time_window_for_partition_key(key).start
            assert hourly.get_partition_key_for_timestamp(start.timestamp()) == key
        assert len(set(keys)) == len(keys)
