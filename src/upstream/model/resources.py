"""Resources: shared objects (clients, IO managers) injected into assets by parameter name."""

from __future__ import annotations

import inspect
import typing
from typing import Annotated, Any, TypeVar

__all__ = ["ConfigurableResource", "ResourceParam", "is_resource_annotation"]

T = TypeVar("T")


class ConfigurableResource:
    """Base class for resources. A parameter annotated with a subclass is injected, never loaded.

    Subclasses are plain classes (dataclasses welcome); upstream only needs the type to tell a
    resource parameter from an upstream asset.
    """


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
        from upstream.model.io_manager import IOManager

        return issubclass(annotation, ConfigurableResource | IOManager)
    return False
