"""`upstream assets show KEY --partitions` and `upstream partitions list|add|delete`, on the
embedded state (the cluster's PostgreSQL takes the same `--database-url`, tested below).

Dagster has no CLI for dynamic partitions (its instance API and UI add them): ours mirror
`instance.add_dynamic_partitions` / `delete_dynamic_partition` / `get_dynamic_partitions`.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import anyio
import pytest
from tests.backends import PG_URL, drop_schema
from tests.cli.test_cli import as_json, run_cli, write

from upstream.protocol import ErrorInfo
from upstream.storage import open_sqlite_storage
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus

PARTITIONED = """
from upstream import Definitions, StaticPartitionsDefinition, asset

KEYS = StaticPartitionsDefinition([f"k{i:02}" for i in range(10)])

@asset(partitions_def=KEYS)
def daily() -> int:
    return 1

@asset
def plain() -> int:
    return 1

defs = Definitions(assets=[daily, plain])
"""
T0 = 1_700_000_000.0


async def _record(home: Path) -> None:
    """k00..k04 materialized, k05 failed, k06..k07 targeted by a started run."""
    async with await open_sqlite_storage(home / "state.db") as storage:
        for run_id, tags in (("r1", {}), ("r2", {}), ("r3", {})):
            await storage.create_run(
                RunRecord(run_id, RunStatus.STARTED, "daily", ("daily",), "loc", "h", T0, tags=tags)
            )
            await storage.record_queued(run_id, [("daily", 1)], T0)
        keys = tuple(f"k{i:02}" for i in range(5))
        ok = StepOutcome("r1", "daily", 1, StepStatus.SUCCESS, T0, T0 + 1, partitions=keys)
        failed = StepOutcome(
            "r2",
            "daily",
            1,
            StepStatus.FAILURE,
            T0,
            T0 + 1,
            error=ErrorInfo("E", "x", ""),
            partitions=("k05",),
        )
        await storage.record_outcomes([ok, failed])
        busy = {
            "dagster/asset_partition_range_start": "k06",
            "dagster/asset_partition_range_end": "k07",
        }
        await storage.create_run(
            RunRecord("r4", RunStatus.STARTED, "daily", ("daily",), "loc", "h", T0, tags=busy)
        )


def test_assets_show_partitions_counts_and_ranges(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PARTITIONED)
    anyio.run(_record, home)
    shown = run_cli(
        "assets", "show", "daily", "--partitions", "-f", "pipeline.py", cwd=tmp_path, home=home
    )
    assert shown.returncode == 0, shown.stderr
    rows = {
        line.rsplit(maxsplit=2)[0]: line.rsplit(maxsplit=2)[1:]
        for line in shown.stdout.splitlines()[-4:]
    }
    assert "10 keys" in shown.stdout
    assert rows == {
        "materialized": ["5", "k00...k04"],
        "failed": ["1", "k05"],
        "in progress": ["2", "k06...k07"],
        "missing": ["2", "k08...k09"],
    }

    item = as_json(
        run_cli(
            "assets",
            "show",
            "daily",
            "--partitions",
            "--json",
            "-f",
            "pipeline.py",
            cwd=tmp_path,
            home=home,
        )
    )
    view = item["partitions"]
    assert view["total"] == 10
    assert view["counts"] == {"materialized": 5, "failed": 1, "in_progress": 2, "missing": 2}
    assert view["segments"] == [
        {"status": "materialized", "start": "k00", "end": "k04", "count": 5},
        {"status": "failed", "start": "k05", "end": "k05", "count": 1},
        {"status": "in_progress", "start": "k06", "end": "k07", "count": 2},
        {"status": "missing", "start": "k08", "end": "k09", "count": 2},
    ]
    assert view["runs_in_progress"] == ["r4"]


def test_partitions_of_an_unpartitioned_asset_is_a_usage_error(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PARTITIONED)
    shown = run_cli(
        "assets", "show", "plain", "--partitions", "-f", "pipeline.py", cwd=tmp_path, home=home
    )
    assert shown.returncode == 2
    assert "not partitioned" in shown.stderr


def test_dynamic_partitions_add_list_delete(tmp_path: Path, home: Path) -> None:
    empty = as_json(run_cli("partitions", "list", "customers", "--json", cwd=tmp_path, home=home))
    assert empty == {"name": "customers", "keys": []}
    added = run_cli(
        "partitions", "add", "customers", "acme", "globex", "acme", cwd=tmp_path, home=home
    )
    assert added.returncode == 0, added.stderr
    assert "added 2 key(s)" in added.stdout
    again = run_cli("partitions", "add", "customers", "globex", "initech", cwd=tmp_path, home=home)
    assert "added 1 key(s) to 'customers' (1 already there)" in again.stdout
    listed = run_cli("partitions", "list", "customers", cwd=tmp_path, home=home)
    assert listed.stdout.split() == ["acme", "globex", "initech"]

    deleted = run_cli(
        "partitions", "delete", "customers", "globex", "nope", cwd=tmp_path, home=home
    )
    assert deleted.returncode == 2
    assert "no key 'nope'" in deleted.stderr
    keys = as_json(run_cli("partitions", "list", "customers", "--json", cwd=tmp_path, home=home))
    assert keys["keys"] == ["acme", "initech"]
    bad = run_cli("partitions", "add", "customers", "", cwd=tmp_path, home=home)
    assert bad.returncode == 2
    assert "non-empty string" in bad.stderr


@pytest.mark.integration
def test_dynamic_partitions_on_a_cluster_database(tmp_path: Path, home: Path) -> None:
    namespace = f"test_{uuid4().hex}"
    flags = ("--database-url", PG_URL, "--namespace", namespace)
    try:
        added = run_cli("partitions", "add", "regions", "eu", "us", *flags, cwd=tmp_path, home=home)
        assert added.returncode == 0, added.stderr
        listed = run_cli("partitions", "list", "regions", "--json", *flags, cwd=tmp_path, home=home)
        assert json.loads(listed.stdout)["keys"] == ["eu", "us"]
        assert not (home / "state.db").exists()  # the cluster's store, not the embedded one
    finally:
        anyio.run(drop_schema, namespace)
