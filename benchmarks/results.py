"""What is measured (configurations) and what a measurement holds (rows of samples)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from benchmarks.graphs import KINDS, Kind


@dataclass(frozen=True)
class Config:
    """One way of running a graph. `prior` (seconds per asset) estimates the first size
    before anything was measured; `compare_to` names the upstream row a peer is set against."""

    key: str
    label: str
    prior: float
    kinds: tuple[Kind, ...] = KINDS
    compare_to: str | None = None
    in_quick: bool = True
    workers: int = 0  # distributed configurations: how many worker processes
    # Where the workers' FilesystemIOManager writes: the system's temp directory, tmpfs
    # (/dev/shm) or the directory given with --values-dir.
    values: str = "temp"

    @property
    def is_peer(self) -> bool:
        return self.compare_to is not None


CONFIGS: tuple[Config, ...] = (
    Config("embedded", "upstream materialize() in-process", 0.001),
    Config("cli", "upstream materialize -f (CLI, file SQLite)", 0.002),
    Config("dist1", "upstream distributed, 1 worker", 0.004, workers=1),
    Config("dist2", "upstream distributed, 2 workers", 0.003, workers=2),
    Config("dist4", "upstream distributed, 4 workers", 0.003, workers=4),
    Config(
        "dist2-tmpfs",
        "upstream distributed, 2 workers, values on tmpfs",
        0.002,
        workers=2,
        values="tmpfs",
        in_quick=False,
    ),
    Config(
        "dist2-dir",
        "upstream distributed, 2 workers, values in --values-dir",
        0.002,
        workers=2,
        values="dir",
        in_quick=False,
    ),
    Config("dagster", "Dagster materialize() in-process", 0.025, compare_to="embedded"),
    Config(
        "dagster-mp",
        "Dagster multiprocess executor (max 2)",
        0.8,
        compare_to="dist2",
        in_quick=False,
    ),
    Config("celery", "Celery, 2 workers (-c 1 each)", 0.002, ("wide",), compare_to="dist2"),
)
BY_KEY = {c.key: c for c in CONFIGS}
MEMORY = "memory"  # the 100k section: not a row of the table
CHOICES = (*BY_KEY, MEMORY)


@dataclass
class Row:
    """All samples of one (configuration, graph, N); or why there are none."""

    config: Config
    kind: Kind
    n: int
    samples: list[float] = field(default_factory=list)
    extras: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    missing: str | None = None  # "skipped (...)" or the error of a failed measurement

    def add(self, seconds: float, extras: dict[str, float] | None = None) -> None:
        self.samples.append(seconds)
        for key, value in (extras or {}).items():
            self.extras.setdefault(key, []).append(value)

    @property
    def measured(self) -> bool:
        return bool(self.samples) and self.missing is None

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def rate(self) -> float:
        """Assets per second at the median."""
        return self.n / self.median

    def extra(self, key: str) -> float | None:
        values = self.extras.get(key)
        return statistics.median(values) if values else None


@dataclass
class Estimator:
    """Seconds per asset of each (configuration, graph), from its largest measured N."""

    rates: dict[tuple[str, str], tuple[int, float]] = field(default_factory=dict)

    def learn(self, row: Row) -> None:
        known = self.rates.get((row.config.key, row.kind))
        if row.measured and (known is None or row.n >= known[0]):
            self.rates[(row.config.key, row.kind)] = (row.n, row.median / row.n)

    def estimate(self, config: Config, kind: Kind, n: int) -> float:
        _, per_asset = self.rates.get((config.key, kind), (0, config.prior))
        return per_asset * n
