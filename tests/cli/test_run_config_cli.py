"""`upstream materialize --config run.yaml` and `-c key=value`, as a user runs them: the
config reaches the asset, is recorded (`runs show`, `--json`), and bad config exits 2 with
one line naming asset and field, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.test_cli import run_cli, run_id_from, write

from upstream.cli.run_config import merge, read_run_config
from upstream.model.config import RunConfigError

PIPELINE = """
from upstream import Config, Definitions, asset

class RateConfig(Config):
    rate: float
    label: str = "eu"

@asset
def orders() -> list[int]:
    return [1, 2, 3]

@asset(key_prefix=["sales"])
def revenue(context, orders: list[int], config: RateConfig) -> float:
    context.log.info(f"rate {config.rate} label {config.label}")
    return sum(orders) * config.rate

defs = Definitions(assets=[orders, revenue])
"""

RUN_YAML = """
ops:
  sales__revenue:
    config:
      rate: 2
      label: us
"""


def test_files_merge_first_listed_winning_then_dotted_overrides(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(RUN_YAML)
    (tmp_path / "b.json").write_text(
        '{"ops": {"sales__revenue": {"config": {"rate": 3, "extra": 1}}},'
        ' "resources": {"db": {"config": {"url": "x"}}}}'
    )
    files = [tmp_path / "a.yaml", tmp_path / "b.json"]
    assert read_run_config(files, None, []) == {  # Dagster's rule: the first file wins
        "ops": {"sales__revenue": {"config": {"rate": 2, "label": "us", "extra": 1}}},
        "resources": {"db": {"config": {"url": "x"}}},
    }
    config = read_run_config(
        files,
        None,
        ["ops.sales__revenue.config.rate=4.5", "ops.top.config.tags=[a, b]", "ops.x.config.s="],
    )
    assert config == {
        "ops": {
            "sales__revenue": {"config": {"rate": 4.5, "label": "us", "extra": 1}},
            "top": {"config": {"tags": ["a", "b"]}},
            "x": {"config": {"s": ""}},
        },
        "resources": {"db": {"config": {"url": "x"}}},
    }
    assert read_run_config([], '{"ops": {}}', ["ops.a.config.b=true"]) == {
        "ops": {"a": {"config": {"b": True}}}
    }
    assert read_run_config([], None, []) is None
    assert merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}


@pytest.mark.parametrize(
    ("files", "json_text", "overrides", "message"),
    [
        ([], None, ["run.yaml"], "give a dotted path and a value"),
        ([], None, ["ops..config=1"], "give a dotted path and a value"),
        ([], "[1, 2]", [], "--config-json must hold a mapping"),
        ([], "{ops: [", [], "--config-json is not valid YAML or JSON at line 1"),
        (["missing.yaml"], None, [], "cannot read run config missing.yaml"),
        (["run.yaml"], "{}", [], "give --config FILE or --config-json TEXT, not both"),
    ],
)
def test_bad_command_line_config_names_what_is_wrong(
    files: list[str], json_text: str | None, overrides: list[str], message: str
) -> None:
    with pytest.raises(RunConfigError, match=message.replace("[", r"\[")):
        read_run_config([Path(f) for f in files], json_text, overrides)


def test_materialize_with_a_config_file_and_an_override(tmp_path: Path, home: Path) -> None:
    write(tmp_path, PIPELINE)
    (tmp_path / "run.yaml").write_text(RUN_YAML)
    proc = run_cli(
        *("materialize", "-f", "pipeline.py", "--config", "run.yaml"),
        *("-c", "ops.sales__revenue.config.rate=10"),
        cwd=tmp_path,
        home=home,
    )
    assert proc.returncode == 0, proc.stderr
    run_id = run_id_from(proc.stdout)

    shown = run_cli("runs", "show", run_id, "--json", cwd=tmp_path, home=home)
    data = json.loads(shown.stdout)
    assert data["run_config"] == {
        "ops": {"sales__revenue": {"config": {"rate": 10, "label": "us"}}}
    }
    text = run_cli("runs", "show", run_id, cwd=tmp_path, home=home).stdout
    assert "run config\n  ops:\n    sales__revenue:\n      config:\n" in text
    assert "        rate: 10\n" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "run config for asset 'sales/revenue': field 'rate' is required; set it, e.g. -c"),
        (
            ("-c", "ops.sales__revenue.config.rate=fast"),
            "asset 'sales/revenue': field 'rate': Input should be a valid number",
        ),
        (("-c", "ops.revenue.config.rate=1"), "'revenue', which is no asset; did you mean"),
        (("-c", "run.yaml"), "-c 'run.yaml': give a dotted path and a value"),
        (("--config", "nope.yaml"), "cannot read run config nope.yaml"),
    ],
)
def test_bad_config_exits_2_with_one_line_and_runs_nothing(
    tmp_path: Path, home: Path, args: tuple[str, ...], expected: str
) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli("materialize", "-f", "pipeline.py", *args, cwd=tmp_path, home=home)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: ") and expected in line, line
    assert not home.exists()  # nothing ran, nothing was recorded


def test_a_selection_without_the_configured_asset_needs_no_config(
    tmp_path: Path, home: Path
) -> None:
    write(tmp_path, PIPELINE)
    proc = run_cli(
        "materialize", "-f", "pipeline.py", "--select", "orders", cwd=tmp_path, home=home
    )
    assert proc.returncode == 0, proc.stderr
