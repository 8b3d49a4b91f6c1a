"""asyncpg for the PostgreSQL adapter: where its schema lives, how to reach it, how to name
it in errors, and the values PostgreSQL refuses.

Every table lives in one schema named at open, which is every connection's `search_path`,
so tenants and tests share a database without colliding. `PgTarget` is that place: the DSN,
the schema, the name used in errors (host and database, never the password) and the one
translation of driver errors into `StorageError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import asyncpg  # type: ignore[import-untyped, unused-ignore]

from upstream.model.errors import ConfigurationError
from upstream.storage.base import StorageError

__all__ = [
    "PgTarget",
    "advisory_key",
    "advisory_key32",
    "close_connection",
    "dumps",
    "quote_ident",
    "text_value",
]

CONNECT_TIMEOUT_S = 10.0

_encode = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one per call
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")  # \u0000, not an escaped backslash
_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
_UNREACHABLE = (
    OSError,  # refused, reset, timed out (TimeoutError is an OSError)
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier (any character allowed, case kept)."""
    return '"' + name.replace('"', '""') + '"'


def advisory_key(*parts: str) -> int:
    """A signed 64-bit key for `pg_advisory_*lock(bigint)`, stable across processes."""
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_key32(name: str) -> int:
    """A stable signed 32-bit hash of `name`: one half of a two-key `pg_advisory_*lock`."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def text_value(value: str | None) -> str | None:
    """PostgreSQL text holds no NUL byte: U+FFFD stands in for one, so a stray byte in an
    error message cannot fail a whole batch."""
    return value if value is None or "\x00" not in value else value.replace("\x00", "\ufffd")


def dumps(value: Any) -> str:
    """Compact JSON for a jsonb column, an escaped NUL (jsonb refuses it) made U+FFFD."""
    text = _encode(value)
    return text if "\\u0000" not in text else _JSON_NUL.sub(r"\1\\ufffd", text)


async def _keep_session(conn: Any) -> None:
    """Released connections skip asyncpg's reset query (a round trip per call): the adapter
    leaves no session state, only transaction-scoped locks, and the pool still rolls back a
    transaction that a cancelled call left open."""


class PgTarget:
    """A schema on a server: how to connect to it and how to name it in errors."""

    def __init__(self, dsn: str, schema: str) -> None:
        if not schema or len(schema.encode()) > 63:
            raise ConfigurationError(f"schema {schema!r}: PostgreSQL needs a name of 1 to 63 bytes")
        self.dsn, self.schema = dsn, schema
        parts = urlsplit(dsn)
        secret = parts.password if "://" in dsn else None
        self._secrets = {secret, unquote(secret)} if secret else set()
        host = parts.netloc.rpartition("@")[2] or "localhost"
        self.where = f"postgresql://{host}{parts.path} (schema {schema})"
        # search_path at connection start: no extra round trip, unqualified table names.
        self.server_settings = {
            "search_path": quote_ident(schema),
            "application_name": f"upstream:{schema}",
        }
        self.runs_lock = advisory_key32(f"upstream.run:{schema}")  # first key of a run's lock
        # NOTIFY channels are identifiers (63 bytes at most); two long schemas sharing one
        # only wake each other's waiters early, which the contract allows.
        self.queued_channel = f"upstream_queued.{schema}".encode()[:63].decode(errors="ignore")

    async def open_pool(self, min_size: int, max_size: int) -> Any:
        """An asyncpg pool on this schema (which may not exist yet: migrating creates it)."""
        with self.errors("opening"):
            return await asyncpg.create_pool(
                self.dsn,
                min_size=min_size,
                max_size=max_size,
                server_settings=self.server_settings,
                timeout=CONNECT_TIMEOUT_S,
                reset=_keep_session,
            )

    async def connect(self, action: str) -> Any:
        """A connection of its own, outside any pool (for LISTEN and session locks)."""
        with self.errors(action):
            return await asyncpg.connect(
                self.dsn, server_settings=self.server_settings, timeout=CONNECT_TIMEOUT_S
            )

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Translate driver and socket errors into StorageError naming the store and a fix."""
        try:
            yield
        except (*_DRIVER_ERRORS, OSError) as exc:
            raise self.translate(exc, action) from exc

    def translate(self, exc: BaseException, action: str) -> StorageError:
        if isinstance(exc, asyncpg.ForeignKeyViolationError):
            fix = "create the run (create_run) before recording its steps"
        elif isinstance(exc, _UNREACHABLE):
            fix = "is PostgreSQL running and reachable? set UPSTREAM_DATABASE_URL to its URL"
        elif isinstance(
            exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
        ):
            fix = "check the user and password in UPSTREAM_DATABASE_URL"
        elif isinstance(exc, asyncpg.InvalidCatalogNameError):
            fix = "create that database (createdb) or point UPSTREAM_DATABASE_URL at another"
        elif isinstance(exc, asyncpg.InsufficientPrivilegeError):
            fix = f"grant the user CREATE and USAGE on schema {self.schema}, or pick another"
        elif isinstance(exc, asyncpg.ClientConfigurationError):
            fix = "set UPSTREAM_DATABASE_URL to postgresql://USER[:PASSWORD]@HOST[:PORT]/DB"
        else:
            fix = f"check that schema {self.schema} holds an upstream state database"
        detail = f"{type(exc).__name__}: {exc}"
        for secret in self._secrets:
            detail = detail.replace(secret, "***")
        return StorageError(f"state database {self.where}: {action} failed ({detail}); {fix}")


async def close_connection(conn: Any) -> None:
    """Close a dedicated connection even while cancelled; drop it if it will not close."""
    with anyio.CancelScope(shield=True):
        try:
            await conn.close(timeout=CONNECT_TIMEOUT_S)
        except Exception:
            conn.terminate()
