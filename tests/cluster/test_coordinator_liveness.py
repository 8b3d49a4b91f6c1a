"""Coordinators heartbeat in PostgreSQL, so `upstream materialize` never waits on nobody in
silence: real coordinator processes, and the CLI as a user runs it."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable

import anyio
import pytest
from broker_proxy import BrokerProxy
from cluster_harness import DATABASE_URL, Cluster

from upstream.storage.postgres import open_postgres_storage
from upstream.storage.records import CoordinatorRecord, CoordinatorState

pytestmark = pytest.mark.integration

PIPELINE = """
from upstream import Definitions, asset

@asset
def source():
    return 1

@asset
def doubled(source):
    return source * 2

defs = Definitions([source, doubled])
"""


def test_materialize_with_no_coordinator_says_so_and_exits_2(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """On a namespace no coordinator ever ran on: one line naming the namespace and the fix,
    exit 2 within seconds, and nothing left queued for a coordinator started later."""
    write_pipeline(PIPELINE)
    began = time.monotonic()
    proc = cluster.materialize(timeout=30)
    took = time.monotonic() - began
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        f"error: no coordinator has ever run on namespace {cluster.namespace}; start one with"
        f" `upstream coordinator --namespace {cluster.namespace}`; nothing was submitted"
    ]
    assert took < 25, took  # the default 10 s of patience, and starting Python on a busy host
    runs = cluster.cli("runs", "list", "--json")
    assert runs.returncode == 0 and json.loads(runs.stdout) == [], runs.stdout + runs.stderr


def test_a_coordinator_started_just_after_the_client_runs_it(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """The README's commands pasted at once: the client, on a namespace no coordinator ever
    ran on, waits for one starting alongside it, and the run completes."""
    write_pipeline(PIPELINE)
    cluster.env["UPSTREAM_COORDINATOR_TIMEOUT"] = "60"  # coordinators start slowly here
    client = cluster.popen_materialize()
    cluster.coordinator()
    cluster.worker("worker")
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err


def _heartbeats(cluster: Cluster) -> dict[str, CoordinatorRecord]:
    """Every coordinator's row, by process name, read through the storage port."""

    async def read() -> list[CoordinatorRecord]:
        async with await open_postgres_storage(DATABASE_URL, schema=cluster.namespace) as store:
            return await store.coordinators()

    names = {f"-{proc.pid}": name for name, proc in cluster.procs.items()}
    rows = anyio.run(read)
    return {names[c.coordinator_id[c.coordinator_id.rindex("-") :]]: c for c in rows}


def _wait_for_states(cluster: Cluster, **states: CoordinatorState) -> dict[str, CoordinatorRecord]:
    """Poll the heartbeats until the named coordinators say these states (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        rows = _heartbeats(cluster)
        if all(name in rows and rows[name].state is state for name, state in states.items()):
            return rows
        assert time.monotonic() < deadline, f"wanted {states}, heartbeats say {rows}"
        time.sleep(0.2)


def _stderr_line(client: subprocess.Popen[str]) -> str:
    """The client's next line on stderr; the client is killed if none comes within 60 s."""
    watchdog = threading.Timer(60, client.kill)
    watchdog.start()
    try:
        assert client.stderr is not None
        return client.stderr.readline().rstrip("\n")
    finally:
        watchdog.cancel()


def test_heartbeats_say_who_leads_and_who_stands_by(cluster: Cluster) -> None:
    """The active coordinator's row says ACTIVE and a standby's STANDBY; when the active one
    dies the standby's says ACTIVE and the dead one's stops being renewed; SIGTERM: STOPPED."""
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.coordinator("standby")
    cluster.wait_for_log("standby", "coordinator.waiting_for_leadership")
    rows = _wait_for_states(
        cluster, coordinator=CoordinatorState.ACTIVE, standby=CoordinatorState.STANDBY
    )
    assert rows["coordinator"].leading and not rows["standby"].leading
    cluster.kill("coordinator")
    rows = _wait_for_states(cluster, standby=CoordinatorState.ACTIVE)
    assert rows["standby"].seen_at > rows["coordinator"].seen_at
    cluster.procs["standby"].send_signal(signal.SIGTERM)
    assert cluster.procs["standby"].wait(30) == 0
    rows = _wait_for_states(cluster, standby=CoordinatorState.STOPPED)
    assert not rows["standby"].alive


def test_a_run_submitted_as_coordinators_restart_waits_for_the_next_one(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """A coordinator stopped moments ago (within UPSTREAM_COORDINATOR_TIMEOUT): the client
    submits, says at once that none is alive, and the run ends once one is."""
    write_pipeline(PIPELINE)
    cluster.env["UPSTREAM_COORDINATOR_TIMEOUT"] = "120"  # "moments ago", on a loaded machine
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.procs["coordinator"].send_signal(signal.SIGTERM)
    assert cluster.procs["coordinator"].wait(30) == 0
    client = cluster.popen_materialize()
    assert _stderr_line(client).startswith(
        f"warning: no coordinator has been alive on namespace {cluster.namespace} for "
    )
    cluster.coordinator("next")
    cluster.worker("worker")
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err


def test_a_coordinator_cut_off_from_the_broker_says_so_until_it_is_back(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """The broker goes away under the leading coordinator: its heartbeat says so, a client
    submitting then says so on stderr, and once the broker is back the run completes."""
    write_pipeline(PIPELINE)
    proxy = BrokerProxy()
    try:
        cluster.start("coordinator", "coordinator", "--broker-url", proxy.url())
        _wait_for_states(cluster, coordinator=CoordinatorState.ACTIVE)
        cluster.worker("worker")  # straight to the broker: only the coordinator is cut off
        cluster.wait_for_log("worker", "worker.ready")
        proxy.cut()
        _wait_for_states(cluster, coordinator=CoordinatorState.BROKER_UNREACHABLE)
        client = cluster.popen_materialize()
        line = _stderr_line(client)
        assert line.startswith("warning: coordinator "), line
        assert f"of namespace {cluster.namespace} cannot reach the broker" in line
        proxy.restore()
        out, err = client.communicate(timeout=120)
        assert client.returncode == 0, out + err + cluster.log("coordinator")
    finally:
        proxy.close()
