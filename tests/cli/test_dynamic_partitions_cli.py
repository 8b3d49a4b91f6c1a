"""Dynamic partitions end to end (embedded): `upstream partitions add NAME KEY` stores a key,
then `upstream materialize --partition KEY` and `upstream backfill launch --all-partitions`
run it. A key never added is Dagster's unknown partition ("Partition key ... not found",
dagster_tests/.../test_dynamic_partitions.py): exit 2, one line saying how to add it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli.test_cli import as_json, run_cli, run_id_from, write

DYNAMIC = """
from upstream import Definitions, DynamicPartitionsDefinition, asset

CUSTOMERS = DynamicPartitionsDefinition(name="customers")


@asset(partitions_def=CUSTOMERS)
def orders(context) -> None:
    context.log.info(f"orders of {context.partition_key}")


@asset(partitions_def=CUSTOMERS, deps=[orders])
def invoices(context) -> None:
    context.log.info(f"invoices of {context.partition_key}")


defs = Definitions(assets=[orders, invoices])
"""


def test_a_key_added_then_materialized(tmp_path: Path, home: Path) -> None:
    write(tmp_path, DYNAMIC)
    added = run_cli("partitions", "add", "customers", "acme", "globex", cwd=tmp_path, home=home)
    assert added.returncode == 0, added.stderr
    proc = run_cli(
        *("materialize", "-f", "pipeline.py", "--partition", "globex"), cwd=tmp_path, home=home
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 succeeded" in proc.stdout
    run_id = run_id_from(proc.stdout)
    shown = as_json(run_cli("runs", "show", run_id, "--json", cwd=tmp_path, home=home))
    assert shown["partition"] == "globex"
    status = run_cli(
        *("assets", "show", "orders", "-f", "pipeline.py", "--partitions"), cwd=tmp_path, home=home
    )
    assert status.returncode == 0, status.stderr
    assert "2 keys of DynamicPartitionsDefinition(name='customers')" in status.stdout
    assert re.search(r"^materialized\s+1\s+globex$", status.stdout, re.MULTILINE), status.stdout
    assert re.search(r"^missing\s+1\s+acme$", status.stdout, re.MULTILINE), status.stdout


def test_a_key_not_added_exits_2_naming_the_command(tmp_path: Path, home: Path) -> None:
    write(tmp_path, DYNAMIC)
    run_cli("partitions", "add", "customers", "acme", cwd=tmp_path, home=home)
    for state in ("with keys", "no state"):
        proc = run_cli(
            *("materialize", "-f", "pipeline.py", "--partition", "initech"),
            cwd=tmp_path,
            home=home if state == "with keys" else tmp_path / "empty",
        )
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "'initech' is not in DynamicPartitionsDefinition(name='customers')" in lines[0]
        assert "upstream partitions add customers initech" in lines[0]
    assert not (tmp_path / "empty").exists()  # reading the keys created no state


def test_a_backfill_over_every_added_key(tmp_path: Path, home: Path) -> None:
    write(tmp_path, DYNAMIC)
    run_cli("partitions", "add", "customers", "acme", "globex", "initech", cwd=tmp_path, home=home)
    proc = run_cli(
        *("backfill", "launch", "-f", "pipeline.py", "--all-partitions"), cwd=tmp_path, home=home
    )
    assert proc.returncode == 0, proc.stderr
    listed = as_json(run_cli("backfill", "list", "--json", cwd=tmp_path, home=home))
    assert len(listed) == 1
    shown = as_json(
        run_cli("backfill", "show", listed[0]["backfill_id"], "--json", cwd=tmp_path, home=home)
    )
    assert shown["status"] == "COMPLETED"
    assert shown["partitions_status"] == dict.fromkeys(["acme", "globex", "initech"], "SUCCESS")
    # A key added later is not in this backfill: it targeted the keys there were.
    run_cli("partitions", "add", "customers", "umbrella", cwd=tmp_path, home=home)
    again = run_cli("backfill", "show", shown["backfill_id"], "--json", cwd=tmp_path, home=home)
    assert "umbrella" not in json.loads(again.stdout)["partitions_status"]
