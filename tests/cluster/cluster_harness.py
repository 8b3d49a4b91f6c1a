"""Driving a real cluster from tests: processes, logs, and the CLI as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATABASE_URL = os.environ.get(
    "UPSTREAM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BROKER_URL = os.environ.get("UPSTREAM_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass
class Cluster:
    """Processes of one test's cluster, and helpers to drive them like a user would."""

    root: Path
    namespace: str
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.root / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "upstream", *args],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs[name] = proc
        return proc

    def coordinator(self, name: str = "coordinator") -> subprocess.Popen[bytes]:
        return self.start(name, "coordinator")

    def worker(self, name: str, *extra: str) -> subprocess.Popen[bytes]:
        return self.start(name, "worker", "-f", "pipeline.py", "--concurrency", "4", *extra)

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def wait_for_log(self, name: str, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            proc = self.procs[name]
            assert proc.poll() is None, f"{name} exited {proc.returncode}:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"{name} never logged {text!r}:\n{self.log(name)}"
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "upstream", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def materialize(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return self.cli("materialize", "-f", "pipeline.py", *args, timeout=timeout)

    def popen_materialize(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "upstream", "materialize", "-f", "pipeline.py", *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def show(self, run_id: str) -> dict[str, Any]:
        proc = self.cli("runs", "show", run_id, "--json")
        assert proc.returncode == 0, proc.stderr
        data: dict[str, Any] = json.loads(proc.stdout)
        return data

    def last_run_id(self) -> str:
        proc = self.cli("runs", "list", "--json", "--limit", "1")
        assert proc.returncode == 0, proc.stderr
        return str(json.loads(proc.stdout)[0]["run_id"])


def cleanup(namespace: str) -> None:
    """Drop the test's schema and broker topology (a task queue per code version seen)."""
    script = f"""
import asyncio, aio_pika, asyncpg
from upstream.transport.base import task_route
async def main():
    conn = await asyncpg.connect({DATABASE_URL!r})
    try:
        served = await conn.fetch(
            'SELECT code_location, definitions_hash FROM "{namespace}".runs '
            'UNION SELECT name, definitions_hash FROM "{namespace}".code_locations')
    except asyncpg.PostgresError:
        served = []
    await conn.execute('DROP SCHEMA IF EXISTS "{namespace}" CASCADE')
    await conn.close()
    connection = await aio_pika.connect({BROKER_URL!r})
    channel = await connection.channel()
    routes = [task_route(name, hash, q) for name, hash in served for q in ("default", "gpu")]
    fixed = ["results", "dead-letters", "abandoned-tasks", "tasks.default"]
    for name in [*("{namespace}." + name for name in fixed),
                 *("{namespace}.tasks." + route for route in routes)]:
        try:
            await channel.queue_delete(name)
        except Exception:
            channel = await connection.channel()
    for name in ["{namespace}.tasks", "{namespace}.dead"]:
        try:
            await channel.exchange_delete(name)
        except Exception:
            channel = await connection.channel()
    await connection.close()
asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", script], check=False, timeout=60)
