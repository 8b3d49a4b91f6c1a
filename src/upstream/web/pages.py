"""The HTML side: static pages (their data comes from /api/), the 404 page, the login form.

Pages are plain files in `static/`; only the 404 and login pages have placeholders, filled
here with escaped text.
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Awaitable, Callable
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from upstream.web.security import TOKEN_COOKIE

__all__ = [
    "STATIC",
    "login",
    "login_form",
    "no_icon",
    "not_found_page",
    "page",
    "static_page",
]

STATIC = resources.files("upstream.web") / "static"
_COOKIE_DAYS = 30

Handler = Callable[[Request], Awaitable[Response]]


def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def static_page(name: str) -> HTMLResponse:
    return HTMLResponse(_read(name), headers={"cache-control": "no-cache"})


def page(name: str) -> Handler:
    """A handler serving one static page."""

    async def serve(request: Request) -> Response:
        return static_page(name)

    return serve


def not_found_page(message: str) -> HTMLResponse:
    body = _read("notfound.html").replace("{{message}}", html.escape(message))
    return HTMLResponse(body, status_code=404)


def _login_page(target: str, error: str = "", status: int = 200) -> HTMLResponse:
    body = (
        _read("login.html")
        .replace("{{next}}", html.escape(target))
        .replace("{{error}}", html.escape(error))
    )
    return HTMLResponse(body, status_code=status)


def _local_path(target: str) -> bool:
    """Only a path on this server is a place to go after login (no open redirect)."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


async def login_form(request: Request) -> Response:
    target = request.query_params.get("next", "/")
    return _login_page(target if _local_path(target) else "/")


def login(token: str | None) -> Handler:
    """The form's POST: the right token sets an HttpOnly, SameSite=Strict cookie."""

    async def check(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        given, target = form.get("token", [""])[0], form.get("next", ["/"])[0]
        if not _local_path(target):
            target = "/"
        if token is None or not hmac.compare_digest(given.encode(), token.encode()):
            return _login_page(target, "That token is not right.", status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            TOKEN_COOKIE,
            given,
            httponly=True,
            samesite="strict",
            path="/",
            max_age=_COOKIE_DAYS * 86400,
        )
        return response

    return check


async def no_icon(request: Request) -> Response:
    return Response(status_code=204)  # pages carry their icon inline; stop the 404s
