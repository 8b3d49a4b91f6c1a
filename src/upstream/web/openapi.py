"""The API's OpenAPI 3.1 document: every operation with its parameters, body and response
shapes, complete enough for a client generator or a fuzzer (schemathesis, in the tests) to
call each one. What the fields mean is in docs/web-api.md; the limits in `web.limits`."""

from __future__ import annotations

from typing import Any

from upstream.runs.backfills import PARTITION_STATUSES
from upstream.storage.backfills import BackfillStatus
from upstream.storage.records import RunStatus, StepStatus
from upstream.web.limits import INT64_MAX, MAX_RUN_ID, MAX_SELECTION

__all__ = ["OPERATIONS", "openapi_document"]

Schema = dict[str, Any]


def _maybe(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(**properties: Schema) -> Schema:
    return {"type": "object", "required": list(properties), "properties": properties}


def _list(item: Schema) -> Schema:
    return {"type": "array", "items": item}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


_STR, _NUM, _INT = {"type": "string"}, {"type": "number"}, {"type": "integer"}
_OBJ: Schema = {"type": "object"}
# Run tags, as Dagster's: string keys to string values.
_TAGS: Schema = {"type": "object", "additionalProperties": _STR}
_ASSET_STATUS: Schema = {"enum": ["never", "materialized", "failed", "running"]}
# A run's partition target: a key, or an inclusive range (null: unpartitioned).
_PARTITION: Schema = {"anyOf": [{"type": "string", "minLength": 1}, _object(start=_STR, end=_STR)]}
_PARTITION_STATUSES = ("materialized", "failed", "in_progress", "missing")

_SCHEMAS: dict[str, Schema] = {
    "Error": _object(error=_STR),
    "Materialization": _object(run_id=_STR, timestamp=_NUM, duration=_maybe(_NUM), metadata=_OBJ),
    "Observation": _object(
        asset_key=_STR,
        observation_id=_STR,
        timestamp=_NUM,
        data_version=_maybe(_STR),
        metadata=_OBJ,
    ),
    "Asset": _object(
        key=_STR,
        group=_STR,
        code_location=_STR,
        description=_maybe(_STR),
        kinds=_list(_STR),
        owners=_list(_STR),
        tags=_OBJ,
        upstreams=_list(_STR),
        external_deps=_list(_STR),
        downstreams=_list(_STR),
        status=_ASSET_STATUS,
        last_materialization=_maybe(_ref("Materialization")),
        last_run_id=_maybe(_STR),
        execution_type={"enum": ["materialization", "observation", "unexecutable"]},
        is_external={"type": "boolean"},
        last_observation=_maybe(_ref("Observation")),
        step_key=_STR,
    ),
    "Run": _object(
        run_id=_STR,
        status={"enum": [s.value for s in RunStatus]},
        selection=_STR,
        step_count=_INT,
        code_location=_STR,
        definitions_hash=_STR,
        created_at=_NUM,
        ended_at=_maybe(_NUM),
        duration=_maybe(_NUM),
        run_config=_OBJ,
        tags=_TAGS,
        partition=_maybe(_PARTITION),
    ),
    "Step": _object(
        step_key=_STR,
        attempt=_INT,
        status={"enum": [s.value for s in StepStatus]},
        queued_at=_maybe(_NUM),
        started_at=_maybe(_NUM),
        ended_at=_maybe(_NUM),
        duration=_maybe(_NUM),
        worker_id=_maybe(_STR),
        error=_maybe(_object(type=_STR, message=_STR, traceback=_STR)),
        skip_reason=_maybe(_STR),
        metadata=_OBJ,
        assets=_list(_STR),
    ),
    "Backfill": _object(
        backfill_id=_STR,
        status={"enum": [s.value for s in BackfillStatus]},
        selection=_STR,
        partitions=_OBJ,
        partitions_text=_STR,
        code_location=_STR,
        definitions_hash=_STR,
        created_at=_NUM,
        ended_at=_maybe(_NUM),
        tags=_TAGS,
        message=_maybe(_STR),
        runs={"type": "object", "additionalProperties": _INT},
    ),
    "Info": _object(
        mode={"enum": ["dev", "web"]},
        version=_STR,
        trace_url=_maybe(_STR),
        code_locations=_list(
            _object(
                name=_STR,
                definitions_hash=_maybe(_STR),
                asset_count=_INT,
                load_error=_maybe(_STR),
                loaded_at=_maybe(_NUM),
            )
        ),
    ),
}

_BOX = {"x": _NUM, "y": _NUM, "w": _NUM, "h": _NUM}
_BODIES: dict[str, Schema] = {
    "info": _ref("Info"),
    "graph": _object(
        definitions_hash=_STR,
        width=_NUM,
        height=_NUM,
        nodes=_list(
            _object(key=_STR, group=_STR, code_location=_STR, external={"type": "boolean"}, **_BOX)
        ),
        edges=_list({**_list(_INT), "minItems": 2, "maxItems": 2}),
        groups=_list(_object(name=_STR, **_BOX)),
    ),
    "status": _object(
        definitions_hash=_STR,
        assets={
            "type": "object",
            "additionalProperties": _object(
                status=_ASSET_STATUS, at=_maybe(_NUM), run_id=_maybe(_STR)
            ),
        },
        active_runs=_INT,
    ),
    "keys": _object(keys=_list(_STR)),
    "selection": _object(
        keys=_list(_STR),
        partitions=_maybe(
            _object(
                definition=_STR,
                assets=_list(_STR),
                count=_INT,
                first=_maybe(_STR),
                last=_maybe(_STR),
                keys=_maybe(_list(_STR)),
            )
        ),
        partitions_error=_maybe(_STR),
    ),
    "assets": _list(_ref("Asset")),
    "asset": {
        "allOf": [
            _ref("Asset"),
            _object(definition_metadata=_OBJ, code_version=_STR, partitions_def=_maybe(_STR)),
        ]
    },
    "materializations": _list(_ref("Materialization")),
    "observations": _list(_ref("Observation")),
    "runs": _list(_ref("Run")),
    "run": {"allOf": [_ref("Run"), _object(steps=_list(_ref("Step")), trace_url=_maybe(_STR))]},
    "events": _list(_object(id=_INT, step_key=_maybe(_STR), timestamp=_NUM, type=_STR, data=_OBJ)),
    "run_ids": _object(run_ids=_list(_STR)),
    "canceled": _object(status=_STR),
    "backfills": _list(_ref("Backfill")),
    "backfill": {
        "allOf": [
            _ref("Backfill"),
            _object(
                units_total=_INT,
                units_done=_INT,
                partition_counts={"type": "object", "additionalProperties": _INT},
                partitions_status={
                    "type": "object",
                    "additionalProperties": {"enum": list(PARTITION_STATUSES)},
                },
                units=_list(
                    _object(
                        id=_STR,
                        selection=_STR,
                        partition_range=_maybe({**_list(_STR), "minItems": 2, "maxItems": 2}),
                        status={"enum": list(PARTITION_STATUSES)},
                        run_id=_maybe(_STR),
                    )
                ),
            ),
        ]
    },
    "backfill_id": _object(backfill_id=_STR),
    "partitions": _object(
        asset_key=_STR,
        partitions_def=_STR,
        total=_INT,
        counts=_object(**{status: _INT for status in _PARTITION_STATUSES}),
        segments=_list(
            _object(status={"enum": list(_PARTITION_STATUSES)}, start=_STR, end=_STR, count=_INT)
        ),
        runs_in_progress=_list(_STR),
    ),
    "dynamic_keys": _object(name=_STR, keys=_list(_STR)),
    "dynamic_added": _object(name=_STR, added=_list(_STR)),
    "dynamic_deleted": _object(name=_STR, deleted=_list(_STR), missing=_list(_STR)),
    "openapi": _object(openapi=_STR, info=_OBJ, paths=_OBJ),
}


def _param(name: str, where: str, schema: Schema, *, required: bool = False) -> Schema:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


_RUN_ID = _param("run_id", "path", {"type": "string", "minLength": 1, "maxLength": MAX_RUN_ID})
_KEY = _param("key", "path", {"type": "string", "minLength": 1})
_CSRF = _param("X-Upstream-CSRF", "header", {"enum": ["1"]}, required=True)
_COUNT = {"type": "integer", "minimum": 0, "maximum": INT64_MAX}
_LIMIT = _param("limit", "query", _COUNT)
_SELECTION = {"type": "string", "minLength": 1, "maxLength": MAX_SELECTION}
_BACKFILL_ID = _param("backfill_id", "path", {"type": "string", "minLength": 1, "maxLength": 64})
_PARTITIONS: Schema = {
    "oneOf": [
        _object(range={**_list(_STR), "minItems": 2, "maxItems": 2}),
        _object(keys={**_list(_STR), "minItems": 1}),
        _object(all={"const": True}),
    ]
}
_NAME = _param("name", "path", {"type": "string", "minLength": 1, "maxLength": 200})
_PARTITION_KEY = {"type": "string", "minLength": 1, "maxLength": 200}
_PARTITION_KEYS = _object(keys={**_list(_PARTITION_KEY), "minItems": 1, "maxItems": 10_000})


def _op(
    summary: str,
    body: str,
    params: list[Schema] | None = None,
    *,
    success: str = "200",
    request: Schema | None = None,
    cached: bool = False,
) -> Schema:
    json_error = {"application/json": {"schema": _ref("Error")}}
    json_body = {"application/json": {"schema": _BODIES[body]}}
    responses: dict[str, Schema] = {
        success: {"description": summary, "content": json_body},
        "4XX": {"description": "bad input, no such thing, or refused", "content": json_error},
        "503": {"description": "the state store is unavailable", "content": json_error},
    }
    if cached:
        responses["304"] = {"description": "unchanged since the ETag sent as If-None-Match"}
    operation: Schema = {"summary": summary, "parameters": params or [], "responses": responses}
    if request is not None:
        operation["parameters"] = [*operation["parameters"], _CSRF]
        operation["requestBody"] = {
            "required": False,  # none is `{}`
            "content": {"application/json": {"schema": request}},
        }
    return operation


OPERATIONS: dict[str, dict[str, Schema]] = {
    "/api/info": {"get": _op("the mode, version and code locations", "info")},
    "/api/graph": {"get": _op("the asset graph, laid out", "graph", cached=True)},
    "/api/status": {
        "get": _op(
            "each asset's live status",
            "status",
            [_param("key", "query", _list(_STR))],
            cached=True,
        )
    },
    "/api/selection": {
        "get": _op(
            "the keys a selection matches, and the partitions a run of them takes",
            "selection",
            [_param("q", "query", _SELECTION, required=True)],
        )
    },
    "/api/assets": {"get": _op("every asset (the catalog)", "assets")},
    "/api/assets/{key}": {"get": _op("one asset", "asset", [_KEY])},
    "/api/assets/{key}/materializations": {
        "get": _op("an asset's materializations, newest first", "materializations", [_KEY, _LIMIT])
    },
    "/api/assets/{key}/observations": {
        "get": _op("an asset's observations, newest first", "observations", [_KEY, _LIMIT])
    },
    "/api/assets/{key}/partitions": {
        "get": _op(
            "an asset's partitions: counts and status segments in key order", "partitions", [_KEY]
        )
    },
    "/api/partitions/{name}": {
        "get": _op(
            "a dynamic partitions definition's keys, in added order", "dynamic_keys", [_NAME]
        ),
        "post": _op(
            "add keys to a dynamic partitions definition",
            "dynamic_added",
            [_NAME],
            request=_PARTITION_KEYS,
        ),
        "delete": _op(
            "delete keys of a dynamic partitions definition",
            "dynamic_deleted",
            [_NAME],
            request=_PARTITION_KEYS,
        ),
    },
    "/api/runs": {
        "get": _op(
            "runs, newest first",
            "runs",
            [_param("status", "query", {"enum": [s.value for s in RunStatus]}), _LIMIT],
        ),
        "post": _op(
            "launch a run of a selection",
            "run_ids",
            success="201",
            request={
                **_object(selection=_SELECTION),
                "properties": {
                    "selection": _SELECTION,
                    "run_config": _OBJ,
                    "tags": _TAGS,
                    "partition": _maybe(_PARTITION),
                },
            },
        ),
    },
    "/api/runs/{run_id}": {"get": _op("one run with its steps", "run", [_RUN_ID])},
    "/api/runs/{run_id}/events": {
        "get": _op(
            "a run's events after an event id",
            "events",
            [_RUN_ID, _param("after", "query", _COUNT), _LIMIT],
        )
    },
    "/api/runs/{run_id}/reexecute": {
        "post": _op(
            "run a run's steps again",
            "run_ids",
            [_RUN_ID],
            success="201",
            request={"type": "object", "properties": {"from_failure": {"type": "boolean"}}},
        )
    },
    "/api/runs/{run_id}/cancel": {"post": _op("cancel a run", "canceled", [_RUN_ID], request=_OBJ)},
    "/api/backfills": {
        "get": _op("backfills, newest first, with their runs by status", "backfills", [_LIMIT]),
        "post": _op(
            "launch a backfill of a selection over partitions",
            "backfill_id",
            success="201",
            request={
                **_object(selection=_SELECTION, partitions=_PARTITIONS),
                "properties": {
                    "selection": _SELECTION,
                    "partitions": _PARTITIONS,
                    "tags": _TAGS,
                },
            },
        ),
    },
    "/api/backfills/{backfill_id}": {
        "get": _op("one backfill: per-unit and per-partition status", "backfill", [_BACKFILL_ID])
    },
    "/api/backfills/{backfill_id}/cancel": {
        "post": _op("cancel a backfill", "canceled", [_BACKFILL_ID], request=_OBJ)
    },
    "/api/reload": {"post": _op("import the code location again", "info", request=_OBJ)},
    "/api/openapi.json": {"get": _op("this document", "openapi")},
}


def openapi_document(version: str) -> Schema:
    """The document served at /api/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "upstream", "version": version},
        "paths": OPERATIONS,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},  # when UPSTREAM_WEB_TOKEN is set
            },
        },
    }
