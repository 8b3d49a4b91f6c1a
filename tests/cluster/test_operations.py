"""What an operator meets first, on real processes: start-up errors that are one line and
exit 2, service logs that stay JSON when the broker drops a connection, and workers that
log each step they finish (quieted by --log-level)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from cluster_harness import BROKER_URL, DATABASE_URL, Cluster

pytestmark = pytest.mark.integration

PIPELINE = """
from upstream import Definitions, asset

@asset
def first():
    return 1

@asset
def second(first):
    return first + 1

defs = Definitions([first, second])
"""

SECRET = "s3cret-pw"
UNREACHABLE_BROKER = f"amqp://guest:{SECRET}@127.0.0.1:1/"  # nothing listens on port 1
UNREACHABLE_DATABASE = f"postgresql://postgres:{SECRET}@127.0.0.1:1/test"


@pytest.mark.parametrize(
    ("command", "broker", "database", "names", "fix"),
    [
        ("coordinator", UNREACHABLE_BROKER, DATABASE_URL, "127.0.0.1:1", "UPSTREAM_BROKER_URL"),
        ("coordinator", BROKER_URL, UNREACHABLE_DATABASE, "127.0.0.1:1", "UPSTREAM_DATABASE_URL"),
        ("coordinator", BROKER_URL, "not a url", "'not a url'", "UPSTREAM_DATABASE_URL"),
        ("coordinator", "not a url", DATABASE_URL, "'not a url'", "UPSTREAM_BROKER_URL"),
        ("worker", UNREACHABLE_BROKER, DATABASE_URL, "127.0.0.1:1", "UPSTREAM_BROKER_URL"),
        ("worker", "not a url", DATABASE_URL, "'not a url'", "UPSTREAM_BROKER_URL"),
        ("worker", f"amqp://guest:{SECRET}@127.0.0.1:x/", DATABASE_URL, ":x/'", "--broker-url"),
    ],
    ids=[
        "coordinator-broker-down",
        "coordinator-database-down",
        "coordinator-database-not-a-url",
        "coordinator-broker-not-a-url",
        "worker-broker-down",
        "worker-broker-not-a-url",
        "worker-broker-bad-port",
    ],
)
def test_a_bad_url_at_start_up_is_one_line_and_exit_2(
    cluster: Cluster,
    write_pipeline: Callable[[str], None],
    command: str,
    broker: str,
    database: str,
    names: str,
    fix: str,
) -> None:
    """Unreachable or malformed: the URL as typed (never its password) and the fix, in one
    line, within seconds; no retrying for ever, no library's log line before it."""
    write_pipeline(PIPELINE)
    args = [command, "--broker-url", broker, "--database-url", database]
    if command == "worker":
        args += ["-f", "pipeline.py"]
    began = time.monotonic()
    proc = cluster.cli(*args, timeout=30)
    assert time.monotonic() - began < 15
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: ")
    assert names in line and fix in line
    assert SECRET not in line


def _close_connections(namespace: str) -> int:
    """Close the broker connections of the namespace's processes, as a broker restart does
    (only theirs: other tests share the broker). Returns how many were closed."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "pid", "client_properties"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    pids = [
        line.split("\t")[0]
        for line in listed.stdout.splitlines()
        if f'"upstream {namespace}"' in line
    ]
    for pid in pids:
        subprocess.run(
            ["rabbitmqctl", "-q", "close_connection", pid, "test: broker restart"],
            check=True,
            timeout=60,
        )
    return len(pids)


@pytest.mark.skipif(shutil.which("rabbitmqctl") is None, reason="needs rabbitmqctl")
def test_services_log_only_json_lines_through_a_dropped_connection(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """The broker drops every connection: aio-pika's and aiormq's own lines (and their
    tracebacks) are JSON events like ours; the cluster recovers and runs. A worker logs a
    line per step it finished, unless --log-level quiets it."""
    write_pipeline(PIPELINE)
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("worker")
    cluster.wait_for_log("worker", "worker.ready")
    assert _close_connections(cluster.namespace) >= 2
    cluster.wait_for_log("worker", "CONNECTION_FORCED")
    cluster.wait_for_log("coordinator", "CONNECTION_FORCED")
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _stop(cluster, "worker")
    cluster.worker("quiet", "--log-level", "WARNING")  # now the only worker
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _stop(cluster, "quiet")
    _stop(cluster, "coordinator")
    events = {name: _events(cluster, name) for name in ("coordinator", "worker", "quiet")}
    assert any(e.get("logger", "").startswith("aiormq") for e in events["worker"])
    steps = {e["asset_key"]: e for e in events["worker"] if e["event"] == "step.finished"}
    assert sorted(steps) == ["first", "second"]
    assert steps["second"]["outcome"] == "success"
    assert {"run_id", "duration", "attempt"} <= set(steps["second"])
    assert not [e for e in events["quiet"] if e["event"] == "step.finished"]


def _stop(cluster: Cluster, name: str) -> None:
    cluster.procs[name].send_signal(signal.SIGTERM)
    assert cluster.procs[name].wait(30) == 0, cluster.log(name)


def _events(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    """Every line of the process's stdout and stderr, each of which must be a JSON event."""
    events = []
    for line in cluster.log(name).splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pytest.fail(f"{name} wrote a line that is not JSON: {line!r}")
    return events
