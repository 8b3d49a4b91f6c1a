"""`upstream observe` and external assets in `upstream assets list`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import as_json, run_cli, write

EXTERNAL = """
import os

from upstream import (
    AssetSpec, DataVersion, Definitions, ObserveResult, asset, observable_source_asset,
)

@observable_source_asset
def drop() -> ObserveResult:
    if os.environ.get("BREAK_DROP"):
        raise ConnectionError("bucket unreachable")
    return ObserveResult(data_version=DataVersion("v7"), metadata={"files": 3})

@observable_source_asset(group_name="lake")
def dump() -> DataVersion:
    return DataVersion("d1")

@asset(deps=[drop, "raw"])
def report() -> int:
    return 1

defs = Definitions(assets=[AssetSpec("raw"), drop, dump, report])
"""

OBSERVE = ("observe", "-f", "pipeline.py")


def test_observe_records_and_assets_list_shows_it(tmp_path: Path, home: Path) -> None:
    write(tmp_path, EXTERNAL)
    before = {
        a["key"]: a
        for a in as_json(
            run_cli("assets", "list", "-f", "pipeline.py", "--json", cwd=tmp_path, home=home)
        )
    }
    assert before["raw"]["execution_type"] == "unexecutable" and before["raw"]["is_external"]
    assert before["drop"]["execution_type"] == "observation"
    assert before["report"]["is_external"] is False and before["drop"]["last_observation"] is None

    proc = run_cli(*OBSERVE, cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    assert "drop  v7" in proc.stdout and "dump  d1" in proc.stdout

    observed = as_json(run_cli(*OBSERVE, "--select", "drop", "--json", cwd=tmp_path, home=home))
    assert [(o["asset_key"], o["data_version"], o["error"]) for o in observed] == [
        ("drop", "v7", None)
    ]
    assert observed[0]["metadata"] == {"files": {"type": "int", "value": 3}}

    listing = run_cli("assets", "list", "-f", "pipeline.py", cwd=tmp_path, home=home)
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()[2:]}
    assert "external, observed" in lines["drop"] and "(v7)" in lines["drop"]
    assert lines["raw"].rstrip().endswith("external")
    after = {
        a["key"]: a
        for a in as_json(
            run_cli("assets", "list", "-f", "pipeline.py", "--json", cwd=tmp_path, home=home)
        )
    }
    assert after["drop"]["last_observation"]["data_version"] == "v7"


def test_observe_exit_codes(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, EXTERNAL)
    bad = run_cli(*OBSERVE, "--select", "raw", cwd=tmp_path, home=home)
    assert bad.returncode == 2 and "names no observable source asset" in bad.stderr
    monkeypatch.setenv("BREAK_DROP", "1")  # run_cli passes the environment on
    failed = run_cli(*OBSERVE, "--json", cwd=tmp_path, home=home)
    assert failed.returncode == 1
    assert "observing 'drop' failed: ConnectionError: bucket unreachable" in failed.stderr
    rows = json.loads(failed.stdout)
    assert {r["asset_key"]: r["error"] is None for r in rows} == {"dump": True, "drop": False}


def test_materializing_only_external_assets_is_an_error(tmp_path: Path, home: Path) -> None:
    write(tmp_path, EXTERNAL)
    proc = run_cli("materialize", "-f", "pipeline.py", "--select", "raw", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert "names only external assets ('raw')" in proc.stderr
    ok = run_cli("materialize", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert ok.returncode == 0, ok.stderr
    assert "1 succeeded" in ok.stdout
