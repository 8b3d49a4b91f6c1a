"""Run config on a real cluster: checked by `upstream materialize` before submitting,
recorded in PostgreSQL, carried to worker processes in the tasks, and used there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cluster_harness import Cluster

pytestmark = pytest.mark.integration

CONFIGURED = """
from pathlib import Path
from upstream import Config, Definitions, asset

class Scale(Config):
    factor: int
    note: str = "default"

@asset
def base():
    return 3

@asset(key_prefix=["sales"])
def scaled(base, config: Scale):
    Path(f"scaled-{config.factor}-{config.note}").write_text("")
    return base * config.factor

defs = Definitions([base, scaled])
"""


def test_config_reaches_the_worker_process_and_is_recorded(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(CONFIGURED)
    missing = cluster.materialize()
    assert missing.returncode == 2
    assert "asset 'sales/scaled': field 'factor' is required" in missing.stderr
    assert "submitted" not in missing.stdout  # checked before anything was queued

    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("worker0")
    cluster.wait_for_log("worker0", "worker.ready")
    proc = cluster.materialize("-c", "ops.sales__scaled.config.factor=7")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (cluster.root / "scaled-7-default").exists()  # the worker built Scale(factor=7)
    run = cluster.show(cluster.last_run_id())
    assert run["status"] == "SUCCESS"
    assert run["run_config"] == {"ops": {"sales__scaled": {"config": {"factor": 7}}}}
