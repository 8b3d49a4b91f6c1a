"""Metadata values recorded with a materialization, normalised to JSON-safe typed entries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from upstream.model.errors import InvalidMetadata

__all__ = ["MetadataValue", "normalize_metadata"]

_JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class MetadataValue:
    """One typed metadata entry; the type tells the UI how to show it (a link, a number...)."""

    type: str  # "int" | "float" | "text" | "url" | "path" | "bool" | "json" | "md" | "null"
    value: Any

    @staticmethod
    def int(value: int) -> MetadataValue:
        return MetadataValue("int", int(value))

    @staticmethod
    def float(value: float) -> MetadataValue:
        return MetadataValue("float", _json_safe(float(value)))  # NaN/inf become text

    @staticmethod
    def text(value: str) -> MetadataValue:
        return MetadataValue("text", str(value))

    @staticmethod
    def url(value: str) -> MetadataValue:
        return MetadataValue("url", str(value))

    @staticmethod
    def path(value: str) -> MetadataValue:
        return MetadataValue("path", str(value))

    @staticmethod
    def md(value: str) -> MetadataValue:
        return MetadataValue("md", str(value))

    @staticmethod
    def json(value: Any) -> MetadataValue:
        return MetadataValue("json", _json_safe(value))

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "value": self.value}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, _JSON_SCALARS):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return repr(value)


def _infer(value: Any) -> MetadataValue:
    if isinstance(value, MetadataValue):
        return value
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return MetadataValue("bool", bool(value))  # numpy's bool_ is no bool subclass
    if isinstance(value, int):
        return MetadataValue.int(value)
    if isinstance(value, float):
        return MetadataValue("float", _json_safe(value))
    if value is None:
        return MetadataValue("null", None)
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return MetadataValue.url(value)
        return MetadataValue.text(value)
    if hasattr(value, "__fspath__"):
        return MetadataValue.path(str(value))
    if isinstance(value, Mapping | list | tuple):
        return MetadataValue.json(value)
    # numpy scalars and the like: anything that converts cleanly to a number.
    for cast in (int, float):
        try:
            if cast(value) == value:
                return _infer(cast(value))
        except (TypeError, ValueError, OverflowError):
            continue
    return MetadataValue.text(repr(value))


def normalize_metadata(metadata: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Plain values become typed entries: 3 -> int, "https://..." -> url, {...} -> json."""
    if not metadata:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise InvalidMetadata(f"metadata keys must be strings, got {key!r}")
        out[key] = _infer(value).to_dict()
    return out
