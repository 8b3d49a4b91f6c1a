"""upstream distributed: a coordinator and workers as subprocesses on the local RabbitMQ and
PostgreSQL, under a namespace of their own that is dropped afterwards.

A run is timed from the moment `upstream materialize` queued it (the run's `created_at`) to
the coordinator recording its end (`ended_at`), both read back from PostgreSQL: this is the
cluster's own latency, without the CLI's interpreter start and module import, which are
reported apart (the CLI's wall time).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from benchmarks.procs import PYTHON, BenchError, Services, bench_env, run_bounded

if TYPE_CHECKING:
    from upstream.storage.records import RunRecord

DATABASE_URL = os.environ.get(
    "UPSTREAM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BROKER_URL = os.environ.get("UPSTREAM_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
WORKER_CONCURRENCY = 8  # upstream's default
_SUBMITTED = re.compile(r"submitted run ([0-9a-f-]{36})")


def new_namespace(label: str) -> str:
    """A queue prefix and schema name no one else uses."""
    return f"bench_{label}_{uuid.uuid4().hex[:10]}"


async def _drop_broker_objects(queues: list[str], exchanges: list[str]) -> None:
    import aio_pika

    connection = await aio_pika.connect(BROKER_URL)
    try:
        channel = await connection.channel()
        for queue in queues:
            try:
                await channel.queue_delete(queue)
            except Exception:  # missing: the channel is closed by the broker, reopen
                channel = await connection.channel()
        for exchange in exchanges:
            try:
                await channel.exchange_delete(exchange)
            except Exception:
                channel = await connection.channel()
    finally:
        await connection.close()


def drop_broker_objects(queues: list[str], exchanges: list[str]) -> None:
    asyncio.run(_drop_broker_objects(queues, exchanges))


async def _drop_schema(namespace: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
    finally:
        await conn.close()


def _namespace_queues(namespace: str) -> list[str]:
    """The broker's queues under `namespace`: task queues are named per code location and
    definitions hash (`task_route`), so they are listed rather than named here."""
    fixed = [f"{namespace}.tasks.default", f"{namespace}.results", f"{namespace}.dead-letters"]
    try:
        listed = subprocess.run(
            ["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):  # no local rabbitmqctl: the fixed names
        return fixed
    return sorted({*fixed, *(name for name in listed if name.startswith(f"{namespace}."))})


def cleanup_namespace(namespace: str) -> None:
    """Drop the namespace's PostgreSQL schema and its RabbitMQ queues and exchanges."""
    asyncio.run(_drop_schema(namespace))
    drop_broker_objects(_namespace_queues(namespace), [f"{namespace}.tasks", f"{namespace}.dead"])


async def _read_run(namespace: str, run_id: str) -> RunRecord:
    from upstream.storage.postgres import open_postgres_storage

    storage = await open_postgres_storage(DATABASE_URL, schema=namespace, max_size=1)
    try:
        run = await storage.get_run(run_id)
    finally:
        await storage.close()
    if run is None:
        raise BenchError(f"run {run_id} is not in schema {namespace}")
    return run


async def _submit_and_wait(namespace: str, module: Path, limit_s: float) -> RunRecord:
    """Queue a run as `upstream materialize` does, then poll only the run's own row."""
    from upstream.locations import load_code_location
    from upstream.runs import ClusterRuns
    from upstream.storage.postgres import open_postgres_storage

    location = load_code_location(None, str(module))
    storage = await open_postgres_storage(DATABASE_URL, schema=namespace, max_size=1)
    try:
        run_id = await ClusterRuns(storage).submit(location.name, location.definitions.hash, None)
        async with asyncio.timeout(limit_s):
            while True:
                run = await storage.get_run(run_id)
                if run is not None and run.status.ended:
                    return run
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise BenchError(f"run did not finish in {limit_s:.0f}s") from None
    finally:
        await storage.close()


def _cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def service_cpu() -> dict[str, float]:
    """CPU seconds so far of the machine's PostgreSQL and RabbitMQ processes (approximate:
    a connection's backend that ended between two readings is not counted)."""
    totals = {"postgres": 0.0, "rabbitmq": 0.0}
    for proc in psutil.process_iter(["name"]):
        label = {"postgres": "postgres", "beam.smp": "rabbitmq"}.get(proc.info["name"] or "")
        if label:
            totals[label] += _cpu(proc)
    return totals


@dataclass(frozen=True)
class RunTiming:
    """One distributed run: created_at -> ended_at, the CLI's wall time, CPU per process."""

    seconds: float
    wall: float
    cpu: dict[str, float]


@dataclass
class Cluster:
    """One namespace's coordinator and workers; `materialize` times one run on them."""

    services: Services
    workdir: Path
    namespace: str

    @property
    def env(self) -> dict[str, str]:
        return bench_env(
            {
                "UPSTREAM_DATABASE_URL": DATABASE_URL,
                "UPSTREAM_BROKER_URL": BROKER_URL,
                "UPSTREAM_NAMESPACE": self.namespace,
                "UPSTREAM_HOME": str(self.workdir / "home"),  # the workers' shared storage
            }
        )

    def _upstream(self, label: str, *args: str) -> psutil.Process:
        proc = self.services.start(label, [PYTHON, "-m", "upstream", *args], self.env, self.workdir)
        return psutil.Process(proc.pid)

    def start_coordinator(self) -> None:
        self._upstream("coordinator", "coordinator")
        self.services.wait_for("coordinator", "coordinator.active", timeout=60)

    def start_workers(self, module: Path, count: int, ready_timeout: float = 120) -> None:
        for i in range(count):
            self._upstream(
                f"worker{i}", "worker", "-f", str(module), "--concurrency", str(WORKER_CONCURRENCY)
            )
        for i in range(count):
            self.services.wait_for(f"worker{i}", "worker.ready", timeout=ready_timeout)

    def stop_workers(self) -> None:
        self.services.stop([label for label in self.services.procs if label.startswith("worker")])

    def _processes(self, prefix: str) -> list[psutil.Process]:
        return [
            psutil.Process(p.pid) for k, p in self.services.procs.items() if k.startswith(prefix)
        ]

    def _cpu_now(self) -> dict[str, float]:
        return {
            "coordinator": sum(_cpu(p) for p in self._processes("coordinator")),
            "workers": sum(_cpu(p) for p in self._processes("worker")),
            **service_cpu(),
        }

    def materialize(self, module: Path, timeout: float) -> RunTiming:
        """`upstream materialize -f module` as a user runs it; the run's times from PG."""
        before = self._cpu_now()
        done = run_bounded(
            [PYTHON, "-m", "upstream", "materialize", "-f", str(module)],
            timeout=timeout,
            env=self.env,
            cwd=self.workdir,
            log=self.workdir / "materialize.err",
        )
        cpu = _delta(before, self._cpu_now())
        found = _SUBMITTED.search(done.stdout)
        if done.returncode != 0 or found is None:
            raise BenchError(
                f"materialize exited {done.returncode}: {done.stdout[-300:]}{done.log}"
            )
        run = asyncio.run(_read_run(self.namespace, found.group(1)))
        return RunTiming(_duration(run), done.wall, cpu)

    def submit_and_wait(self, module: Path, timeout: float) -> RunTiming:
        """Queue a run through the API and poll its row only: for graphs so large that the
        CLI's follower (all step rows every 0.2 s) would compete with the run for CPU."""
        before = self._cpu_now()
        run = asyncio.run(_submit_and_wait(self.namespace, module, timeout))
        cpu = _delta(before, self._cpu_now())
        return RunTiming(_duration(run), _duration(run), cpu)

    def coordinator_peak_mb(self) -> float:
        """The coordinator's peak resident set (VmHWM) so far, in MB."""
        pid = self.services.procs["coordinator"].pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise BenchError("no VmHWM in /proc status (not Linux?)")


def _duration(run: RunRecord) -> float:
    if run.ended_at is None or run.status.value != "SUCCESS":
        raise BenchError(f"run {run.run_id} ended {run.status.value}")
    return run.ended_at - run.created_at


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: max(0.0, after[k] - before.get(k, 0.0)) for k in after}


@contextmanager
def cluster(label: str, *, values_in: str | None = None) -> Iterator[Cluster]:
    """A coordinator on a fresh namespace; on exit every process stopped, schema and broker
    objects dropped, scratch files removed, even after an error or Ctrl-C. The scratch
    directory (the workers' UPSTREAM_HOME, where their IO manager writes every value) is
    made in `values_in`, or in the system's temp directory."""
    namespace = new_namespace(label)
    workdir = Path(tempfile.mkdtemp(prefix=f"{namespace}-", dir=values_in))
    try:
        with Services(workdir) as services:
            found = Cluster(services, workdir, namespace)
            found.start_coordinator()
            yield found
    finally:
        try:
            cleanup_namespace(namespace)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
