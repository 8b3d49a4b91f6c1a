"""The distributed deployment, for real: coordinator and workers as processes on the local
RabbitMQ and PostgreSQL. Each test is one promise of DESIGN.md's delivery semantics."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cluster_harness import BROKER_URL, Cluster
from otlp_receiver import Receiver

from upstream.transport.base import task_route

pytestmark = pytest.mark.integration

DIAMOND = """
from upstream import Definitions, asset

@asset
def source():
    return 1

@asset
def left(source):
    return source + 1

@asset
def right(source):
    return source * 10

@asset
def joined(left, right):
    return left + right

defs = Definitions([source, left, right, joined])
"""

MANY = """
from upstream import Definitions, asset

def make(i):
    @asset(name=f"n{i}", deps=[f"n{i - 1}"] if i % 20 else [])
    def node():
        return i
    return node

defs = Definitions([make(i) for i in range(200)])
"""

# A chain of quick assets; once armed (a file in the workers' directory), `c5` kills the
# process running it, once.
CHAIN = """
import os
from pathlib import Path
from upstream import Definitions, asset

def make(i):
    @asset(name=f"c{i}", deps=[f"c{i - 1}"] if i else [])
    def node():
        if i == 5 and Path("armed").exists() and not Path("killed").exists():
            Path("killed").write_text(str(os.getpid()))
            os._exit(1)
        return i
    return node

defs = Definitions([make(i) for i in range(10)])
"""

# `slow` announces which process runs it (a file per attempt), then takes a while.
SLOW = """
import os, time
from pathlib import Path
from upstream import Definitions, asset

@asset
def first():
    return 1

@asset
def slow(first):
    Path(f"started-{os.getpid()}").write_text("")
    time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))
    return first + 1

@asset
def last(slow):
    return slow + 1

defs = Definitions([first, slow, last])
"""

FAILING = """
from upstream import Definitions, asset

@asset
def source():
    return 1

@asset
def broken(source):
    raise ValueError(f"cannot parse row {source}")

@asset
def downstream(broken):
    return broken

@asset
def healthy(source):
    return source

defs = Definitions([source, broken, downstream, healthy])
"""


def _start(cluster: Cluster, workers: int = 2) -> None:
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    for i in range(workers):
        cluster.worker(f"worker{i}")
        cluster.wait_for_log(f"worker{i}", "worker.ready")


def _materialized(cluster: Cluster, run_id: str) -> list[str]:
    """Asset keys of the run's ASSET_MATERIALIZATION events, read straight from PostgreSQL."""
    script = f"""
import asyncio, json, asyncpg
async def main():
    conn = await asyncpg.connect({cluster.env["UPSTREAM_DATABASE_URL"]!r})
    rows = await conn.fetch('SELECT step_key FROM "{cluster.namespace}".events '
                            "WHERE run_id = $1 AND type = 'ASSET_MATERIALIZATION'", {run_id!r})
    print(json.dumps([r[0] for r in rows]))
    await conn.close()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    keys: list[str] = json.loads(out.stdout)
    return keys


def _wait_for_slow(cluster: Cluster) -> int:
    """Block until the SLOW pipeline's `slow` asset runs; return the pid running it."""
    deadline = time.monotonic() + 60
    while not (started := list(cluster.root.glob("started-*"))):
        assert time.monotonic() < deadline, "slow never started"
        time.sleep(0.05)
    return int(started[0].name.split("-")[1])


def _run_id(stdout: str) -> str:
    return next(line.split()[1] for line in stdout.splitlines() if line.startswith("run "))


def test_a_diamond_completes(cluster: Cluster, write_pipeline: Callable[[str], None]) -> None:
    """Submitted from the CLI, planned by the coordinator, run by the workers."""
    write_pipeline(DIAMOND)
    _start(cluster)
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 succeeded, 0 failed, 0 skipped" in proc.stdout
    run = cluster.show(_run_id(proc.stdout))
    assert run["status"] == "SUCCESS"
    assert {s["step_key"]: s["status"] for s in run["steps"]} == dict.fromkeys(
        ["source", "left", "right", "joined"], "SUCCESS"
    )


def test_two_hundred_assets_are_shared_and_recorded_once(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Both workers take part; every asset is recorded exactly once."""
    write_pipeline(MANY)
    _start(cluster)
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = _run_id(proc.stdout)
    materialized = _materialized(cluster, run_id)
    assert sorted(materialized) == sorted(f"n{i}" for i in range(200))
    workers = {s["worker_id"] for s in cluster.show(run_id)["steps"]}
    assert len(workers) == 2, workers


def test_a_worker_killed_mid_asset_loses_nothing(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """SIGKILL the worker running `slow`: the broker redelivers it, the run completes, and
    `slow` is recorded once."""
    write_pipeline(SLOW)
    _start(cluster)
    client = cluster.popen_materialize()
    pid = _wait_for_slow(cluster)
    victim = next(name for name, proc in cluster.procs.items() if proc.pid == pid)
    cluster.kill(victim)
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err
    assert len(list(cluster.root.glob("started-*"))) == 2  # executed again elsewhere
    assert sorted(_materialized(cluster, _run_id(out))) == ["first", "last", "slow"]


def test_a_worker_dying_amid_followed_steps_loses_nothing(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Once its assets are known to be quick, the chain travels as one message, reported
    together at its end; the worker running it dies at `c5` without reporting any: the
    broker redelivers the whole message to the other worker, and each step is recorded
    once, all by that worker."""
    write_pipeline(CHAIN)
    _start(cluster)
    first = cluster.materialize()  # teaches the coordinator what the assets cost
    assert first.returncode == 0, first.stdout + first.stderr
    (cluster.root / "armed").write_text("")
    second = cluster.materialize()
    assert second.returncode == 0, second.stdout + second.stderr
    assert (cluster.root / "killed").exists()
    run_id = _run_id(second.stdout)
    steps = cluster.show(run_id)["steps"]
    assert {s["step_key"]: s["status"] for s in steps} == {f"c{i}": "SUCCESS" for i in range(10)}
    assert len({s["worker_id"] for s in steps}) == 1  # the survivor ran the whole message
    assert sorted(_materialized(cluster, run_id)) == sorted(f"c{i}" for i in range(10))


def test_a_coordinator_killed_mid_run_resumes_it(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """SIGKILL the coordinator while `slow` runs, start a new one: the run completes and
    nothing is recorded twice."""
    write_pipeline(SLOW)
    _start(cluster)
    client = cluster.popen_materialize()
    _wait_for_slow(cluster)
    cluster.kill("coordinator")
    cluster.coordinator("coordinator2")
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err
    assert "run.resumed" in cluster.log("coordinator2")
    assert sorted(_materialized(cluster, _run_id(out))) == ["first", "last", "slow"]


def test_a_standby_coordinator_takes_over(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """A second coordinator waits; when the active one dies it leads within seconds."""
    write_pipeline(DIAMOND)
    _start(cluster)
    cluster.coordinator("standby")
    cluster.wait_for_log("standby", "coordinator.waiting_for_leadership")
    time.sleep(0.5)
    assert "coordinator.active" not in cluster.log("standby")
    cluster.kill("coordinator")
    cluster.wait_for_log("standby", "coordinator.active", timeout=15)
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _inject(cluster: Cluster, queue: str, body: bytes) -> None:
    script = f"""
import asyncio, aio_pika
async def main():
    connection = await aio_pika.connect({BROKER_URL!r})
    channel = await connection.channel()
    await channel.default_exchange.publish(aio_pika.Message({body!r}), routing_key={queue!r})
    await connection.close()
asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def _route(cluster: Cluster, worker: str) -> str:
    """The task route `worker` consumes, from its `worker.ready` line."""
    ready = next(
        json.loads(line)
        for line in cluster.log(worker).splitlines()
        if line.startswith("{") and json.loads(line).get("event") == "worker.ready"
    )
    return task_route(ready["code_location"], ready["definitions_hash"], ready["queue"])


def _dead_letters(cluster: Cluster) -> list[Any]:
    script = f"""
import asyncio, json, aio_pika
async def main():
    connection = await aio_pika.connect({BROKER_URL!r})
    channel = await connection.channel()
    queue = await channel.get_queue("{cluster.namespace}.dead-letters")
    bodies = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        bodies.append(message.body.decode("latin-1"))
    print(json.dumps(bodies))
    await connection.close()
asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    bodies: list[Any] = json.loads(out.stdout)
    return bodies


def test_malformed_messages_are_dead_lettered_and_services_keep_serving(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Garbage on the task queue and on the result queue ends in the dead letters, with a
    log line; coordinator and workers stay up and the next run succeeds."""
    write_pipeline(DIAMOND)
    _start(cluster)
    _inject(cluster, f"{cluster.namespace}.tasks.{_route(cluster, 'worker0')}", b"\xc1 not a task")
    _inject(cluster, f"{cluster.namespace}.results", b"\xc1 not a result")
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deadline = time.monotonic() + 10
    dead: list[Any] = []
    while len(dead) < 2 and time.monotonic() < deadline:
        dead += _dead_letters(cluster)
        time.sleep(0.2)
    assert sorted(dead) == sorted(["\xc1 not a task", "\xc1 not a result"])
    logs = cluster.log("coordinator") + cluster.log("worker0") + cluster.log("worker1")
    assert "result.rejected" in logs and "task.rejected" in logs
    assert all(proc.poll() is None for proc in cluster.procs.values())


def test_a_failing_asset_skips_downstream_and_shows_its_traceback(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Run FAILURE (exit 1); the downstream is skipped; `runs show` has the traceback."""
    write_pipeline(FAILING)
    _start(cluster)
    proc = cluster.materialize()
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_id = _run_id(proc.stdout)
    steps = {s["step_key"]: s for s in cluster.show(run_id)["steps"]}
    assert steps["broken"]["status"] == "FAILURE"
    assert steps["downstream"]["status"] == "SKIPPED"
    assert steps["healthy"]["status"] == "SUCCESS"
    shown = cluster.cli("runs", "show", run_id[:8])
    assert 'raise ValueError(f"cannot parse row {source}")' in shown.stdout
    assert "ValueError: cannot parse row 1" in shown.stdout


def test_a_run_for_code_no_worker_serves_fails_with_the_reason(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Submitting code the workers do not run fails the run and says why (exit 1), once a
    grace period for workers still starting has passed."""
    write_pipeline(DIAMOND)
    _start(cluster, workers=1)
    write_pipeline(DIAMOND.replace("source * 10", "source * 11"))  # the client's code changed
    proc = cluster.materialize()
    assert proc.returncode == 1
    assert "no worker has registered code location" in proc.stderr


def _pid_of(worker_id: str) -> int:
    return int(worker_id.rsplit("-", 1)[1])


def test_runs_of_two_versions_of_the_code_each_run_on_their_own_workers(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """A rolling deploy: workers of the old code and of the new serve side by side, and
    each run's steps go only to workers of the code it was planned against (tasks are
    routed by definitions hash), so runs of both versions succeed."""
    write_pipeline(MANY)
    _start(cluster, workers=1)  # worker0: the old code
    write_pipeline(MANY.replace("return i", "return i + 1"))  # new code, another hash
    cluster.worker("new")
    cluster.wait_for_log("new", "worker.ready")
    new = cluster.materialize()  # submitted from the new code
    assert new.returncode == 0, new.stdout + new.stderr
    write_pipeline(MANY)  # a client still on the old code
    old = cluster.materialize()
    assert old.returncode == 0, old.stdout + old.stderr
    for proc, worker in ((new, "new"), (old, "worker0")):
        steps = cluster.show(_run_id(proc.stdout))["steps"]
        assert len(steps) == 200
        assert {_pid_of(s["worker_id"]) for s in steps} == {cluster.procs[worker].pid}


def test_a_run_whose_code_no_worker_serves_any_more_fails_after_the_grace(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Its workers registered the code, then all left (a deploy replaced them): the run's
    steps wait `--worker-grace` seconds for one, then fail saying what to start (exit 1)."""
    write_pipeline(DIAMOND)
    cluster.start("coordinator", "coordinator", "--worker-grace", "2")
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.worker("gone")
    cluster.wait_for_log("gone", "worker.ready")
    cluster.procs["gone"].send_signal(signal.SIGTERM)
    assert cluster.procs["gone"].wait(30) == 0
    began = time.monotonic()
    proc = cluster.materialize(timeout=30)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert time.monotonic() - began < 15
    assert "NoWorker: no worker serves code location" in proc.stderr
    assert "start one on that code with `upstream worker" in proc.stderr
    steps = {s["step_key"]: s["status"] for s in cluster.show(_run_id(proc.stdout))["steps"]}
    assert steps == {
        "source": "FAILURE",
        "left": "SKIPPED",
        "right": "SKIPPED",
        "joined": "SKIPPED",
    }


def _terminate_database_sessions(cluster: Cluster) -> int:
    """What a PostgreSQL restart does to clients: every session of the namespace dies."""
    script = f"""
import asyncio, asyncpg
async def main():
    conn = await asyncpg.connect({cluster.env["UPSTREAM_DATABASE_URL"]!r})
    n = await conn.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = $1", "upstream:{cluster.namespace}")
    print(n)
    await conn.close()
asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return int(out.stdout)


def test_lost_database_sessions_are_ridden_out(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Kill every database session mid-run (as a restart does): the coordinator notices,
    backs off, leads again and resumes; the client keeps following; nothing is doubled."""
    write_pipeline(SLOW)
    _start(cluster)
    client = cluster.popen_materialize()
    _wait_for_slow(cluster)
    assert _terminate_database_sessions(cluster) >= 2  # coordinator's pool and its lock
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err + cluster.log("coordinator")
    assert "coordinator.restarting" in cluster.log("coordinator")
    assert sorted(_materialized(cluster, _run_id(out))) == ["first", "last", "slow"]


def test_sigterm_drains_a_worker(cluster: Cluster, write_pipeline: Callable[[str], None]) -> None:
    """SIGTERM while `slow` runs: it finishes and reports, the worker exits 0, and the
    rest of the run goes to the other worker."""
    write_pipeline(SLOW)
    _start(cluster)
    client = cluster.popen_materialize()
    pid = _wait_for_slow(cluster)
    name = next(n for n, proc in cluster.procs.items() if proc.pid == pid)
    cluster.procs[name].send_signal(signal.SIGTERM)
    assert cluster.procs[name].wait(60) == 0
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err
    assert len(list(cluster.root.glob("started-*"))) == 1  # finished, not redone
    assert sorted(_materialized(cluster, _run_id(out))) == ["first", "last", "slow"]


ROUTED = """
import os
from upstream import Definitions, asset

@asset(queue="gpu")
def embeddings():
    return os.getpid()

@asset
def report(embeddings):
    return embeddings

defs = Definitions([embeddings, report])
"""


def test_an_asset_on_a_queue_runs_only_on_workers_of_that_queue(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """@asset(queue="gpu") waits for a `--queue gpu` worker, and only it runs the asset."""
    write_pipeline(ROUTED)
    _start(cluster, workers=1)
    client = cluster.popen_materialize()
    time.sleep(1.0)
    assert client.poll() is None  # no gpu worker yet: the task waits in its queue
    cluster.worker("gpu", "--queue", "gpu")
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err
    steps = {s["step_key"]: s["worker_id"] for s in cluster.show(_run_id(out))["steps"]}
    gpu_pid = str(cluster.procs["gpu"].pid)
    assert steps["embeddings"].endswith(f"-{gpu_pid}")
    assert not steps["report"].endswith(f"-{gpu_pid}")


def test_a_run_submitted_before_its_workers_start_waits_for_them(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Start the coordinator, submit, then start a worker: the run completes (the README's
    commands, pasted quickly, race exactly like this)."""
    write_pipeline(DIAMOND)
    _start(cluster, workers=0)
    client = cluster.popen_materialize()
    time.sleep(1.0)
    cluster.worker("late")
    out, err = client.communicate(timeout=60)
    assert client.returncode == 0, out + err


TRACED = """
from upstream import AssetExecutionContext, Definitions, asset

@asset
def source(context: AssetExecutionContext):
    context.log.info("reading the source")
    return 1

@asset
def broken(source):
    raise ValueError(f"cannot parse row {source}")

@asset
def healthy(source):
    return source + 1

defs = Definitions([source, broken, healthy])
"""


def test_a_run_is_one_trace_across_processes(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """Coordinator and workers export over OTLP/HTTP: one trace id for the run, each
    execute span a child of its materialize span, two services, an ERROR span for the
    failed asset, and the step's log line carrying the trace id."""
    receiver = Receiver()
    try:
        cluster.env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
        cluster.env["OTEL_BSP_SCHEDULE_DELAY"] = "100"  # ms: export promptly
        write_pipeline(TRACED)
        _start(cluster)
        proc = cluster.materialize()
        assert proc.returncode == 1, proc.stdout + proc.stderr
        run_id = _run_id(proc.stdout)
        for name, service in cluster.procs.items():  # SIGTERM: services flush their spans
            service.send_signal(signal.SIGTERM)
            assert service.wait(30) == 0, cluster.log(name)
        trace_id = uuid.UUID(run_id).bytes
        spans = [r for r in receiver.spans() if r.span.trace_id == trace_id]
    finally:
        receiver.close()

    by_name = {r.span.name: r for r in spans}
    assert {r.service for r in spans} == {"upstream-coordinator", "upstream-worker"}
    assert by_name["run"].service == "upstream-coordinator"
    for step in ("source", "broken", "healthy"):
        published, executed = by_name[f"materialize {step}"], by_name[f"execute {step}"]
        assert published.service == "upstream-coordinator"
        assert executed.service == "upstream-worker"
        assert executed.span.parent_span_id == published.span.span_id
        assert published.span.parent_span_id == by_name["run"].span.span_id
    error = 2  # Status.STATUS_CODE_ERROR
    assert by_name["execute broken"].span.status.code == error
    assert by_name["materialize broken"].span.status.code == error
    assert by_name["execute healthy"].span.status.code != error

    worker_lines = [
        json.loads(line)
        for name in ("worker0", "worker1")
        for line in cluster.log(name).splitlines()
        if line.startswith("{")
    ]
    [user_line] = [line for line in worker_lines if line.get("event") == "asset.log"]
    assert user_line["trace_id"] == uuid.UUID(run_id).hex
    assert user_line["message"] == "reading the source"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_web_ui_launches_and_cancels_runs_on_the_cluster(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    """`upstream web --database-url`: the graph is what workers registered; a launch is
    queued for the coordinator; cancel stops launching steps and ends the run CANCELED
    once the step in flight has reported."""
    write_pipeline(SLOW)
    _start(cluster, workers=1)
    port = _free_port()
    cluster.start("web", "web", "--port", str(port))
    cluster.wait_for_log("web", f"http://127.0.0.1:{port}")
    headers = {"X-Upstream-CSRF": "1"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as web:
        deadline = time.monotonic() + 15
        while True:  # the server accepts once uvicorn is up
            try:
                graph = web.get("/api/graph").json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert {n["key"] for n in graph["nodes"]} == {"first", "slow", "last"}
        assert web.get("/api/info").json()["mode"] == "web"

        launched = web.post("/api/runs", json={"selection": "*"}, headers=headers)
        assert launched.status_code == 201, launched.text
        (run_id,) = launched.json()["run_ids"]
        _wait_for_slow(cluster)
        # The coordinator publishes a step before committing its QUEUED marker, so the
        # step may start a moment before the UI can see it: running within a second.
        deadline = time.monotonic() + 1
        while (status := web.get("/api/status").json()["assets"]["slow"]["status"]) != "running":
            assert time.monotonic() < deadline, status
            time.sleep(0.05)
        canceled = web.post(f"/api/runs/{run_id}/cancel", json={}, headers=headers)
        assert canceled.json() == {"status": "CANCELING"}

        deadline = time.monotonic() + 30
        while (run := web.get(f"/api/runs/{run_id}").json())["status"] != "CANCELED":
            assert time.monotonic() < deadline, run["status"]
            time.sleep(0.2)
    steps = {s["step_key"]: s for s in run["steps"]}
    assert steps["first"]["status"] == "SUCCESS"
    assert steps["slow"]["status"] == "SUCCESS"  # in flight when canceled: it reported
    assert steps["last"]["status"] == "SKIPPED" and steps["last"]["skip_reason"] == "run canceled"
