"""Resources on real worker processes: an `EnvVar` is read in the worker's environment
(the submitting process does not have it), its value never reaches the logs or the run's
record, and each worker sets a run's resources up once and tears them down on SIGTERM."""

from __future__ import annotations

import pickle
import signal
from collections.abc import Callable

import pytest
from cluster_harness import Cluster

pytestmark = pytest.mark.integration

SECRET = "s3cr3t-value-8f1c"

PIPELINE = """
import os
from upstream import ConfigurableResource, Definitions, EnvVar, asset

class Vault(ConfigurableResource):
    token: str

    def setup_for_execution(self, context):
        with open("events.txt", "a") as out:
            out.write(f"setup {os.getpid()} {context.run_id}\\n")

    def teardown_after_execution(self, context):
        with open("events.txt", "a") as out:
            out.write(f"teardown {os.getpid()} {context.run_id}\\n")

@asset
def first(vault: Vault):
    return len(vault.token)

@asset
def second(first, vault: Vault):
    return vault.token

defs = Definitions([first, second], resources={"vault": Vault(token=EnvVar("VAULT_TOKEN"))})
"""


def test_env_var_is_read_on_the_worker_and_never_recorded(
    cluster: Cluster, write_pipeline: Callable[[str], None]
) -> None:
    write_pipeline(PIPELINE)
    cluster.coordinator()
    cluster.wait_for_log("coordinator", "coordinator.active")
    cluster.env["VAULT_TOKEN"] = SECRET
    cluster.worker("worker")
    cluster.wait_for_log("worker", "worker.ready")
    del cluster.env["VAULT_TOKEN"]  # the CLI submitting the run has no such variable

    proc = cluster.materialize()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("run "))
    stored = cluster.root / "home" / "storage" / "second"
    assert pickle.loads(stored.read_bytes()) == SECRET

    cluster.procs["worker"].send_signal(signal.SIGTERM)
    assert cluster.procs["worker"].wait(30) == 0
    events = (cluster.root / "events.txt").read_text().split("\n")
    pid = cluster.procs["worker"].pid
    assert [e for e in events if e] == [f"setup {pid} {run_id}", f"teardown {pid} {run_id}"]

    shown = cluster.cli("runs", "show", run_id, "--json")
    for text in (cluster.log("worker"), cluster.log("coordinator"), proc.stdout, shown.stdout):
        assert SECRET not in text
