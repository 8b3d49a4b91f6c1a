"""Metadata values recorded with a materialization, normalised to JSON-safe typed entries."""

from __future__ import annotations

import builtins
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from upstream.model.errors import InvalidMetadata
from upstream.model.keys import AssetKey
from upstream.model.metadata_tables import TableRecord, TableSchema

__all__ = ["MetadataValue", "normalize_metadata"]

_JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class MetadataValue:
    """One typed metadata entry; the type tells the UI how to show it (a link, a number...)."""

    # "int" | "float" | "text" | "url" | "path" | "bool" | "json" | "md" | "null" | "table" |
    # "table_schema" | "timestamp" | "asset" | "notebook" | "dagster_run" | "python_artifact"
    type: str
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

    @staticmethod
    def bool(value: builtins.bool) -> MetadataValue:
        return MetadataValue("bool", builtins.bool(value))

    @staticmethod
    def null() -> MetadataValue:
        return MetadataValue("null", None)

    @staticmethod
    def notebook(path: str | os.PathLike[str]) -> MetadataValue:
        """A notebook's path; the UI shows it as a path with a notebook badge."""
        return MetadataValue("notebook", os.fspath(path))

    @staticmethod
    def timestamp(value: builtins.float | datetime) -> MetadataValue:
        """A point in time, stored as UNIX seconds; a datetime must carry a time zone."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise InvalidMetadata(
                    "datetime values provided to MetadataValue.timestamp must have timezones, "
                    f"but {value.isoformat()} does not; e.g. datetime.now(timezone.utc)"
                )
            return MetadataValue("timestamp", value.timestamp())
        if isinstance(value, builtins.bool) or not isinstance(value, builtins.int | builtins.float):
            raise InvalidMetadata(
                f"MetadataValue.timestamp expects a float or a datetime, got {value!r}"
            )
        return MetadataValue("timestamp", builtins.float(value))

    @staticmethod
    def asset(asset_key: AssetKey) -> MetadataValue:
        """A link to another asset's page."""
        if not isinstance(asset_key, AssetKey):
            raise InvalidMetadata(f"MetadataValue.asset expects an AssetKey, got {asset_key!r}")
        return MetadataValue("asset", asset_key.to_user_string())

    @staticmethod
    def dagster_run(run_id: str) -> MetadataValue:
        """A link to a run's page (Dagster's name; `MetadataValue.run` is the same)."""
        return MetadataValue("dagster_run", str(run_id))

    @staticmethod
    def run(run_id: str) -> MetadataValue:
        """A link to a run's page."""
        return MetadataValue.dagster_run(run_id)

    @staticmethod
    def python_artifact(python_artifact: Callable[..., Any]) -> MetadataValue:
        """A class or function, recorded as its module and name."""
        if not callable(python_artifact):
            raise InvalidMetadata(
                f"MetadataValue.python_artifact expects a class or function, got "
                f"{python_artifact!r}"
            )
        module = getattr(python_artifact, "__module__", "?")
        name = getattr(python_artifact, "__name__", repr(python_artifact))
        return MetadataValue("python_artifact", {"module": module, "name": name})

    @staticmethod
    def table(records: Sequence[TableRecord], schema: TableSchema | None = None) -> MetadataValue:
        """Rows (and optionally their schema); the UI shows a table."""
        rows = list(records)
        if not all(isinstance(r, TableRecord) for r in rows):
            raise InvalidMetadata("MetadataValue.table expects a list of TableRecord")
        if schema is not None and not isinstance(schema, TableSchema):
            raise InvalidMetadata("MetadataValue.table: schema must be a TableSchema")
        return MetadataValue(
            "table",
            {
                "records": [r.to_dict() for r in rows],
                "schema": schema.to_dict() if schema is not None else None,
            },
        )

    @staticmethod
    def table_schema(schema: TableSchema) -> MetadataValue:
        """Columns, types and constraints; the UI shows them as a table."""
        if not isinstance(schema, TableSchema):
            raise InvalidMetadata(
                f"MetadataValue.table_schema expects a TableSchema, got {schema!r}"
            )
        return MetadataValue("table_schema", schema.to_dict())

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
    if isinstance(value, AssetKey):
        return MetadataValue.asset(value)
    if isinstance(value, TableSchema):
        return MetadataValue.table_schema(value)
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
