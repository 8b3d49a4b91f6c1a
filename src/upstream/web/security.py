"""Who may talk to the UI: the token gate, cross-site request refusal, safe headers.

The UI can launch and cancel runs, so a page on another site must never be able to make
the user's browser do it: every state-changing request is a POST carrying a custom header
(which a cross-site form or `fetch` cannot send without a CORS preflight we never grant)
from this server's own origin. With a token configured, nothing is served without it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSRF_HEADER", "TOKEN_COOKIE", "Guard", "is_loopback"]

CSRF_HEADER = "x-upstream-csrf"
TOKEN_COOKIE = "upstream_token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_PATHS = ("/login", "/static/", "/favicon.ico")  # no secrets; the login page needs them
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_HOST = re.compile(r"(\[[0-9a-fA-F:.]+\]|[^:\[\]]*)(?::[0-9]{1,5})?")  # name, then :port

# Scripts and styles from this server only; frames nowhere (no clickjacking).
_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")


@dataclass(frozen=True)
class Guard:
    """ASGI middleware applying the rules above to every HTTP request."""

    app: ASGIApp
    token: str | None = None
    allowed_hosts: Sequence[str] | None = None  # None: any Host header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse(HTTPConnection(scope), scope["method"])
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                raw.extend((k.encode(), v.encode()) for k, v in _HEADERS.items())
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)

    def _refuse(self, conn: HTTPConnection, method: str) -> Response | None:
        headers = conn.headers
        host = headers.get("host", "")
        if self.allowed_hosts is not None and _hostname(host) not in self.allowed_hosts:
            # DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host.
            return _error(400, f"unexpected Host header {host[:100]!r}; open the UI by its address")
        path = conn.url.path
        if (
            self.token is not None
            and not path.startswith(_OPEN_PATHS)
            and not self._has_token(conn)
        ):
            if path.startswith("/api/"):
                return _error(
                    401,
                    "this server needs its token: header Authorization: "
                    "Bearer <UPSTREAM_WEB_TOKEN>, or log in at /login",
                )
            target = f"{path}?{conn.url.query}" if conn.url.query else path
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if method not in _SAFE_METHODS:
            if not _same_origin(headers, host):
                return _error(403, "cross-site request refused: send it from this server's pages")
            if path != "/login" and headers.get(CSRF_HEADER) != "1":
                return _error(
                    403,
                    f"missing header {CSRF_HEADER.title()}: 1 on a POST; "
                    "the UI's pages send it, scripts must too",
                )
        return None

    def _has_token(self, conn: HTTPConnection) -> bool:
        assert self.token is not None
        given = conn.cookies.get(TOKEN_COOKIE, "")
        auth = conn.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        return hmac.compare_digest(given.encode(), self.token.encode())


def _same_origin(headers: Headers, host: str) -> bool:
    """A browser names the page's origin on every POST (Origin, else Referer); it must be
    this server. Without either (curl, scripts) the custom header check still applies."""
    if headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = headers.get("origin") or headers.get("referer")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc == host


def _hostname(host: str) -> str:
    """The name in a Host header, without its port; a malformed header whole (it then
    matches no allowed name: `[::1]evil.example` is not `[::1]`)."""
    match = _HOST.fullmatch(host)
    return match.group(1) if match else host


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)
