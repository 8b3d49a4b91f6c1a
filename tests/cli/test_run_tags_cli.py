"""`upstream materialize --tag key=value`, as a user runs it: the tags are recorded and
shown (`runs show`, `runs show --json`, `runs list --json`); a malformed --tag exits 2
before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import run_cli, run_id_from, write

from upstream.model.errors import ConfigurationError
from upstream.model.run_tags import parse_tag_option

PIPELINE = """
from upstream import Definitions, asset

@asset
def orders() -> list[int]:
    return [1, 2, 3]

defs = Definitions(assets=[orders])
"""


def test_a_tag_option_splits_at_the_first_equals_sign() -> None:
    assert parse_tag_option("team=sales") == ("team", "sales")
    assert parse_tag_option("expr=a=b") == ("expr", "a=b")
    assert parse_tag_option("empty=") == ("empty", "")
    for bad in ("team", "=sales"):
        try:
            parse_tag_option(bad)
        except ConfigurationError as exc:
            assert "expected key=value" in str(exc)
        else:
            raise AssertionError(bad)


def test_materialize_records_its_tags(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli(
        *("materialize", "-f", "pipeline.py", "--tag", "team=sales", "--tag", "note=a=b"),
        cwd=tmp_path,
        home=home,
    )
    assert proc.returncode == 0, proc.stderr
    run_id = run_id_from(proc.stdout)
    shown = json.loads(run_cli("runs", "show", run_id, "--json", cwd=tmp_path, home=home).stdout)
    assert shown["tags"] == {"team": "sales", "note": "a=b"}
    listed = json.loads(run_cli("runs", "list", "--json", cwd=tmp_path, home=home).stdout)
    assert listed[0]["tags"] == {"team": "sales", "note": "a=b"}
    text = run_cli("runs", "show", run_id, cwd=tmp_path, home=home).stdout
    assert "tags  team=sales  note=a=b\n" in text


def test_a_run_without_tags_shows_none(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    run_id = run_id_from(
        run_cli("materialize", "-f", "pipeline.py", cwd=tmp_path, home=home).stdout
    )
    shown = json.loads(run_cli("runs", "show", run_id, "--json", cwd=tmp_path, home=home).stdout)
    assert shown["tags"] == {}
    assert "\ntags  " not in run_cli("runs", "show", run_id, cwd=tmp_path, home=home).stdout


def test_a_malformed_tag_exits_2_and_runs_nothing(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli("materialize", "-f", "pipeline.py", "--tag", "team", cwd=tmp_path, home=home)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.splitlines()
    assert line == "error: --tag 'team': expected key=value, e.g. --tag team=sales", line
    assert not home.exists()
