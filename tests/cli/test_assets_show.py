"""`upstream assets show KEY` and `assets list --json` carry kinds, owners and tags."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import as_json, run_cli, write

LABELLED = """
from upstream import Definitions, asset

@asset(kinds={"python", "duckdb"}, owners=["team:data", "ana@example.com"], tags={"tier": "1"})
def orders() -> int:
    return 1

@asset(compute_kind="dbt", metadata={"docs": "https://example.com"})
def summary(orders: int) -> int:
    return orders

defs = Definitions(assets=[orders, summary])
"""


def test_assets_list_json_has_kinds_owners_and_tags(tmp_path: Path, home: Path) -> None:
    write(tmp_path, LABELLED)
    items = as_json(
        run_cli("assets", "list", "-f", "pipeline.py", "--json", cwd=tmp_path, home=home)
    )
    first = items[0]
    assert (first["kinds"], first["owners"], first["tags"]) == (
        ["duckdb", "python"],
        ["team:data", "ana@example.com"],
        {"tier": "1"},
    )
    assert items[1]["kinds"] == ["dbt"]


def test_assets_show_prints_one_asset(tmp_path: Path, home: Path) -> None:
    write(tmp_path, LABELLED)
    shown = run_cli("assets", "show", "orders", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert shown.returncode == 0, shown.stderr
    assert "duckdb, python" in shown.stdout
    assert "team:data, ana@example.com" in shown.stdout
    assert "tier=1" in shown.stdout
    item = as_json(
        run_cli("assets", "show", "summary", "-f", "pipeline.py", "--json", cwd=tmp_path, home=home)
    )
    assert item["upstreams"] == ["orders"]
    assert item["definition_metadata"]["docs"]["type"] == "url"


def test_assets_show_suggests_a_close_key(tmp_path: Path, home: Path) -> None:
    write(tmp_path, LABELLED)
    missing = run_cli("assets", "show", "order", "-f", "pipeline.py", cwd=tmp_path, home=home)
    assert missing.returncode != 0
    assert "did you mean 'orders'?" in missing.stderr
