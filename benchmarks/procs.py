"""Subprocesses that always end: bounded one-shot commands and services stopped on exit.

Every measurement that could hang runs in a child of its own session (process group), so a
timeout or an interrupted benchmark kills exactly the processes it started, their children
included (Dagster's step processes, Celery's pool), and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from benchmarks.graphs import ROOT

PYTHON = sys.executable
CLUSTER_VARS = ("UPSTREAM_DATABASE_URL", "UPSTREAM_BROKER_URL", "UPSTREAM_NAMESPACE")


class BenchError(RuntimeError):
    """A measurement that failed or timed out; its row reports the message."""


def bench_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for children: the repository importable, no stray cluster settings
    (a user's UPSTREAM_DATABASE_URL must not turn an embedded run into a cluster one)."""
    env = {k: v for k, v in os.environ.items() if k not in CLUSTER_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (it leads its own session), then reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


@dataclass(frozen=True)
class Finished:
    """A one-shot command's exit status, output and wall time."""

    returncode: int
    stdout: str
    log: str
    wall: float


def run_bounded(
    args: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
) -> Finished:
    """Run `args` to completion or kill it after `timeout` seconds (raises BenchError).

    stderr goes to `log` (Dagster writes a debug line per event: kept off the pipe so it
    cannot block, and kept for the error message if the command fails)."""
    began = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            raise BenchError(f"timed out after {timeout:.0f}s: {' '.join(args[:6])}") from None
        except BaseException:
            kill_group(proc)
            raise
    wall = time.perf_counter() - began
    return Finished(proc.returncode, out.decode(errors="replace"), tail(log), wall)


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Services:
    """Long-running children (coordinator, workers); `stop` ends them all, SIGTERM first
    so workers drain as in production, SIGKILL to the group if they linger."""

    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self, label: str, args: Sequence[str], env: Mapping[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        with self.log_path(label).open("wb") as log:
            proc = subprocess.Popen(
                list(args),
                cwd=cwd,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[label] = proc
        return proc

    def log_path(self, label: str) -> Path:
        return self.logs / f"{label}.log"

    def wait_for(self, label: str, text: str, timeout: float) -> None:
        """Wait until the service logs `text`; raise if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        path, proc = self.log_path(label), self.procs[label]
        while text not in path.read_text(errors="replace"):
            if proc.poll() is not None:
                raise BenchError(f"{label} exited {proc.returncode}:\n{tail(path)}")
            if time.monotonic() > deadline:
                raise BenchError(f"{label} did not log {text!r} in {timeout:.0f}s:\n{tail(path)}")
            time.sleep(0.05)

    def stop(self, labels: Sequence[str] | None = None, grace: float = 15.0) -> None:
        chosen = list(self.procs) if labels is None else list(labels)
        for label in chosen:
            proc = self.procs[label]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for label in chosen:
            proc = self.procs.pop(label)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            kill_group(proc)  # also reaps pool children a SIGTERM left behind

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
