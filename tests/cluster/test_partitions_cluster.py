"""A partitioned run on a real cluster (coordinator and worker processes, RabbitMQ and
PostgreSQL): `upstream materialize --partition` queues the run with Dagster's partition tag,
the coordinator plans the target from the tag and the snapshot, and the worker receives it
with each partitioned step's task (its log line names it). A bad key exits 2 before
anything is queued."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cluster_harness import Cluster
from tests.partitioned import PIPELINE

pytestmark = pytest.mark.integration


def _finished_steps(log: str) -> dict[str, str | None]:
    """Step -> the partition its worker's `step.finished` line names (None: none)."""
    found: dict[str, str | None] = {}
    for line in log.splitlines():
        if '"step.finished"' in line:
            event = json.loads(line)
            found[event["asset_key"]] = event.get("partition")
    return found


def test_a_partition_and_a_range_run_end_to_end(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(PIPELINE)
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("worker0")
    cluster.wait_for_log("worker0", "worker.ready")

    bad = cluster.materialize("--select", "daily", "--partition", "z")
    assert bad.returncode == 2 and "partition key 'z' is not in" in bad.stderr, bad.stderr
    assert "submitted run" not in bad.stdout

    proc = cluster.materialize("--select", "daily*,lookup", "--partition", "b")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = cluster.show(cluster.last_run_id())
    assert run["status"] == "SUCCESS"
    assert run["tags"] == {"dagster/partition": "b"} and run["partition"] == "b"
    assert _finished_steps(cluster.log("worker0")) == {
        "daily": "b",
        "report": "b",
        "lookup": None,
    }

    ranged = cluster.materialize("--select", "daily", "--all-partitions")
    assert ranged.returncode == 0, ranged.stdout + ranged.stderr
    run = cluster.show(cluster.last_run_id())
    assert run["status"] == "SUCCESS" and run["partition"] == {"start": "a", "end": "d"}
