"""The `upstream` command as a user sees it: the real console script, run in a subprocess.

Each test writes its code location into `tmp_path` and points `UPSTREAM_HOME` at its own
directory, so no test sees another's runs. Conventions pinned here (docs/cli.md): exit 0
success, 1 the run failed, 2 usage or input error; errors are one `error: ` line on stderr.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

DIAMOND = """
from upstream import Definitions, asset

@asset
def a() -> int:
    return 1

@asset
def b(a: int) -> int:
    return a + 1

@asset
def c(a: int) -> int:
    return a * 10

@asset
def d(b: int, c: int) -> int:
    return b + c

defs = Definitions(assets=[a, b, c, d])
"""

# `broken` fails, so `after` is skipped; `fine` is an independent branch that succeeds.
FAILING = """
from upstream import Definitions, MaterializeResult, asset

@asset
def source() -> int:
    \"\"\"Where it all starts.\"\"\"
    return 1

@asset
def broken(source: int) -> int:
    raise ValueError("bad row 7")

@asset
def after(broken: int) -> int:
    return broken

@asset
def fine(source: int) -> MaterializeResult:
    return MaterializeResult(value=source, metadata={"rows": 3})

defs = Definitions(assets=[source, broken, after, fine])
"""

BAD_FILES = {
    "raising.py": 'raise RuntimeError("boom at import")\n',
    "needs_dep.py": "import surely_not_installed_anywhere\n",
    "nodefs.py": "x = 1\n",
    "baddefs.py": """
from upstream import Definitions, asset

@asset
def orders() -> int:
    return 1

@asset
def summary(order: int) -> int:  # a typo: the asset is `orders`
    return order

defs = Definitions(assets=[orders, summary])
""",
}

MATERIALIZE = ("materialize", "-f", "pipeline.py")
ORDERS = ("materialize", "-m", "examples.orders")
ASSETS_JSON = ("assets", "list", "-f", "pipeline.py", "--json")

RUN_FIELDS = {"run_id", "status", "selection", "step_count", "code_location", "definitions_hash"}
TIME_FIELDS = {"created_at", "ended_at", "duration"}


def run_cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run `upstream ARGS` in `cwd` with its state under `home`; never raises on exit status."""
    return subprocess.run(
        [sys.executable, "-m", "upstream", *args],
        cwd=cwd,
        env={**os.environ, "UPSTREAM_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(tmp_path: Path, source: str, name: str = "pipeline.py") -> None:
    (tmp_path / name).write_text(source, encoding="utf-8")


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_id_from(stdout: str) -> str:
    match = re.search(r"^run (\S+) ", stdout, re.MULTILINE)
    assert match, stdout
    return match.group(1)


def test_help_and_version(tmp_path: Path, home: Path) -> None:
    """`upstream --help` names materialize, assets, runs and init; `--version` works."""
    proc = run_cli("--help", cwd=tmp_path, home=home)
    assert proc.returncode == 0
    for command in ("materialize", "assets", "runs", "init"):
        assert re.search(rf"^\s+{command}\s", proc.stdout, re.MULTILINE), proc.stdout
    version = run_cli("--version", cwd=tmp_path, home=home)
    assert version.returncode == 0
    assert re.fullmatch(r"upstream, version \d+\.\d+\.\d+\S*\n", version.stdout), version.stdout


def test_materialize_prints_a_line_per_step_and_a_summary(tmp_path: Path, home: Path) -> None:
    """A diamond succeeds: exit 0, one `[i/4] key  ok  Ns` line per step, then the summary."""
    write(tmp_path, DIAMOND)
    proc = run_cli(*MATERIALIZE, cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    *steps, summary = proc.stdout.splitlines()
    parsed = [re.fullmatch(r"\[(\d)/4\] (\w+)  ok  \d+\.\d\ds", line) for line in steps]
    assert all(parsed), steps
    assert [m.group(1) for m in parsed if m] == ["1", "2", "3", "4"]
    keys = [m.group(2) for m in parsed if m]
    assert keys[0] == "a" and keys[-1] == "d" and sorted(keys) == ["a", "b", "c", "d"]
    assert re.fullmatch(
        r"run \S+ SUCCESS in \d+\.\d\ds: 4 succeeded, 0 failed, 0 skipped", summary
    ), summary


def test_orders_example_then_a_selection_reuses_stored_values(home: Path) -> None:
    """`-m examples.orders` succeeds; `--select daily_summary` then loads raw_orders from disk."""
    repo_state_existed = (REPO / ".upstream").exists()
    first = run_cli(*ORDERS, cwd=REPO, home=home)
    assert first.returncode == 0, first.stderr
    assert "3 succeeded, 0 failed, 0 skipped" in first.stdout
    assert (home / "state.db").is_file()
    assert (home / "storage" / "raw_orders").is_file()
    assert (REPO / ".upstream").exists() == repo_state_existed

    again = run_cli(*ORDERS, "--select", "daily_summary", cwd=REPO, home=home)
    assert again.returncode == 0, again.stderr
    assert re.match(r"\[1/1\] daily_summary  ok", again.stdout), again.stdout
    assert "1 succeeded, 0 failed, 0 skipped" in again.stdout


def test_selecting_a_step_whose_upstream_is_not_stored_fails_with_a_hint(home: Path) -> None:
    """With a fresh home, `--select daily_summary` fails the step and says what to run."""
    proc = run_cli(*ORDERS, "--select", "daily_summary", cwd=REPO, home=home)
    assert proc.returncode == 1
    assert "0 succeeded, 1 failed, 0 skipped" in proc.stdout
    assert "Traceback" not in proc.stderr
    failed = next(line for line in proc.stdout.splitlines() if "daily_summary  FAILED" in line)
    for hint in ("'raw_orders'", "materialize it first", "select '+daily_summary'"):
        assert hint in failed, failed


def test_a_failing_asset_fails_the_run_and_skips_only_its_downstream(
    tmp_path: Path, home: Path
) -> None:
    """Exit 1: the failure with its error, downstream skipped, the other branch done."""
    write(tmp_path, FAILING)
    proc = run_cli(*MATERIALIZE, cwd=tmp_path, home=home)
    assert proc.returncode == 1
    lines = [re.sub(r"^\[\d/4\] ", "", line) for line in proc.stdout.splitlines()]
    assert any(re.fullmatch(r"broken  FAILED  \S+  ValueError: bad row 7", x) for x in lines)
    assert "after  skipped  (upstream 'broken' failed)" in lines
    assert {x.split()[0] for x in lines if re.fullmatch(r"\w+  ok  \S+", x)} == {"source", "fine"}
    run_id = run_id_from(proc.stdout)
    assert f"run {run_id} FAILURE in " in proc.stdout
    assert proc.stdout.rstrip().endswith(": 2 succeeded, 1 failed, 1 skipped")
    assert "ValueError: bad row 7" in proc.stderr
    assert f"tracebacks: upstream runs show {run_id}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_runs_show_records_the_error_and_the_skip(tmp_path: Path, home: Path) -> None:
    """`runs show PREFIX` gives the error with its traceback and why the downstream skipped."""
    write(tmp_path, FAILING)
    run_id = run_id_from(run_cli(*MATERIALIZE, cwd=tmp_path, home=home).stdout)

    shown = as_json(run_cli("runs", "show", run_id[:8], "--json", cwd=tmp_path, home=home))
    assert shown["run_id"] == run_id
    assert shown["status"] == "FAILURE"
    steps = {step["step_key"]: step for step in shown["steps"]}
    expected = dict(source="SUCCESS", broken="FAILURE", fine="SUCCESS", after="SKIPPED")
    assert {key: step["status"] for key, step in steps.items()} == expected
    error = steps["broken"]["error"]
    assert (error["type"], error["message"]) == ("ValueError", "bad row 7")
    assert 'raise ValueError("bad row 7")' in error["traceback"]
    assert "'broken'" in steps["after"]["skip_reason"]
    assert steps["after"]["error"] is None

    text = run_cli("runs", "show", run_id[:8], cwd=tmp_path, home=home)
    assert text.returncode == 0, text.stderr
    assert f"run {run_id}  FAILURE" in text.stdout
    for shown_text in (
        "broken failed: ValueError: bad row 7\nTraceback (most recent call last)",
        'raise ValueError("bad row 7")',
        "upstream 'broken' failed",
    ):
        assert shown_text in text.stdout, text.stdout

    unknown = run_cli("runs", "show", "nosuchrun", cwd=tmp_path, home=home)
    assert unknown.returncode == 2
    assert unknown.stderr.splitlines() == ["error: no run 'nosuchrun'; see `upstream runs list`"]


def test_runs_list_json_is_newest_first_and_filters_by_status(tmp_path: Path, home: Path) -> None:
    """`runs list --json` has the documented fields, newest first; `--status` filters."""
    write(tmp_path, FAILING)
    ok = run_cli(*MATERIALIZE, "--select", "source", cwd=tmp_path, home=home)
    assert ok.returncode == 0, ok.stderr
    failed = run_cli(*MATERIALIZE, cwd=tmp_path, home=home)
    assert failed.returncode == 1

    listed = as_json(run_cli("runs", "list", "--json", cwd=tmp_path, home=home))
    assert [run["run_id"] for run in listed] == [run_id_from(failed.stdout), run_id_from(ok.stdout)]
    for run in listed:
        assert set(run) >= RUN_FIELDS | TIME_FIELDS, set(run)
        assert run["code_location"] == str((tmp_path / "pipeline.py").resolve())
        assert run["duration"] == pytest.approx(run["ended_at"] - run["created_at"])
    assert [(r["status"], r["selection"], r["step_count"]) for r in listed] == [
        ("FAILURE", "*", 4),
        ("SUCCESS", "source", 1),
    ]
    assert listed[0]["created_at"] >= listed[1]["created_at"]
    assert listed[0]["definitions_hash"] == listed[1]["definitions_hash"]

    only_failed = as_json(
        run_cli("runs", "list", "--status", "FAILURE", "--json", cwd=tmp_path, home=home)
    )
    assert [run["run_id"] for run in only_failed] == [listed[0]["run_id"]]


def test_listing_with_no_runs_says_so_and_creates_no_state(tmp_path: Path, home: Path) -> None:
    """Before any run, `runs list` says so (`[]` with --json) and writes nothing to disk."""
    text = run_cli("runs", "list", cwd=tmp_path, home=home)
    assert text.returncode == 0, text.stderr
    assert "no runs yet" in text.stdout
    assert as_json(run_cli("runs", "list", "--json", cwd=tmp_path, home=home)) == []
    write(tmp_path, DIAMOND)
    assert run_cli("assets", "list", "-f", "pipeline.py", cwd=tmp_path, home=home).returncode == 0
    assert not home.exists()
    assert not (tmp_path / ".upstream").exists()


def test_assets_list_json_shows_last_materialization(tmp_path: Path, home: Path) -> None:
    """`assets list --json`: documented fields; last_materialization null, then with metadata."""
    write(tmp_path, FAILING)
    before = as_json(run_cli(*ASSETS_JSON, cwd=tmp_path, home=home))
    assert [item["key"] for item in before] == ["source", "broken", "fine", "after"]
    assert before[0] == {
        "key": "source",
        "group": "default",
        "upstreams": [],
        "external_deps": [],
        "description": "Where it all starts.",
        "kinds": [],
        "owners": [],
        "tags": {},
        "last_materialization": None,
        "execution_type": "materialization",
        "is_external": False,
        "last_observation": None,
    }
    assert {item["key"]: item["upstreams"] for item in before}["after"] == ["broken"]
    assert all(item["last_materialization"] is None for item in before)

    run_id = run_id_from(run_cli(*MATERIALIZE, cwd=tmp_path, home=home).stdout)
    after = as_json(run_cli(*ASSETS_JSON, cwd=tmp_path, home=home))
    latest = {item["key"]: item["last_materialization"] for item in after}
    assert latest["broken"] is None and latest["after"] is None
    fine = latest["fine"]
    assert set(fine) >= {"run_id", "timestamp", "duration", "metadata"}
    assert fine["run_id"] == run_id
    assert isinstance(fine["timestamp"], float) and isinstance(fine["duration"], float)
    assert fine["metadata"]["rows"] == {"type": "int", "value": 3}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("materialize", "-f", "missing.py"), "file 'missing.py' does not exist"),
        (("materialize", "-m", "nosuchmod"), "no module named 'nosuchmod'"),
        (("materialize", "-m", "raising"), "RuntimeError: boom at import"),
        (("materialize", "-f", "raising.py"), "RuntimeError: boom at import"),
        (("materialize", "-f", "nodefs.py"), "add `defs = Definitions("),
        (
            ("materialize", "-f", "baddefs.py"),
            "'order' names no asset and no resource; did you mean 'orders'?",
        ),
        (("materialize", "-f", "pipeline.py", "--select", "nope"), "selection 'nope'"),
        (("materialize",), "-m MODULE or -f FILE"),
        (("materialize", "-m", "pipeline", "-f", "pipeline.py"), "-m MODULE or -f FILE"),
        (("assets", "list", "-m", "nosuchmod"), "no module named 'nosuchmod'"),
        (("runs", "show", "abc123"), "no run 'abc123'"),
        (("materialize", "-f", "pipeline.py", "--concurrency", "0"), "'--concurrency'"),
        (("materialize", "--nope"), "No such option '--nope'"),
        (("materialize", "-f", "."), "'.' is a directory, not a Python file"),
        (("materialize", "-m", "pipeline.py"), "use -f pipeline.py"),
        (("materialize", "-m", "needs_dep"), "ModuleNotFoundError: No module named"),
    ],
)
def test_input_errors_exit_2_with_one_line(
    tmp_path: Path, home: Path, args: tuple[str, ...], expected: str
) -> None:
    """A bad input exits 2 with one `error: ` line naming the problem, and runs nothing."""
    write(tmp_path, FAILING)
    for name, source in BAD_FILES.items():
        write(tmp_path, source, name)
    proc = run_cli(*args, cwd=tmp_path, home=home)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: ")
    assert expected in line
    assert not home.exists()


def test_verbose_adds_the_traceback(tmp_path: Path, home: Path) -> None:
    """With `--verbose` an import error shows the traceback, still ending in the error line."""
    write(tmp_path, BAD_FILES["raising.py"], "raising.py")
    proc = run_cli("materialize", "-m", "raising", "--verbose", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    assert "Traceback (most recent call last)" in proc.stderr
    assert 'raise RuntimeError("boom at import")' in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last == "error: module 'raising' failed to import: RuntimeError: boom at import"


def test_init_creates_a_project_once(tmp_path: Path, home: Path) -> None:
    """`init myproj` creates myproj/; a second time it exits 2 as the directory is not empty."""
    proc = run_cli("init", "myproj", cwd=tmp_path, home=home)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "myproj" / "myproj" / "__init__.py").is_file()
    assert (tmp_path / "myproj" / "pyproject.toml").is_file()
    assert "created" in proc.stdout

    again = run_cli("init", "myproj", cwd=tmp_path, home=home)
    assert again.returncode == 2
    [line] = again.stderr.splitlines()
    assert line.startswith("error: ") and "not empty" in line


def test_init_rejects_a_bad_name_with_a_suggestion(tmp_path: Path, home: Path) -> None:
    """`init 2fast` exits 2, suggests a usable name, and creates nothing."""
    proc = run_cli("init", "2fast", cwd=tmp_path, home=home)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("error: project name '2fast'")
    assert "try 'my_2fast'" in line
    assert not (tmp_path / "2fast").exists()
