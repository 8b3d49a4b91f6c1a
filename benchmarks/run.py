"""`.venv/bin/python benchmarks/run.py [--quick] [--repeat N] [--sizes ...] [--only ...]`.

Prints the table to stdout (progress to stderr); `--markdown FILE` also writes it as
Markdown. See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import Bench, describe_options, log, parse_args, scratch_dir
from benchmarks.report import Table, render


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so every cleanup (processes, schemas, queues) runs."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    log(describe_options(options))
    try:
        with scratch_dir() as scratch:
            bench = Bench(options, scratch)
            bench.run()
    except KeyboardInterrupt:
        log("interrupted: processes stopped, schemas and queues dropped")
        return 130
    table = Table(bench.rows)
    print(render(table, bench.memory, options.command, markdown=False))
    if options.markdown:
        text = render(table, bench.memory, options.command, markdown=True)
        options.markdown.write_text(text + "\n")
        log(f"wrote {options.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
