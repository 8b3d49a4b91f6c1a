"""`upstream observe`: run the observe functions of observable source assets here and record
their data versions and metadata in the project's state (embedded, or a cluster's database).

Exit 0 when every one was observed, 1 when an observe function failed, 2 bad usage.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import click

from upstream.cli.options import (
    Failed,
    cluster_settings,
    code_location_options,
    handles_errors,
    state_options,
)
from upstream.cli.views import table
from upstream.locations import load_code_location
from upstream.runs.observe import ObserveExecutionResult, observable_keys, run_observations
from upstream.runs.state import open_state
from upstream.web.schema import observation_dict

__all__ = ["observe"]


@click.command()
@code_location_options
@click.option("--select", "selection", help="Assets to observe, e.g. 'raw_files' or 'group:x'.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def observe(
    module: str | None,
    file: str | None,
    selection: str | None,
    as_json: bool,
    database_url: str | None,
    namespace: str,
) -> None:
    """Observe external assets: record each observable source asset's data version."""
    definitions = load_code_location(module, file).definitions
    keys = observable_keys(definitions, selection)  # a bad selection: exit 2, nothing ran
    cluster = cluster_settings(database_url, namespace)

    async def go() -> ObserveExecutionResult:
        async with await open_state(cluster) as storage:
            return await run_observations(definitions, keys, storage=storage)

    result = anyio.run(go)
    if as_json:
        click.echo(json.dumps(_as_json(result), indent=2, sort_keys=True))
    else:
        rows = [
            [key, o.data_version or "-", ", ".join(sorted(o.metadata)) or "-"]
            for key, o in result.observations.items()
        ]
        if rows:
            click.echo(table(["KEY", "DATA VERSION", "METADATA"], rows))
    for key, error in result.errors.items():
        click.echo(f"error: observing {key!r} failed: {error.type}: {error.message}", err=True)
    if not result.success:
        raise Failed(f"{len(result.errors)} observation(s) failed")


def _as_json(result: ObserveExecutionResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in result.observations.values():
        out.append({**(observation_dict(o) or {}), "error": None})
    for key, e in result.errors.items():
        error = {"type": e.type, "message": e.message, "traceback": e.traceback}
        out.append({"asset_key": key, "error": error})
    return out
