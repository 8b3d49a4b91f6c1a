"""The backfills API (docs/web-api.md): list, show with per-partition status, launch, cancel.

Reading goes to the store; launching to the workspace (driven in `upstream dev`, by the
cluster's coordinator otherwise). The shapes are `web.backfill_schema`'s, as `--json`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from upstream.model.errors import UpstreamError
from upstream.model.partitions import PartitionKeyRange
from upstream.model.run_tags import check_run_tags
from upstream.planning.backfill import BackfillTarget
from upstream.planning.plan import materializable
from upstream.planning.selection import select
from upstream.runs.backfills import backfill_progress, cancel_backfill
from upstream.storage.backfills import BackfillRecord
from upstream.web.backfill_schema import backfill_detail_dict, backfill_dict
from upstream.web.errors import BadRequest, NotFound, error
from upstream.web.limits import check_selection, query_int
from upstream.web.pages import not_found_page, static_page
from upstream.web.view import GraphView
from upstream.web.workspace import NotSupported, Workspace

__all__ = ["BackfillApi"]

_MAX_ID = 64


class BackfillApi:
    """Handlers of /api/backfills and the backfill pages."""

    def __init__(
        self,
        workspace: Workspace,
        view: Callable[[], Awaitable[GraphView]],
        body: Callable[[Request], Awaitable[dict[str, Any]]],
    ) -> None:
        """`view`: the graph the app shows; `body`: the app's JSON body reader."""
        self.workspace = workspace
        self._view = view
        self._body = body

    async def page(self, request: Request) -> Response:
        backfill_id = request.path_params["backfill_id"]
        if (
            len(backfill_id) > _MAX_ID
            or await self.workspace.storage.get_backfill(backfill_id) is None
        ):
            return not_found_page(f"There is no backfill {backfill_id[:_MAX_ID]!r}.")
        return static_page("backfill.html")

    async def list(self, request: Request) -> Response:
        limit = max(1, min(query_int(request, "limit", 50, meaning="how many to list"), 1000))
        storage = self.workspace.storage
        records = await storage.list_backfills(limit=limit)
        return JSONResponse(
            [backfill_dict(r, await storage.backfill_run_counts(r.backfill_id)) for r in records]
        )

    async def show(self, request: Request) -> Response:
        record = await self._backfill(request)
        try:
            progress = await backfill_progress(self.workspace.storage, record)
        except UpstreamError as exc:
            return error(409, str(exc))
        return JSONResponse(backfill_detail_dict(progress))

    async def launch(self, request: Request) -> Response:
        body = await self._body(request)
        selection = body.get("selection")
        if not isinstance(selection, str) or not selection.strip():
            return error(400, 'give {"selection": "<selection>", "partitions": {...}}')
        try:
            target = _target(body.get("partitions"))
            tags = check_run_tags(body.get("tags"))
        except UpstreamError as exc:
            return error(400, str(exc))
        selection = check_selection(selection.strip())
        view = await self._view()
        try:
            keys = materializable(view.graph, select(view.graph, selection), selection)
        except UpstreamError as exc:
            return error(400, str(exc))
        locations = {view.location_of[k.to_user_string()] for k in keys}
        if len(locations) != 1:
            return error(
                400,
                f"the selection spans code locations {sorted(locations)}; a backfill runs "
                "assets of one code location: launch one backfill per location",
            )
        try:
            backfill_id = await self.workspace.launch_backfill(
                locations.pop(), selection, target, tags
            )
        except NotSupported as exc:
            return error(409, str(exc))
        except UpstreamError as exc:
            return error(400, str(exc))
        return JSONResponse({"backfill_id": backfill_id}, status_code=201)

    async def cancel(self, request: Request) -> Response:
        record = await self._backfill(request)
        await self._body(request)
        if record.status.ended:
            return error(409, f"backfill {record.backfill_id} already ended {record.status}")
        status = await cancel_backfill(self.workspace.storage, record.backfill_id)
        return JSONResponse({"status": status.value})

    async def _backfill(self, request: Request) -> BackfillRecord:
        backfill_id = request.path_params["backfill_id"]
        if not 0 < len(backfill_id) <= _MAX_ID or not backfill_id.isprintable():
            raise BadRequest(f"a backfill id is printable text of at most {_MAX_ID} characters")
        record = await self.workspace.storage.get_backfill(backfill_id)
        if record is None:
            raise NotFound(f"no backfill {backfill_id!r}; see /api/backfills")
        return record


def _target(given: Any) -> BackfillTarget:
    """`{"range": [start, end]}`, `{"keys": [...]}` or `{"all": true}` as a target."""
    hint = 'give "partitions": {"range": [START, END]}, {"keys": [K1, ...]} or {"all": true}'
    if not isinstance(given, dict) or len(given) != 1:
        raise BadRequest(hint)
    if given.get("all") is True:
        return BackfillTarget()
    keys = given.get("keys")
    if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
        return BackfillTarget(keys=tuple(keys))
    span = given.get("range")
    if isinstance(span, list) and len(span) == 2 and all(isinstance(k, str) for k in span):
        return BackfillTarget(range=PartitionKeyRange(span[0], span[1]))
    raise BadRequest(hint)
