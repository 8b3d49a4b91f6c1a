"""`upstream backfill` embedded, as a user runs it: launch runs every partition in-process
and exits 0/1 by outcome; list/show --json report per partition; resume re-runs what failed
(Dagster's "re-execute from failure" of a backfill); a bad key exits 2 before anything runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.test_cli import as_json, run_cli, write

# Until @asset(partitions_def=) lands, the graph's nodes get their definitions directly.
PIPELINE = """
from pathlib import Path

from upstream import Definitions, asset
from upstream.model.partitions import BackfillPolicy, StaticPartitionsDefinition

DAYS = StaticPartitionsDefinition([f"2024-01-{d:02}" for d in range(1, 11)])
MARKER = Path(__file__).with_name("fail-once")


@asset(partitions_def=DAYS)
def raw() -> int:
    return 1


@asset(partitions_def=DAYS)
def daily(raw: int) -> int:
    if MARKER.exists():
        MARKER.unlink()
        raise ValueError("flaky source")
    return raw + 1


@asset
def summary(daily: dict) -> int:
    return 0


defs = Definitions(assets=[raw, daily, summary])
"""


def backfill_id_from(stdout: str) -> str:
    match = re.search(r"^backfill (\S+):", stdout, re.MULTILINE)
    assert match, stdout
    return match.group(1)


def test_a_backfill_runs_a_run_per_partition_and_reports_each(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli(
        *("backfill", "launch", "-f", "pipeline.py", "--select", "raw,daily"),
        *("--from", "2024-01-02", "--to", "2024-01-06"),
        cwd=tmp_path,
        home=home,
    )
    assert proc.returncode == 0, proc.stderr
    assert "5 partition(s) of raw,daily in 5 run(s)" in proc.stdout
    backfill_id = backfill_id_from(proc.stdout)
    assert f"backfill {backfill_id} COMPLETED" in proc.stdout
    shown = as_json(run_cli("backfill", "show", backfill_id, "--json", cwd=tmp_path, home=home))
    assert shown["status"] == "COMPLETED"
    assert shown["partitions_status"] == {f"2024-01-0{d}": "SUCCESS" for d in range(2, 7)}
    assert shown["runs"] == {"SUCCESS": 5}
    assert shown["units_done"] == shown["units_total"] == 5
    listed = as_json(run_cli("backfill", "list", "--json", cwd=tmp_path, home=home))
    assert [b["backfill_id"] for b in listed] == [backfill_id]
    # Each run carries Dagster's backfill and partition tags.
    runs = as_json(run_cli("runs", "list", "--json", cwd=tmp_path, home=home))
    assert sorted(r["tags"]["dagster/partition"] for r in runs) == [
        f"2024-01-0{d}" for d in range(2, 7)
    ]
    assert {r["tags"]["dagster/backfill"] for r in runs} == {backfill_id}


def test_a_failed_partition_skips_what_follows_and_resume_runs_it_again(
    tmp_path: Path, home: Path
) -> None:
    """One partition fails: the unpartitioned `summary` (after every partition, as Dagster
    runs it) is skipped, the backfill FAILED, exit 1; resume runs the failed one and then
    `summary`, and the backfill COMPLETED."""
    write(tmp_path, PIPELINE)
    (tmp_path / "fail-once").write_text("")
    proc = run_cli(
        *("backfill", "launch", "-f", "pipeline.py", "--all-partitions", "--concurrency", "2"),
        cwd=tmp_path,
        home=home,
    )
    assert proc.returncode == 1, proc.stderr
    backfill_id = backfill_id_from(proc.stdout)
    assert f"backfill {backfill_id} FAILED" in proc.stdout
    shown = as_json(run_cli("backfill", "show", backfill_id, "--json", cwd=tmp_path, home=home))
    statuses = sorted(shown["partitions_status"].values())
    assert statuses == ["FAILURE"] + ["SUCCESS"] * 9
    assert [u["status"] for u in shown["units"] if u["selection"] == "summary"] == ["SKIPPED"]
    again = run_cli("backfill", "resume", backfill_id, "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert again.returncode == 0, again.stderr
    assert "1 run(s) launched again" in again.stdout
    shown = as_json(run_cli("backfill", "show", backfill_id, "--json", cwd=tmp_path, home=home))
    assert shown["status"] == "COMPLETED"
    assert set(shown["partitions_status"].values()) == {"SUCCESS"}
    assert shown["runs"] == {"SUCCESS": 11, "FAILURE": 1}


def test_bad_partitions_exit_2_before_anything_runs(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli(
        *("backfill", "launch", "-f", "pipeline.py", "--partitions", "2023-12-31"),
        cwd=tmp_path,
        home=home,
    )
    assert proc.returncode == 2
    assert "partition key '2023-12-31' is not in StaticPartitionsDefinition" in proc.stderr
    none = run_cli("backfill", "launch", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert none.returncode == 2
    assert "--from START --to END, --partitions K1,K2 or --all-partitions" in none.stderr
    listed = run_cli("backfill", "list", "--json", cwd=tmp_path, home=home)
    assert json.loads(listed.stdout) == []
