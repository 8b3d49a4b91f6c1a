"""Dagster's function-style resources: `@resource`, `@io_manager`, and the context they get.

A `ResourceDefinition` is a recipe, not a value: the value is made once per run per
process by `execution.resources`, which calls the function with an `InitResourceContext`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, overload

from upstream.model.context import Resources, StepLog
from upstream.model.errors import DefinitionsError

__all__ = [
    "IOManagerDefinition",
    "InitResourceContext",
    "ResourceDefinition",
    "build_init_resource_context",
    "io_manager",
    "resource",
]


class InitResourceContext:
    """What a resource is set up with: its config, the resources it depends on, a logger
    and the run id (None outside a run, e.g. `build_resources`)."""

    def __init__(
        self,
        *,
        resource_config: Any = None,
        resources: Mapping[str, Any] | None = None,
        log: StepLog | None = None,
        run_id: str | None = None,
        resource_def: Any = None,
    ) -> None:
        self.resource_config = resource_config
        self.resources = Resources(resources or {})
        self.log: StepLog = log if log is not None else logging.getLogger("upstream.resources")
        self.run_id = run_id
        self.resource_def = resource_def
        self.instance = None  # no DagsterInstance equivalent yet

    def __repr__(self) -> str:
        return f"InitResourceContext(run_id={self.run_id!r}, resources={self.resources!r})"


def build_init_resource_context(
    config: Any = None, resources: Mapping[str, Any] | None = None
) -> InitResourceContext:
    """Dagster's test helper: a context for calling a resource function directly."""
    return InitResourceContext(resource_config=config, resources=resources)


class ResourceDefinition:
    """A resource made by a function of its `InitResourceContext` (Dagster's `@resource`).

    The function returns the value, or yields it once and cleans up after the yield (run
    when the run's resources are torn down). `config_schema` is a type or a dict of field
    name -> type; the config comes from `.configured(...)` or the run config.
    """

    def __init__(
        self,
        resource_fn: Callable[..., Any],
        config_schema: Any = None,
        description: str | None = None,
        required_resource_keys: Iterable[str] | None = None,
    ) -> None:
        if not callable(resource_fn):
            raise DefinitionsError(f"ResourceDefinition takes a function; got {resource_fn!r}")
        self.resource_fn = resource_fn
        self.config_schema = config_schema
        self.description = description if description is not None else resource_fn.__doc__
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.configured_config: Any = None
        self.is_configured = False

    @property
    def name(self) -> str:
        return getattr(self.resource_fn, "__name__", "resource")

    @property
    def takes_context(self) -> bool:
        return bool(inspect.signature(self.resource_fn).parameters)

    def configured(self, config: Any) -> ResourceDefinition:
        """A copy whose config is `config` (the run config may no longer change it)."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.configured_config = config
        copy.is_configured = True
        return copy

    @staticmethod
    def hardcoded_resource(value: Any, description: str | None = None) -> ResourceDefinition:
        """A resource whose value is `value`."""
        return ResourceDefinition(lambda _context: value, description=description)

    @staticmethod
    def none_resource(description: str | None = None) -> ResourceDefinition:
        return ResourceDefinition.hardcoded_resource(None, description)

    def __call__(self, context: InitResourceContext | None = None) -> Any:
        """Direct invocation, as Dagster allows in tests: the function's return value."""
        if not self.takes_context:
            return self.resource_fn()
        return self.resource_fn(context or build_init_resource_context())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class IOManagerDefinition(ResourceDefinition):
    """A `ResourceDefinition` whose value is an `IOManager` (Dagster's `@io_manager`)."""


@overload
def resource(fn: Callable[..., Any], /) -> ResourceDefinition: ...


@overload
def resource(
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
) -> Callable[[Callable[..., Any]], ResourceDefinition]: ...


def resource(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
) -> ResourceDefinition | Callable[[Callable[..., Any]], ResourceDefinition]:
    """Define a resource by a function of `init_context` (bare or with keywords)."""

    def decorate(f: Callable[..., Any]) -> ResourceDefinition:
        return ResourceDefinition(f, config_schema, description, required_resource_keys)

    return decorate(fn) if fn is not None else decorate


@overload
def io_manager(fn: Callable[..., Any], /) -> IOManagerDefinition: ...


@overload
def io_manager(
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
) -> Callable[[Callable[..., Any]], IOManagerDefinition]: ...


def io_manager(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    config_schema: Any = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
) -> IOManagerDefinition | Callable[[Callable[..., Any]], IOManagerDefinition]:
    """Define an IO manager by a function of `init_context` that returns an `IOManager`."""

    def decorate(f: Callable[..., Any]) -> IOManagerDefinition:
        return IOManagerDefinition(f, config_schema, description, required_resource_keys)

    return decorate(fn) if fn is not None else decorate
