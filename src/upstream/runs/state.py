"""Where runs are recorded: a cluster's PostgreSQL, or the embedded SQLite file at home.

Settings come from flags or UPSTREAM_DATABASE_URL / UPSTREAM_BROKER_URL / UPSTREAM_NAMESPACE;
the namespace names both the broker's queues and the PostgreSQL schema, so tenants and test
runs never collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from upstream.locations.home import upstream_home
from upstream.model.errors import ConfigurationError
from upstream.storage.base import RunStorage
from upstream.storage.postgres import open_postgres_storage
from upstream.storage.sqlite import open_sqlite_storage
from upstream.transport.rabbitmq import RabbitSettings

__all__ = [
    "DEFAULT_BROKER_URL",
    "DEFAULT_NAMESPACE",
    "ClusterSettings",
    "open_state",
    "state_exists",
    "state_path",
]

DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_NAMESPACE = "upstream"
STATE_FILE = "state.db"


@dataclass(frozen=True)
class _UrlForm:
    """What a setting's URL must look like, and where the user sets it."""

    option: str
    env: str
    schemes: tuple[str, ...]
    example: str


_DATABASE_URL = _UrlForm(
    "--database-url",
    "UPSTREAM_DATABASE_URL",
    ("postgresql", "postgres"),
    "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB",
)
_BROKER_URL = _UrlForm(
    "--broker-url",
    "UPSTREAM_BROKER_URL",
    ("amqp", "amqps"),
    "amqp://USER:PASSWORD@HOST[:PORT]/[VHOST]",
)


@dataclass(frozen=True)
class ClusterSettings:
    """Where the cluster's state and broker are, and under which namespace."""

    database_url: str
    broker_url: str = DEFAULT_BROKER_URL
    namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        """A malformed URL is one error naming it as typed, before anything connects."""
        _check_url(self.database_url, _DATABASE_URL)
        _check_url(self.broker_url, _BROKER_URL)

    def rabbit(self, **changes: Any) -> RabbitSettings:
        return RabbitSettings(url=self.broker_url, namespace=self.namespace, **changes)

    async def open_storage(self) -> RunStorage:
        return await open_postgres_storage(self.database_url, schema=self.namespace)


def _redacted(url: str) -> str:
    """`url` as typed, its password (if any) replaced by ***."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url


def _check_url(url: str, form: _UrlForm) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in form.schemes or "://" not in url:
        raise ConfigurationError(
            f"{form.option} {_redacted(url)!r} is not a URL of the form {form.example}; "
            f"correct {form.option} (or {form.env})"
        )


def state_path() -> Path:
    """The embedded state file, shared by `upstream materialize`, `dev` and `web`."""
    return upstream_home() / STATE_FILE


def state_exists(cluster: ClusterSettings | None) -> bool:
    """Is there state to read? A cluster always has some; the embedded file may not yet."""
    return cluster is not None or state_path().exists()


async def open_state(cluster: ClusterSettings | None) -> RunStorage:
    """The cluster's store, else the embedded one (created if missing); the caller closes it."""
    if cluster is not None:
        return await cluster.open_storage()
    return await open_sqlite_storage(state_path())
