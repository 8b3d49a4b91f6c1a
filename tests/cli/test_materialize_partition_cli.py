"""`upstream materialize --partition KEY | --partition-range START...END | --all-partitions`,
as a user runs it (embedded). The rules and the "..." separator are `dagster asset
materialize`'s (dagster_tests/cli_tests/command_tests/test_materialize_command.py): each bad
target exits 2 with one line naming the fix, before anything runs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.cli.test_cli import run_cli, run_id_from, write
from tests.partitioned import LETTERS, PIPELINE

from upstream.cli.partition_options import check_range_policy
from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.model.partitions import BackfillPolicy, PartitionKeyRange
from upstream.planning import build_plan


def _show(run_id: str, tmp_path: Path, home: Path) -> dict[str, object]:
    proc = run_cli("runs", "show", run_id, "--json", cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    shown: dict[str, object] = json.loads(proc.stdout)
    return shown


def test_a_key_a_range_and_all_partitions_each_run_once(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    cases = [
        (["--partition", "b"], {"dagster/partition": "b"}, "b"),
        (
            ["--partition-range", "b...d"],
            {"dagster/asset_partition_range_start": "b", "dagster/asset_partition_range_end": "d"},
            {"start": "b", "end": "d"},
        ),
        (
            ["--all-partitions"],
            {"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "d"},
            {"start": "a", "end": "d"},
        ),
    ]
    for options, tags, partition in cases:
        proc = run_cli(
            "materialize",
            "-f",
            "pipeline.py",
            "--select",
            "daily*",
            *options,
            cwd=tmp_path,
            home=home,
        )
        assert proc.returncode == 0, proc.stderr
        assert "2 succeeded" in proc.stdout
        shown = _show(run_id_from(proc.stdout), tmp_path, home)
        assert shown["tags"] == tags and shown["partition"] == partition
    listed = json.loads(run_cli("runs", "list", "--json", cwd=tmp_path, home=home).stdout)
    assert [r["partition"] for r in listed] == [
        {"start": "a", "end": "d"},
        {"start": "b", "end": "d"},
        "b",
    ]
    text = run_cli("runs", "show", listed[1]["run_id"], cwd=tmp_path, home=home).stdout
    assert "partition  b...d\n" in text


def test_an_unpartitioned_run_has_a_null_partition(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli(
        "materialize", "-f", "pipeline.py", "--select", "lookup", cwd=tmp_path, home=home
    )
    assert proc.returncode == 0, proc.stderr
    assert _show(run_id_from(proc.stdout), tmp_path, home)["partition"] is None


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--select", "daily", "--partition", "z"], "partition key 'z' is not in"),
        (["--select", "daily"], "is partitioned (StaticPartitionsDefinition"),
        (["--select", "lookup", "--partition", "a"], "none of the selected assets is partitioned"),
        (["--select", "daily", "--partition-range", "a..d"], "expected START...END"),
        (["--select", "daily", "--partition-range", "d...a"], "runs backwards"),
        (["--select", "daily", "--partition-range", "a...z"], "'z' is not in"),
        (["--select", "daily", "--partition", "a", "--all-partitions"], "use only one"),
        (["--select", "lookup", "--all-partitions"], "none of the selected assets"),
    ],
)
def test_a_bad_target_exits_2_in_one_line(
    options: list[str], words: str, tmp_path: Path, home: Path
) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli("materialize", "-f", "pipeline.py", *options, cwd=tmp_path, home=home)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert words in proc.stderr
    assert not (home / "state.db").exists() or "run " not in proc.stdout  # nothing ran


def test_a_range_wider_than_a_multi_run_policy_is_refused() -> None:
    """Dagster's CLI: "Provided partition range, but not all assets have a single-run
    backfill policy"; here only a range wider than `max_partitions_per_run` is refused."""
    node = AssetNode(
        AssetKey("x"), partitions_def=LETTERS, backfill_policy=BackfillPolicy.multi_run(2)
    )
    graph = AssetGraph([node])
    with pytest.raises(UpstreamError, match=r"BackfillPolicy.multi_run\(2\).*launch a backfill"):
        check_range_policy(graph, build_plan(graph, "x", PartitionKeyRange("a", "c")))
    check_range_policy(graph, build_plan(graph, "x", PartitionKeyRange("a", "b")))  # fits
    single = AssetGraph([replace(node, backfill_policy=BackfillPolicy.single_run())])
    check_range_policy(single, build_plan(single, "x", PartitionKeyRange("a", "d")))
