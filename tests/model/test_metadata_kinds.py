"""Dagster's richer MetadataValue kinds: table, table_schema, timestamp, asset, notebook,
dagster_run, python_artifact, null; each a JSON-safe entry the UI knows how to show."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from upstream import (
    AssetKey,
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableConstraints,
    TableRecord,
    TableSchema,
)
from upstream.model.errors import InvalidMetadata
from upstream.model.metadata import normalize_metadata

SCHEMA = TableSchema(
    columns=[
        TableColumn("id", "int", constraints=TableColumnConstraints(nullable=False, unique=True)),
        TableColumn("name", description="who", tags={"pii": "true"}),
    ],
    constraints=TableConstraints(other=["id > 0"]),
)


def _entry(value: Any) -> dict[str, Any]:
    entry = normalize_metadata({"x": value})["x"]
    json.dumps(entry)  # every entry is JSON-safe
    return entry


def test_a_table_keeps_its_rows_and_schema() -> None:
    entry = _entry(MetadataValue.table([TableRecord({"id": 1, "name": "a"})], SCHEMA))
    assert entry["type"] == "table"
    assert entry["value"]["records"] == [{"id": 1, "name": "a"}]
    columns = entry["value"]["schema"]["columns"]
    assert columns[0] == {
        "name": "id",
        "type": "int",
        "description": None,
        "constraints": {"nullable": False, "unique": True, "other": []},
        "tags": {},
    }
    assert columns[1]["type"] == "string"  # Dagster's default column type
    assert entry["value"]["schema"]["constraints"] == {"other": ["id > 0"]}


def test_a_table_without_schema_and_the_keyword_record_form() -> None:
    entry = _entry(MetadataValue.table([TableRecord(code="bad", row=2, ok=None)]))
    assert entry["value"] == {"records": [{"code": "bad", "row": 2, "ok": None}], "schema": None}


def test_record_fields_are_scalars() -> None:
    with pytest.raises(InvalidMetadata, match="record fields must be one of types"):
        TableRecord({"a": [1]})


def test_a_table_schema_alone_and_inferred() -> None:
    assert _entry(MetadataValue.table_schema(SCHEMA)) == _entry(SCHEMA)
    assert _entry(SCHEMA)["type"] == "table_schema"
    inferred = TableSchema.from_name_type_dict({"id": "int", "name": "string"})
    assert [c.name for c in inferred.columns] == ["id", "name"]


def test_timestamps_are_unix_seconds_and_need_a_time_zone() -> None:
    moment = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    assert _entry(MetadataValue.timestamp(moment)) == {
        "type": "timestamp",
        "value": moment.timestamp(),
    }
    assert _entry(MetadataValue.timestamp(1700000000.5))["value"] == 1700000000.5
    with pytest.raises(InvalidMetadata, match="must have timezones"):
        MetadataValue.timestamp(datetime(2024, 1, 1))


def test_asset_links_and_inferred_asset_keys() -> None:
    assert _entry(MetadataValue.asset(AssetKey(["sales", "orders"]))) == {
        "type": "asset",
        "value": "sales/orders",
    }
    assert _entry(AssetKey("raw"))["type"] == "asset"
    with pytest.raises(InvalidMetadata, match="expects an AssetKey"):
        MetadataValue.asset("raw")  # type: ignore[arg-type]


def test_runs_notebooks_artifacts_null_and_bool() -> None:
    assert _entry(MetadataValue.dagster_run("abc")) == {"type": "dagster_run", "value": "abc"}
    assert MetadataValue.run("abc") == MetadataValue.dagster_run("abc")
    assert _entry(MetadataValue.notebook("nb/a.ipynb")) == {
        "type": "notebook",
        "value": "nb/a.ipynb",
    }
    assert _entry(MetadataValue.python_artifact(TableSchema))["value"] == {
        "module": "upstream.model.metadata_tables",
        "name": "TableSchema",
    }
    assert _entry(MetadataValue.null()) == {"type": "null", "value": None}
    assert _entry(MetadataValue.bool(True)) == {"type": "bool", "value": True}
