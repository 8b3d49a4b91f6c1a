"""Resources: shared objects (clients, IO managers) injected into assets by parameter name."""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any, TypeVar

from upstream.model.configurable import (
    ConfigurableIOManagerFactory,
    ConfigurableResource,
    ConfigurableResourceFactory,
    PartialResource,
)
from upstream.model.io_manager import IOManager
from upstream.model.resource_definition import IOManagerDefinition

__all__ = [
    "ConfigurableResource",
    "ResourceParam",
    "is_resource_annotation",
    "provides_io_manager",
]

T = TypeVar("T")


class _ResourceMarker:
    def __repr__(self) -> str:
        return "ResourceParam"


_MARKER = _ResourceMarker()

# `ResourceParam[MyClient]` marks a parameter as a resource whatever its type, as in Dagster.
ResourceParam = Annotated[T, _MARKER]


def is_resource_annotation(annotation: Any) -> bool:
    """True for `ResourceParam[...]`, a `ConfigurableResource` subclass, or an IOManager."""
    if annotation is inspect.Parameter.empty:
        return False
    if typing.get_origin(annotation) is Annotated:
        return any(meta is _MARKER for meta in getattr(annotation, "__metadata__", ()))
    if isinstance(annotation, type):
        return issubclass(annotation, ConfigurableResourceFactory | IOManager)
    return False


def provides_io_manager(value: Any) -> bool:
    """True for what may stand under an IO manager key: an `IOManager`, an `@io_manager`,
    a `ConfigurableIOManagerFactory`, or one of those classes `.configure_at_launch()`."""
    if isinstance(value, PartialResource):
        return issubclass(value.resource_cls, ConfigurableIOManagerFactory | IOManager)
    return isinstance(value, IOManager | IOManagerDefinition | ConfigurableIOManagerFactory)
