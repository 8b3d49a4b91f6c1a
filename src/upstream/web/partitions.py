"""The partitions API: an asset's partition status as counts and run-length encoded
segments (10,000 keys of a few statuses are a few KB), and a dynamic partitions
definition's keys, read, added and deleted (docs/web-api.md)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from upstream.runs.partitions import asset_partitions
from upstream.web.errors import BadRequest, error
from upstream.web.view import GraphView
from upstream.web.workspace import Workspace

__all__ = ["MAX_KEYS", "MAX_NAME", "partition_routes"]

MAX_NAME = 200  # characters of a dynamic partitions definition's name or of a key
MAX_KEYS = 10_000  # keys per add or delete request


def _name(request: Request) -> str:
    name = str(request.path_params["name"])
    if not 0 < len(name) <= MAX_NAME or not name.isprintable():
        raise BadRequest(
            f"a partitions definition's name is printable text of 1 to {MAX_NAME} characters"
        )
    return name


def _keys(body: dict[str, Any]) -> list[str]:
    keys = body.get("keys")
    if not isinstance(keys, list) or not keys or len(keys) > MAX_KEYS:
        raise BadRequest(f'give {{"keys": ["<key>", ...]}}: 1 to {MAX_KEYS} partition keys')
    for key in keys:
        if not isinstance(key, str) or not 0 < len(key) <= MAX_NAME or not key.isprintable():
            raise BadRequest(
                f"a partition key is printable text of 1 to {MAX_NAME} characters, not {key!r:.60}"
            )
    return keys


def partition_routes(
    workspace: Workspace,
    view: Callable[[], Awaitable[GraphView]],
    body: Callable[[Request], Awaitable[dict[str, Any]]],
) -> list[Route]:
    """The routes, around the app's workspace, its current graph view and its JSON body
    reader; `/api/assets/{key}/partitions` must come before `/api/assets/{key}`."""

    async def asset(request: Request) -> Response:
        key = request.path_params["key"].strip("/")
        current = await view()
        node = current.node(key)
        if node is None:
            return error(404, f"no asset {key!r}; see /api/assets")
        if node.partitions_def is None:
            return error(400, f"asset {key!r} is not partitioned; it has no partitions")
        found = await asset_partitions(workspace.storage, current.graph, node.key)
        return JSONResponse(found.to_dict())

    async def keys(request: Request) -> Response:
        name = _name(request)
        return JSONResponse(
            {"name": name, "keys": await workspace.storage.get_dynamic_partitions(name)}
        )

    async def add(request: Request) -> Response:
        name = _name(request)
        wanted = _keys(await body(request))
        added = await workspace.storage.add_dynamic_partitions(name, wanted)
        return JSONResponse({"name": name, "added": added})

    async def delete(request: Request) -> Response:
        name = _name(request)
        wanted = list(dict.fromkeys(_keys(await body(request))))
        deleted = [k for k in wanted if await workspace.storage.delete_dynamic_partition(name, k)]
        missing = [k for k in wanted if k not in set(deleted)]
        return JSONResponse({"name": name, "deleted": deleted, "missing": missing})

    return [
        Route("/api/assets/{key:path}/partitions", asset),
        Route("/api/partitions/{name}", keys),
        Route("/api/partitions/{name}", add, methods=["POST"]),
        Route("/api/partitions/{name}", delete, methods=["DELETE"]),
    ]
