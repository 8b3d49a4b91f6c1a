"""Options and error handling shared by every `upstream` command."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from upstream.model.errors import UpstreamError
from upstream.runs import DEFAULT_CONCURRENCY
from upstream.runs.liveness import DEFAULT_TIMEOUT
from upstream.runs.state import DEFAULT_BROKER_URL, DEFAULT_NAMESPACE, ClusterSettings
from upstream.tracing import quiet_libraries

__all__ = [
    "Failed",
    "broker_option",
    "cluster_settings",
    "code_location_options",
    "coordinator_timeout_option",
    "embedded_concurrency_option",
    "handles_errors",
    "log_level_option",
    "state_options",
]

F = TypeVar("F", bound=Callable[..., Any])


class Failed(UpstreamError):
    """The command ran, and what it ran failed: exit status 1."""


def _fail(message: str, verbose: bool, code: int) -> None:
    if verbose:
        traceback.print_exc()
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handles_errors(fn: F) -> F:
    """Adds `--verbose`; turns our errors into one line on stderr and the right exit status.
    Libraries' own log lines (a failed connect) are dropped unless `--verbose`: our error
    already says what failed; a service lets them through once it has started."""

    @click.option("--verbose", "-v", is_flag=True, help="Show tracebacks on errors.")
    @functools.wraps(fn)
    def wrapper(*args: Any, verbose: bool, **kwargs: Any) -> Any:
        quiet_libraries(not verbose)
        try:
            return fn(*args, **kwargs)
        except Failed:
            sys.exit(1)
        except click.UsageError:
            raise  # main() prints it as one line
        except KeyboardInterrupt:
            click.echo(
                "error: interrupted; an embedded run is recorded as CANCELED, "
                "a run on a cluster goes on (see `upstream runs list`)",
                err=True,
            )
            sys.exit(130)
        except (UpstreamError, FileExistsError, ValueError) as exc:
            _fail(str(exc), verbose, 2)
        except Exception as exc:
            _fail(f"{type(exc).__name__}: {exc} (rerun with --verbose for details)", verbose, 2)

    return wrapper  # type: ignore[return-value]


def code_location_options(fn: F) -> F:
    fn = click.option("-f", "--file", "file", type=str, help="Python file holding the code.")(fn)
    return click.option("-m", "--module", "module", type=str, help="Module holding the code.")(fn)


# Commands that run steps in this process when no cluster is named (materialize, backfill).
embedded_concurrency_option = click.option(
    "--concurrency",
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    type=click.IntRange(1),
    help="Steps run at once (embedded mode).",
)

# Commands that submit to a cluster and need its coordinator alive (materialize, backfill).
coordinator_timeout_option = click.option(
    "--coordinator-timeout",
    envvar="UPSTREAM_COORDINATOR_TIMEOUT",
    default=DEFAULT_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait for a coordinator on the cluster before giving up, exit 2"
    " [env UPSTREAM_COORDINATOR_TIMEOUT].",
)


def state_options(fn: F) -> F:
    """--database-url / --namespace: read and write a cluster's PostgreSQL instead of
    the embedded SQLite state under .upstream/."""
    fn = click.option(
        "--namespace",
        envvar="UPSTREAM_NAMESPACE",
        default=DEFAULT_NAMESPACE,
        show_default=True,
        help="Prefix of queue names and the PostgreSQL schema [env UPSTREAM_NAMESPACE].",
    )(fn)
    return click.option(
        "--database-url",
        envvar="UPSTREAM_DATABASE_URL",
        help="PostgreSQL of a cluster; without it, the embedded state [env UPSTREAM_DATABASE_URL].",
    )(fn)


broker_option = click.option(
    "--broker-url",
    envvar="UPSTREAM_BROKER_URL",
    default=DEFAULT_BROKER_URL,
    show_default=True,
    help="RabbitMQ [env UPSTREAM_BROKER_URL].",
)


log_level_option = click.option(
    "--log-level",
    envvar="UPSTREAM_LOG_LEVEL",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Least severe log line written (INFO: one a step) [env UPSTREAM_LOG_LEVEL].",
)


def cluster_settings(
    database_url: str | None, namespace: str, broker_url: str = DEFAULT_BROKER_URL
) -> ClusterSettings | None:
    if not database_url:
        return None
    return ClusterSettings(database_url, broker_url, namespace)
