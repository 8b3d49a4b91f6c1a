"""Tabular metadata as Dagster has it: `TableRecord` rows, `TableSchema` of `TableColumn`s
with constraints. Each checks its fields when built and writes a JSON-safe `to_dict`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from upstream.model.errors import InvalidMetadata

__all__ = [
    "TableColumn",
    "TableColumnConstraints",
    "TableConstraints",
    "TableRecord",
    "TableSchema",
]

_CELL_TYPES = (str, int, float, bool, type(None))


def _strings(owner: str, name: str, values: Sequence[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InvalidMetadata(f"{owner}: {name} must be a list of strings, got {values!r}")
    return tuple(values)


class TableRecord:
    """One row: column name -> str, int, float, bool or None. `TableRecord({"a": 1})`, or
    Dagster's older keyword form `TableRecord(a=1)`."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[str, Any] | None = None, **fields: Any) -> None:
        merged = {**(data or {}), **fields}
        for key, value in merged.items():
            if not isinstance(key, str) or not isinstance(value, _CELL_TYPES):
                raise InvalidMetadata(
                    f"TableRecord field {key!r} is {type(value).__name__}; record fields must be "
                    "one of types: (str, float, int, bool) or None"
                )
        self.data: dict[str, Any] = merged

    def to_dict(self) -> dict[str, Any]:
        return {
            k: str(v) if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in self.data.items()
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableRecord) and other.data == self.data

    def __hash__(self) -> int:
        return hash(tuple(self.data.items()))

    def __repr__(self) -> str:
        return f"TableRecord({self.data!r})"


@dataclass(frozen=True)
class TableConstraints:
    """Table-level constraints, as free text (e.g. `"a > b"`)."""

    other: Sequence[str] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "other", _strings("TableConstraints", "other", self.other))

    def to_dict(self) -> dict[str, Any]:
        return {"other": list(self.other)}


@dataclass(frozen=True)
class TableColumnConstraints:
    """A column's constraints: nullable (default True), unique (default False), free text."""

    nullable: bool = True
    unique: bool = False
    other: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.nullable, bool) or not isinstance(self.unique, bool):
            raise InvalidMetadata("TableColumnConstraints: nullable and unique must be bools")
        object.__setattr__(self, "other", _strings("TableColumnConstraints", "other", self.other))

    def to_dict(self) -> dict[str, Any]:
        return {"nullable": self.nullable, "unique": self.unique, "other": list(self.other or ())}


@dataclass(frozen=True)
class TableColumn:
    """One column: a name, a type (any string, default `"string"`), a description,
    constraints and tags."""

    name: str
    type: str = "string"
    description: str | None = None
    constraints: TableColumnConstraints = field(default_factory=TableColumnConstraints)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not isinstance(self.type, str):
            raise InvalidMetadata(f"TableColumn {self.name!r}: name and type must be strings")
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableColumnConstraints())
        elif not isinstance(self.constraints, TableColumnConstraints):
            raise InvalidMetadata(
                f"TableColumn {self.name!r}: constraints must be a TableColumnConstraints"
            )
        tags = dict(self.tags or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
            raise InvalidMetadata(f"TableColumn {self.name!r}: tags must map strings to strings")
        object.__setattr__(self, "tags", tags)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "constraints": self.constraints.to_dict(),
            "tags": dict(self.tags),
        }


@dataclass(frozen=True)
class TableSchema:
    """The columns of a table and its table-level constraints."""

    columns: Sequence[TableColumn]
    constraints: TableConstraints = field(default_factory=TableConstraints)

    def __post_init__(self) -> None:
        columns = tuple(self.columns)
        if not all(isinstance(c, TableColumn) for c in columns):
            raise InvalidMetadata("TableSchema: columns must be TableColumn objects")
        object.__setattr__(self, "columns", columns)
        if self.constraints is None:
            object.__setattr__(self, "constraints", TableConstraints())

    @staticmethod
    def from_name_type_dict(name_type_dict: Mapping[str, str]) -> TableSchema:
        """`{"id": "int", "name": "string"}` -> a schema of those columns."""
        return TableSchema([TableColumn(name=n, type=t) for n, t in name_type_dict.items()])

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.to_dict() for c in self.columns],
            "constraints": self.constraints.to_dict(),
        }
