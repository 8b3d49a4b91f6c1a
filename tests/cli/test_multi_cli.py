"""The CLI on a multi-asset: `materialize` runs its one step, `runs show` lists the step by
its op name with the assets it made, and `assets list` shows each asset's own last
materialization."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import ASSETS_JSON, MATERIALIZE, as_json, run_cli, run_id_from, write

MULTI = """
from upstream import AssetOut, Definitions, Output, asset, multi_asset

@multi_asset(outs={"orders": AssetOut(), "users": AssetOut(), "gone": AssetOut(is_required=False)})
def load():
    yield Output(3, output_name="orders", metadata={"rows": 3})
    yield Output(2, output_name="users", metadata={"rows": 2})

@asset
def report(orders: int, users: int) -> int:
    return orders + users

@asset
def never(gone: int) -> int:
    return gone

defs = Definitions([load, report, never])
"""


def test_runs_show_lists_a_multi_assets_step_with_the_assets_it_made(
    tmp_path: Path, home: Path
) -> None:
    write(tmp_path, MULTI)
    proc = run_cli(*MATERIALIZE, cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    run_id = run_id_from(proc.stdout)

    shown = as_json(run_cli("runs", "show", run_id[:8], "--json", cwd=tmp_path, home=home))
    steps = {step["step_key"]: step for step in shown["steps"]}
    assert {k: s["status"] for k, s in steps.items()} == {
        "load": "SUCCESS",
        "report": "SUCCESS",
        "never": "SKIPPED",
    }
    assert steps["load"]["assets"] == ["orders", "users"]
    assert steps["report"]["assets"] == ["report"]
    assert steps["never"]["skip_reason"] == "upstream 'load' did not materialize 'gone'"

    text = run_cli("runs", "show", run_id[:8], cwd=tmp_path, home=home)
    assert "made orders, users" in text.stdout, text.stdout

    assets = {item["key"]: item for item in as_json(run_cli(*ASSETS_JSON, cwd=tmp_path, home=home))}
    orders = assets["orders"]["last_materialization"]
    assert orders["run_id"] == run_id
    assert orders["metadata"]["rows"] == {"type": "int", "value": 3}
    assert assets["users"]["last_materialization"]["metadata"]["rows"]["value"] == 2
    assert assets["gone"]["last_materialization"] is None


def test_selecting_part_of_a_multi_asset_is_a_usage_error(tmp_path: Path, home: Path) -> None:
    write(tmp_path, MULTI)
    proc = run_cli(*MATERIALIZE, "--select", "orders", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert "select all asset keys produced by this asset" in proc.stderr
