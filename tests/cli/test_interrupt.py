"""Ctrl-C during `upstream materialize`: a clean exit, and the run is not left STARTED."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PIPELINE = """
import time
from upstream import Definitions, asset

@asset
def slow():
    print("slow started", flush=True)
    time.sleep(1.0)
    return 1

@asset
def after(slow):
    return slow

defs = Definitions([slow, after])
"""


def test_an_interrupted_run_is_recorded_as_canceled(tmp_path: Path) -> None:
    """SIGINT mid-run exits 130 with one line, and `runs list` shows the run CANCELED."""
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    env = {**os.environ, "UPSTREAM_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "upstream"]
    proc = subprocess.Popen(
        [*command, "materialize", "-f", "pipeline.py"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while "slow started" not in proc.stdout.readline():
        assert time.monotonic() < deadline, "the asset never started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        "error: interrupted; an embedded run is recorded as CANCELED, "
        "a run on a cluster goes on (see `upstream runs list`)"
    ]
    listed = subprocess.run(
        [*command, "runs", "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [run["status"] for run in json.loads(listed.stdout)] == ["CANCELED"]
