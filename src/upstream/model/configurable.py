"""Pydantic resources, as Dagster's: `ConfigurableResource`, its IO manager kinds, and
`configure_at_launch()`.

A resource object is frozen configuration. The object an asset receives is a per-run
copy (environment variables read, nested resources set up) made by
`execution.resources`; `setup_for_execution` runs on that copy, never on this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    PrivateAttr,
    SkipValidation,
    ValidationError,
)
from pydantic._internal._model_construction import ModelMetaclass  # the public one's type
from pydantic_core import CoreSchema, core_schema

from upstream.model.env import is_env_var
from upstream.model.errors import ConfigurationError
from upstream.model.io_manager import IOManager
from upstream.model.resource_definition import InitResourceContext

__all__ = [
    "ConfigurableIOManager",
    "ConfigurableIOManagerFactory",
    "ConfigurableResource",
    "ConfigurableResourceFactory",
    "PartialResource",
    "ResourceDependency",
    "describe_validation_error",
]

T = TypeVar("T")

# A field holding a resource that is not a ConfigurableResource (a client, an `@resource`):
# taken as it is, set up first when it is a resource definition.
ResourceDependency = Annotated[T, SkipValidation]


def describe_validation_error(exc: ValidationError) -> str:
    """`field 'url': Field required; field 'port': ...`, naming each field (dotted if nested)."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(the whole value)"
        parts.append(f"field {where!r}: {error['msg']}")
    return "; ".join(parts)


class _ResourceMeta(ModelMetaclass):
    """`Db(url=...)` raises `ConfigurationError` naming the class and field, and keeps an
    `EnvVar` value as given. Here, not in `__init__`: pydantic calls an overridden `__init__`
    from `model_validate` too, where a run's resolved values are validated."""

    def __call__(cls, *args: Any, **data: Any) -> Any:
        try:
            instance = super().__call__(*args, **data)
        except ValidationError as exc:
            raise ConfigurationError(
                f"{cls.__name__}(...): {describe_validation_error(exc)}" + _env_hint(data, exc)
            ) from None
        for name, value in data.items():
            if is_env_var(value):  # pydantic kept a plain str/int; keep the EnvVar itself
                instance.__dict__[name] = value
        return instance


class ConfigurableResourceFactory(BaseModel, metaclass=_ResourceMeta):
    """A configured recipe for a resource value: `create_resource(context)` makes it."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, ignored_types=(cached_property,)
    )
    _upstream_env: dict[str, Any] = PrivateAttr(default_factory=dict)  # field -> its EnvVar
    _upstream_context: InitResourceContext | None = PrivateAttr(default=None)  # once set up

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """As a field's type, also accept `SomeResource.configure_at_launch()`."""
        schema = handler(source)

        def accept(value: Any, validate: Callable[[Any], Any]) -> Any:
            if isinstance(value, PartialResource) and issubclass(value.resource_cls, source):
                return value
            return validate(value)

        return core_schema.no_info_wrap_validator_function(accept, schema)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return
        raise ConfigurationError(
            f"{type(self).__name__} is a resource and frozen (as in Dagster): field {name!r} "
            "cannot be set; keep state in a private attribute (`_client: Any = PrivateAttr()`) "
            "set in setup_for_execution, or in a separate client object"
        )

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        env = self._upstream_env
        for name, value in super().__repr_args__():
            yield name, env.get(name, value) if name is not None else value

    def __class_getitem__(cls, item: Any) -> Any:
        """`ConfigurableResourceFactory[Client]`, as Dagster's is generic in its value."""
        return cls

    @classmethod
    def configure_at_launch(cls, **kwargs: Any) -> PartialResource:
        """This resource, its fields (those not in `kwargs`) given by the run config."""
        return PartialResource(cls, kwargs)

    def create_resource(self, context: InitResourceContext) -> Any:
        """The value assets receive."""
        raise NotImplementedError(f"{type(self).__name__} must define create_resource")

    def get_resource_context(self) -> InitResourceContext:
        """The context this (per-run) resource was set up with."""
        if self._upstream_context is None:
            raise ConfigurationError(
                f"{type(self).__name__} has no resource context: it is available on the "
                "object an asset receives during a run, not on the one in Definitions"
            )
        return self._upstream_context

    def with_init_resource_context(self, context: InitResourceContext) -> Self:
        """A copy bound to `context` (for tests: `get_resource_context()` returns it)."""
        copy = self.model_copy()
        copy._upstream_context = context
        return copy

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Called once per run per process, before the first step that uses the resource."""

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """Called once the run is done in this process (even if a step failed)."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[Any]:
        """Setup, the value, teardown; override it to wrap the value in a `with` block."""
        self.setup_for_execution(context)
        try:
            yield self.create_resource(context)
        finally:
            self.teardown_after_execution(context)


class ConfigurableResource(ConfigurableResourceFactory):
    """Dagster's `ConfigurableResource`: declare fields, `Db(url="...")`; an asset parameter
    annotated with the class receives the (per-run) object itself."""

    def create_resource(self, context: InitResourceContext) -> Self:
        return self


class ConfigurableIOManagerFactory(ConfigurableResourceFactory):
    """Config for an IO manager that `create_io_manager(context)` builds."""

    def create_io_manager(self, context: InitResourceContext) -> IOManager:
        raise NotImplementedError(f"{type(self).__name__} must define create_io_manager")

    def create_resource(self, context: InitResourceContext) -> IOManager:
        return self.create_io_manager(context)


class ConfigurableIOManager(ConfigurableIOManagerFactory, IOManager):
    """An IO manager with fields: define `handle_output` and `load_input`."""

    def create_io_manager(self, context: InitResourceContext) -> IOManager:
        return self


class PartialResource:
    """`Db.configure_at_launch()`: a resource whose missing fields come from the run config
    (`{"resources": {"db": {"config": {...}}}}`)."""

    def __init__(self, resource_cls: type[ConfigurableResourceFactory], data: Mapping[str, Any]):
        self.resource_cls = resource_cls
        self.data = dict(data)

    def __repr__(self) -> str:
        return f"{self.resource_cls.__name__}.configure_at_launch()"


def _env_hint(data: Mapping[str, Any], exc: ValidationError) -> str:
    """Why an `EnvVar` failed validation: an `int` field needs `EnvVar.int`."""
    failed = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
    names = [name for name in failed if isinstance(data.get(name), str) and is_env_var(data[name])]
    if not names:
        return ""
    return f" (field {names[0]!r} is not a str: read it with EnvVar.int(...) if it is an int)"
