"""Celery on the wide graph: the root task, then a group of N-1 tasks given its value.

The client here plays the coordinator's part (wait for the root, fan out, collect every
result), as upstream's coordinator does. Timed from submitting the root to holding all N-1
results. Two worker processes (`celery worker -c 1` twice), as upstream's 2-worker row.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cluster import drop_broker_objects, new_namespace
from benchmarks.procs import PYTHON, BenchError, Services, bench_env

WORKERS = 2
POOL = "prefork"  # Celery's default pool; `-c 1`: one child process per worker


@dataclass
class CeleryCluster:
    """Two Celery workers on a queue of their own."""

    services: Services
    queue: str
    ready_dir: Path

    def start(self, timeout: float = 60) -> None:
        env = bench_env(
            {"BENCH_CELERY_QUEUE": self.queue, "BENCH_CELERY_READY_DIR": str(self.ready_dir)}
        )
        for i in range(WORKERS):
            self.services.start(
                f"celery{i}",
                [PYTHON, "-m", "celery", "-A", "benchmarks.celery_app", "worker",
                 "-c", "1", "-P", POOL, "-n", f"w{i}@{self.queue}", "-Q", self.queue,
                 "--without-mingle", "--without-gossip", "--without-heartbeat",
                 "--loglevel", "WARNING"],
                env,
                self.services.logs,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while len(list(self.ready_dir.glob("ready-*"))) < WORKERS:
            for label, proc in self.services.procs.items():
                if proc.poll() is not None:
                    raise BenchError(f"{label} exited {proc.returncode}")
            if time.monotonic() > deadline:
                raise BenchError(f"celery workers not ready in {timeout:.0f}s")
            time.sleep(0.05)

    def run_wide(self, n: int, timeout: float) -> float:
        """Seconds from submitting the root to having all N-1 children's results."""
        from celery import group

        from benchmarks.celery_app import child, configure, root

        configure(self.queue)
        began = time.perf_counter()
        value = root.delay().get(timeout=timeout)
        fan_out = group(child.s(value) for _ in range(n - 1)).apply_async()
        results = fan_out.get(timeout=timeout)
        seconds = time.perf_counter() - began
        if sum(results) != n - 1:
            raise BenchError(f"celery returned {sum(results)}, expected {n - 1}")
        return seconds


@contextmanager
def celery_cluster() -> Iterator[CeleryCluster]:
    """Workers up for the block; then stopped, their queue and exchange deleted."""
    queue = new_namespace("celery")
    scratch = Path(tempfile.mkdtemp(prefix=f"{queue}-"))
    try:
        with Services(scratch) as services:
            found = CeleryCluster(services, queue, scratch)
            found.start()
            yield found
    finally:
        try:
            drop_broker_objects([queue], [queue])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
