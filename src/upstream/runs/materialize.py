"""`materialize()`: run assets in-process, as Dagster's `materialize` does in tests.

Values stay in memory (unless resources name an "io_manager"), state goes to a throwaway
SQLite database, and by default a failing asset's own exception is raised, as in Dagster.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import gc
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import anyio

from upstream.execution.io_managers import InMemoryIOManager
from upstream.execution.run_config import check_run_config
from upstream.model.asset import AssetsDefinition
from upstream.model.config import RunConfigInput
from upstream.model.definitions import Definitions
from upstream.model.errors import ConfigurationError, UpstreamError
from upstream.model.external import SourceAsset
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY, IOManager
from upstream.model.partitions import PartitionKeyRange
from upstream.model.resources import provides_io_manager
from upstream.model.run_tags import check_run_tags
from upstream.model.spec import AssetSpec
from upstream.runs.embedded import DEFAULT_CONCURRENCY, run_embedded
from upstream.runs.in_process import (
    CoercibleToSelection,
    definitions_for,
    in_memory,
    plan_for,
    run_dynamic_keys,
    run_partition,
    unsupported,
)
from upstream.runs.result import ExecuteInProcessResult
from upstream.storage.dynamic import FetchedDynamicPartitions
from upstream.storage.sqlite import open_sqlite_storage

__all__ = ["ExecuteInProcessResult", "materialize", "materialize_to_memory"]


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects that existed before the run out of the collector's full scans
    while it runs (`gc.freeze`), then hand them back (`gc.unfreeze`). A run allocates
    enough to trigger full collections, and each one rescanned the caller's whole heap (a
    notebook's data, the definitions): ~8% of a 1,000-asset run of no-op assets. Nothing
    is leaked: a cycle among those objects is collected after the run instead. Skipped
    when the caller has frozen objects of its own, which it may unfreeze itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def materialize(
    assets: Definitions | Sequence[AssetsDefinition | AssetSpec | SourceAsset],
    run_config: RunConfigInput = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: CoercibleToSelection = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> ExecuteInProcessResult:
    """Materialize assets in this process and return the result (Dagster's signature).

    `assets` is a `Definitions` or a list of `@asset`s; `resources` add to (and override)
    the definitions' resources; `selection` picks what runs (a selection string, keys,
    assets, or an object with `resolve(graph)`). With `raise_on_error` (the default, as in
    Dagster) the first failing asset's own exception is raised once the run has finished
    and been recorded. Works inside a running event loop too (a notebook): it then runs on
    a helper thread. `run_config` (a `RunConfig` or its plain dict) is checked against the
    assets before anything runs. `tags` (str -> str, as Dagster's run tags) are recorded
    with the run (`result.run.tags`, `result.dagster_run.tags`); a bad one raises
    `ConfigurationError` before anything runs. `partition_key` targets one partition of the
    selection's partitioned assets (as do Dagster's partition tags, a range too), recorded
    in the run's tags (`dagster/partition`); a key they do not have, or one for unpartitioned
    assets, raises `InvalidPartition` before anything runs. `instance` is not supported:
    anything but None raises `ConfigurationError`, naming why.
    """
    unsupported(instance=instance)
    checked = check_run_tags(tags)
    definitions = definitions_for(assets, resources)
    return _run(
        definitions,
        selection,
        run_config,
        checked,
        run_partition(partition_key, checked),
        raise_on_error=raise_on_error,
        concurrency=concurrency,
    )


def materialize_to_memory(
    assets: Definitions | Sequence[AssetsDefinition | AssetSpec | SourceAsset],
    run_config: RunConfigInput = None,
    instance: Any = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: CoercibleToSelection = None,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> ExecuteInProcessResult:
    """`materialize` with every IO manager replaced by one in-memory IO manager, as Dagster's
    `materialize_to_memory`; passing an IO manager in `resources` is an error there, and here."""
    unsupported(instance=instance)
    checked = check_run_tags(tags)
    given = [k for k, v in (resources or {}).items() if provides_io_manager(v)]
    if given:
        raise ConfigurationError(
            f"materialize_to_memory replaces every IO manager with an in-memory one; "
            f"remove {', '.join(map(repr, sorted(given)))} from resources= or call materialize"
        )
    definitions = in_memory(definitions_for(assets, resources))
    return _run(
        definitions,
        selection,
        run_config,
        checked,
        run_partition(partition_key, checked),
        raise_on_error=raise_on_error,
        concurrency=concurrency,
    )


def _run(
    definitions: Definitions,
    selection: CoercibleToSelection,
    run_config: RunConfigInput,
    tags: Mapping[str, str],
    partition: PartitionKeyRange | None,
    *,
    raise_on_error: bool,
    concurrency: int,
) -> ExecuteInProcessResult:
    added = run_dynamic_keys(definitions.graph, partition)  # in the run's ephemeral store
    store = FetchedDynamicPartitions(added) if definitions.graph.dynamic_partition_names else None
    plan = plan_for(definitions, selection, partition, store)  # SelectionError before running
    config = check_run_config(definitions, run_config, plan.steps)  # RunConfigError too
    own_io = definitions.resources.get(DEFAULT_IO_MANAGER_KEY)
    io = own_io if isinstance(own_io, IOManager) else InMemoryIOManager()
    exceptions: dict[str, BaseException] = {}
    released: dict[str, Any] = {}  # the run's resources, once torn down

    def keep(_run_id: str, step: str, exc: BaseException) -> None:
        exceptions.setdefault(step, exc)

    async def go() -> ExecuteInProcessResult:
        storage = await open_sqlite_storage(":memory:")
        try:
            for name, keys in added.items():
                await storage.add_dynamic_partitions(name, keys)
            record = await run_embedded(
                definitions,
                plan,
                storage=storage,
                io_manager=io,
                code_location="<in-process>",
                concurrency=concurrency,
                on_exception=keep,
                on_resources_released=lambda _run_id, values: released.update(values),
                run_config=config,
                tags=tags,
            )
            steps = await storage.get_steps(record.run_id)
            events = await storage.get_events(record.run_id)
        finally:
            await storage.close()
        return ExecuteInProcessResult(
            definitions,
            record,
            steps,
            events,
            io,
            {**definitions.resources, **released},
            dynamic_partitions_store=store,
        )

    with _heap_frozen():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            result = anyio.run(go)
        else:
            caller = contextvars.copy_context()  # keep the caller's span: the run joins its trace
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                result = pool.submit(caller.run, lambda: anyio.run(go)).result()

    if raise_on_error and not result.success:
        for step in plan.steps:
            if step in exceptions:
                raise exceptions[step]
        failed = result.steps[result.failed_steps[0]]
        error = failed.error
        raise UpstreamError(
            f"asset {failed.step_key!r} failed: {error.message if error else 'unknown error'}"
        )
    return result
