"""Run one asset: load its inputs through IO managers, call it, store its output.

A user's exception becomes a failed `StepResult` (type, message, traceback); it never
escapes, so a service loop keeps serving whatever user code does.
"""

from __future__ import annotations

import contextlib
import inspect
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from opentelemetry import trace

from upstream.execution.outputs import Produced, collect_outputs
from upstream.execution.records import ErrorInfo, LogLine, StepResult
from upstream.execution.selected import output_names, selected_keys
from upstream.execution.threads import StepThreads
from upstream.model.asset import AssetsDefinition, MaterializeResult
from upstream.model.config import build_config, op_config
from upstream.model.context import AssetExecutionContext
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.external import ExternalAsset
from upstream.model.io_manager import (
    DEFAULT_IO_MANAGER_KEY,
    InputContext,
    IOManager,
    OutputContext,
)
from upstream.model.keys import AssetKey
from upstream.model.logs import step_log
from upstream.model.metadata import normalize_metadata
from upstream.model.multi_asset import MultiAssetsDefinition
from upstream.model.nothing import returns_nothing
from upstream.model.outputs import Output
from upstream.model.partition_context import AssetPartitions, step_partitions
from upstream.model.partitions import DynamicPartitionsStore, PartitionKeyRange
from upstream.planning.run_config import config_key

__all__ = ["InputLoadError", "StepLogger", "execute_step"]

# The API only: without a configured SDK these spans are no-ops. Children of the worker's
# `execute <asset>` span: where a step's time goes.
_tracer = trace.get_tracer("upstream.execution")


def _tracing() -> bool:
    """True once a tracer provider is installed. Asked once per step, not per span: the
    lookup reads the environment each time (three per step were ~4% of a no-op step)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def _span(name: str, tracing: bool) -> AbstractContextManager[object]:
    """A child span when tracing; nothing at all otherwise."""
    return _tracer.start_as_current_span(name) if tracing else contextlib.nullcontext()


# Frames from these directories lead up to the user's code; a traceback starts after them.
_PLUMBING = (str(Path(__file__).resolve().parents[1]), str(Path(anyio.__file__).resolve().parent))


def user_traceback(exc: BaseException) -> str:
    """The traceback from the user's first frame on, without upstream's and anyio's plumbing."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PLUMBING):
        tb = tb.tb_next
    trimmed = exc.__traceback__ if tb is None else tb  # all plumbing: keep everything
    return "".join(traceback.format_exception(type(exc), exc, trimmed))


class InputLoadError(UpstreamError):
    """An upstream value could not be loaded; says which parameter and how to fix it."""


class StepLogger:
    """`context.log`: keeps each line for the run's event log, and forwards it to `sink`."""

    def __init__(self, sink: Callable[[LogLine], None] | None = None) -> None:
        self.lines: list[LogLine] = []
        self._sink = sink

    def _add(self, level: str, msg: str, args: tuple[Any, ...]) -> None:
        text = msg % args if args else str(msg)
        line = LogLine(time.time(), level, text)
        self.lines.append(line)
        if self._sink is not None:
            self._sink(line)

    def debug(self, msg: str, *args: Any) -> None:
        self._add("debug", msg, args)

    def info(self, msg: str, *args: Any) -> None:
        self._add("info", msg, args)

    def warning(self, msg: str, *args: Any) -> None:
        self._add("warning", msg, args)

    def error(self, msg: str, *args: Any) -> None:
        self._add("error", msg, args)

    def exception(self, msg: str, *args: Any) -> None:
        self._add("error", f"{msg}\n{traceback.format_exc()}", args)


def io_manager_for(
    definitions: Definitions,
    asset: AssetsDefinition | ExternalAsset,
    default: IOManager,
    key: AssetKey | None = None,
    resources: Mapping[str, Any] | None = None,
) -> IOManager:
    """The IO manager of `key` (default: the asset's own key): its `io_manager_key`
    resource, or the executor's default. A multi-asset's assets may each have their own;
    an external asset's is the one its downstreams load it with. `resources`: the run's
    set-up resources, if given."""
    if key is None or not isinstance(asset, AssetsDefinition):
        io_key = asset.io_manager_key
    else:
        io_key = asset.io_manager_key_for(key)
    manager = (definitions.resources if resources is None else resources).get(io_key)
    if manager is None and io_key == DEFAULT_IO_MANAGER_KEY:
        return default
    if not isinstance(manager, IOManager):  # Definitions validated this; be explicit anyway
        raise TypeError(f"resource {io_key!r} is not an IOManager")
    return manager


def _definition_of(definitions: Definitions, key: AssetKey) -> AssetsDefinition | ExternalAsset:
    if definitions.is_external(key):
        return definitions.get_external(key)
    return definitions.get_asset(key)


async def _call_io(manager: IOManager, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, a method of `manager`: inline if the manager says it is cheap and never
    blocks (`runs_inline`), else in a thread."""
    if getattr(manager, "runs_inline", False):
        return fn(*args)
    return await anyio.to_thread.run_sync(fn, *args)


_Input = tuple[str, AssetKey, IOManager, InputContext]  # parameter, upstream, manager, context
# A step's metadata, and None for one plain asset; else ({}, metadata per asset key made).
Outcome = tuple[dict[str, Any], dict[str, dict[str, Any]] | None]


def _input_error(
    definitions: Definitions, parameter: str, upstream: AssetKey, key: AssetKey, exc: Exception
) -> InputLoadError:
    up = upstream.to_user_string()
    if definitions.is_external(upstream):
        manager = definitions.get_external(upstream).io_manager_key
        fix = (
            f"it is an external asset, produced outside upstream: make sure IO manager "
            f"{manager!r} can load it, or depend on it with deps=[{up!r}] instead"
        )
    elif returns_nothing(definitions.get_asset(upstream).fn):
        fix = (
            f"{up!r} is annotated -> None, so its IO manager stored nothing; depend on it "
            f"with @asset(deps=[{up!r}]) and drop the parameter"
        )
    elif definitions.graph.node(upstream).partitions_def not in (
        None,
        definitions.graph.node(key).partitions_def,
    ):
        fix = (
            f"{up!r} is partitioned differently, so it cannot run in this run: materialize "
            f"those partitions of {up!r} first (a run of each, or `upstream backfill launch`)"
        )
    else:
        fix = f"to compute it in this run, select '+{key.to_user_string()}'"
    return InputLoadError(
        f"could not load input {parameter!r} (asset {up!r}) for {key.to_user_string()!r}: "
        f"{exc}; {fix}"
    )


class _Step:
    """One materialization's pieces. A sync asset's whole step (inputs, call, output) runs
    in one thread call: a hop per IO manager call as well cost more than a no-op asset."""

    def __init__(
        self,
        definitions: Definitions,
        step: AssetKey | str,
        run_id: str,
        attempt: int,
        default_io: IOManager,
        logger: StepLogger,
        tracing: bool,
        assets: Sequence[str] = (),
        resources: Mapping[str, Any] | None = None,
        run_config: Mapping[str, Any] | None = None,
        partition: PartitionKeyRange | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> None:
        self.definitions, self.run_id = definitions, run_id
        self.run_config = run_config
        self.attempt, self.default_io, self.logger = attempt, default_io, logger
        self.tracing = tracing
        if isinstance(step, AssetKey):
            self.key, self.asset = step, definitions.get_asset(step)
        else:  # a multi-asset's op name (or an asset key's string)
            self.asset = definitions.get_step(step)
            self.key = self.asset.key
        self.selected = selected_keys(self.asset, assets)
        # One plain asset that must materialize: a bare return value is the whole story.
        self.simple = self.asset.op_name is None and self.asset.output_required
        self._in_metadata = {p.parameter: p.metadata for p in self.asset.inputs if p.metadata}
        self.context: AssetExecutionContext | None = None
        self.resources = definitions.resources if resources is None else resources
        self.node = config_key(self.asset)  # whose entry of run config's `ops` it reads
        self.partitions = (
            step_partitions(
                definitions.graph,
                self.asset.keys,
                definitions.input_keys(self.key),
                partition,
                label=self.asset.op_name or self.key.to_user_string(),
                dynamic_partitions_store=dynamic_partitions_store,
            )
            if definitions.has_partitions
            else None
        )
        # the step's own partition (None: unpartitioned; a target on such a step is ignored)
        self.partition = self.partitions.target if self.partitions is not None else None

    def _made(self, key: AssetKey) -> AssetPartitions | None:
        """The partitions of `key` this step writes (None: not partitioned)."""
        return self.partitions.outputs.get(key) if self.partitions is not None else None

    def inputs(self) -> list[_Input]:
        out: list[_Input] = []
        read = self.partitions.inputs if self.partitions is not None else {}
        for parameter, upstream in self.definitions.input_keys(self.key).items():
            source = _definition_of(self.definitions, upstream)
            upstream_partitions = read.get(parameter)
            if upstream_partitions is not None and not upstream_partitions.keys:
                raise self._no_upstream_partitions(parameter, upstream)
            context = InputContext(
                asset_key=upstream,
                downstream_key=self.key,
                parameter=parameter,
                run_id=self.run_id,
                definition_metadata=self._in_metadata.get(parameter, {}),
                upstream_output=OutputContext(
                    asset_key=upstream,
                    run_id=self.run_id,
                    definition_metadata=source.metadata,
                    log=self.logger,
                    asset_partitions=upstream_partitions,
                ),
                log=self.logger,
                run_partition=self.partition,
                asset_partitions=upstream_partitions,
            )
            out.append(
                (
                    parameter,
                    upstream,
                    io_manager_for(
                        self.definitions, source, self.default_io, upstream, self.resources
                    ),
                    context,
                )
            )
        return out

    def _no_upstream_partitions(self, parameter: str, upstream: AssetKey) -> InputLoadError:
        """A mapping that gives no upstream partition for this step's partitions: Dagster
        fails such a step ("depends on invalid partitions") rather than load nothing."""
        mapping = self.definitions.graph.partition_mapping(self.key, upstream)
        target = self.partition
        covered = (
            "this unpartitioned step"
            if target is None
            else f"partition {target.start!r}"
            if target.start == target.end
            else f"partitions {target.start!r} to {target.end!r}"
        )
        return InputLoadError(
            f"input {parameter!r} of {self.key.to_user_string()!r}: {mapping!r} maps "
            f"{covered} to no partition of {upstream.to_user_string()!r}; give the input a "
            "partition mapping that reaches existing upstream partitions"
        )

    def arguments(self, kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        resources = self.resources
        for name in self.definitions.resource_params(self.key):
            kwargs[name] = resources[name]
        config = None
        if self.asset.takes_config:  # validated against this process's own Config class
            config = kwargs["config"] = build_config(
                self.asset.config_type, self.run_config, self.node
            )
        if not self.asset.takes_context:
            return (), kwargs
        self.context = AssetExecutionContext(
            run_id=self.run_id,
            asset_key=self.key,
            log=self.logger,
            resources=resources,
            attempt=self.attempt,
            selected_asset_keys=frozenset(self.selected),
            selected_output_names=output_names(self.asset, self.selected),
            output_keys=(
                {o.output_name: o.key for o in self.asset.outputs}
                if isinstance(self.asset, MultiAssetsDefinition)
                else None
            ),
            op_config=op_config(config, self.run_config, self.node),
            partitions=self.partitions,
        )
        return (self.context,), kwargs

    def outputs(self, handed: Any, yielded: bool) -> list[Produced]:
        """What a function that is not `simple` produced, per asset (`collect_outputs`)."""
        by_output = self.context.metadata_by_output if self.context else {}
        return collect_outputs(self.asset, self.selected, handed, yielded, by_output)

    def store(self, made: Produced) -> tuple[IOManager, OutputContext] | None:
        """Where `made`'s value goes (None: nothing to store)."""
        if not made.store:
            return None
        manager = io_manager_for(
            self.definitions, self.asset, self.default_io, made.key, self.resources
        )
        definition = (
            self.asset.output(made.key).metadata
            if isinstance(self.asset, MultiAssetsDefinition)
            else self.asset.metadata
        )
        context = OutputContext(
            asset_key=made.key,
            run_id=self.run_id,
            definition_metadata=definition,
            log=self.logger,
            step_key=self.asset.op_name or self.key.to_user_string(),
            run_partition=self.partition,
            asset_partitions=self._made(made.key),
        )
        return manager, context

    def output(
        self, value: Any
    ) -> tuple[dict[str, Any], tuple[IOManager, OutputContext, Any] | None]:
        """The metadata so far, and what to store (None: a MaterializeResult without value)."""
        metadata: dict[str, Any] = dict(self.context.output_metadata) if self.context else {}
        if isinstance(value, Output):
            metadata.update(value.metadata)
            value = value.value
        elif isinstance(value, MaterializeResult):
            metadata.update(value.metadata)
            if value.value is None:
                return metadata, None
            value = value.value
        if returns_nothing(self.asset.fn):  # Dagster's Nothing output: handle_output skipped
            if value is not None:
                raise TypeError(
                    f"asset {self.key.to_user_string()!r} is annotated -> None but returned "
                    f"a {type(value).__name__}; drop the annotation to store the value"
                )
            return metadata, None
        manager = io_manager_for(
            self.definitions, self.asset, self.default_io, resources=self.resources
        )
        output = OutputContext(
            asset_key=self.key,
            run_id=self.run_id,
            definition_metadata=self.asset.metadata,
            log=self.logger,
            step_key=self.key.to_user_string(),
            run_partition=self.partition,
            asset_partitions=self._made(self.key),
        )
        return metadata, (manager, output, value)

    def run_sync(self) -> Outcome:
        """The step of a sync asset, in the calling thread; returns its metadata."""
        kwargs: dict[str, Any] = {}
        with _span("load inputs", self.tracing):
            for parameter, upstream, manager, context in self.inputs():
                try:
                    kwargs[parameter] = manager.load_input(context)
                except Exception as exc:
                    raise _input_error(
                        self.definitions, parameter, upstream, self.key, exc
                    ) from exc
        args, kwargs = self.arguments(kwargs)
        with _span("compute", self.tracing), step_log(self.logger):
            value = self.asset.fn(*args, **kwargs)
            yielded = inspect.isgenerator(value)
            if yielded:
                value = list(value)
        if yielded or not self.simple:
            return self.several_sync(value, yielded)
        metadata, store = self.output(value)
        if store is not None:
            manager, output, value = store
            with _span("store output", self.tracing):
                manager.handle_output(output, value)
            metadata.update(output.output_metadata)
        return metadata, None

    def several_sync(self, handed: Any, yielded: bool) -> Outcome:
        """Store each asset a not-`simple` function produced; the metadata per asset."""
        recorded: dict[str, dict[str, Any]] = {}
        for made in self.outputs(handed, yielded):
            target = self.store(made)
            if target is not None:
                manager, output = target
                with _span("store output", self.tracing):
                    manager.handle_output(output, made.value)
                made.metadata.update(output.output_metadata)
            recorded[made.key.to_user_string()] = made.metadata
        return {}, recorded

    async def several_async(self, handed: Any, yielded: bool) -> Outcome:
        recorded: dict[str, dict[str, Any]] = {}
        for made in self.outputs(handed, yielded):
            target = self.store(made)
            if target is not None:
                manager, output = target
                with _span("store output", self.tracing):
                    await _call_io(manager, manager.handle_output, output, made.value)
                made.metadata.update(output.output_metadata)
            recorded[made.key.to_user_string()] = made.metadata
        return {}, recorded

    async def run_async(self) -> Outcome:
        """The step of an async asset, on the loop; IO managers that may block in threads."""
        kwargs: dict[str, Any] = {}
        with _span("load inputs", self.tracing):
            for parameter, upstream, manager, context in self.inputs():
                try:
                    kwargs[parameter] = await _call_io(manager, manager.load_input, context)
                except Exception as exc:
                    raise _input_error(
                        self.definitions, parameter, upstream, self.key, exc
                    ) from exc
        args, kwargs = self.arguments(kwargs)
        with _span("compute", self.tracing), step_log(self.logger):
            called = self.asset.fn(*args, **kwargs)
            yielded = inspect.isasyncgen(called)
            value = [item async for item in called] if yielded else await called
        if yielded or not self.simple:
            return await self.several_async(value, yielded)
        metadata, store = self.output(value)
        if store is not None:
            manager, output, value = store
            with _span("store output", self.tracing):
                await _call_io(manager, manager.handle_output, output, value)
            metadata.update(output.output_metadata)
        return metadata, None


def with_logged(
    key: AssetKey,
    metadata: dict[str, Any],
    outputs: dict[str, dict[str, Any]] | None,
    context: AssetExecutionContext,
) -> dict[str, dict[str, Any]]:
    """The step's materializations per asset key, plus those logged with `log_event`
    (metadata merged where one names an asset the step also made)."""
    made = {key.to_user_string(): metadata} if outputs is None else dict(outputs)
    for event in context.logged_materializations:
        name = event.asset_key.to_user_string()
        made[name] = {**made.get(name, {}), **event.metadata}
    return made


async def execute_step(
    definitions: Definitions,
    key: AssetKey | str,
    *,
    assets: Sequence[str] = (),
    run_id: str,
    attempt: int = 1,
    default_io_manager: IOManager,
    log_sink: Callable[[LogLine], None] | None = None,
    threads: StepThreads | None = None,
    resources: Mapping[str, Any] | None = None,
    run_config: Mapping[str, Any] | None = None,
    partition: PartitionKeyRange | None = None,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
) -> StepResult:
    """Materialize `key` once: an asset key, or a step key (a multi-asset's op name, of
    which `assets` may select some keys; empty: all). Never raises for user errors;
    returns a failed result.

    A sync asset's step runs in one of `threads` (a worker's pool), else via
    `anyio.to_thread`. `resources` are the run's set-up resources (by default the
    definitions' objects as they are); `run_config` (normalised) holds the asset's op
    config, if any. `partition` is the run's partition key (`start == end`) or range: a
    step of partitioned assets covers it (its context and IO contexts say so, and its
    inputs load the upstream partitions the edges' mappings give); a step of unpartitioned
    assets ignores it. `dynamic_partitions_store` answers for dynamic partitions."""
    started = time.time()
    logger = StepLogger(log_sink)
    try:
        step = _Step(
            definitions,
            key,
            run_id,
            attempt,
            default_io_manager,
            logger,
            _tracing(),
            assets,
            resources,
            run_config,
            partition,
            dynamic_partitions_store,
        )
        if step.asset.is_async:
            metadata, outputs = await step.run_async()
        elif threads is not None:
            metadata, outputs = await threads.run(step.run_sync)
        else:
            metadata, outputs = await anyio.to_thread.run_sync(step.run_sync)
        if step.context is not None and step.context.logged_materializations:
            outputs = with_logged(step.key, metadata, outputs, step.context)
        return StepResult(
            success=True,
            started_at=started,
            ended_at=time.time(),
            metadata=normalize_metadata(metadata),
            logs=logger.lines,
            outputs=None
            if outputs is None
            else {key: normalize_metadata(found) for key, found in outputs.items()},
        )
    except Exception as exc:
        return StepResult(
            success=False,
            started_at=started,
            ended_at=time.time(),
            error=ErrorInfo(
                type=type(exc).__name__,
                message=str(exc),
                traceback=user_traceback(exc),
            ),
            logs=logger.lines,
            exception=exc,
        )
