"""Time partitions through whole runs: 24 hourly runs, then a daily run that reads its day's
24 hours as a dict (Dagster's default TimeWindowPartitionMapping), one file per partition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from upstream import (
    AssetIn,
    DailyPartitionsDefinition,
    FilesystemIOManager,
    HourlyPartitionsDefinition,
    PartitionKeyRange,
    TimeWindowPartitionMapping,
    asset,
    materialize,
)

HOURS = HourlyPartitionsDefinition(start_date="2024-01-01-00:00")
DAYS = DailyPartitionsDefinition(start_date="2024-01-01")


@asset(partitions_def=HOURS)
def clicks(context: Any) -> int:
    return int(context.partition_key[11:13])  # "2024-01-01-07:00" -> 7


@asset(partitions_def=DAYS)
def daily_clicks(clicks: dict[str, int]) -> int:
    assert len(clicks) == 24 and min(clicks) == "2024-01-01-00:00"
    return sum(clicks.values())


@asset(
    partitions_def=DAYS,
    ins={
        "daily_clicks": AssetIn(
            partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
        )
    },
)
def day_over_day(context: Any, daily_clicks: int) -> str:
    return f"{context.partition_key}: yesterday {daily_clicks}"


def test_a_daily_run_reads_its_24_hours_and_a_lagged_mapping_reads_yesterday(
    tmp_path: Path,
) -> None:
    io = {"io_manager": FilesystemIOManager(tmp_path)}
    for key in HOURS.get_partition_keys_in_range(
        PartitionKeyRange("2024-01-01-00:00", "2024-01-01-23:00")
    ):
        assert materialize([clicks], partition_key=key, resources=io).success
    assert (tmp_path / "clicks" / "2024-01-01-07:00").is_file()
    day = materialize(
        [clicks, daily_clicks], selection="daily_clicks", partition_key="2024-01-01", resources=io
    )
    assert day.asset_value("daily_clicks") == sum(range(24))
    assert day.dagster_run.tags == {"dagster/partition": "2024-01-01"}
    lagged = materialize(
        [clicks, daily_clicks, day_over_day],
        selection="day_over_day",
        partition_key="2024-01-02",
        resources=io,
    )
    assert lagged.asset_value("day_over_day") == f"2024-01-02: yesterday {sum(range(24))}"


def test_a_day_whose_hours_were_never_made_fails_naming_the_missing_partition(
    tmp_path: Path,
) -> None:
    result = materialize(
        [clicks, daily_clicks],
        selection="daily_clicks",
        partition_key="2024-01-05",
        resources={"io_manager": FilesystemIOManager(tmp_path)},
        raise_on_error=False,
    )
    assert not result.success and result.get_failed_step_keys() == {"daily_clicks"}
    (failure,) = result.get_step_failure_events()
    assert "2024-01-05-00:00" in str(failure.data["error"]), failure.data
    assert "partitioned differently" in str(failure.data["error"])
