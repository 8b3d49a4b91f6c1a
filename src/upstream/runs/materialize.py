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
from upstream.execution.step import io_manager_for
from upstream.model.asset import AssetsDefinition
from upstream.model.config import RunConfigInput
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY, IOManager
from upstream.model.keys import AssetKey, CoercibleToAssetKey
from upstream.planning.plan import build_plan
from upstream.planning.run_config import validate_run_config
from upstream.runs.embedded import DEFAULT_CONCURRENCY, run_embedded
from upstream.storage.records import EventRecord, RunRecord, RunStatus, StepRecord, StepStatus
from upstream.storage.sqlite import open_sqlite_storage

__all__ = ["ExecuteInProcessResult", "materialize"]


class ExecuteInProcessResult:
    """What `materialize()` returns: the run's outcome, each step, and the values produced."""

    def __init__(
        self,
        definitions: Definitions,
        run: RunRecord,
        steps: Sequence[StepRecord],
        events: Sequence[EventRecord],
        default_io: IOManager,
    ) -> None:
        self.definitions = definitions
        self.run = run
        self.steps: dict[str, StepRecord] = {s.step_key: s for s in steps}
        self.events = list(events)
        self._io = default_io

    @property
    def success(self) -> bool:
        return self.run.status is RunStatus.SUCCESS

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def _step(self, key: CoercibleToAssetKey) -> tuple[AssetKey, StepRecord]:
        asset_key = AssetKey.from_coercible(key)
        name = asset_key.to_user_string()
        step = self.steps.get(name)
        if step is None:
            raise UpstreamError(
                f"asset {name!r} was not part of this run; selected: {', '.join(self.run.steps)}"
            )
        return asset_key, step

    def output_for(self, key: CoercibleToAssetKey) -> Any:
        """The value the asset produced in this run (raises if it failed or was skipped)."""
        asset_key, step = self._step(key)
        if step.status is not StepStatus.SUCCESS:
            raise UpstreamError(
                f"asset {asset_key.to_user_string()!r} produced no value: step {step.status}"
            )
        from upstream.model.io_manager import InputContext

        asset = self.definitions.get_asset(asset_key)
        manager = io_manager_for(self.definitions, asset, self._io)
        return manager.load_input(
            InputContext(
                asset_key=asset_key,
                downstream_key=asset_key,
                parameter="output",
                run_id=self.run_id,
            )
        )

    asset_value = output_for  # Dagster's other name for it

    def metadata_for(self, key: CoercibleToAssetKey) -> dict[str, Any]:
        """The metadata recorded with the asset's materialization, as plain values."""
        _, step = self._step(key)
        return {name: entry["value"] for name, entry in step.metadata.items()}

    @property
    def failed_steps(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.status is StepStatus.FAILURE]

    @property
    def skipped_steps(self) -> list[str]:
        return [k for k, s in self.steps.items() if s.status is StepStatus.SKIPPED]

    def __repr__(self) -> str:
        return f"ExecuteInProcessResult(run_id={self.run_id!r}, status={self.run.status})"


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
    assets: Definitions | Sequence[AssetsDefinition],
    selection: str | Sequence[str] | None = None,
    *,
    resources: Mapping[str, Any] | None = None,
    raise_on_error: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
    run_config: RunConfigInput = None,
) -> ExecuteInProcessResult:
    """Materialize assets in this process and return the result.

    `assets` is a `Definitions` or a list of `@asset`s; `resources` add to (and override)
    the definitions' resources; `run_config` (a `RunConfig` or its plain dict) is checked
    against the assets before anything runs. With `raise_on_error` (the default, as in
    Dagster) the first failing asset's own exception is raised once the run has finished
    and been recorded.
    Works inside a running event loop too (a notebook): it then runs on a helper thread.
    """
    if isinstance(assets, Definitions):
        definitions = assets
        if resources:
            definitions = Definitions(definitions.assets, {**definitions.resources, **resources})
    else:
        definitions = Definitions(assets, resources)
    plan = build_plan(definitions.graph, selection)  # SelectionError before anything runs
    config = validate_run_config(definitions, run_config, plan.steps)  # RunConfigError too
    io = definitions.resources.get(DEFAULT_IO_MANAGER_KEY) or InMemoryIOManager()
    exceptions: dict[str, BaseException] = {}

    def keep(_run_id: str, step: str, exc: BaseException) -> None:
        exceptions.setdefault(step, exc)

    async def go() -> ExecuteInProcessResult:
        storage = await open_sqlite_storage(":memory:")
        try:
            record = await run_embedded(
                definitions,
                plan,
                storage=storage,
                io_manager=io,
                code_location="<in-process>",
                concurrency=concurrency,
                on_exception=keep,
                run_config=config,
            )
            steps = await storage.get_steps(record.run_id)
            events = await storage.get_events(record.run_id)
        finally:
            await storage.close()
        return ExecuteInProcessResult(definitions, record, steps, events, io)

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
