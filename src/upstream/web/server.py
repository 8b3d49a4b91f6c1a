"""Serving the UI: `upstream dev` (UI + embedded executor + code reload in one process) and
`upstream web` (the UI alone, over a cluster's or the embedded store)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from upstream.model.errors import UpstreamError
from upstream.runs import DEFAULT_CONCURRENCY, ClusterRuns, EmbeddedRuns
from upstream.storage.base import RunStorage
from upstream.storage.sqlite import open_sqlite_storage
from upstream.web.app import WebSettings, create_app
from upstream.web.security import is_loopback
from upstream.web.workspace import ClusterWorkspace, DevWorkspace

__all__ = ["WebServerError", "bind", "run_dev", "run_web", "settings_for"]


class WebServerError(UpstreamError):
    """The server cannot start (e.g. its port is taken)."""


def settings_for(host: str, token: str | None, trace_url: str | None) -> WebSettings:
    """On a loopback address only loopback Host headers are accepted (DNS rebinding)."""
    loopback_hosts = ("127.0.0.1", "localhost", "[::1]", host)
    return WebSettings(
        token=token or None,
        trace_url=trace_url or None,
        allowed_hosts=loopback_hosts if is_loopback(host) else None,
    )


def bind(host: str, port: int) -> socket.socket:
    """Bind before serving, so a taken port is one clear error rather than a log line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise WebServerError(
                f"port {port} on {host} is in use; stop what holds it or pass --port"
            ) from exc
        raise WebServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


async def _serve(app: Starlette, sock: socket.socket) -> None:
    # log_config=None: uvicorn's records go to the root logger, rendered as ours are.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", log_config=None
    )
    await uvicorn.Server(config).serve(sockets=[sock])


async def run_dev(
    state: Path,
    sock: socket.socket,
    settings: WebSettings,
    *,
    module: str | None,
    file: str | None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> None:
    """Serve until interrupted; runs still going then end CANCELED."""
    storage = await open_sqlite_storage(state)
    try:
        runs = EmbeddedRuns(storage, concurrency=concurrency)
        workspace = DevWorkspace(runs, module=module, file=file)
        async with workspace.running():
            await _serve(create_app(workspace, settings), sock)
    finally:
        await storage.close()


async def run_web(
    storage: RunStorage, sock: socket.socket, settings: WebSettings, *, launches: bool
) -> None:
    """Serve the UI over `storage` until interrupted; with `launches`, runs are queued for
    the cluster's coordinator (an embedded store has none: the UI only reads it)."""
    try:
        workspace = ClusterWorkspace(ClusterRuns(storage), launches=launches)
        await _serve(create_app(workspace, settings), sock)
    finally:
        await storage.close()
