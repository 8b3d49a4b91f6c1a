"""A run's resources in this process: set up on first use, in dependency order, torn down
in reverse, once.

Configuration is taken as it stands in the definitions, with the run config's `resources`
part (`{"db": {"config": {...}}}`) on top; `EnvVar`s are read here, in the process that
runs the steps. `check_resources_config` is the same validation without reading the
environment or setting anything up, for use before a run is submitted.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Generator, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import anyio.from_thread
from pydantic import TypeAdapter, ValidationError, create_model

from upstream.model.configurable import (
    ConfigurableResourceFactory,
    PartialResource,
    describe_validation_error,
)
from upstream.model.context import Resources, StepLog
from upstream.model.definitions import Definitions
from upstream.model.env import EnvVar, IntEnvVar, is_env_var
from upstream.model.errors import ConfigurationError, did_you_mean
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY, IOManager
from upstream.model.keys import AssetKey
from upstream.model.resource_definition import (
    InitResourceContext,
    IOManagerDefinition,
    ResourceDefinition,
)

__all__ = [
    "RunResources",
    "build_resources",
    "check_resources_config",
    "open_run_resources",
    "step_resource_keys",
]


def _is_resource(value: Any) -> bool:
    """A value with a set-up step of its own (as opposed to a plain object used as is)."""
    return isinstance(value, ConfigurableResourceFactory | PartialResource | ResourceDefinition)


def _as_env(value: Any) -> Any:
    """Dagster's YAML form `{"env": "NAME"}` is an `EnvVar("NAME")`."""
    if isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("env"), str):
        return EnvVar(value["env"])
    return value


def _read_env(var: EnvVar | IntEnvVar, label: str, field: str) -> Any:
    name = var.env_var_name
    text = os.environ.get(name)
    if text is None:
        raise ConfigurationError(
            f"resource {label!r}: field {field!r} reads environment variable {name!r}, "
            "which is not set in the process running the steps; set it there (for a "
            "cluster, in each worker's environment)"
        )
    if isinstance(var, IntEnvVar):
        try:
            return int(text)
        except ValueError:
            raise ConfigurationError(
                f"resource {label!r}: field {field!r} reads {name!r} with EnvVar.int, "
                "but its value is not an integer"
            ) from None
    return text


def _launch_config(key: str | None, resources_config: Mapping[str, Any]) -> dict[str, Any]:
    """The run config's fields for resource `key`: `{"config": {...}}` or a resource object."""
    if key is None or key not in resources_config:
        return {}
    entry = resources_config[key]
    if isinstance(entry, ConfigurableResourceFactory):
        return {name: entry.__dict__[name] for name in type(entry).model_fields}
    if isinstance(entry, Mapping) and set(entry) <= {"config"}:
        config = entry.get("config") or {}
        if isinstance(config, Mapping):
            return dict(config)
    raise ConfigurationError(
        f"run config for resource {key!r} must look like {{'config': {{field: value}}}}; "
        f"got {entry!r}"
    )


class _Resolver:
    """Walks resources and their dependencies. With `run` set, it reads the environment and
    sets each up on `stack`; without, it only validates (`check_resources_config`)."""

    def __init__(
        self,
        resources: Mapping[str, Any],
        resources_config: Mapping[str, Any],
        *,
        run: bool,
        stack: ExitStack | None = None,
        run_id: str | None = None,
        log: StepLog | None = None,
    ) -> None:
        self.resources = dict(resources)
        self.config = dict(resources_config)
        self.run, self.stack, self.run_id, self.log = run, stack, run_id, log
        self.instances: dict[str, Any] = {}
        self._key_of = {id(value): key for key, value in self.resources.items()}
        self._made: dict[int, Any] = {}  # id(resource object) -> its set-up value
        self._keep: list[Any] = []  # the objects behind those ids, kept alive
        self._making: list[str] = []

    def get(self, key: str) -> Any:
        if key in self.instances:
            return self.instances[key]
        if key not in self.resources:
            hint = did_you_mean(key, self.resources) or f"provided: {sorted(self.resources)}"
            raise ConfigurationError(f"no resource {key!r}; {hint}")
        if key in self._making:
            circle = " -> ".join([*self._making[self._making.index(key) :], key])
            raise ConfigurationError(f"resources depend on each other in a circle: {circle}")
        self._making.append(key)
        try:
            value = self.instances[key] = self._make(self.resources[key], key, key)
        finally:
            self._making.pop()
        return value

    def _make(self, value: Any, key: str | None, label: str) -> Any:
        if key is None and id(value) in self._key_of:  # the same object as a top-level one
            return self.get(self._key_of[id(value)])
        if id(value) in self._made:
            return self._made[id(value)]
        if isinstance(value, ConfigurableResourceFactory):
            fields = {name: value.__dict__[name] for name in type(value).model_fields}
            made = self._configurable(type(value), fields, key, label)
        elif isinstance(value, PartialResource):
            made = self._configurable(value.resource_cls, value.data, key, label)
        elif isinstance(value, ResourceDefinition):
            made = self._legacy(value, key, label)
        else:
            made = value  # a plain object (an IOManager, a client): used as it is
        self._made[id(value)] = made
        self._keep.append(value)
        return made

    def _configurable(
        self,
        cls: type[ConfigurableResourceFactory],
        data: Mapping[str, Any],
        key: str | None,
        label: str,
    ) -> Any:
        values = {**data, **_launch_config(key, self.config)}
        resolved: dict[str, Any] = {}
        dependencies: dict[str, Any] = {}
        env: dict[str, Any] = {}
        for name, raw in values.items():
            item = _as_env(raw)
            if _is_resource(item):
                made = self._make(item, None, f"{label}.{name}")
                dependencies[name] = made
                resolved[name] = made if self.run else item
            elif is_env_var(item):
                env[name] = item
                resolved[name] = _read_env(item, label, name) if self.run else item
            else:
                resolved[name] = item
        try:
            instance = cls.model_validate(resolved)
        except ValidationError as exc:
            errors = [e for e in exc.errors() if self.run or not (e["loc"] and e["loc"][0] in env)]
            if errors:
                raise ConfigurationError(
                    f"resource {label!r} ({cls.__name__}): {describe_validation_error(exc)}"
                    + _launch_hint(key, exc)
                ) from None
            return None
        if not self.run or self.stack is None:
            return instance
        instance._upstream_env = env  # the repr shows these fields' EnvVar, not the value
        config = {n: v for n, v in resolved.items() if n not in dependencies}
        context = self._context(config, dependencies, instance)
        instance._upstream_context = context
        return self._enter(instance.yield_for_execution(context), label)

    def _enter(self, manager: Any, label: str) -> Any:
        """Enter `manager` on the stack; an async one (`@asynccontextmanager`) on the
        event loop this thread was started from, as async assets run there too."""
        assert self.stack is not None
        if hasattr(manager, "__enter__") or not hasattr(manager, "__aenter__"):
            return self.stack.enter_context(manager)
        try:
            value = anyio.from_thread.run(manager.__aenter__)
        except RuntimeError as exc:
            if "event loop" not in str(exc) and "worker thread" not in str(exc):
                raise
            raise ConfigurationError(
                f"resource {label!r} has an async yield_for_execution, which needs a run "
                "(materialize or a worker); it cannot be set up here"
            ) from None
        self.stack.callback(anyio.from_thread.run, manager.__aexit__, None, None, None)
        return value

    def _legacy(self, definition: ResourceDefinition, key: str | None, label: str) -> Any:
        if definition.is_configured:
            config = definition.configured_config
        elif key is not None and key in self.config:
            entry = self.config[key]
            if not isinstance(entry, Mapping) or not set(entry) <= {"config"}:
                raise ConfigurationError(
                    f"run config for resource {key!r} must look like {{'config': ...}}; "
                    f"got {entry!r}"
                )
            config = entry.get("config")
        else:
            config = None
        config = _resolve_config(config, label, self.run)
        config = _validate_schema(definition.config_schema, config, label, self.run)
        dependencies = {name: self.get(name) for name in sorted(definition.required_resource_keys)}
        if not self.run or self.stack is None:
            return None
        context = self._context(config, dependencies, definition)
        result = (
            definition.resource_fn(context)
            if definition.takes_context
            else definition.resource_fn()
        )
        if inspect.isgenerator(result):
            result = self.stack.enter_context(_generated(result, label))
        if isinstance(definition, IOManagerDefinition) and not isinstance(result, IOManager):
            raise ConfigurationError(
                f"IO manager {label!r}: its @io_manager function returned "
                f"{type(result).__name__}, not an upstream.IOManager"
            )
        return result

    def _context(self, config: Any, dependencies: Mapping[str, Any], owner: Any) -> Any:
        return InitResourceContext(
            resource_config=config,
            resources=dependencies,
            log=self.log,
            run_id=self.run_id,
            resource_def=owner,
        )


def _launch_hint(key: str | None, exc: ValidationError) -> str:
    missing = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing" and e["loc"]]
    if key is None or not missing:
        return ""
    example = f"{{'resources': {{{key!r}: {{'config': {{{missing[0]!r}: ...}}}}}}}}"
    return f"; give it in the run config: {example}"


def _resolve_config(config: Any, label: str, run: bool, field: str = "") -> Any:
    """`config` with its `EnvVar`s (and `{"env": NAME}`) read when `run`, kept otherwise."""
    config = _as_env(config)
    if is_env_var(config):
        return _read_env(config, label, field or "config") if run else config
    if isinstance(config, Mapping):
        return {
            name: _resolve_config(value, label, run, f"{field}.{name}" if field else str(name))
            for name, value in config.items()
        }
    if isinstance(config, list):
        return [_resolve_config(value, label, run, field) for value in config]
    return config


def _validate_schema(schema: Any, config: Any, label: str, run: bool) -> Any:
    """`config` checked against a legacy `config_schema`: a type, or a dict of field -> type."""
    if schema is None:
        return config
    try:
        if isinstance(schema, Mapping):
            model = create_model(  # type: ignore[call-overload]
                "ResourceConfig", **{name: (kind, ...) for name, kind in schema.items()}
            )
            if not isinstance(config, Mapping):
                config = {} if config is None else config
            return model.model_validate(config).model_dump()
        return TypeAdapter(schema).validate_python(config)
    except ValidationError as exc:
        errors = [e for e in exc.errors() if run or not is_env_var(e.get("input"))]
        if not errors:
            return config
        raise ConfigurationError(
            f"resource {label!r}: config {describe_validation_error(exc)}"
        ) from None


@contextmanager
def _generated(generator: Generator[Any, Any, Any], label: str) -> Iterator[Any]:
    """A `@resource` generator: its one yielded value, then its cleanup."""
    value = next(generator)
    try:
        yield value
    finally:
        try:
            next(generator)
        except StopIteration:
            pass
        else:
            raise ConfigurationError(f"resource {label!r}: its function yields more than once")


class RunResources:
    """The resources of one run in one process. `setup(keys)` sets up what those keys need
    (dependencies first) the first time; `close()` tears down, last set up first, once."""

    def __init__(
        self,
        resources: Mapping[str, Any],
        resources_config: Mapping[str, Any] | None = None,
        *,
        run_id: str | None = None,
        log: StepLog | None = None,
    ) -> None:
        self._stack = ExitStack()
        self._resolver = _Resolver(
            resources, resources_config or {}, run=True, stack=self._stack, run_id=run_id, log=log
        )
        self.closed = False

    @property
    def instances(self) -> dict[str, Any]:
        """Every value set up so far, by key (kept after `close`, e.g. for an IO manager's
        values)."""
        return dict(self._resolver.instances)

    def ready(self, keys: Iterable[str]) -> dict[str, Any] | None:
        """The values of `keys` if all are set up already, else None (no setup here)."""
        made = self._resolver.instances
        try:
            return {key: made[key] for key in keys}
        except KeyError:
            return None

    def setup(self, keys: Iterable[str]) -> dict[str, Any]:
        if self.closed:
            raise ConfigurationError("these run resources were already torn down")
        return {key: self._resolver.get(key) for key in keys}

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stack.close()


@contextmanager
def open_run_resources(
    resources: Mapping[str, Any],
    resources_config: Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    log: StepLog | None = None,
) -> Iterator[RunResources]:
    """A run's resources for the block; torn down on leaving it, even on an error."""
    run = RunResources(resources, resources_config, run_id=run_id, log=log)
    try:
        yield run
    finally:
        run.close()


def check_resources_config(
    resources: Mapping[str, Any], resources_config: Mapping[str, Any] | None = None
) -> None:
    """Raise `ConfigurationError` (naming the resource and field) if the resources cannot be
    configured with `resources_config`; reads no environment variable, sets nothing up."""
    config = dict(resources_config or {})
    for key in config:
        if key not in resources:
            hint = did_you_mean(key, resources) or f"provided: {sorted(resources)}"
            raise ConfigurationError(
                f"the run config names resource {key!r}, which is not provided; {hint}"
            )
    resolver = _Resolver(resources, config, run=False)
    for key in resources:
        resolver.get(key)


@contextmanager
def build_resources(
    resources: Mapping[str, Any], resource_config: Mapping[str, Any] | None = None
) -> Iterator[Resources]:
    """Dagster's `build_resources`: set up every resource (outside a run), yield them by
    attribute, tear them down on leaving the block."""
    run = RunResources(resources, resource_config)
    try:
        yield Resources(run.setup(resources))
    finally:
        run.close()


def step_resource_keys(definitions: Definitions, key: AssetKey) -> list[str]:
    """The resources a step of `key` needs: its resource parameters and
    `required_resource_keys`, and the IO managers of its output and of its inputs."""
    asset = definitions.get_asset(key)
    needed = [*definitions.resource_params(key), *sorted(asset.required_resource_keys)]
    managers = [asset.io_manager_key_for(k) for k in asset.keys] + [
        definitions.io_manager_key_of(upstream) for upstream in definitions.input_keys(key).values()
    ]
    for manager in managers:
        if manager in definitions.resources or manager != DEFAULT_IO_MANAGER_KEY:
            needed.append(manager)
    return list(dict.fromkeys(needed))
