"""A multi-asset on a real cluster (coordinator and workers as processes on RabbitMQ and
PostgreSQL): one step run once by a worker, one materialization per asset, and a run
resumed by a new coordinator after the first was killed mid-step."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from cluster_harness import Cluster
from test_cluster import _run_id, _start, _wait_for_slow

pytestmark = pytest.mark.integration

# `split` announces which process runs it (a file per attempt), then takes a while.
MULTI = """
import os, time
from pathlib import Path
from upstream import AssetOut, Definitions, Output, asset, multi_asset

@asset
def first():
    return 1

@multi_asset(outs={"left": AssetOut(), "right": AssetOut(), "extra": AssetOut(is_required=False)})
def split(first):
    Path(f"started-{os.getpid()}").write_text("")
    time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))
    yield Output(first + 1, output_name="left", metadata={"side": "left"})
    yield Output(first + 2, output_name="right")

@asset
def joined(left, right):
    return left + right

@asset
def after_extra(extra):
    return extra

defs = Definitions([first, split, joined, after_extra])
"""


def _materialized(cluster: Cluster, run_id: str) -> list[str]:
    """The asset keys of the run's ASSET_MATERIALIZATION events, read from PostgreSQL."""
    script = f"""
import asyncio, json, asyncpg
async def main():
    conn = await asyncpg.connect({cluster.env["UPSTREAM_DATABASE_URL"]!r})
    rows = await conn.fetch("SELECT data->>'asset_key' FROM \\"{cluster.namespace}\\".events "
                            "WHERE run_id = $1 AND type = 'ASSET_MATERIALIZATION'", {run_id!r})
    print(json.dumps([r[0] for r in rows]))
    await conn.close()
asyncio.run(main())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    keys: list[str] = json.loads(out.stdout)
    return keys


def test_a_multi_asset_runs_once_and_records_each_asset(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(MULTI)
    _start(cluster)
    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = _run_id(proc.stdout)
    run = cluster.show(run_id)
    steps = {s["step_key"]: s for s in run["steps"]}
    assert {k: s["status"] for k, s in steps.items()} == {
        "first": "SUCCESS",
        "split": "SUCCESS",
        "joined": "SUCCESS",
        "after_extra": "SKIPPED",
    }
    assert steps["split"]["assets"] == ["left", "right"]
    assert len(list(cluster.root.glob("started-*"))) == 1
    assert sorted(_materialized(cluster, run_id)) == ["first", "joined", "left", "right"]


def test_a_coordinator_killed_during_a_multi_asset_resumes_the_run(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(MULTI)
    _start(cluster)
    client = cluster.popen_materialize()
    _wait_for_slow(cluster)
    cluster.kill("coordinator")
    cluster.coordinator("coordinator2")
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, out + err
    assert "run.resumed" in cluster.log("coordinator2")
    assert sorted(_materialized(cluster, _run_id(out))) == ["first", "joined", "left", "right"]
