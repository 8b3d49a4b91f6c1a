"""Observing external assets: call each observable source asset's function, record what it
reports (data version, metadata) as an observation. `observe()` is Dagster's in-process
call; `upstream observe` runs the same core against the project's state.

Observations run in the calling process (embedded or against a cluster's database alike);
they are not runs and never go to workers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import anyio

from upstream.execution.records import ErrorInfo, LogLine
from upstream.execution.resources import RunResources
from upstream.execution.step import StepLogger, user_traceback
from upstream.model.asset import AssetsDefinition
from upstream.model.context import AssetExecutionContext
from upstream.model.definitions import Definitions
from upstream.model.errors import SelectionError, UpstreamError
from upstream.model.external import DataVersion, ObserveResult, SourceAsset
from upstream.model.keys import AssetKey, CoercibleToAssetKey
from upstream.model.metadata import normalize_metadata
from upstream.model.spec import AssetSpec
from upstream.planning.selection import select
from upstream.storage.base import RunStorage
from upstream.storage.records import Observation
from upstream.storage.sqlite import open_sqlite_storage

__all__ = ["ObserveExecutionResult", "observable_keys", "observe", "run_observations"]


class ObserveExecutionResult:
    """What observing returns: each asset's observation, or its error, and the log lines."""

    def __init__(
        self,
        observations: Mapping[str, Observation],
        errors: Mapping[str, ErrorInfo],
        logs: Mapping[str, Sequence[LogLine]],
    ) -> None:
        self.observations = dict(observations)
        self.errors = dict(errors)
        self.logs = {key: list(lines) for key, lines in logs.items()}

    @property
    def success(self) -> bool:
        return not self.errors

    def data_version_for(self, key: CoercibleToAssetKey) -> str | None:
        """The data version observed for `key` (None if it reported none)."""
        name = AssetKey.from_coercible(key).to_user_string()
        if name not in self.observations:
            raise UpstreamError(
                f"asset {name!r} was not observed; observed: {', '.join(self.observations)}"
            )
        return self.observations[name].data_version

    def get_asset_observation_events(self) -> list[Observation]:
        """Every observation recorded, in the order they were made (Dagster's name)."""
        return list(self.observations.values())

    def __repr__(self) -> str:
        observed, failed = list(self.observations), list(self.errors)
        return f"ObserveExecutionResult(observed={observed}, failed={failed})"


def observable_keys(
    definitions: Definitions, selection: str | Sequence[str] | None
) -> list[AssetKey]:
    """The observable source assets `selection` names (None: all). SelectionError when it
    names none, saying why."""
    observable = [
        node.key for node in definitions.graph.nodes if node.execution_type == "observation"
    ]
    if selection is None:
        if not observable:
            raise SelectionError(
                "there is nothing to observe: no @observable_source_asset in these definitions"
            )
        return observable
    chosen = set(select(definitions.graph, selection))
    keys = [key for key in observable if key in chosen]
    if not keys:
        raise SelectionError(
            f"selection {selection!r} names no observable source asset; only assets made "
            "with @observable_source_asset (or SourceAsset(observe_fn=...)) can be observed"
        )
    return keys


def _as_observation(key: AssetKey, value: Any) -> Observation:
    name = key.to_user_string()
    if isinstance(value, DataVersion):
        version: str | None = value.value
        metadata: Mapping[str, Any] = {}
    elif isinstance(value, ObserveResult):
        if value.asset_key is not None and AssetKey.from_coercible(value.asset_key) != key:
            raise UpstreamError(
                f"the observe function of {name!r} returned an ObserveResult for "
                f"{AssetKey.from_coercible(value.asset_key).to_user_string()!r}; "
                "leave asset_key out or name this asset"
            )
        version = value.data_version.value if value.data_version is not None else None
        metadata = value.metadata
    else:
        raise UpstreamError(
            f"the observe function of {name!r} returned {type(value).__name__}; "
            "return a DataVersion or an ObserveResult"
        )
    return Observation(name, uuid.uuid4().hex, time.time(), version, normalize_metadata(metadata))


async def _observe_one(
    definitions: Definitions, key: AssetKey, logger: StepLogger, run: RunResources, run_id: str
) -> Observation:
    external = definitions.get_external(key)
    fn = external.observe_fn
    assert fn is not None  # observable_keys chose only observable ones
    needed = [*external.resource_params, *sorted(external.required_resource_keys)]
    resources = await anyio.to_thread.run_sync(run.setup, needed)  # set up once, as a run's
    kwargs = {name: resources[name] for name in external.resource_params}
    args: tuple[Any, ...] = ()
    if external.takes_context:
        context = AssetExecutionContext(
            run_id=run_id, asset_key=key, log=logger, resources=resources
        )
        args = (context,)
    if inspect.iscoroutinefunction(fn):
        value = await fn(*args, **kwargs)
    else:
        value = await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))
    return _as_observation(key, value)


async def run_observations(
    definitions: Definitions,
    keys: Sequence[AssetKey],
    *,
    storage: RunStorage,
    exceptions: dict[str, BaseException] | None = None,
) -> ObserveExecutionResult:
    """Observe `keys` one after another and record the observations in `storage` together.
    A failing observe function is reported in the result (its exception kept in
    `exceptions`), never raised; the others are still observed."""
    observations: dict[str, Observation] = {}
    errors: dict[str, ErrorInfo] = {}
    logs: dict[str, list[LogLine]] = {}
    run_id = uuid.uuid4().hex
    run = RunResources(definitions.resources, run_id=run_id)  # EnvVars read, set up once
    try:
        for key in keys:
            name = key.to_user_string()
            logger = StepLogger()
            try:
                observations[name] = await _observe_one(definitions, key, logger, run, run_id)
            except Exception as exc:
                errors[name] = ErrorInfo(type(exc).__name__, str(exc), user_traceback(exc))
                if exceptions is not None:
                    exceptions[name] = exc
            logs[name] = logger.lines
    finally:
        await anyio.to_thread.run_sync(run.close)
    await storage.record_observations(list(observations.values()))
    return ObserveExecutionResult(observations, errors, logs)


def observe(
    assets: Definitions | Sequence[AssetsDefinition | AssetSpec | SourceAsset],
    *,
    resources: Mapping[str, Any] | None = None,
    raise_on_error: bool = True,
    selection: str | Sequence[str] | None = None,
) -> ObserveExecutionResult:
    """Observe the observable source assets among `assets` in this process, as Dagster's
    `observe` does; return each one's data version and metadata.

    Observations are kept in a throwaway store, as `materialize()` keeps runs; `upstream
    observe` records them in the project's state. With `raise_on_error` the first failing
    observe function's own exception is raised after the others have run.
    """
    if isinstance(assets, Definitions):
        definitions = assets
        if resources:
            definitions = Definitions(assets.all_assets, {**assets.resources, **resources})
    else:
        definitions = Definitions(assets, resources)
    keys = observable_keys(definitions, selection)
    exceptions: dict[str, BaseException] = {}

    async def go() -> ObserveExecutionResult:
        async with await open_sqlite_storage(":memory:") as storage:
            return await run_observations(definitions, keys, storage=storage, exceptions=exceptions)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        result = anyio.run(go)
    else:  # inside a running loop (a notebook): on a helper thread, as materialize() does
        caller = contextvars.copy_context()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            result = pool.submit(caller.run, lambda: anyio.run(go)).result()
    if raise_on_error and exceptions:
        raise next(iter(exceptions.values()))
    return result
