"""What a request may carry, checked at the edge so that neither a handler nor a store sees
input it cannot take: a body of at most 1 MiB, run ids of printable text, integers within
int64, selections of bounded length. Each refusal is a 4xx naming the limit."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from upstream.web.errors import BadRequest, error

__all__ = [
    "INT64_MAX",
    "MAX_BODY",
    "MAX_RUN_ID",
    "MAX_SELECTION",
    "BodyLimit",
    "check_run_id",
    "check_selection",
    "query_int",
]

MAX_BODY = 1 << 20  # bytes of a request body
MAX_RUN_ID = 128  # characters (run ids are uuids: 36)
MAX_SELECTION = 10_000  # characters of a selection string
INT64_MAX = (1 << 63) - 1  # what both stores keep in an integer column

_TOO_LARGE = f"the request body is over {MAX_BODY // (1 << 20)} MiB; send a smaller one"


def check_run_id(run_id: str) -> str:
    """`run_id` if it can name a run (printable, 1 to `MAX_RUN_ID` characters)."""
    if not 0 < len(run_id) <= MAX_RUN_ID or not run_id.isprintable():
        raise BadRequest(
            f"a run id is printable text of at most {MAX_RUN_ID} characters; see /api/runs"
        )
    return run_id


def check_selection(selection: str) -> str:
    """`selection` if it is text a store can keep, short enough to parse and to echo."""
    if len(selection) > MAX_SELECTION:
        raise BadRequest(
            f"the selection is {len(selection)} characters, over the limit of {MAX_SELECTION}; "
            "select by group or key pattern (group:x, key:sales/*) instead of listing keys"
        )
    if not all(c.isprintable() or c.isspace() for c in selection):
        raise BadRequest("the selection has a control character; send printable text")
    return selection


def query_int(request: Request, name: str, default: int, *, meaning: str) -> int:
    """The query parameter `name` as an integer from 0 to `INT64_MAX` (`default` if absent)."""
    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= INT64_MAX:
        raise BadRequest(f"{name} must be {meaning}: an integer from 0 to {INT64_MAX}")
    return value


@dataclass(frozen=True)
class BodyLimit:
    """ASGI middleware: a body over `MAX_BODY` bytes is a 413, refused from its declared
    length before it is read, or as soon as a streamed one goes over."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
                await error(413, _TOO_LARGE)(scope, receive, send)
                return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY:
                raise HTTPException(413, _TOO_LARGE)
            return message

        await self.app(scope, bounded, send)
