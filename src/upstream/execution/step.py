"""Run one asset: load its inputs through IO managers, call it, store its output.

A user's exception becomes a failed `StepResult` (type, message, traceback); it never
escapes, so a service loop keeps serving whatever user code does.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from opentelemetry import trace

from upstream.execution.records import ErrorInfo, LogLine, StepResult
from upstream.execution.threads import StepThreads
from upstream.model.asset import AssetsDefinition, MaterializeResult
from upstream.model.config import build_config, op_config
from upstream.model.context import AssetExecutionContext
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.io_manager import (
    DEFAULT_IO_MANAGER_KEY,
    InputContext,
    IOManager,
    OutputContext,
)
from upstream.model.keys import AssetKey
from upstream.model.metadata import normalize_metadata

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
    definitions: Definitions, asset: AssetsDefinition, default: IOManager
) -> IOManager:
    """The asset's IO manager: its `io_manager_key` resource, or the executor's default."""
    manager = definitions.resources.get(asset.io_manager_key)
    if manager is None and asset.io_manager_key == DEFAULT_IO_MANAGER_KEY:
        return default
    if not isinstance(manager, IOManager):  # Definitions validated this; be explicit anyway
        raise TypeError(f"resource {asset.io_manager_key!r} is not an IOManager")
    return manager


async def _call_io(manager: IOManager, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)`, a method of `manager`: inline if the manager says it is cheap and never
    blocks (`runs_inline`), else in a thread."""
    if getattr(manager, "runs_inline", False):
        return fn(*args)
    return await anyio.to_thread.run_sync(fn, *args)


_Input = tuple[str, AssetKey, IOManager, InputContext]  # parameter, upstream, manager, context


def _input_error(
    parameter: str, upstream: AssetKey, key: AssetKey, exc: Exception
) -> InputLoadError:
    return InputLoadError(
        f"could not load input {parameter!r} (asset {upstream.to_user_string()!r}) "
        f"for {key.to_user_string()!r}: {exc}; to compute it in this run, select "
        f"'+{key.to_user_string()}'"
    )


class _Step:
    """One materialization's pieces. A sync asset's whole step (inputs, call, output) runs
    in one thread call: a hop per IO manager call as well cost more than a no-op asset."""

    def __init__(
        self,
        definitions: Definitions,
        key: AssetKey,
        run_id: str,
        attempt: int,
        default_io: IOManager,
        logger: StepLogger,
        tracing: bool,
        run_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.definitions, self.key, self.run_id = definitions, key, run_id
        self.run_config = run_config
        self.attempt, self.default_io, self.logger = attempt, default_io, logger
        self.tracing = tracing
        self.asset = definitions.get_asset(key)
        self.context: AssetExecutionContext | None = None

    def inputs(self) -> list[_Input]:
        return [
            (
                parameter,
                upstream,
                io_manager_for(
                    self.definitions, self.definitions.get_asset(upstream), self.default_io
                ),
                InputContext(
                    asset_key=upstream,
                    downstream_key=self.key,
                    parameter=parameter,
                    run_id=self.run_id,
                ),
            )
            for parameter, upstream in self.definitions.input_keys(self.key).items()
        ]

    def arguments(self, kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        resources: Mapping[str, Any] = self.definitions.resources
        for name in self.definitions.resource_params(self.key):
            kwargs[name] = resources[name]
        config = None
        if self.asset.takes_config:  # validated against this process's own Config class
            config = kwargs["config"] = build_config(
                self.asset.config_type, self.run_config, self.key
            )
        if not self.asset.takes_context:
            return (), kwargs
        self.context = AssetExecutionContext(
            run_id=self.run_id,
            asset_key=self.key,
            log=self.logger,
            resources=resources,
            attempt=self.attempt,
            op_config=op_config(config, self.run_config, self.key),
        )
        return (self.context,), kwargs

    def output(
        self, value: Any
    ) -> tuple[dict[str, Any], tuple[IOManager, OutputContext, Any] | None]:
        """The metadata so far, and what to store (None: a MaterializeResult without value)."""
        metadata: dict[str, Any] = dict(self.context.output_metadata) if self.context else {}
        if isinstance(value, MaterializeResult):
            metadata.update(value.metadata)
            if value.value is None:
                return metadata, None
            value = value.value
        manager = io_manager_for(self.definitions, self.asset, self.default_io)
        output = OutputContext(
            asset_key=self.key, run_id=self.run_id, definition_metadata=self.asset.metadata
        )
        return metadata, (manager, output, value)

    def run_sync(self) -> dict[str, Any]:
        """The step of a sync asset, in the calling thread; returns its metadata."""
        kwargs: dict[str, Any] = {}
        with _span("load inputs", self.tracing):
            for parameter, upstream, manager, context in self.inputs():
                try:
                    kwargs[parameter] = manager.load_input(context)
                except Exception as exc:
                    raise _input_error(parameter, upstream, self.key, exc) from exc
        args, kwargs = self.arguments(kwargs)
        with _span("compute", self.tracing):
            value = self.asset.fn(*args, **kwargs)
        metadata, store = self.output(value)
        if store is not None:
            manager, output, value = store
            with _span("store output", self.tracing):
                manager.handle_output(output, value)
            metadata.update(output.metadata)
        return metadata

    async def run_async(self) -> dict[str, Any]:
        """The step of an async asset, on the loop; IO managers that may block in threads."""
        kwargs: dict[str, Any] = {}
        with _span("load inputs", self.tracing):
            for parameter, upstream, manager, context in self.inputs():
                try:
                    kwargs[parameter] = await _call_io(manager, manager.load_input, context)
                except Exception as exc:
                    raise _input_error(parameter, upstream, self.key, exc) from exc
        args, kwargs = self.arguments(kwargs)
        with _span("compute", self.tracing):
            value = await self.asset.fn(*args, **kwargs)
        metadata, store = self.output(value)
        if store is not None:
            manager, output, value = store
            with _span("store output", self.tracing):
                await _call_io(manager, manager.handle_output, output, value)
            metadata.update(output.metadata)
        return metadata


async def execute_step(
    definitions: Definitions,
    key: AssetKey,
    *,
    run_id: str,
    attempt: int = 1,
    default_io_manager: IOManager,
    log_sink: Callable[[LogLine], None] | None = None,
    threads: StepThreads | None = None,
    run_config: Mapping[str, Any] | None = None,
) -> StepResult:
    """Materialize `key` once. Never raises for user errors; returns a failed result.

    A sync asset's step runs in one of `threads` (a worker's pool), else via
    `anyio.to_thread`. `run_config` (normalised) holds the asset's op config, if any."""
    started = time.time()
    logger = StepLogger(log_sink)
    try:
        step = _Step(
            definitions, key, run_id, attempt, default_io_manager, logger, _tracing(), run_config
        )
        if step.asset.is_async:
            metadata = await step.run_async()
        elif threads is not None:
            metadata = await threads.run(step.run_sync)
        else:
            metadata = await anyio.to_thread.run_sync(step.run_sync)
        return StepResult(
            success=True,
            started_at=started,
            ended_at=time.time(),
            metadata=normalize_metadata(metadata),
            logs=logger.lines,
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
