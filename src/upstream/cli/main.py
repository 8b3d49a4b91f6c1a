"""The `upstream` command. Exit 0 success, 1 the run failed, 2 bad usage or input.

Errors print one line on stderr; `--verbose` adds the traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import anyio
import click
import yaml

from upstream.cli.backfill import backfill
from upstream.cli.cluster import run_coordinator, run_worker
from upstream.cli.observe import observe
from upstream.cli.options import (
    Failed,
    broker_option,
    cluster_settings,
    code_location_options,
    coordinator_timeout_option,
    embedded_concurrency_option,
    handles_errors,
    log_level_option,
    state_options,
)
from upstream.cli.partition_options import check_range_policy, partition_options, run_target
from upstream.cli.partitions import partition_lines, partitions
from upstream.cli.progress import FinishedStep, Progress, describe
from upstream.cli.run_config import read_run_config, run_config_options
from upstream.cli.scaffold import scaffold_project
from upstream.cli.ui import dev, web
from upstream.cli.views import seconds, table, when
from upstream.coordinator.routes import WORKER_GRACE
from upstream.execution.run_config import check_run_config
from upstream.locations import default_io_manager, load_code_location, upstream_home
from upstream.model.errors import UpstreamError, did_you_mean
from upstream.model.graph import AssetGraph
from upstream.model.partitions import partition_from_tags, partition_tags
from upstream.model.run_tags import parse_tag_option
from upstream.planning.plan import build_plan
from upstream.runs import ClusterRuns, follow_run, run_embedded
from upstream.runs.liveness import require_coordinator, watching
from upstream.runs.partitions import asset_partitions
from upstream.runs.state import ClusterSettings, open_state, state_exists
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import FetchedDynamicPartitions, load_dynamic_partitions
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepRecord, StepStatus
from upstream.tracing import configure_logging, traced
from upstream.web.schema import asset_dict, materialized_by_step, run_dict
from upstream.worker.run_resources import DEFAULT_IDLE_TIMEOUT

__all__ = ["main"]

T = TypeVar("T")


def _with_storage(
    cluster: ClusterSettings | None, fn: Callable[[RunStorage], Coroutine[Any, Any, T]]
) -> T:
    """Open the state store (the cluster's, or the embedded one, created if missing), run
    `fn` with it, close it."""

    async def go() -> T:
        storage = await open_state(cluster)
        try:
            return await fn(storage)
        finally:
            await storage.close()

    return anyio.run(go)


def _read_storage(
    cluster: ClusterSettings | None, fn: Callable[[RunStorage], Coroutine[Any, Any, T]]
) -> T | None:
    """As `_with_storage`, but None when there is no embedded state yet: reading creates
    nothing."""
    if not state_exists(cluster):
        return None
    return _with_storage(cluster, fn)


def _dynamic_keys(
    cluster: ClusterSettings | None, graph: AssetGraph
) -> FetchedDynamicPartitions | None:
    """The stored keys of `graph`'s dynamic partitions (none yet without embedded state);
    None, opening nothing, when it has none."""
    names = graph.dynamic_partition_names
    if not names:
        return None
    found = _read_storage(cluster, lambda storage: load_dynamic_partitions(storage, names))
    return FetchedDynamicPartitions({}) if found is None else found


def _indented_yaml(data: Any) -> str:
    """`data` as block YAML (the form `--config` reads), indented under its heading."""
    text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
    return "".join(f"  {line}" for line in text.splitlines(keepends=True))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="upstream")
def cli() -> None:
    """upstream: an asset-based data orchestrator."""


@cli.command()
@code_location_options
@click.option(
    "--select",
    "selection",
    help="Assets to run, e.g. '+daily_summary', 'group:x' or 'kind:python and not tag:pii'.",
)
@embedded_concurrency_option
@coordinator_timeout_option
@click.option(
    "--tag",
    "tag_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A run tag, as Dagster's (repeatable): --tag team=sales --tag note=nightly.",
)
@partition_options
@run_config_options
@state_options
@handles_errors
def materialize(
    module: str | None,
    file: str | None,
    selection: str | None,
    concurrency: int,
    coordinator_timeout: float,
    tag_options: tuple[str, ...],
    partition: str | None,
    partition_range: str | None,
    all_partitions: bool,
    config_files: tuple[Path, ...],
    config_json: str | None,
    overrides: tuple[str, ...],
    database_url: str | None,
    namespace: str,
) -> None:
    """Materialize assets: embedded by default, or on a cluster with --database-url.
    Partitioned assets take one partition (--partition), a range (--partition-range) or
    all of them (--all-partitions) in one run."""
    location = load_code_location(module, file)
    graph = location.definitions.graph
    tags = dict(parse_tag_option(option) for option in tag_options)  # bad: exit 2
    cluster = cluster_settings(database_url, namespace)
    store = _dynamic_keys(cluster, graph)  # None (and no storage opened) if none is dynamic
    target = run_target(graph, selection, partition, partition_range, all_partitions, store)
    if target is not None:
        tags.update(partition_tags(target))
    else:  # `--tag dagster/partition=KEY` targets a partition too, as in Dagster
        target = partition_from_tags(tags)
    # A bad selection or partition: exit 2 here.
    plan = build_plan(graph, selection, target, dynamic_partitions_store=store)
    check_range_policy(graph, plan)
    given = read_run_config(config_files, config_json, overrides)
    run_config = check_run_config(location.definitions, given, plan.steps)  # bad: exit 2
    finished: list[FinishedStep] = []
    reason: str | None = None

    async def embedded(storage: RunStorage) -> RunRecord:
        definitions = location.definitions
        io = default_io_manager(definitions)
        await storage.register_code_location(location.record())  # for `upstream web`
        with Progress(len(plan)) as progress:

            def observe(outcome: StepOutcome) -> None:
                finished.append(outcome)
                progress(outcome)

            return await run_embedded(
                definitions,
                plan,
                storage=storage,
                io_manager=io,
                code_location=location.name,
                concurrency=concurrency,
                observer=observe,
                run_config=run_config,
                tags=tags,
            )

    async def on_cluster(storage: RunStorage) -> RunRecord:
        nonlocal reason
        await require_coordinator(storage, namespace, coordinator_timeout)
        run_id = await ClusterRuns(storage).submit(
            location.name, location.definitions.hash, selection, run_config, tags
        )
        click.echo(f"submitted run {run_id} to the cluster ({namespace})")
        with Progress(len(plan)) as progress:

            def observe(step: StepRecord) -> None:
                finished.append(step)
                progress(step)

            async with watching(storage, namespace, lambda line: click.echo(line, err=True)):
                record, reason = await follow_run(storage, run_id, observe)
        return record

    with traced("upstream"):  # embedded: coordinator and worker spans from this process
        record = _with_storage(cluster, on_cluster if cluster else embedded)
    _summarize(record, finished, reason)


def _summarize(record: RunRecord, finished: list[FinishedStep], reason: str | None) -> None:
    """The closing line; on failure the failed steps (stderr) and exit status 1."""
    counts = dict.fromkeys((StepStatus.SUCCESS, StepStatus.FAILURE, StepStatus.SKIPPED), 0)
    for step in finished:
        counts[step.status] += 1
    click.echo(
        f"run {record.run_id} {record.status} in {seconds(record.duration)}: "
        f"{counts[StepStatus.SUCCESS]} succeeded, {counts[StepStatus.FAILURE]} failed, "
        f"{counts[StepStatus.SKIPPED]} skipped"
    )
    if record.status is RunStatus.SUCCESS:
        return
    if reason:
        click.echo(f"  {reason}", err=True)
    for step in finished:
        if step.status is StepStatus.FAILURE:
            click.echo(f"  {describe(step)}", err=True)
    click.echo(f"tracebacks: upstream runs show {record.run_id}", err=True)
    raise Failed


@cli.command()
@code_location_options
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1),
    help="Steps run at once (and task messages held ahead from the broker).",
)
@click.option(
    "--queue",
    default="default",
    show_default=True,
    help="Take tasks of assets with @asset(queue=NAME).",
)
@click.option(
    "--resource-idle-timeout",
    envvar="UPSTREAM_RESOURCE_IDLE_TIMEOUT",
    default=DEFAULT_IDLE_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds a run's resources stay set up here after its last step; then they are "
    "torn down [env UPSTREAM_RESOURCE_IDLE_TIMEOUT].",
)
@broker_option
@state_options
@log_level_option
@handles_errors
def worker(
    module: str | None,
    file: str | None,
    concurrency: int,
    queue: str,
    resource_idle_timeout: float,
    broker_url: str,
    database_url: str | None,
    namespace: str,
    log_level: str,
) -> None:
    """Run a worker: register the code location, then take tasks until SIGTERM."""
    cluster = cluster_settings(database_url, namespace, broker_url)
    if cluster is None:
        raise click.UsageError("a worker needs --database-url (or UPSTREAM_DATABASE_URL)")
    location = load_code_location(module, file)
    configure_logging(log_level)  # services log JSON lines to stderr (INFO: one a step)
    anyio.run(
        functools.partial(
            run_worker,
            cluster,
            location,
            concurrency=concurrency,
            queue=queue,
            resource_idle_timeout=resource_idle_timeout,
        )
    )


@cli.command()
@click.option(
    "--worker-grace",
    envvar="UPSTREAM_WORKER_GRACE",
    default=WORKER_GRACE,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Seconds steps wait with no worker serving their code (and queue) before they "
    "fail [env UPSTREAM_WORKER_GRACE].",
)
@broker_option
@state_options
@log_level_option
@handles_errors
def coordinator(
    worker_grace: float, broker_url: str, database_url: str | None, namespace: str, log_level: str
) -> None:
    """Run the coordinator (a second one waits as a hot standby) until SIGTERM."""
    cluster = cluster_settings(database_url, namespace, broker_url)
    if cluster is None:
        raise click.UsageError("the coordinator needs --database-url (or UPSTREAM_DATABASE_URL)")
    configure_logging(log_level)
    anyio.run(functools.partial(run_coordinator, cluster, worker_grace=worker_grace))


@cli.group()
def assets() -> None:
    """Inspect assets."""


@assets.command("list")
@code_location_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def assets_list(
    module: str | None,
    file: str | None,
    as_json: bool,
    database_url: str | None,
    namespace: str,
) -> None:
    """Keys, groups, upstreams and last materialization of every asset."""
    graph = load_code_location(module, file).definitions.graph
    keys = [k.to_user_string() for k in graph.keys]
    cluster = cluster_settings(database_url, namespace)
    external = [k.to_user_string() for k in graph.keys if graph.node(k).is_external]

    async def read(storage: RunStorage) -> tuple[dict[str, Any], dict[str, Any]]:
        observed = await storage.latest_observations(external) if external else {}
        return await storage.latest_materializations(keys), observed

    latest, observed = _read_storage(cluster, read) or ({}, {})
    items = [
        asset_dict(node, latest.get(name), observed.get(name))
        for node in graph.nodes
        if (name := node.key.to_user_string())
    ]
    if as_json:
        _echo_json(items)
        return
    rows = [
        [item["key"], item["group"], ", ".join(item["upstreams"]) or "-", _last(item)]
        for item in items
    ]
    click.echo(table(["KEY", "GROUP", "UPSTREAMS", "LAST MATERIALIZED"], rows))


def _last(item: dict[str, Any]) -> str:
    """When it was last materialized; for an external asset, observed (and its version)."""
    if item["last_materialization"]:
        return when(item["last_materialization"]["timestamp"])
    if not item["is_external"]:
        return "never"
    seen = item["last_observation"]
    if seen is None:
        return "external, never observed" if item["execution_type"] == "observation" else "external"
    return f"external, observed {when(seen['timestamp'])} ({seen['data_version'] or '-'})"


@assets.command("show")
@click.argument("key")
@code_location_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@click.option(
    "--partitions",
    "with_partitions",
    is_flag=True,
    help="Add the partitions: counts and key ranges materialized, failed, in progress, missing.",
)
@state_options
@handles_errors
def assets_show(
    key: str,
    module: str | None,
    file: str | None,
    as_json: bool,
    with_partitions: bool,
    database_url: str | None,
    namespace: str,
) -> None:
    """One asset: group, kinds, owners, tags, upstreams, metadata, last materialization;
    with --partitions, the status of each of its partitions."""
    graph = load_code_location(module, file).definitions.graph
    node = next((n for n in graph.nodes if n.key.to_user_string() == key.strip("/")), None)
    if node is None:
        known = [k.to_user_string() for k in graph.keys]
        hint = did_you_mean(key, known) or "see `upstream assets list`"
        raise click.UsageError(f"no asset {key!r}; {hint}")
    if with_partitions and node.partitions_def is None:
        raise click.UsageError(f"asset {key!r} is not partitioned; drop --partitions")
    cluster = cluster_settings(database_url, namespace)
    name = node.key.to_user_string()
    latest = (_read_storage(cluster, lambda s: s.latest_materializations([name])) or {}).get(name)
    item = asset_dict(node, latest)
    item["definition_metadata"] = dict(node.metadata)
    item["code_version"] = node.code_version
    view = None
    if with_partitions:
        view = _with_storage(cluster, lambda s: asset_partitions(s, graph, node.key))
        item["partitions"] = view.to_dict()
    if as_json:
        _echo_json(item)
        return
    last = item["last_materialization"]
    facts = [
        ["key", name],
        ["group", node.group],
        ["description", node.description or "-"],
        ["kinds", ", ".join(node.kinds) or "-"],
        ["owners", ", ".join(node.owners) or "-"],
        ["tags", ", ".join(f"{k}={v}" if v else k for k, v in node.tags.items()) or "-"],
        ["upstreams", ", ".join(item["upstreams"]) or "-"],
        ["last materialized", when(last["timestamp"]) if last else "never"],
    ]
    click.echo(table(["FIELD", "VALUE"], facts))
    if view is not None:
        click.echo(partition_lines(view))


@cli.group()
def runs() -> None:
    """Inspect runs."""


@runs.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--status", type=click.Choice([s.value for s in RunStatus], case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def runs_list(
    limit: int, status: str | None, as_json: bool, database_url: str | None, namespace: str
) -> None:
    """Recent runs, newest first."""
    wanted = RunStatus(status.upper()) if status else None
    cluster = cluster_settings(database_url, namespace)
    records = _read_storage(cluster, lambda s: s.list_runs(limit=limit, status=wanted)) or []
    if as_json:
        _echo_json([run_dict(r) for r in records])
        return
    if not records:
        click.echo("no runs yet; start one with `upstream materialize -m MODULE`")
        return
    rows = [
        [
            r.run_id,
            str(r.status),
            when(r.created_at),
            seconds(r.duration),
            str(len(r.steps)),
            r.selection,
        ]
        for r in records
    ]
    click.echo(table(["RUN ID", "STATUS", "STARTED", "DURATION", "STEPS", "SELECTION"], rows))


@runs.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (fields in docs/cli.md).")
@state_options
@handles_errors
def runs_show(run_id: str, as_json: bool, database_url: str | None, namespace: str) -> None:
    """One run: its steps, their timings, and errors with tracebacks (id or unique prefix)."""

    async def fetch(storage: RunStorage) -> dict[str, Any]:
        ids = await storage.find_run_ids(run_id)
        if len(ids) != 1:
            if ids:
                raise UpstreamError(f"run id prefix {run_id!r} matches {len(ids)} runs; type more")
            raise UpstreamError(f"no run {run_id!r}; see `upstream runs list`")
        record = await storage.get_run(ids[0])
        assert record is not None  # the id came from the store a moment ago
        events = await storage.get_events(ids[0])
        return run_dict(record, await storage.get_steps(ids[0]), materialized_by_step(events))

    data = _read_storage(cluster_settings(database_url, namespace), fetch)
    if data is None:
        raise UpstreamError(f"no run {run_id!r}: no runs recorded under {upstream_home()}")
    if as_json:
        _echo_json(data)
        return
    click.echo(
        f"run {data['run_id']}  {data['status']}  started {when(data['created_at'])}  "
        f"duration {seconds(data['duration'])}\nselection {data['selection']}  "
        f"code location {data['code_location']}\n"
    )
    if data["partition"] is not None:
        click.echo(f"partition  {_partition_text(data['partition'])}\n")
    if data["tags"]:
        click.echo("tags  " + "  ".join(f"{k}={v}" for k, v in data["tags"].items()) + "\n")
    if data["run_config"]:
        click.echo("run config\n" + _indented_yaml(data["run_config"]))
    rows = [
        [
            s["step_key"],
            s["status"],
            str(s["attempt"]),
            when(s["started_at"]),
            seconds(s["duration"]),
            s["worker_id"] or "-",
            s["skip_reason"] or _made(s),
        ]
        for s in data["steps"]
    ]
    click.echo(table(["STEP", "STATUS", "ATTEMPT", "STARTED", "DURATION", "WORKER", "NOTE"], rows))
    for step in data["steps"]:
        if step["error"]:
            error = step["error"]
            click.echo(f"\n{step['step_key']} failed: {error['type']}: {error['message']}")
            if error["traceback"]:
                click.echo(error["traceback"].rstrip())


def _partition_text(partition: str | dict[str, str]) -> str:
    """A run's partition as `runs show` prints it: the key, or START...END (Dagster's form)."""
    if isinstance(partition, str):
        return partition
    return f"{partition['start']}...{partition['end']}"


def _made(step: dict[str, Any]) -> str:
    """A step's note: the assets it made, when they are not just the step's own key."""
    assets = step["assets"]
    return "" if assets in ([], [step["step_key"]]) else "made " + ", ".join(assets)


@cli.command()
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the project.",
)
@handles_errors
def init(name: str, parent: Path) -> None:
    """Create a new project NAME: a code location with two assets and a passing test."""
    root = scaffold_project(name, parent)
    click.echo(f"created {root}\nnext:\n  cd {root}\n  pip install -e '.[dev]'\n  pytest")


cli.add_command(backfill)
cli.add_command(dev)
cli.add_command(observe)
cli.add_command(partitions)
cli.add_command(web)


def main() -> None:
    """Run the command; click's own usage errors also become one `error:` line, exit 2."""
    try:
        code = cli.main(prog_name="upstream", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `upstream`: show the help
        exc.show()
        sys.exit(2)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
