"""`upstream dev` and `upstream web`: the web UI, with or without an executor behind it."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator

import anyio
import click

from upstream.cli.options import (
    cluster_settings,
    code_location_options,
    handles_errors,
    state_options,
)
from upstream.locations import upstream_home
from upstream.model.errors import UpstreamError
from upstream.runs import DEFAULT_CONCURRENCY
from upstream.runs.state import open_state, state_exists, state_path
from upstream.tracing import configure_logging, quiet_libraries, traced
from upstream.web.security import is_loopback
from upstream.web.server import bind, run_dev, run_web, settings_for

__all__ = ["dev", "web"]


def _address_options(fn: click.decorators.FC) -> click.decorators.FC:
    fn = click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))(fn)
    return click.option(
        "--host",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on; anything but loopback should set UPSTREAM_WEB_TOKEN.",
    )(fn)


def _announce(what: str, host: str, port: int, token: str | None) -> None:
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"{what}: http://{shown}:{port}  (Ctrl-C to stop)")
    if not is_loopback(host) and not token:
        click.echo(
            f"warning: listening on {host} without UPSTREAM_WEB_TOKEN: anyone who can reach "
            "this address can read your runs and launch new ones",
            err=True,
        )


@contextlib.contextmanager
def _stopped_by_ctrl_c(what: str) -> Iterator[None]:
    """Ctrl-C is how a server is meant to stop: exit 0 with one line, not an error."""
    try:
        yield
    except KeyboardInterrupt:
        click.echo(f"{what} stopped; runs it was executing are recorded CANCELED", err=True)


@click.command()
@code_location_options
@_address_options
@click.option("--concurrency", default=DEFAULT_CONCURRENCY, show_default=True, type=int)
@handles_errors
def dev(module: str | None, file: str | None, host: str, port: int, concurrency: int) -> None:
    """The web UI with the embedded executor, reloading the code as it changes.

    State lives under .upstream/ (or $UPSTREAM_HOME), shared with `upstream materialize`.
    UPSTREAM_WEB_TOKEN requires a token; UPSTREAM_TRACE_URL links runs to their traces.
    """
    if (module is None) == (file is None):
        raise click.UsageError("name the code location with -m MODULE or -f FILE (one of them)")
    token = os.environ.get("UPSTREAM_WEB_TOKEN")
    settings = settings_for(host, token, os.environ.get("UPSTREAM_TRACE_URL"))
    sock = bind(host, port)
    state = state_path()
    state.parent.mkdir(parents=True, exist_ok=True)
    configure_logging("INFO")
    quiet_libraries(False)  # listening: from now on libraries' lines are logged too
    port = sock.getsockname()[1]  # the one chosen, for --port 0
    run = functools.partial(
        run_dev, state, sock, settings, module=module, file=file, concurrency=concurrency
    )
    with _stopped_by_ctrl_c("upstream dev"), traced("upstream"):
        _announce(f"upstream dev ({module or file}, state {upstream_home()})", host, port, token)
        anyio.run(run)


@click.command()
@_address_options
@state_options
@handles_errors
def web(host: str, port: int, database_url: str | None, namespace: str) -> None:
    """The web UI alone, over the state the CLI uses: a cluster's PostgreSQL with
    --database-url (launches go to its coordinator), else the embedded store (read only).
    UPSTREAM_WEB_TOKEN requires a token; UPSTREAM_TRACE_URL links runs to their traces.
    """
    token = os.environ.get("UPSTREAM_WEB_TOKEN")
    settings = settings_for(host, token, os.environ.get("UPSTREAM_TRACE_URL"))
    cluster = cluster_settings(database_url, namespace)
    if not state_exists(cluster):
        raise UpstreamError(
            f"no state under {upstream_home()} yet; run `upstream materialize` or "
            "`upstream dev` first, or pass --database-url"
        )
    sock = bind(host, port)
    configure_logging("INFO")
    quiet_libraries(False)  # listening: from now on libraries' lines are logged too

    async def go() -> None:
        await run_web(await open_state(cluster), sock, settings, launches=cluster is not None)

    where = f"cluster {namespace}" if cluster else f"state {upstream_home()}"
    with _stopped_by_ctrl_c("upstream web"):
        _announce(f"upstream web ({where})", host, sock.getsockname()[1], token)
        anyio.run(go)
