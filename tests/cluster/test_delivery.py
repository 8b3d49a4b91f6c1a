"""Delivery on a real cluster, at its limits: a step that kills every worker running it
fails after a bounded number of deliveries, instead of being redelivered forever; a step
longer than the broker's ack timeout runs once."""

from __future__ import annotations

import re
import shutil
import subprocess
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


# `long` leaves a file per execution, then takes LONG_SECONDS.
LONG = """
import os, time, uuid
from pathlib import Path
from upstream import Definitions, asset

@asset
def long():
    Path(f"started-{uuid.uuid4().hex}").write_text("")
    time.sleep(float(os.environ["LONG_SECONDS"]))
    return 1

@asset
def after(long):
    return long + 1

defs = Definitions([long, after])
"""


def _consumer_timeout(milliseconds: int | None = None) -> int:
    """The broker's consumer_timeout (ms), set first if `milliseconds` is given."""
    if milliseconds is not None:
        _eval(f"application:set_env(rabbit, consumer_timeout, {milliseconds}).")
    found = re.search(r"\{ok,(\d+)\}", _eval("application:get_env(rabbit, consumer_timeout)."))
    assert found is not None, "cannot read the broker's consumer_timeout"
    return int(found.group(1))


def _eval(expression: str) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "eval", expression], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_a_step_longer_than_the_brokers_ack_timeout_runs_once(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """The workers' channels get a 15 s ack timeout (RabbitMQ 3.10 reads consumer_timeout
    when a channel opens; it is restored at once, so other clients keep theirs). A step of
    80 s, past that timeout and the broker's once-a-minute check of it, runs once: the
    worker takes it under lease and acks it. Without that, the broker would close the
    worker's channel and redeliver the task to the other worker."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("needs rabbitmqctl to set the broker's consumer_timeout")
    write_pipeline(LONG)
    cluster.env["LONG_SECONDS"] = "80"
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    previous = _consumer_timeout()
    try:
        _consumer_timeout(15_000)
        for name in ("worker0", "worker1"):
            cluster.worker(name)
            cluster.wait_for_log(name, "worker.ready")
    finally:
        assert _consumer_timeout(previous) == previous
    proc = cluster.materialize(timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(cluster.root.glob("started-*"))) == 1
    logs = cluster.log("worker0") + cluster.log("worker1")
    assert "task.leased" in logs and "PRECONDITION_FAILED" not in logs
