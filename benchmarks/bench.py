"""Running the benchmark: which rows, how many samples each, and the time limits.

Every row is bounded: a row whose estimate (seconds per asset measured at a smaller N, times
N) exceeds --max-seconds is skipped and says so; a row stops repeating once its samples have
used --row-budget seconds; each sample runs under a timeout.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import memory
from benchmarks.celery_peer import CeleryCluster, celery_cluster
from benchmarks.cluster import Cluster, cluster
from benchmarks.graphs import Kind, describe, module_file, parse_sizes
from benchmarks.procs import PYTHON, BenchError, bench_env, run_bounded
from benchmarks.results import CHOICES, CONFIGS, MEMORY, Config, Estimator, Row

Sample = tuple[float, dict[str, float]]
Sampler = Callable[[float], Sample]  # timeout -> (seconds, extra measurements)

QUICK_SIZES = [100, 1000]
FULL_SIZES = [100, 1000, 10_000]
_CLI_SUMMARY = re.compile(r"SUCCESS in ([0-9.]+)s")


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    repeat: int
    only: list[str]
    max_seconds: float
    row_budget: float
    markdown: Path | None
    quick: bool
    values_dir: Path | None
    command: str


def parse_args(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Time the same graphs on upstream, Dagster and Celery; print medians.",
    )
    parser.add_argument("--quick", action="store_true", help="N=100,1000, 1 run, no slow peers")
    parser.add_argument("--repeat", type=int, help="samples per row (default 5; quick: 1)")
    parser.add_argument("--sizes", type=parse_sizes, help="e.g. 100,1000,10000")
    parser.add_argument(
        "--only", nargs="+", choices=CHOICES, metavar="CONFIG", help=", ".join(CHOICES)
    )
    parser.add_argument(
        "--max-seconds", type=float, default=300.0, help="skip rows estimated to take longer"
    )
    parser.add_argument(
        "--row-budget", type=float, default=60.0, help="stop repeating a row after this long"
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown")
    parser.add_argument(
        "--values-dir", type=Path, help="where the dist2-dir row's workers write values"
    )
    args = parser.parse_args(argv)
    if "dist2-dir" in (args.only or []) and not (args.values_dir and args.values_dir.is_dir()):
        parser.error("--only dist2-dir needs --values-dir DIR, an existing directory")
    sizes = args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)
    if args.quick:
        sizes = [n for n in sizes if n < 10_000]
    only = args.only or [c.key for c in CONFIGS if c.in_quick or not args.quick]
    if not args.quick and not args.only:
        only.append(MEMORY)
    return Options(
        sizes=sizes,
        repeat=args.repeat or (1 if args.quick else 5),
        only=only,
        max_seconds=args.max_seconds,
        row_budget=args.row_budget,
        markdown=args.markdown,
        quick=args.quick,
        values_dir=args.values_dir,
        command=" ".join([".venv/bin/python", "benchmarks/run.py", *argv]),
    )


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    """Measures the selected configurations row by row, smallest N first."""

    def __init__(self, options: Options, scratch: Path) -> None:
        self.options = options
        self.scratch = scratch
        self.rows: list[Row] = []
        self.estimator = Estimator()
        self.memory: memory.MemoryReport | None = None

    def run(self) -> None:
        for config in CONFIGS:
            if config.key in self.options.only:
                self._run_config(config)
        if MEMORY in self.options.only:
            self._run_memory()

    # -- rows ------------------------------------------------------------------------

    def _rows(self, config: Config) -> Iterator[Row]:
        """The config's rows, in order, each yielded only if it is not skipped."""
        for kind in config.kinds:
            for n in self.options.sizes:
                row = Row(config, kind, n)
                self.rows.append(row)
                estimate = self.estimator.estimate(config, kind, n)
                if estimate > self.options.max_seconds:
                    row.missing = (
                        f"skipped (est. {estimate:.0f}s > {self.options.max_seconds:.0f}s)"
                    )
                    log(f"{config.key} {kind} {n}: {row.missing}")
                    continue
                yield row
                self.estimator.learn(row)

    def _timeout(self, row: Row) -> float:
        estimate = self.estimator.estimate(row.config, row.kind, row.n)
        return min(max(60.0, 3 * estimate), 2 * self.options.max_seconds)

    def _measure(self, row: Row, sample: Sampler) -> None:
        """Up to --repeat samples, fewer once the row's budget is spent."""
        spent = 0.0
        for i in range(self.options.repeat):
            if i and spent + spent / i > self.options.row_budget:
                row.notes.append(
                    f"{i} of {self.options.repeat} runs ({self.options.row_budget:.0f}s budget)"
                )
                break
            began = time.perf_counter()
            try:
                seconds, extras = sample(self._timeout(row))
            except BenchError as exc:
                row.missing = f"error: {exc}".splitlines()[0][:120]
                log(f"{row.config.key} {row.kind} {row.n}: {exc}")
                return
            spent += time.perf_counter() - began
            row.add(seconds, extras)
            log(f"{row.config.key} {row.kind} {row.n}: {seconds:.3f}s")

    def _run_config(self, config: Config) -> None:
        log(f"== {config.label}")
        if config.workers:
            self._run_distributed(config, workers=config.workers)
        elif config.key == "celery":
            self._run_celery(config)
        elif config.key == "cli":
            for row in self._rows(config):
                self._measure(row, functools.partial(self._cli, row.kind, row.n))
        else:
            framework = "upstream" if config.key == "embedded" else config.key
            for row in self._rows(config):
                sample = functools.partial(self._inprocess, framework, row.kind, row.n)
                self._measure(row, sample)

    def _run_distributed(self, config: Config, workers: int) -> None:
        places = {"tmpfs": "/dev/shm", "dir": str(self.options.values_dir)}
        with cluster(f"w{workers}", values_in=places.get(config.values)) as found:
            for row in self._rows(config):
                self._distributed_row(found, row, workers)

    def _distributed_row(self, found: Cluster, row: Row, workers: int) -> None:
        module = module_file(row.kind, row.n)
        try:
            found.start_workers(module, workers)
        except BenchError as exc:
            row.missing = f"error: {exc}".splitlines()[0][:120]
            return
        try:
            self._measure(row, functools.partial(self._distributed, found, module))
        finally:
            found.stop_workers()

    @staticmethod
    def _distributed(found: Cluster, module: Path, timeout: float) -> Sample:
        timing = found.materialize(module, timeout)
        extras = {f"cpu_{k}": v for k, v in timing.cpu.items()}
        return timing.seconds, {**extras, "cli_wall": timing.wall}

    def _run_celery(self, config: Config) -> None:
        with celery_cluster() as found:
            for row in self._rows(config):
                self._measure(row, functools.partial(self._celery, found, row.n))

    @staticmethod
    def _celery(found: CeleryCluster, n: int, timeout: float) -> Sample:
        return found.run_wide(n, timeout), {}

    # -- samplers run in fresh interpreters ----------------------------------------------

    def _inprocess(self, framework: str, kind: Kind, n: int, timeout: float) -> Sample:
        done = run_bounded(
            [PYTHON, "-m", "benchmarks.inprocess", framework, kind, str(n)],
            timeout=timeout,
            env=bench_env(),
            cwd=self.scratch,
            log=self.scratch / "inprocess.err",
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise BenchError(f"{framework} exited {done.returncode}: {done.log}")
        found = json.loads(lines[-1])
        if not found["ok"]:
            raise BenchError(f"{framework} run failed or produced a wrong value: {found['detail']}")
        return float(found["seconds"]), {}

    def _cli(self, kind: Kind, n: int, timeout: float) -> Sample:
        """`upstream materialize -f` with a fresh state directory (file SQLite), wall time:
        interpreter start, import and module load included, as a user waits for it."""
        home = self.scratch / "cli-home"
        shutil.rmtree(home, ignore_errors=True)
        done = run_bounded(
            [PYTHON, "-m", "upstream", "materialize", "-f", str(module_file(kind, n))],
            timeout=timeout,
            env=bench_env({"UPSTREAM_HOME": str(home)}),
            cwd=self.scratch,
            log=self.scratch / "cli.err",
        )
        found = _CLI_SUMMARY.search(done.stdout)
        if done.returncode != 0 or found is None:
            raise BenchError(f"upstream materialize exited {done.returncode}: {done.log}")
        return done.wall, {"run_s": float(found.group(1))}

    # -- the 100k section ------------------------------------------------------------------

    def _run_memory(self) -> None:
        log(f"== {memory.SIZE:,}-asset layered graph: planning probe and coordinator memory")
        rate = self.estimator.rates.get(("dist2", "layered"))
        estimate = rate[1] * memory.SIZE if rate else None
        self.memory = memory.measure(estimate, self.options.max_seconds)


@contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="upstream-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def describe_options(options: Options) -> str:
    return (
        f"sizes {describe(options.sizes)}, up to {options.repeat} runs per row, "
        f"configurations {' '.join(options.only)}"
    )
