"""`upstream dev` and `upstream web` as commands: what they refuse before serving, and
the warning for an exposed address. (The pages themselves: tests/web.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.test_cli import run_cli, write

PIPELINE = """
from upstream import Definitions, asset

@asset
def a() -> int:
    return 1

defs = Definitions([a])
"""


def test_dev_needs_a_code_location(tmp_path: Path, home: Path) -> None:
    proc = run_cli("dev", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert "-m MODULE or -f FILE" in proc.stderr


def test_dev_on_a_taken_port_is_one_clear_line(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli("dev", "-f", "pipeline.py", "--port", str(port), cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is in use; stop what holds it or pass --port"
    )


def test_web_without_any_state_says_where_to_start(tmp_path: Path, home: Path) -> None:
    env_free = {k: v for k, v in os.environ.items() if k != "UPSTREAM_DATABASE_URL"}
    proc = subprocess.run(
        [sys.executable, "-m", "upstream", "web"],
        cwd=tmp_path,
        env={**env_free, "UPSTREAM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "no state under" in proc.stderr and "upstream dev" in proc.stderr
    assert not home.exists()  # reading creates nothing


def test_an_exposed_address_is_warned_about_and_ctrl_c_stops_cleanly(
    tmp_path: Path, home: Path
) -> None:
    write(tmp_path, PIPELINE)
    env = {k: v for k, v in os.environ.items() if k != "UPSTREAM_WEB_TOKEN"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "upstream",
            "dev",
            "-f",
            "pipeline.py",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ],
        cwd=tmp_path,
        env={**env, "UPSTREAM_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        line = ""
        while "warning" not in line:
            assert time.monotonic() < deadline
            line = proc.stderr.readline()
        assert "without UPSTREAM_WEB_TOKEN" in line
        proc.send_signal(signal.SIGINT)  # how a server is meant to stop: exit 0
        assert proc.wait(15) == 0
        assert "upstream dev stopped" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(15)
