"""The table (plain text and Markdown), the targets from the issue, and the 100k section."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

from benchmarks.memory import SIZE, MemoryReport
from benchmarks.results import Row

HEADERS = (
    "graph",
    "N",
    "configuration",
    "runs",
    "median s",
    "min s",
    "max s",
    "assets/s",
    "upstream/peer",
    "notes",
)
CPU_LABELS: tuple[tuple[str, str], ...] = (
    ("coordinator", "coord"),
    ("workers", "workers"),
    ("postgres", "pg"),
    ("rabbitmq", "rabbit"),
)


def secs(value: float) -> str:
    """Three significant figures, never in e-notation."""
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def versus(upstream: float, peer: float) -> str:
    """upstream's median over the peer's: below 1, upstream is faster."""
    ratio = upstream / peer
    factor = 1 / ratio if ratio < 1 else ratio
    times = f"{factor:.0f}x" if factor >= 10 else f"{factor:.2f}x"
    return f"{ratio:.3g} ({times} {'faster' if ratio < 1 else 'slower'})"


class Table:
    """Rows by (configuration key, graph, N), so peers find their upstream counterpart."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = list(rows)
        self._index: dict[tuple[str, str, int], Row] = {
            (r.config.key, r.kind, r.n): r for r in rows
        }

    def get(self, key: str, kind: str, n: int) -> Row | None:
        row = self._index.get((key, kind, n))
        return row if row is not None and row.measured else None

    def cells(self, row: Row) -> list[str]:
        head = [row.kind, f"{row.n:,}", row.config.label]
        if not row.measured:
            return [*head, str(len(row.samples)), "-", "-", "-", "-", "", row.missing or "not run"]
        return [
            *head,
            str(len(row.samples)),
            secs(row.median),
            secs(min(row.samples)),
            secs(max(row.samples)),
            f"{row.rate:,.0f}" if row.rate >= 10 else f"{row.rate:.2f}",
            self._ratio(row),
            "; ".join([*self._extras_note(row), *row.notes]),
        ]

    def _ratio(self, row: Row) -> str:
        if row.config.compare_to is None:
            return ""
        ours = self.get(row.config.compare_to, row.kind, row.n)
        return versus(ours.median, row.median) if ours else ""

    @staticmethod
    def _extras_note(row: Row) -> list[str]:
        """CPU per asset of each process kind (distributed), the run's own time (CLI)."""
        notes, parts = [], []
        for key, label in CPU_LABELS:
            value = row.extra(f"cpu_{key}")
            if value is not None:
                parts.append(f"{label} {1000 * value / row.n:.2f}")
        if parts:
            notes.append(f"CPU ms/asset: {' '.join(parts)}")
        if (wall := row.extra("cli_wall")) is not None:
            notes.append(f"CLI wall {secs(wall)} s")
        if (run := row.extra("run_s")) is not None:
            notes.append(f"run itself {secs(run)} s")
        return notes

    def grid(self) -> list[list[str]]:
        ordered = sorted(self.rows, key=lambda r: (r.kind, r.n))
        return [self.cells(r) for r in ordered]


def text_table(grid: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADERS, *grid]) for i in range(len(HEADERS))]
    line = "  ".join
    out = [line(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True))]
    out.append(line("-" * w for w in widths))
    out += [line(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in grid]
    return "\n".join(r.rstrip() for r in out)


def markdown_table(grid: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in grid]
    return "\n".join(out)


@dataclass(frozen=True)
class Target:
    name: str
    verdict: str  # PASS, FAIL or n/a
    detail: str


def _check(name: str, ok: bool, detail: str) -> Target:
    return Target(name, "PASS" if ok else "FAIL", detail)


def _absent(name: str, what: str) -> Target:
    return Target(name, "n/a", f"not measured in this run ({what})")


def target_speedup(t: Table) -> Target:
    name = "embedded layered N=1,000 >= 100x faster than Dagster in-process"
    ours, theirs = t.get("embedded", "layered", 1000), t.get("dagster", "layered", 1000)
    if not (ours and theirs):
        return _absent(name, "needs embedded and dagster at N=1000")
    speedup = theirs.median / ours.median
    detail = f"{speedup:.0f}x ({secs(ours.median)} s vs {secs(theirs.median)} s)"
    return _check(name, speedup >= 100, detail)


def target_rate(t: Table, kind: str, goal: float, config: str = "dist2") -> Target:
    places = {"dist2-tmpfs": " (values on tmpfs)", "dist2-dir": " (values in --values-dir)"}
    where = places.get(config, "")
    name = f"distributed 2 workers{where}, {kind} N=10,000 >= {goal:,.0f} assets/s"
    row = t.get(config, kind, 10_000)
    if row is None:
        return _absent(name, f"needs {config} at N=10000")
    return _check(name, row.rate >= goal, f"{row.rate:,.0f} assets/s ({secs(row.median)} s)")


def target_celery(t: Table) -> Target:
    name = "beat Celery on wide (2 workers each), every N"
    pairs = [
        (n, ours, theirs)
        for n in sorted({r.n for r in t.rows})
        if (ours := t.get("dist2", "wide", n)) and (theirs := t.get("celery", "wide", n))
    ]
    if not pairs:
        return _absent(name, "needs dist2 and celery")
    detail = ", ".join(f"N={n:,}: {secs(a.median)} s vs {secs(b.median)} s" for n, a, b in pairs)
    return _check(name, all(a.median < b.median for _, a, b in pairs), detail)


def target_linear(t: Table) -> Target:
    name = "coordinator work linear: CPU at N=10,000 <= 12x N=1,000 (dist2 layered)"
    small, large = t.get("dist2", "layered", 1000), t.get("dist2", "layered", 10_000)
    cpu_small = small.extra("cpu_coordinator") if small else None
    cpu_large = large.extra("cpu_coordinator") if large else None
    if not (small and large and cpu_small and cpu_large):
        return _absent(name, "needs dist2 layered at N=1000 and 10000")
    factor = cpu_large / cpu_small
    wall = large.median / small.median
    detail = f"{factor:.1f}x ({cpu_small:.2f} s -> {cpu_large:.2f} s CPU; run time {wall:.1f}x)"
    return _check(name, factor <= 12, detail)


def target_planning(memory: MemoryReport | None) -> Target:
    name = f"{SIZE:,}-asset graph loaded from snapshot and planned < 2 s"
    if memory is None or not memory.probe:
        return _absent(name, "needs the memory section")
    seconds = memory.probe["load_plan_s"]
    return _check(name, seconds < 2, f"{seconds:.2f} s")


def target_coordinator_memory(memory: MemoryReport | None) -> Target:
    name = f"coordinator < 500 MB on the {SIZE:,}-asset graph"
    if memory is None or not memory.probe:
        return _absent(name, "needs the memory section")
    if memory.coordinator_peak_mb is not None:
        peak = memory.coordinator_peak_mb
        return _check(name, peak < 500, f"{peak:.0f} MB peak RSS, real run with 2 workers")
    peak = memory.probe["peak_mb"]
    return _check(name, peak < 500, f"{peak:.0f} MB peak RSS, planning-only probe")


def targets(t: Table, memory: MemoryReport | None) -> list[Target]:
    return [
        target_speedup(t),
        target_rate(t, "layered", 1_000),
        target_rate(t, "wide", 3_000),
        target_rate(t, "layered", 1_000, "dist2-tmpfs"),
        target_rate(t, "wide", 3_000, "dist2-tmpfs"),
        *(
            target_rate(t, kind, goal, "dist2-dir")
            for kind, goal in (("layered", 1_000), ("wide", 3_000))
            if t.get("dist2-dir", kind, 10_000)
        ),
        target_celery(t),
        target_linear(t),
        target_planning(memory),
        target_coordinator_memory(memory),
    ]


def memory_lines(memory: MemoryReport | None) -> list[str]:
    if memory is None:
        return []
    lines = [f"{SIZE:,}-asset layered graph:"]
    p = memory.probe
    if p:
        lines.append(
            f"  planning (fresh process): JSON {p['json_s']:.2f} s + from_snapshot "
            f"{p['graph_s']:.2f} s + build_plan {p['plan_s']:.2f} s = {p['load_plan_s']:.2f} s; "
            f"ReadySet walk of every step {p['walk_s']:.2f} s; peak RSS {p['peak_mb']:.0f} MB "
            f"({p['baseline_mb']:.0f} MB before loading)"
        )
    if memory.run_seconds is not None:
        lines.append(
            f"  distributed, 2 workers: {memory.run_seconds:.1f} s "
            f"({SIZE / memory.run_seconds:,.0f} assets/s); coordinator peak RSS "
            f"{memory.coordinator_peak_mb:.0f} MB, CPU {memory.coordinator_cpu_s:.1f} s"
        )
    elif memory.why_no_run:
        lines.append(f"  distributed run: {memory.why_no_run}")
    if memory.error:
        lines.append(f"  error: {memory.error}")
    return lines


def target_lines(found: Sequence[Target]) -> list[str]:
    return [f"{t.verdict:<4}  {t.name}: {t.detail}" for t in found]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment() -> str:
    packages = ", ".join(f"{p} {_version(p)}" for p in ("upstream", "dagster", "celery"))
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"Python {platform.python_version()}, {packages}; {os.cpu_count()} cores ({cpu})"


def render(table: Table, memory: MemoryReport | None, command: str, markdown: bool) -> str:
    """The whole report: (Markdown: a header,) the table, the 100k section, the targets."""
    found = targets(table, memory)
    extra = memory_lines(memory)
    if not markdown:
        sections = [[text_table(table.grid())], extra, ["Targets:", *target_lines(found)]]
    else:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        sections = [
            [f"Run {stamp}: {environment()}.", "", f"Command: `{command}`"],
            [markdown_table(table.grid())],
            extra[:1] + [f"- {line.strip()}" for line in extra[1:]],
            ["| target | verdict | measured |", "|---|---|---|"]
            + [f"| {t.name} | {t.verdict} | {t.detail} |" for t in found],
        ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines)
