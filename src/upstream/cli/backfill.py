"""`upstream backfill launch|list|show|cancel|resume`: assets over many partitions, in runs
cut by BackfillPolicy. Embedded by default (in-process, exit 0 completed / 1 failed); with
--database-url the cluster's coordinator drives it and `launch` prints its id (`--wait`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import anyio
import click

from upstream.cli.options import (
    Failed,
    cluster_settings,
    code_location_options,
    coordinator_timeout_option,
    embedded_concurrency_option,
    handles_errors,
    state_options,
)
from upstream.cli.views import seconds, table, when
from upstream.locations import default_io_manager, load_code_location
from upstream.locations.loading import CodeLocation
from upstream.model.errors import UpstreamError
from upstream.model.partitions import PartitionKeyRange
from upstream.model.run_tags import parse_tag_option
from upstream.planning.backfill import BackfillTarget
from upstream.runs.backfills import (
    backfill_progress,
    cancel_backfill,
    find_backfill,
    new_backfill,
    resume_backfill,
    run_backfill_embedded,
    stored_graph,
)
from upstream.runs.liveness import require_coordinator
from upstream.runs.state import ClusterSettings, open_state, state_exists
from upstream.storage.backfills import BackfillRecord, BackfillStatus
from upstream.storage.base import RunStorage
from upstream.web.backfill_schema import backfill_detail_dict, backfill_dict

__all__ = ["backfill"]

T = TypeVar("T")
_WAIT_EVERY = 0.5  # seconds between reads of a backfill followed with --wait


def _with_storage(
    cluster: ClusterSettings | None, fn: Callable[[RunStorage], Coroutine[Any, Any, T]]
) -> T:
    async def go() -> T:
        async with await open_state(cluster) as storage:
            return await fn(storage)

    return anyio.run(go)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group()
def backfill() -> None:
    """Launch and follow backfills: assets over many partitions."""


def _target(
    start: str | None, end: str | None, partitions: str | None, all_partitions: bool
) -> BackfillTarget:
    """The partitions asked for: exactly one of --from/--to, --partitions, --all-partitions."""
    given = sum([start is not None or end is not None, partitions is not None, all_partitions])
    if given != 1:
        raise click.UsageError(
            "say which partitions: --from START --to END, --partitions K1,K2 or --all-partitions"
        )
    if partitions is not None:
        keys = tuple(k.strip() for k in partitions.split(",") if k.strip())
        if not keys:
            raise click.UsageError(
                "--partitions needs at least one key, e.g. --partitions 2024-01-01"
            )
        return BackfillTarget(keys=keys)
    if all_partitions:
        return BackfillTarget()
    if start is None or end is None:
        raise click.UsageError("--from and --to go together: --from 2024-01-01 --to 2024-01-31")
    return BackfillTarget(range=PartitionKeyRange(start, end))


@backfill.command("launch")
@code_location_options
@click.option("--select", "selection", help="Assets to backfill, e.g. 'daily_orders+'.")
@click.option("--from", "start", help="First partition key of the range.")
@click.option("--to", "end", help="Last partition key of the range (included).")
@click.option("--partitions", help="Partition keys, comma-separated.")
@click.option("--all-partitions", is_flag=True, help="Every partition of the selected assets.")
@click.option(
    "--tag", "tag_options", multiple=True, metavar="KEY=VALUE", help="A tag of every run."
)
@embedded_concurrency_option
@click.option("--wait", is_flag=True, help="On a cluster: follow it to its end (exit 0/1).")
@coordinator_timeout_option
@state_options
@handles_errors
def launch(
    module: str | None,
    file: str | None,
    selection: str | None,
    start: str | None,
    end: str | None,
    partitions: str | None,
    all_partitions: bool,
    tag_options: tuple[str, ...],
    concurrency: int,
    wait: bool,
    coordinator_timeout: float,
    database_url: str | None,
    namespace: str,
) -> None:
    """Backfill the selected assets over partitions: in this process, or on a cluster."""
    target = _target(start, end, partitions, all_partitions)
    tags = dict(parse_tag_option(option) for option in tag_options)
    location = load_code_location(module, file)
    cluster = cluster_settings(database_url, namespace)

    async def go(storage: RunStorage) -> BackfillRecord:
        if cluster is not None:
            await require_coordinator(storage, namespace, coordinator_timeout)
        else:
            await storage.register_code_location(location.record())
        record, plan = await new_backfill(
            storage,
            location.definitions.graph,
            code_location=location.name,
            definitions_hash=location.definitions.hash,
            selection=selection,
            target=target,
            tags=tags,
        )
        click.echo(
            f"backfill {record.backfill_id}: {len(plan.partitions)} partition(s) of "
            f"{record.selection} in {len(plan)} run(s)"
        )
        if cluster is not None:
            return await _follow(storage, record.backfill_id) if wait else record
        return await _run_here(storage, location, record, concurrency)

    record = _with_storage(cluster, go)
    if cluster is not None and not wait:
        click.echo(f"follow it with: upstream backfill show {record.backfill_id}")
        return
    _conclude(record)


async def _run_here(
    storage: RunStorage,
    location: CodeLocation,
    record: BackfillRecord,
    concurrency: int,
    *,
    retry_failed: bool = False,
) -> BackfillRecord:
    definitions = location.definitions
    return await run_backfill_embedded(
        definitions,
        record,
        storage=storage,
        io_manager=default_io_manager(definitions),
        code_location=location.name,
        concurrency=concurrency,
        retry_failed=retry_failed,
    )


async def _follow(storage: RunStorage, backfill_id: str) -> BackfillRecord:
    """Poll the backfill until it ends, printing its run counts when they change."""
    shown = None
    while True:
        record = await find_backfill(storage, backfill_id)
        counts = await storage.backfill_run_counts(backfill_id)
        line = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        if line != shown:
            click.echo(f"  runs: {line or 'none yet'}", err=True)
            shown = line
        if record.status.ended:
            return record
        await anyio.sleep(_WAIT_EVERY)


def _conclude(record: BackfillRecord) -> None:
    took = None if record.ended_at is None else record.ended_at - record.created_at
    click.echo(f"backfill {record.backfill_id} {record.status} in {seconds(took)}")
    if record.status is not BackfillStatus.COMPLETED:
        if record.message:
            click.echo(f"  {record.message}", err=True)
        click.echo(f"per partition: upstream backfill show {record.backfill_id}", err=True)
        raise Failed


@backfill.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def backfill_list(limit: int, as_json: bool, database_url: str | None, namespace: str) -> None:
    """Recent backfills, newest first, with their runs by status."""
    cluster = cluster_settings(database_url, namespace)

    async def read(storage: RunStorage) -> list[dict[str, Any]]:
        records = await storage.list_backfills(limit=limit)
        return [backfill_dict(r, await storage.backfill_run_counts(r.backfill_id)) for r in records]

    items = _with_storage(cluster, read) if state_exists(cluster) else []
    if as_json:
        _echo_json(items)
        return
    if not items:
        click.echo("no backfills yet; start one with `upstream backfill launch`")
        return
    rows = [
        [
            b["backfill_id"],
            b["status"],
            when(b["created_at"]),
            b["partitions_text"],
            ", ".join(f"{n} {s}" for s, n in sorted(b["runs"].items())) or "-",
            b["selection"],
        ]
        for b in items
    ]
    click.echo(table(["ID", "STATUS", "CREATED", "PARTITIONS", "RUNS", "SELECTION"], rows))


@backfill.command("show")
@click.argument("backfill_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def backfill_show(
    backfill_id: str, as_json: bool, database_url: str | None, namespace: str
) -> None:
    """One backfill: its status per partition and its runs."""
    cluster = cluster_settings(database_url, namespace)

    async def read(storage: RunStorage) -> dict[str, Any]:
        record = await find_backfill(storage, backfill_id)
        return backfill_detail_dict(await backfill_progress(storage, record))

    if not state_exists(cluster):
        raise UpstreamError(f"no backfill {backfill_id!r}: no state here yet")
    data = _with_storage(cluster, read)
    if as_json:
        _echo_json(data)
        return
    took = None if data["ended_at"] is None else data["ended_at"] - data["created_at"]
    click.echo(
        f"backfill {data['backfill_id']}  {data['status']}  created {when(data['created_at'])}"
        f"  duration {seconds(took)}\nselection {data['selection']}  partitions "
        f"{data['partitions_text']}\nunits {data['units_done']}/{data['units_total']} done  "
        + "  ".join(f"{s}={n}" for s, n in sorted(data["partition_counts"].items()))
        + "\n"
    )
    rows = [
        [
            u["selection"],
            "-"
            if u["partition_range"] is None
            else "...".join(dict.fromkeys(u["partition_range"])),
            u["status"],
            u["run_id"] or "-",
        ]
        for u in data["units"]
    ]
    click.echo(table(["ASSETS", "PARTITIONS", "STATUS", "RUN"], rows))


@backfill.command("cancel")
@click.argument("backfill_id")
@state_options
@handles_errors
def backfill_cancel(backfill_id: str, database_url: str | None, namespace: str) -> None:
    """Stop launching runs and cancel the backfill's queued and started runs."""
    cluster = cluster_settings(database_url, namespace)
    status = _with_storage(cluster, lambda storage: cancel_backfill(storage, backfill_id))
    click.echo(f"backfill {backfill_id} {status}")


@backfill.command("resume")
@click.argument("backfill_id")
@code_location_options
@embedded_concurrency_option
@state_options
@handles_errors
def backfill_resume(
    backfill_id: str,
    module: str | None,
    file: str | None,
    concurrency: int,
    database_url: str | None,
    namespace: str,
) -> None:
    """Run a failed or canceled backfill's failed and canceled partitions again."""
    cluster = cluster_settings(database_url, namespace)
    location = None if cluster is not None else load_code_location(module, file)

    async def go(storage: RunStorage) -> BackfillRecord:
        record = await find_backfill(storage, backfill_id)
        if location is not None and location.definitions.hash != record.definitions_hash:
            raise UpstreamError(
                f"backfill {backfill_id} ran other definitions ({record.definitions_hash[:12]}) "
                f"than {location.name!r} holds now ({location.definitions.hash[:12]}); "
                "launch a new backfill instead"
            )
        created = await resume_backfill(storage, record, await stored_graph(storage, record))
        click.echo(f"backfill {backfill_id}: {len(created)} run(s) launched again")
        if location is None:
            return await find_backfill(storage, backfill_id)
        reopened = await find_backfill(storage, backfill_id)
        return await _run_here(storage, location, reopened, concurrency)

    record = _with_storage(cluster, go)
    if cluster is not None:
        click.echo(f"follow it with: upstream backfill show {backfill_id}")
        return
    _conclude(record)
