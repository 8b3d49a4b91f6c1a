"""The web UI: static pages and the JSON API under /api/ they are built on (docs/web-api.md).

Thin handlers: reading goes to the store, acting to the workspace (dev or cluster); every
shape comes from `upstream.web.schema`, so the API and `--json` agree. A missing run or
asset is a 404 page or JSON error, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import upstream
from upstream.model.errors import UpstreamError
from upstream.model.run_tags import check_run_tags
from upstream.planning.plan import materializable
from upstream.planning.selection import select
from upstream.runs import NothingToReexecute, reexecute_selection, reexecution_tags
from upstream.storage.dynamic import dynamic_store_for_graph
from upstream.storage.records import RunRecord, RunStatus, StepStatus
from upstream.web.backfills import BackfillApi
from upstream.web.errors import EXCEPTION_HANDLERS, BadRequest, NotFound, error
from upstream.web.launch_partition import parse_partition, partition_choices, with_partition
from upstream.web.limits import BodyLimit, check_run_id, check_selection, query_int
from upstream.web.openapi import openapi_document
from upstream.web.pages import STATIC, login, login_form, no_icon, not_found_page, page, static_page
from upstream.web.partitions import partition_routes
from upstream.web.schema import (
    asset_dict,
    coordinator_dict,
    materialization_dict,
    materialized_by_step,
    observation_dict,
    run_dict,
)
from upstream.web.security import Guard
from upstream.web.view import (
    ACTIVE_RUN_STATUSES,
    GraphView,
    locations_hash,
    merge_locations,
    statuses,
)
from upstream.web.workspace import NotSupported, Workspace

__all__ = ["WebSettings", "create_app"]


_MAX_LIMIT = 10_000


@dataclass(frozen=True)
class WebSettings:
    """How the UI is exposed; the workspace says what it shows."""

    token: str | None = None  # UPSTREAM_WEB_TOKEN: required on every request when set
    trace_url: str | None = None  # UPSTREAM_TRACE_URL, e.g. Jaeger's UI
    allowed_hosts: tuple[str, ...] | None = None  # Host headers accepted (loopback binds)


def create_app(workspace: Workspace, settings: WebSettings | None = None) -> Starlette:
    """The ASGI app for `workspace`; serve it with uvicorn (see `upstream.web.server`)."""
    settings = settings or WebSettings()
    api = _Api(workspace, settings)
    backfills = BackfillApi(workspace, api.view, _json_body)
    routes: list[BaseRoute] = [
        Route("/", page("graph.html")),
        Route("/catalog", page("catalog.html")),
        Route("/runs", page("runs.html")),
        Route("/assets/{key:path}", api.asset_page),
        Route("/runs/{run_id}", api.run_page),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login(settings.token), methods=["POST"]),
        Route("/api/info", api.info),
        Route("/api/graph", api.graph),
        Route("/api/status", api.status),
        Route("/api/selection", api.selection),
        Route("/api/assets", api.assets),
        Route("/api/assets/{key:path}/materializations", api.materializations),
        Route("/api/assets/{key:path}/observations", api.observations),
        *partition_routes(workspace, api.view, _json_body),
        Route("/api/assets/{key:path}", api.asset),
        Route("/api/runs", api.runs),
        Route("/api/runs", api.launch, methods=["POST"]),
        Route("/api/runs/{run_id}", api.run),
        Route("/api/runs/{run_id}/events", api.events),
        Route("/api/runs/{run_id}/reexecute", api.reexecute, methods=["POST"]),
        Route("/api/runs/{run_id}/cancel", api.cancel, methods=["POST"]),
        Route("/api/reload", api.reload, methods=["POST"]),
        Route("/backfills", page("backfills.html")),
        Route("/backfills/{backfill_id}", backfills.page),
        Route("/api/backfills", backfills.list),
        Route("/api/backfills", backfills.launch, methods=["POST"]),
        Route("/api/backfills/{backfill_id}", backfills.show),
        Route("/api/backfills/{backfill_id}/cancel", backfills.cancel, methods=["POST"]),
        Route("/api/openapi.json", api.openapi),
        Route("/favicon.ico", no_icon),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(Guard, token=settings.token, allowed_hosts=settings.allowed_hosts),
            Middleware(BodyLimit),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    return app


class _Api:
    """The handlers, around one workspace; failures are raised and mapped in `errors`."""

    def __init__(self, workspace: Workspace, settings: WebSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self._view: GraphView | None = None

    async def view(self) -> GraphView:
        """The merged graph, rebuilt only when a code location's definitions change."""
        locations = await self.workspace.locations()
        if self._view is None or self._view.definitions_hash != locations_hash(locations):
            self._view = merge_locations(locations)
        return self._view

    # -- pages ---------------------------------------------------------------------------

    async def asset_page(self, request: Request) -> Response:
        key = request.path_params["key"].strip("/")
        if (await self.view()).node(key) is None:
            return not_found_page(f"There is no asset {key!r}.")
        return static_page("asset.html")

    async def run_page(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        try:
            check_run_id(run_id)
        except BadRequest:
            return not_found_page("There is no run with such an id.")
        if await self.workspace.storage.get_run(run_id) is None:
            return not_found_page(f"There is no run {run_id!r}.")
        return static_page("run.html")

    # -- reading -------------------------------------------------------------------------

    async def info(self, request: Request) -> Response:
        return JSONResponse(await self._info())

    async def _info(self) -> dict[str, Any]:
        locations = await self.workspace.locations()
        return {
            "mode": self.workspace.mode,
            "version": upstream.__version__,
            "trace_url": self.settings.trace_url,
            "code_locations": [
                {
                    "name": s.name,
                    "definitions_hash": s.definitions_hash,
                    "asset_count": len(s.graph) if s.graph is not None else 0,
                    "load_error": s.load_error,
                    "loaded_at": s.loaded_at,
                }
                for s in locations
            ],
            "coordinators": [
                coordinator_dict(c) for c in await self.workspace.storage.coordinators()
            ],
        }

    async def graph(self, request: Request) -> Response:
        view = await self.view()
        body = await anyio.to_thread.run_sync(view.layout_json)  # off the loop, once per hash
        return _cached(request, body)

    async def status(self, request: Request) -> Response:
        """Each asset's live status (`?key=a&key=b` for some only); cheap enough to poll."""
        view = await self.view()
        storage = self.workspace.storage
        wanted = request.query_params.getlist("key")
        keys = [k for k in wanted if k in view.location_of] if wanted else list(view.location_of)
        steps = list(dict.fromkeys(view.step(k) for k in keys))
        states = await storage.asset_states(steps if wanted else None)
        latest = await storage.latest_materializations(keys if wanted else None)
        active = sum((await storage.count_runs(ACTIVE_RUN_STATUSES)).values())
        body = {
            "definitions_hash": view.definitions_hash,
            "assets": statuses(keys, states, latest, view.step),
            "active_runs": active,
        }
        return _cached(request, json.dumps(body, separators=(",", ":")).encode())

    async def selection(self, request: Request) -> Response:
        query = check_selection(request.query_params.get("q", "").strip())
        if not query:
            return error(400, "give a selection: ?q=<selection>, e.g. ?q=*orders")
        view = await self.view()
        try:
            keys = select(view.graph, query)
        except UpstreamError as exc:
            return error(400, str(exc))
        store = await dynamic_store_for_graph(self.workspace.storage, view.graph)
        choices = partition_choices(view.graph, keys, store)
        body = {"keys": [k.to_user_string() for k in keys], **choices}
        return JSONResponse(body)

    async def assets(self, request: Request) -> Response:
        view = await self.view()
        storage = self.workspace.storage
        states = await storage.asset_states()
        latest = await storage.latest_materializations()
        observed = await storage.latest_observations()
        keys = list(view.location_of)
        live = statuses(keys, states, latest, view.step)
        items = []
        for node in view.graph.nodes:
            key = node.key.to_user_string()
            items.append(self._asset(view, key, live[key], latest.get(key), observed.get(key)))
        return JSONResponse(items)

    def _asset(
        self, view: GraphView, key: str, live: dict[str, Any], latest: Any, observed: Any = None
    ) -> dict[str, Any]:
        node = view.node(key)
        assert node is not None  # callers pass keys of this view
        item = asset_dict(node, latest, observed)
        item["code_location"] = view.location_of[key]
        item["downstreams"] = [c.to_user_string() for c in view.graph.children(node.key)]
        item["status"] = live["status"]
        item["last_run_id"] = live["run_id"]
        item["step_key"] = view.step(key)  # a multi-asset's assets share their op's step
        return item

    async def asset(self, request: Request) -> Response:
        view = await self.view()
        key = request.path_params["key"].strip("/")
        node = view.node(key)
        if node is None:
            return error(404, f"no asset {key!r}; see /api/assets")
        storage = self.workspace.storage
        states = await storage.asset_states([view.step(key)])
        latest = (await storage.latest_materializations([key])).get(key)
        live = statuses([key], states, {key: latest} if latest else {}, view.step)[key]
        observed = (await storage.latest_observations([key])).get(key)
        item = self._asset(view, key, live, latest, observed)
        item["definition_metadata"] = dict(node.metadata)
        item["code_version"] = node.code_version
        partitions = node.partitions_def
        item["partitions_def"] = None if partitions is None else repr(partitions)
        return JSONResponse(item)

    async def materializations(self, request: Request) -> Response:
        key = request.path_params["key"].strip("/")
        if (await self.view()).node(key) is None:
            return error(404, f"no asset {key!r}; see /api/assets")
        limit = _limit(request, 100)
        history = await self.workspace.storage.materializations(key, limit=limit)
        return JSONResponse([materialization_dict(m) for m in history])

    async def observations(self, request: Request) -> Response:
        key = request.path_params["key"].strip("/")
        if (await self.view()).node(key) is None:
            return error(404, f"no asset {key!r}; see /api/assets")
        history = await self.workspace.storage.observations(key, limit=_limit(request, 100))
        return JSONResponse([observation_dict(o) for o in history])

    async def runs(self, request: Request) -> Response:
        status_text = request.query_params.get("status", "").strip().upper()
        try:
            status = RunStatus(status_text) if status_text else None
        except ValueError:
            known = ", ".join(s.value for s in RunStatus)
            return error(400, f"unknown status {status_text!r}; use one of {known}")
        records = await self.workspace.storage.list_runs(limit=_limit(request, 50), status=status)
        return JSONResponse([run_dict(r) for r in records])

    async def run(self, request: Request) -> Response:
        record = await self._run(request)
        steps = await self.workspace.storage.get_steps(record.run_id)
        events = await self.workspace.storage.get_events(record.run_id)
        made = materialized_by_step(events)
        # A multi-asset step that ended without materializing (a failure) links to its op's
        # assets. Only then is the graph read: a running run's page polls this endpoint.
        ended = [s for s in steps if s.step_key not in made and s.status is not StepStatus.QUEUED]
        if ended:
            ops = (await self.view()).graph.ops
            for step in ended:
                if step.step_key in ops:
                    made[step.step_key] = [k.to_user_string() for k in ops[step.step_key]]
        body = run_dict(record, steps, made)
        body["trace_url"] = self._trace_url(record.run_id)
        return JSONResponse(body)

    async def events(self, request: Request) -> Response:
        record = await self._run(request)
        after = query_int(request, "after", 0, meaning="an event id")
        events = await self.workspace.storage.get_events(record.run_id, after_id=after)
        if "limit" in request.query_params:
            events = events[: _limit(request, _MAX_LIMIT)]
        return JSONResponse(
            [
                {
                    "id": e.id,
                    "step_key": e.step_key,
                    "timestamp": e.timestamp,
                    "type": e.type,
                    "data": e.data,
                }
                for e in events
            ]
        )

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(upstream.__version__))

    # -- acting --------------------------------------------------------------------------

    async def launch(self, request: Request) -> Response:
        body = await _json_body(request)
        selection = body.get("selection")
        if not isinstance(selection, str) or not selection.strip():
            return error(400, 'give {"selection": "<selection>"}, e.g. "*" for every asset')
        run_config = body.get("run_config")
        if run_config is not None and not isinstance(run_config, dict):
            return error(400, '"run_config" must be an object: {"ops": {...}, "resources": {...}}')
        try:
            tags = check_run_tags(body.get("tags"))
        except UpstreamError as exc:
            return error(400, str(exc))
        # Checked against the selection where the run is submitted (`build_plan`): 400 if bad.
        tags = with_partition(tags, parse_partition(body.get("partition")))
        return await self._launch(check_selection(selection.strip()), run_config, tags)

    async def _launch(
        self,
        selection: str,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Response:
        view = await self.view()
        try:
            steps = materializable(view.graph, select(view.graph, selection), selection)
            keys = [k.to_user_string() for k in steps]
        except UpstreamError as exc:
            return error(400, str(exc))
        by_location: dict[str, list[str]] = {}
        for key in keys:
            by_location.setdefault(view.location_of[key], []).append(key)
        run_ids = []
        for location, chosen in by_location.items():
            # One location: keep the user's words; several: each gets exactly its own keys.
            text = selection if len(by_location) == 1 else ",".join(chosen)
            try:
                run_ids.append(await self.workspace.launch(location, text, run_config, tags))
            except NotSupported as exc:
                return error(409, str(exc))
            except UpstreamError as exc:
                return error(400, str(exc))
        return JSONResponse({"run_ids": run_ids}, status_code=201)

    async def reexecute(self, request: Request) -> Response:
        record = await self._run(request)
        from_failure = (await _json_body(request)).get("from_failure", False)
        if not isinstance(from_failure, bool):
            return error(400, 'give {"from_failure": true} or false')
        try:
            selection = await reexecute_selection(
                self.workspace.storage,
                record,
                from_failure=from_failure,
                graph=(await self.view()).graph,
            )
        except NothingToReexecute as exc:
            return error(409, str(exc))
        # Re-execution keeps the run's config and tags, adding Dagster's parent/root run tags.
        return await self._launch(selection, record.run_config, reexecution_tags(record))

    async def cancel(self, request: Request) -> Response:
        record = await self._run(request)
        await _json_body(request)  # `{}`: nothing to say, but only JSON is taken
        if record.status not in ACTIVE_RUN_STATUSES:
            return error(409, f"run {record.run_id} already ended {record.status}")
        status = await self.workspace.runs.cancel(record.run_id)
        return JSONResponse({"status": str(status)})

    async def reload(self, request: Request) -> Response:
        await _json_body(request)
        try:
            await self.workspace.reload()
        except NotSupported as exc:
            return error(409, str(exc))
        return JSONResponse(await self._info())

    # -- helpers -------------------------------------------------------------------------

    async def _run(self, request: Request) -> RunRecord:
        run_id = check_run_id(request.path_params["run_id"])
        record = await self.workspace.storage.get_run(run_id)
        if record is None:
            raise NotFound(f"no run {run_id!r}; see /api/runs")
        return record

    def _trace_url(self, run_id: str) -> str | None:
        """Jaeger-style `<base>/trace/<trace id>`, or the `{trace_id}` placeholder filled."""
        base = self.settings.trace_url
        if not base:
            return None
        trace_id = run_id.replace("-", "")  # a run's trace id is its uuid (tracing.spans)
        if "{trace_id}" in base:
            return base.replace("{trace_id}", trace_id)
        return f"{base.rstrip('/')}/trace/{trace_id}"


async def _json_body(request: Request) -> dict[str, Any]:
    """The POST body, a JSON object (none: `{}`)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("the body is nested too deeply; send a flat JSON object") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _limit(request: Request, default: int) -> int:
    """`?limit=`, kept within 1 and `_MAX_LIMIT`."""
    value = query_int(request, "limit", default, meaning="how many to list")
    return max(1, min(value, _MAX_LIMIT))


def _cached(request: Request, body: bytes) -> Response:
    """JSON with an ETag: a poller that already has these bytes gets a bodiless 304."""
    tag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    headers = {"etag": tag, "cache-control": "no-cache"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
