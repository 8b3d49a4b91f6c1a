"""How the UI fails: one-line JSON errors for /api/, a 404 page for the rest, never a
traceback nor where the state store lives (the server log has both)."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from upstream.model.errors import UpstreamError
from upstream.storage.base import StorageError
from upstream.tracing import get_logger
from upstream.web.pages import not_found_page

__all__ = ["EXCEPTION_HANDLERS", "BadRequest", "NotFound", "error"]

log = get_logger("web")


class NotFound(UpstreamError):
    """A run or asset that does not exist: 404."""


class BadRequest(UpstreamError):
    """Malformed input: 400."""


_MAX_MESSAGE = 1_000  # characters; longer ones echo too much of the input


def error(status: int, message: str) -> JSONResponse:
    """The API's error body: `{"error": "<the problem and the fix>"}`. A long message is cut
    in the middle, where echoed input sits, so the problem and the fix both stay."""
    if len(message) > _MAX_MESSAGE:
        half = _MAX_MESSAGE // 2
        message = f"{message[:half]} … {message[-half:]}"
    return JSONResponse({"error": message}, status_code=status)


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _api(request):
        return error(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}")
    if exc.status_code == 404:
        return not_found_page(f"There is no page at {request.url.path}.")
    return HTMLResponse(html.escape(str(exc.detail)), status_code=exc.status_code)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error(404, str(exc)) if _api(request) else not_found_page(str(exc))


async def _bad_request(request: Request, exc: Exception) -> Response:
    return error(400, str(exc))


async def _storage_error(request: Request, exc: Exception) -> Response:
    """The store's message names its host, database and schema: for the log only."""
    log.warning("web.storage_error", path=request.url.path, error=str(exc))
    return error(503, "the state store is unavailable; try again (the server log says why)")


async def _internal_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its traceback (by the server), never shown."""
    return error(500, "internal error; the server log has the details")


EXCEPTION_HANDLERS: dict[type[Exception], Callable[[Request, Exception], Awaitable[Response]]] = {
    HTTPException: _http_error,
    NotFound: _not_found,
    BadRequest: _bad_request,
    StorageError: _storage_error,
    Exception: _internal_error,
}
