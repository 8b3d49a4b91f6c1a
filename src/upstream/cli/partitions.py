"""`upstream partitions list|add|delete`: a dynamic partitions definition's keys, and the
partition section of `upstream assets show KEY --partitions`.

Dagster adds and deletes dynamic keys from code (`instance.add_dynamic_partitions`, sensors'
`dynamic_partitions_requests`) and from its UI; it has no such CLI commands: these are ours.
Embedded (.upstream's SQLite) by default, a cluster's PostgreSQL with `--database-url`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
import click

from upstream.cli.options import cluster_settings, handles_errors, state_options
from upstream.cli.views import table
from upstream.runs.partitions import (
    FAILED,
    IN_PROGRESS,
    MATERIALIZED,
    MISSING,
    AssetPartitions,
    compact_ranges,
)
from upstream.runs.state import ClusterSettings, open_state, state_exists
from upstream.storage.base import RunStorage

__all__ = ["partition_lines", "partitions"]

T = TypeVar("T")

_LABELS = {
    MATERIALIZED: "materialized",
    FAILED: "failed",
    IN_PROGRESS: "in progress",
    MISSING: "missing",
}


def _using(
    cluster: ClusterSettings | None, fn: Callable[[RunStorage], Coroutine[Any, Any, T]]
) -> T:
    async def go() -> T:
        storage = await open_state(cluster)
        try:
            return await fn(storage)
        finally:
            await storage.close()

    return anyio.run(go)


def partition_lines(view: AssetPartitions) -> str:
    """The text `assets show --partitions` prints: counts and compact key ranges."""
    rows = [
        [label, str(view.counts[status]), compact_ranges(view.ranges(status))]
        for status, label in _LABELS.items()
    ]
    head = f"\npartitions  {view.total} keys of {view.partitions_def}\n"
    return head + table(["STATUS", "COUNT", "KEYS"], rows)


@click.group()
def partitions() -> None:
    """Keys of dynamic partitions definitions (DynamicPartitionsDefinition(name=...))."""


@partitions.command("list")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def partitions_list(name: str, as_json: bool, database_url: str | None, namespace: str) -> None:
    """The keys of dynamic partitions NAME, in the order they were added."""
    cluster = cluster_settings(database_url, namespace)
    keys: list[str] = []
    if state_exists(cluster):
        keys = _using(cluster, lambda s: s.get_dynamic_partitions(name))
    if as_json:
        click.echo(json.dumps({"name": name, "keys": keys}, indent=2))
        return
    if not keys:
        click.echo(
            f"dynamic partitions {name!r} has no keys; add some with `upstream partitions add`"
        )
        return
    click.echo("\n".join(keys))


@partitions.command("add")
@click.argument("name")
@click.argument("keys", nargs=-1, required=True)
@state_options
@handles_errors
def partitions_add(
    name: str, keys: tuple[str, ...], database_url: str | None, namespace: str
) -> None:
    """Add KEYS to dynamic partitions NAME (in order; keys already there are kept)."""
    cluster = cluster_settings(database_url, namespace)
    added = _using(cluster, lambda s: s.add_dynamic_partitions(name, keys))
    kept = len(dict.fromkeys(keys)) - len(added)
    note = f" ({kept} already there)" if kept else ""
    click.echo(f"added {len(added)} key(s) to {name!r}{note}")


@partitions.command("delete")
@click.argument("name")
@click.argument("keys", nargs=-1, required=True)
@state_options
@handles_errors
def partitions_delete(
    name: str, keys: tuple[str, ...], database_url: str | None, namespace: str
) -> None:
    """Delete KEYS from dynamic partitions NAME; a key not there is an error (exit 2), after
    the others are deleted. Their materializations stay in the catalog's history."""
    cluster = cluster_settings(database_url, namespace)

    async def delete(storage: RunStorage) -> list[str]:
        return [
            k for k in dict.fromkeys(keys) if not await storage.delete_dynamic_partition(name, k)
        ]

    unknown = _using(cluster, delete) if state_exists(cluster) else list(keys)
    deleted = len(dict.fromkeys(keys)) - len(unknown)
    click.echo(f"deleted {deleted} key(s) from {name!r}")
    if unknown:
        raise click.UsageError(
            f"dynamic partitions {name!r} has no key {', '.join(map(repr, unknown))}; "
            "see `upstream partitions list NAME`"
        )
