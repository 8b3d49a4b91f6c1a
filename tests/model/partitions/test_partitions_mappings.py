"""Partition mappings: which upstream partitions a downstream partition reads, and back.

Cases follow Dagster's `partition_mapping_tests/test_time_window_partition_mapping.py`,
`test_static_partition_mapping.py` and `test_multi_partition_mapping.py`.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from upstream import (
    AllPartitionMapping,
    DailyPartitionsDefinition,
    DefinitionsError,
    DimensionPartitionMapping,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionKeyRange,
    PartitionMapping,
    PartitionsDefinition,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from upstream.model.partitions import default_partition_mapping

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def hours(partitions_def: PartitionsDefinition, start: str, end: str) -> list[str]:
    return list(partitions_def.get_partition_keys_in_range(PartitionKeyRange(start, end)))


DAILY = DailyPartitionsDefinition("2021-05-05")
HOURLY = HourlyPartitionsDefinition("2021-05-05-00:00")
TWICE_DAILY = TimeWindowPartitionsDefinition(
    start=datetime(2020, 1, 5), cron_schedule="0 0,11 * * *", fmt="%Y-%m-%d %H:%M"
)
EVERY_4H = TimeWindowPartitionsDefinition(
    start="2021-05-05_00", cron_schedule="0 */4 * * *", fmt="%Y-%m-%d_%H"
)

# (mapping, downstream def, downstream keys, upstream def, expected upstream keys)
UPSTREAM = [
    # same partitioning: the same keys
    (TimeWindowPartitionMapping(), DAILY, ["2021-05-07"], DAILY, ["2021-05-07"]),
    (
        TimeWindowPartitionMapping(),
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
    ),
    # same windows, another key format
    (
        TimeWindowPartitionMapping(),
        DAILY,
        ["2021-05-07", "2021-05-08"],
        DailyPartitionsDefinition("2021/05/05", fmt="%Y/%m/%d"),
        ["2021/05/07", "2021/05/08"],
    ),
    # an hour reads its day
    (TimeWindowPartitionMapping(), HOURLY, ["2021-05-07-05:00"], DAILY, ["2021-05-07"]),
    (
        TimeWindowPartitionMapping(),
        HOURLY,
        hours(HOURLY, "2021-05-07-05:00", "2021-05-09-09:00"),
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
    ),
    # a day reads its 24 hours
    (
        TimeWindowPartitionMapping(),
        DAILY,
        ["2021-05-07"],
        HOURLY,
        hours(HOURLY, "2021-05-07-00:00", "2021-05-07-23:00"),
    ),
    (
        TimeWindowPartitionMapping(),
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
        HOURLY,
        hours(HOURLY, "2021-05-07-00:00", "2021-05-09-23:00"),
    ),
    # a month reads its days
    (
        TimeWindowPartitionMapping(),
        MonthlyPartitionsDefinition("2021-05-01"),
        ["2021-05-01", "2021-06-01", "2021-07-01"],
        DailyPartitionsDefinition("2021-05-01"),
        hours(DailyPartitionsDefinition("2021-05-01"), "2021-05-01", "2021-07-31"),
    ),
    # a week reads its seven days
    (
        TimeWindowPartitionMapping(),
        WeeklyPartitionsDefinition("2021-05-01"),
        ["2021-05-02"],
        DailyPartitionsDefinition("2021-05-01"),
        hours(DailyPartitionsDefinition("2021-05-01"), "2021-05-02", "2021-05-08"),
    ),
    # twice a day and daily, both ways; windows that are not aligned overlap two
    (
        TimeWindowPartitionMapping(),
        TimeWindowPartitionsDefinition(
            start=datetime(2020, 1, 5), cron_schedule="0 0 * * *", fmt="%Y-%m-%d"
        ),
        ["2021-05-01", "2021-05-02", "2021-05-03"],
        TWICE_DAILY,
        hours(TWICE_DAILY, "2021-05-01 00:00", "2021-05-03 11:00"),
    ),
    (
        TimeWindowPartitionMapping(),
        TWICE_DAILY,
        ["2021-05-01 00:00", "2021-05-01 11:00"],
        TimeWindowPartitionsDefinition(
            start=datetime(2020, 1, 5), cron_schedule="0 0 * * *", fmt="%Y-%m-%d"
        ),
        ["2021-05-01"],
    ),
    (
        TimeWindowPartitionMapping(),
        TimeWindowPartitionsDefinition(
            start=datetime(2020, 1, 5), cron_schedule="0 0 * * *", fmt="%Y-%m-%d"
        ),
        ["2021-05-02", "2021-05-03", "2021-05-04"],
        TimeWindowPartitionsDefinition(
            start=datetime(2020, 1, 5), cron_schedule="0 11 * * *", fmt="%Y-%m-%d"
        ),
        ["2021-05-01", "2021-05-02", "2021-05-03", "2021-05-04"],
    ),
    # the day before (a lag), for one key and for a range
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DAILY,
        ["2021-05-07"],
        DAILY,
        ["2021-05-06"],
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
        DAILY,
        ["2021-05-06", "2021-05-07", "2021-05-08"],
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2021-05-06"],
        DAILY,
        ["2021-05-05"],
    ),
    # the day and the day before
    (
        TimeWindowPartitionMapping(start_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04"],
        DAILY,
        ["2022-07-03", "2022-07-04"],
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04", "2022-07-05"],
        DAILY,
        ["2022-07-03", "2022-07-04", "2022-07-05"],
    ),
    # offsets count downstream partitions: a day with start_offset=-1 reads 48 hours
    (
        TimeWindowPartitionMapping(start_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04"],
        HOURLY,
        hours(HOURLY, "2022-07-03-00:00", "2022-07-04-23:00"),
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04"],
        HOURLY,
        hours(HOURLY, "2022-07-03-00:00", "2022-07-03-23:00"),
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        HOURLY,
        ["2022-07-04-00:00"],
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-03"],
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        HOURLY,
        ["2022-07-04-01:00"],
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04"],
    ),
    # an unusual cron: every 4 hours, lagged
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        EVERY_4H,
        ["2021-05-06_04"],
        EVERY_4H,
        ["2021-05-06_00"],
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        EVERY_4H,
        ["2021-05-07_04", "2021-05-07_08", "2021-05-07_12"],
        EVERY_4H,
        ["2021-05-07_00", "2021-05-07_04", "2021-05-07_08"],
    ),
    # across time zones: a Chicago day reads the UTC hours it spans
    (
        TimeWindowPartitionMapping(),
        DailyPartitionsDefinition("2021-05-05", timezone="America/Chicago"),
        ["2021-05-07"],
        HOURLY,
        hours(HOURLY, "2021-05-07-05:00", "2021-05-08-04:00"),
    ),
]


@pytest.mark.parametrize(("mapping", "down_def", "down_keys", "up_def", "expected"), UPSTREAM)
def test_upstream_keys(
    mapping: PartitionMapping,
    down_def: PartitionsDefinition,
    down_keys: list[str],
    up_def: PartitionsDefinition,
    expected: list[str],
) -> None:
    got = mapping.upstream_partition_keys(down_keys, down_def, up_def, current_time=LATER)
    assert got == expected


# (mapping, upstream def, upstream keys, downstream def, expected downstream keys, now)
DOWNSTREAM = [
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DAILY,
        ["2021-05-06"],
        DAILY,
        ["2021-05-07"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DAILY,
        ["2021-05-06", "2021-05-07", "2021-05-08"],
        DAILY,
        ["2021-05-07", "2021-05-08", "2021-05-09"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1),
        DAILY,
        ["2022-07-03", "2022-07-04"],
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-03", "2022-07-04", "2022-07-05"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1),
        DAILY,
        ["2022-07-03"],
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-03", "2022-07-04"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1),
        HOURLY,
        ["2022-07-03-23:00"],
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-03", "2022-07-04"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        HOURLY,
        hours(HOURLY, "2022-07-03-00:00", "2022-07-04-23:00"),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04", "2022-07-05"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        DailyPartitionsDefinition("2021-05-06"),
        ["2022-07-04"],
        HOURLY,
        hours(HOURLY, "2022-07-04-01:00", "2022-07-05-00:00"),
        LATER,
    ),
    (
        TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        EVERY_4H,
        ["2021-05-07_04", "2021-05-07_08", "2021-05-07_12"],
        EVERY_4H,
        ["2021-05-07_08", "2021-05-07_12", "2021-05-07_16"],
        LATER,
    ),
    # only downstream partitions that exist at the time (Dagster's
    # test_get_downstream_with_current_time)
    (TimeWindowPartitionMapping(), HOURLY, ["2021-05-05-00:00"], DAILY, [], utc(2021, 5, 5, 1)),
    (
        TimeWindowPartitionMapping(),
        HOURLY,
        ["2021-05-05-23:00", "2021-05-06-00:00", "2021-05-06-01:00"],
        DAILY,
        ["2021-05-05"],
        utc(2021, 5, 6, 1),
    ),
    (
        TimeWindowPartitionMapping(),
        HOURLY,
        ["2021-05-05-23:00", "2021-05-06-00:00", "2021-05-06-01:00"],
        DAILY,
        ["2021-05-05", "2021-05-06"],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(),
        HOURLY,
        ["2021-05-05-23:00", "2021-05-06-00:00", "2021-05-06-01:00"],
        DailyPartitionsDefinition("2021-05-05", end_offset=1),
        ["2021-05-05", "2021-05-06"],
        utc(2021, 5, 6, 1),
    ),
    (
        TimeWindowPartitionMapping(),
        DailyPartitionsDefinition("2022-01-01"),
        ["2022-12-30"],
        DailyPartitionsDefinition("2021-01-01"),
        ["2022-12-30"],
        utc(2022, 12, 31, 1),
    ),
    # a downstream that starts later, or ends sooner, has no partition there
    (
        TimeWindowPartitionMapping(),
        DailyPartitionsDefinition("2023-01-01"),
        ["2023-01-15"],
        DailyPartitionsDefinition("2023-02-01"),
        [],
        LATER,
    ),
    (
        TimeWindowPartitionMapping(),
        DailyPartitionsDefinition("2023-01-01", end_date="2023-02-28"),
        ["2023-02-15"],
        DailyPartitionsDefinition("2023-01-01", end_date="2023-01-31"),
        [],
        LATER,
    ),
]


@pytest.mark.parametrize(
    ("mapping", "up_def", "up_keys", "down_def", "expected", "now"), DOWNSTREAM
)
def test_downstream_keys(
    mapping: PartitionMapping,
    up_def: PartitionsDefinition,
    up_keys: list[str],
    down_def: PartitionsDefinition,
    expected: list[str],
    now: datetime,
) -> None:
    assert (
        mapping.downstream_partition_keys(up_keys, up_def, down_def, current_time=now) == expected
    )


@pytest.mark.parametrize(
    ("down_def", "down_keys", "up_def", "now", "missing"),
    [
        # before the upstream's start (a lag on the first day)
        (DAILY, ["2021-05-05"], DAILY, LATER, "'2021-05-04'"),
        # an upstream that starts later
        (
            DailyPartitionsDefinition("2021-01-01"),
            ["2021-06-06"],
            DailyPartitionsDefinition("2022-01-01"),
            utc(2022, 1, 6, 1),
            "'2021-06-06'",
        ),
        # an upstream day that has not ended yet
        (
            HourlyPartitionsDefinition("2021-05-05-00:00"),
            ["2021-05-06-00:00"],
            DailyPartitionsDefinition("2021-05-05"),
            utc(2021, 5, 6, 1),
            "'2021-05-06'",
        ),
        # past the upstream's end
        (
            DailyPartitionsDefinition("2023-01-01", end_date="2023-02-28"),
            ["2023-02-15"],
            DailyPartitionsDefinition("2023-01-01", end_date="2023-01-31"),
            LATER,
            "'2023-02-15'",
        ),
    ],
)
def test_nonexistent_upstream_partitions_are_an_error_unless_allowed(
    down_def: PartitionsDefinition,
    down_keys: list[str],
    up_def: PartitionsDefinition,
    now: datetime,
    missing: str,
) -> None:
    lag = down_keys == ["2021-05-05"]
    mapping = TimeWindowPartitionMapping(start_offset=-1 if lag else 0, end_offset=-1 if lag else 0)
    with pytest.raises(DefinitionsError, match=rf"{missing} that do not exist.*allow_nonexistent"):
        mapping.upstream_partition_keys(down_keys, down_def, up_def, current_time=now)
    allowed = TimeWindowPartitionMapping(
        mapping.start_offset, mapping.end_offset, allow_nonexistent_upstream_partitions=True
    )
    assert allowed.upstream_partition_keys(down_keys, down_def, up_def, current_time=now) == []


def test_allowing_nonexistent_keeps_those_that_exist() -> None:
    # Dagster's "range overlaps start": a lag over the first three days reads the two that exist
    mapping = TimeWindowPartitionMapping(-1, -1, allow_nonexistent_upstream_partitions=True)
    down = ["2021-05-05", "2021-05-06", "2021-05-07"]
    assert mapping.upstream_partition_keys(down, DAILY, DAILY, current_time=LATER) == [
        "2021-05-05",
        "2021-05-06",
    ]


def test_a_lag_across_the_fall_back_hour() -> None:
    # Dagster's test_nov_2023_dst_transition_with_hourly_partitions
    keys = ["2023-11-05-00:00", "2023-11-05-01:00", "2023-11-05-01:00-0800", "2023-11-05-02:00"]
    hourly = HourlyPartitionsDefinition("2023-11-01-00:00", timezone="America/Los_Angeles")
    mapping = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    now = datetime(2023, 11, 5, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    for before, after in itertools.pairwise(keys):
        assert mapping.upstream_partition_keys([after], hourly, hourly, current_time=now) == [
            before
        ]
        assert mapping.downstream_partition_keys([before], hourly, hourly, current_time=now) == [
            after
        ]


def test_a_lag_across_the_spring_forward_gap() -> None:
    hourly = HourlyPartitionsDefinition("2024-03-01-00:00", timezone="America/Chicago")
    mapping = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    now = datetime(2024, 3, 11, tzinfo=ZoneInfo("America/Chicago"))
    assert mapping.upstream_partition_keys(
        ["2024-03-10-03:00"], hourly, hourly, current_time=now
    ) == ["2024-03-10-01:00"]
    assert mapping.downstream_partition_keys(
        ["2024-03-10-03:00"], hourly, hourly, current_time=now
    ) == ["2024-03-10-04:00"]


def test_a_daily_asset_reads_its_23_or_25_hours_on_dst_days() -> None:
    daily = DailyPartitionsDefinition("2024-01-01", timezone="America/Chicago")
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00", timezone="America/Chicago")
    mapping = default_partition_mapping(hourly, daily)
    assert (
        len(mapping.upstream_partition_keys(["2024-03-10"], daily, hourly, current_time=LATER))
        == 23
    )
    fall = mapping.upstream_partition_keys(["2024-11-03"], daily, hourly, current_time=LATER)
    assert len(fall) == 25 and "2024-11-03-01:00-0600" in fall


def test_a_time_mapping_needs_time_partitions() -> None:
    static = StaticPartitionsDefinition(["a"])
    with pytest.raises(DefinitionsError, match="TimeWindowPartitionMapping maps time partitions"):
        TimeWindowPartitionMapping().upstream_partition_keys(["a"], static, DAILY)
    with pytest.raises(DefinitionsError, match="start_offset must not be after end_offset"):
        TimeWindowPartitionMapping(start_offset=1, end_offset=0)


def test_a_ten_year_daily_range_from_hourly_is_quick() -> None:
    daily = DailyPartitionsDefinition("2010-01-01")
    hourly = HourlyPartitionsDefinition("2010-01-01-00:00")
    days = hours(daily, "2010-01-01", "2019-12-31")
    import time

    started = time.process_time()
    got = TimeWindowPartitionMapping().upstream_partition_keys(
        days, daily, hourly, current_time=LATER
    )
    assert len(got) == len(days) * 24
    assert time.process_time() - started < 2.0


# -- static, specific, identity, all, last --------------------------------------------------

LETTERS = StaticPartitionsDefinition(["a", "b", "c"])
NUMBERS = StaticPartitionsDefinition(["1", "2", "3"])


def test_static_mapping_both_ways() -> None:
    # Dagster's test_static_partition_mapping: upstream key -> downstream key(s)
    mapping = StaticPartitionMapping({"a": "1", "b": ["1", "2"], "c": "3"})
    assert mapping.upstream_partition_keys(["1"], NUMBERS, LETTERS) == ["a", "b"]
    assert mapping.upstream_partition_keys(["2", "3"], NUMBERS, LETTERS) == ["b", "c"]
    assert mapping.downstream_partition_keys(["a"], LETTERS, NUMBERS) == ["1"]
    assert mapping.downstream_partition_keys(["b"], LETTERS, NUMBERS) == ["1", "2"]
    bad = StaticPartitionMapping({"z": "1"})
    with pytest.raises(DefinitionsError, match=r"upstream partition keys \['z'\]"):
        bad.upstream_partition_keys(["1"], NUMBERS, LETTERS)


def test_specific_partitions_mapping() -> None:
    mapping = SpecificPartitionsPartitionMapping(["a", "c"])
    assert mapping.upstream_partition_keys(["1"], NUMBERS, LETTERS) == ["a", "c"]
    assert mapping.upstream_partition_keys(None, None, LETTERS) == ["a", "c"]
    assert mapping.downstream_partition_keys(["c"], LETTERS, NUMBERS) == ["1", "2", "3"]
    assert mapping.downstream_partition_keys(["b"], LETTERS, NUMBERS) == []
    with pytest.raises(DefinitionsError, match=r"upstream partitions \['z'\]"):
        SpecificPartitionsPartitionMapping(["z"]).upstream_partition_keys(["1"], NUMBERS, LETTERS)


def test_identity_all_and_last() -> None:
    assert IdentityPartitionMapping().upstream_partition_keys(["b", "z"], LETTERS, LETTERS) == ["b"]
    assert AllPartitionMapping().upstream_partition_keys(["1"], NUMBERS, LETTERS) == ["a", "b", "c"]
    now = utc(2021, 5, 8)
    assert LastPartitionMapping().upstream_partition_keys(
        ["1"], NUMBERS, DAILY, current_time=now
    ) == ["2021-05-07"]


# -- multi-partitions ------------------------------------------------------------------------

DATES = DailyPartitionsDefinition("2024-01-01")
COLORS = StaticPartitionsDefinition(["red", "blue"])
DATE_COLOR = MultiPartitionsDefinition({"date": DATES, "color": COLORS})
NOW = utc(2024, 1, 4)


def test_multi_to_single_dimension_both_ways() -> None:
    mapping = MultiToSingleDimensionPartitionMapping()
    # a daily asset reads every color of its day
    assert mapping.upstream_partition_keys(["2024-01-02"], DATES, DATE_COLOR, current_time=NOW) == [
        "red|2024-01-02",
        "blue|2024-01-02",
    ]
    # a multi partition reads the day of its key
    assert mapping.upstream_partition_keys(
        ["red|2024-01-02", "blue|2024-01-02"], DATE_COLOR, DATES, current_time=NOW
    ) == ["2024-01-02"]
    assert mapping.downstream_partition_keys(
        ["2024-01-03"], DATES, DATE_COLOR, current_time=NOW
    ) == [
        "red|2024-01-03",
        "blue|2024-01-03",
    ]
    assert mapping.downstream_partition_keys(
        ["blue|2024-01-01"], DATE_COLOR, DATES, current_time=NOW
    ) == ["2024-01-01"]
    by_color = MultiToSingleDimensionPartitionMapping(partition_dimension_name="color")
    assert by_color.upstream_partition_keys(["red"], COLORS, DATE_COLOR, current_time=NOW) == [
        "red|2024-01-01",
        "red|2024-01-02",
        "red|2024-01-03",
    ]


def test_multi_to_single_across_granularity() -> None:
    # a multi with a daily dimension, read by an hourly asset: Dagster infers through time
    hourly = HourlyPartitionsDefinition("2024-01-01-00:00")
    mapping = default_partition_mapping(DATE_COLOR, hourly)
    assert isinstance(mapping, MultiToSingleDimensionPartitionMapping)
    assert mapping.upstream_partition_keys(
        ["2024-01-02-05:00"], hourly, DATE_COLOR, current_time=NOW
    ) == [
        "red|2024-01-02",
        "blue|2024-01-02",
    ]


def test_multi_to_single_errors_name_the_dimensions() -> None:
    other = StaticPartitionsDefinition(["x"])
    with pytest.raises(DefinitionsError, match=r"no dimension of MultiPartitionsDefinition"):
        MultiToSingleDimensionPartitionMapping().upstream_partition_keys(["x"], other, DATE_COLOR)
    with pytest.raises(DefinitionsError, match="one multi-partitioned asset and one single"):
        MultiToSingleDimensionPartitionMapping().upstream_partition_keys(["a"], LETTERS, NUMBERS)


def test_multi_partition_mapping_dimension_by_dimension() -> None:
    # Dagster's test_multi_partition_mapping: the day before, the same color
    mapping = MultiPartitionMapping(
        {
            "date": DimensionPartitionMapping("date", TimeWindowPartitionMapping(-1, -1)),
            "color": DimensionPartitionMapping("color", IdentityPartitionMapping()),
        }
    )
    key = MultiPartitionKey({"date": "2024-01-03", "color": "red"})
    assert mapping.upstream_partition_keys([key], DATE_COLOR, DATE_COLOR, current_time=NOW) == [
        "red|2024-01-02"
    ]
    assert mapping.downstream_partition_keys(
        ["red|2024-01-02"], DATE_COLOR, DATE_COLOR, current_time=NOW
    ) == ["red|2024-01-03"]
    # a dimension not named maps all its partitions
    dates_only = MultiPartitionMapping(
        {"date": DimensionPartitionMapping("date", IdentityPartitionMapping())}
    )
    assert dates_only.upstream_partition_keys([key], DATE_COLOR, DATE_COLOR, current_time=NOW) == [
        "red|2024-01-03",
        "blue|2024-01-03",
    ]
    wrong = MultiPartitionMapping(
        {"day": DimensionPartitionMapping("date", IdentityPartitionMapping())}
    )
    with pytest.raises(DefinitionsError, match="upstream dimension 'day'"):
        wrong.upstream_partition_keys([key], DATE_COLOR, DATE_COLOR, current_time=NOW)


def test_multi_partition_mapping_from_dagsters_docstring() -> None:
    # Dagster's MultiPartitionMapping example: abc->123 by a static table, weekly->daily by time
    weekly_abc = MultiPartitionsDefinition(
        {
            "abc": StaticPartitionsDefinition(["a", "b", "c"]),
            "weekly": WeeklyPartitionsDefinition("2023-01-01"),
        }
    )
    daily_123 = MultiPartitionsDefinition(
        {
            "123": StaticPartitionsDefinition(["1", "2", "3"]),
            "daily": DailyPartitionsDefinition("2023-01-01"),
        }
    )
    mapping = MultiPartitionMapping(
        {
            "abc": DimensionPartitionMapping(
                "123", StaticPartitionMapping({"a": "1", "b": "2", "c": "3"})
            ),
            "weekly": DimensionPartitionMapping("daily", TimeWindowPartitionMapping()),
        }
    )
    down = MultiPartitionKey({"123": "1", "daily": "2023-01-02"})
    assert mapping.upstream_partition_keys([down], daily_123, weekly_abc, current_time=LATER) == [
        "a|2023-01-01"
    ]
    assert mapping.downstream_partition_keys(
        ["b|2023-01-08"], weekly_abc, daily_123, current_time=LATER
    ) == [f"2|2023-01-{day:02d}" for day in range(8, 15)]


def test_two_equal_dimensions_need_a_name() -> None:
    twin = MultiPartitionsDefinition({"x": COLORS, "y": COLORS})
    assert default_partition_mapping(twin, COLORS) == IdentityPartitionMapping()
    with pytest.raises(DefinitionsError, match="pass partition_dimension_name"):
        MultiToSingleDimensionPartitionMapping().upstream_partition_keys(["red"], COLORS, twin)
    named = MultiToSingleDimensionPartitionMapping(partition_dimension_name="y")
    assert named.upstream_partition_keys(["red"], COLORS, twin) == ["red|red", "blue|red"]


# -- Dagster's default inference ------------------------------------------------------------

REGION = StaticPartitionsDefinition(["eu", "us"])
DEFAULTS = [
    (DAILY, None, AllPartitionMapping()),
    (DAILY, DAILY, TimeWindowPartitionMapping()),
    (HOURLY, DAILY, TimeWindowPartitionMapping()),
    (DAILY, HOURLY, TimeWindowPartitionMapping()),
    (LETTERS, LETTERS, IdentityPartitionMapping()),
    (LETTERS, NUMBERS, IdentityPartitionMapping()),
    (
        DynamicPartitionsDefinition("d"),
        DynamicPartitionsDefinition("d"),
        IdentityPartitionMapping(),
    ),
    (DATE_COLOR, DATES, MultiToSingleDimensionPartitionMapping()),
    (DATES, DATE_COLOR, MultiToSingleDimensionPartitionMapping()),
    (DATE_COLOR, COLORS, MultiToSingleDimensionPartitionMapping()),
    (DATE_COLOR, HOURLY, MultiToSingleDimensionPartitionMapping()),
    (DATE_COLOR, REGION, IdentityPartitionMapping()),
    (DATE_COLOR, DATE_COLOR, IdentityPartitionMapping()),
    (LETTERS, DAILY, IdentityPartitionMapping()),
]


@pytest.mark.parametrize(("upstream", "downstream", "expected"), DEFAULTS)
def test_default_partition_mapping(
    upstream: PartitionsDefinition,
    downstream: PartitionsDefinition | None,
    expected: PartitionMapping,
) -> None:
    # Dagster's infer_partition_mapping
    assert default_partition_mapping(upstream, downstream) == expected
