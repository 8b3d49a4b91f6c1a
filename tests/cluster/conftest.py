"""A real cluster per test: a coordinator and workers as subprocesses on the local
RabbitMQ and PostgreSQL, isolated by a unique namespace (queue prefix and schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cluster_harness import BROKER_URL, DATABASE_URL, Cluster, cleanup


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """An empty cluster; tests start the processes they need and write `pipeline.py`."""
    namespace = f"test_{uuid.uuid4().hex[:16]}"
    env = {
        **os.environ,
        "UPSTREAM_DATABASE_URL": DATABASE_URL,
        "UPSTREAM_BROKER_URL": BROKER_URL,
        "UPSTREAM_NAMESPACE": namespace,
        "UPSTREAM_HOME": str(tmp_path / "home"),  # the workers' shared filesystem IO manager
    }
    found = Cluster(tmp_path, namespace, env)
    try:
        yield found
    finally:
        for proc in found.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        cleanup(namespace)


@pytest.fixture
def write_pipeline(tmp_path: Path) -> Callable[[str], None]:
    def write(source: str) -> None:
        (tmp_path / "pipeline.py").write_text(source)

    return write
