"""Delivery limits on a real cluster: a step that kills every worker running it fails after
a bounded number of deliveries, instead of being redelivered forever."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from cluster_harness import Cluster

pytestmark = pytest.mark.integration

# `boom` kills the process running it (as the OOM killer would), leaving a file per try.
KILLER = """
import os
from pathlib import Path
from upstream import Definitions, asset

@asset
def source():
    return 1

@asset
def boom(source):
    Path(f"boom-{os.getpid()}").write_text("")
    os._exit(1)

@asset
def after(boom):
    return boom

@asset
def healthy():
    return 2

defs = Definitions([source, boom, after, healthy])
"""


def test_a_step_that_kills_its_workers_fails_after_three_deliveries(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Each worker that takes `boom` dies (restarted, as a supervisor would): after three
    deliveries the run ends FAILURE (exit 1), `boom` FAILED with the reason, `after`
    SKIPPED, `healthy` SUCCESS, and no fourth worker ran it."""
    write_pipeline(KILLER)
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("worker")
    cluster.wait_for_log("worker", "worker.ready")
    client = cluster.popen_materialize()
    deadline, restarts = time.monotonic() + 120, 0
    while client.poll() is None:
        assert time.monotonic() < deadline, "the run never ended"
        if cluster.procs[f"worker{restarts or ''}"].poll() is not None:  # died: restart it
            restarts += 1
            cluster.worker(f"worker{restarts}")
        time.sleep(0.1)
    out, err = client.communicate()
    assert client.returncode == 1, out + err
    assert "the worker died 3 times running this step" in out + err
    run_id = next(line.split()[1] for line in out.splitlines() if line.startswith("run "))
    steps = {s["step_key"]: s for s in cluster.show(run_id)["steps"]}
    assert {key: step["status"] for key, step in steps.items()} == {
        "source": "SUCCESS",
        "boom": "FAILURE",
        "after": "SKIPPED",
        "healthy": "SUCCESS",
    }
    assert len(list(cluster.root.glob("boom-*"))) == 3
