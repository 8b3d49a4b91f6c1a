"""Backfills on a real cluster: `backfill launch` records the backfill, the active coordinator
launches its runs in bulk and follows them; a coordinator killed midway is replaced by one
that rebuilds the backfill from the stored runs (no unit launched twice); cancel stops it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cluster_harness import Cluster

pytestmark = pytest.mark.integration

PIPELINE = """
import time
from pathlib import Path

from upstream import Definitions, asset
from upstream.model.partitions import StaticPartitionsDefinition

DAYS = StaticPartitionsDefinition([f"day-{d:03}" for d in range(200)])
SLOW = Path(__file__).with_name("slow")


@asset(partitions_def=DAYS)
def raw() -> int:
    if SLOW.exists():
        time.sleep(1.0)
    return 1


@asset(partitions_def=DAYS)
def daily(raw: int) -> int:
    return raw + 1


defs = Definitions(assets=[raw, daily])
"""


def show(cluster: Cluster, backfill_id: str) -> dict[str, Any]:
    proc = cluster.cli("backfill", "show", backfill_id, "--json")
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def launched_id(stdout: str) -> str:
    return stdout.split()[1].rstrip(":")


def start(cluster: Cluster, workers: int = 2) -> None:
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    for i in range(workers):
        cluster.worker(f"worker{i}")
        cluster.wait_for_log(f"worker{i}", "worker.ready")


def test_a_backfill_runs_every_partition_on_the_cluster(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """200 partitions, a run each, on two workers: launched at once, done in seconds."""
    write_pipeline(PIPELINE)
    start(cluster)
    began = time.monotonic()
    proc = cluster.cli("backfill", "launch", "-f", "pipeline.py", "--all-partitions", "--wait")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - began < 60
    backfill_id = launched_id(proc.stdout)
    data = show(cluster, backfill_id)
    assert data["status"] == "COMPLETED"
    assert data["runs"] == {"SUCCESS": 200}
    assert set(data["partitions_status"].values()) == {"SUCCESS"}


def test_a_new_coordinator_carries_on_without_launching_a_unit_twice(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(PIPELINE)
    (cluster.root / "slow").write_text("")
    start(cluster, workers=1)
    proc = cluster.cli("backfill", "launch", "-f", "pipeline.py", "--all-partitions")
    assert proc.returncode == 0, proc.stderr
    backfill_id = launched_id(proc.stdout)
    cluster.wait_for_log("coordinator", "backfill.launched")
    cluster.kill("coordinator")
    (cluster.root / "slow").unlink()
    cluster.coordinator("coordinator2")
    deadline = time.monotonic() + 90
    while (data := show(cluster, backfill_id))["status"] == "REQUESTED":
        assert time.monotonic() < deadline, data["runs"]
        time.sleep(0.5)
    assert data["status"] == "COMPLETED", data
    assert data["runs"] == {"SUCCESS": 200}  # one run per unit: none launched twice


def test_cancel_stops_a_backfill(cluster: Cluster, write_pipeline: Callable[[str], None]) -> None:
    write_pipeline(PIPELINE)
    (cluster.root / "slow").write_text("")
    start(cluster, workers=1)
    proc = cluster.cli("backfill", "launch", "-f", "pipeline.py", "--all-partitions")
    backfill_id = launched_id(proc.stdout)
    cluster.wait_for_log("coordinator", "backfill.launched")
    assert "CANCELING" in cluster.cli("backfill", "cancel", backfill_id).stdout
    deadline = time.monotonic() + 60
    while (data := show(cluster, backfill_id))["status"] == "CANCELING":
        assert time.monotonic() < deadline, data["runs"]
        time.sleep(0.5)
    assert data["status"] == "CANCELED"
    assert data["runs"].get("CANCELED", 0) > 100  # most never started
    assert "QUEUED" not in data["runs"] and "STARTED" not in data["runs"]
