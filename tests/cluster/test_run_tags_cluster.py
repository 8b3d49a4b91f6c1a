"""Run tags on a real cluster: `upstream materialize --tag` queues the run with them in
PostgreSQL, and they stay on it through the coordinator's start and finish."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cluster_harness import Cluster

pytestmark = pytest.mark.integration

PIPELINE = """
from upstream import Definitions, asset

@asset
def base():
    return 3

defs = Definitions([base])
"""


def test_tags_are_recorded_with_a_cluster_run(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(PIPELINE)
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("worker0")
    cluster.wait_for_log("worker0", "worker.ready")
    proc = cluster.materialize("--tag", "team=sales", "--tag", "note=nightly run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = cluster.show(cluster.last_run_id())
    assert run["status"] == "SUCCESS"
    assert run["tags"] == {"team": "sales", "note": "nightly run"}
