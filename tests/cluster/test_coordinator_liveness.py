"""Coordinators heartbeat in PostgreSQL, so `upstream materialize` never waits on nobody in
silence: real coordinator processes, and the CLI as a user runs it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from cluster_harness import Cluster

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
    assert took < 20, took
    runs = cluster.cli("runs", "list", "--json")
    assert runs.returncode == 0 and json.loads(runs.stdout) == [], runs.stdout + runs.stderr
