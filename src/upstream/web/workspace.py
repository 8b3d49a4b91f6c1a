"""Where the UI's asset graph comes from and where its launches go.

`DevWorkspace` (`upstream dev`) imports the code location itself and runs materializations
in this process, on the embedded executor. `ClusterWorkspace` (`upstream web`) never imports
user code: its graph is what workers registered, and a launch queues a run for the
cluster's coordinator, exactly as `upstream materialize --database-url` does.
"""

from __future__ import annotations

import math
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import anyio
import anyio.abc

from upstream.definitions.definitions import Definitions
from upstream.definitions.errors import UpstreamError
from upstream.definitions.graph import AssetGraph
from upstream.definitions.io_manager import IOManager
from upstream.embedded.loading import (
    CodeLocation,
    code_location_files,
    forget_code_location,
    load_code_location,
)
from upstream.embedded.runner import DEFAULT_CONCURRENCY, run_embedded
from upstream.planning.plan import Plan, build_plan
from upstream.storage.base import RunStorage
from upstream.storage.records import RunRecord, RunStatus
from upstream.storage.snapshots import graph_from_snapshot
from upstream.tracing import get_logger

__all__ = [
    "ClusterWorkspace",
    "DevWorkspace",
    "LocationState",
    "NotSupported",
    "Workspace",
]

log = get_logger("web")

_WATCH_EVERY = 1.0  # seconds between looks at the code location's files
_REREAD_EVERY = 2.0  # seconds a cluster's list of code locations is reused


class NotSupported(UpstreamError):
    """The action exists only in the other mode (e.g. reload outside `upstream dev`)."""


@dataclass(frozen=True)
class LocationState:
    """One code location as the UI shows it: its graph, or why it has none right now."""

    name: str
    graph: AssetGraph | None
    definitions_hash: str | None
    load_error: str | None = None
    loaded_at: float | None = None


class Workspace(Protocol):
    """What the web app needs from its mode; everything else it reads from `storage`."""

    mode: Literal["dev", "web"]
    storage: RunStorage

    async def locations(self) -> list[LocationState]: ...

    async def launch(self, location: str, selection: str) -> str:
        """Start (or queue) a run of `selection` in `location`; return its id once the run
        is recorded. Raises `UpstreamError` (e.g. `SelectionError`) for bad input."""
        ...

    async def cancel(self, run_id: str) -> RunStatus | None:
        """Ask a run to stop; its status afterwards, None if there is no such run."""
        ...

    async def reload(self) -> list[LocationState]:
        """Import the code again (dev); `NotSupported` elsewhere."""
        ...


class DevWorkspace:
    """One code location imported here, its runs executed here; reloaded on demand or when
    its files change. A failed import keeps the last good graph and reports the error."""

    mode: Literal["dev", "web"] = "dev"

    def __init__(
        self,
        storage: RunStorage,
        *,
        module: str | None,
        file: str | None,
        io_manager: Callable[[Definitions], IOManager],
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.storage = storage
        self._module, self._file = module, file
        self._io_manager = io_manager
        self._concurrency = concurrency
        self._name = module or str(Path(file or "").resolve())
        self._definitions: Definitions | None = None
        self._state = LocationState(self._name, None, None)
        self._group: anyio.abc.TaskGroup | None = None
        self._scopes: dict[str, anyio.CancelScope] = {}
        self._files: set[Path] = set()  # what the last import read: what to watch
        self._mtimes: dict[Path, float | None] = {}
        self._registered: str | None = None  # the definitions hash written to the store
        self._load()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DevWorkspace]:
        """Own the task group that runs launched materializations and the file watcher;
        leaving it cancels runs still going (they are recorded CANCELED)."""
        async with anyio.create_task_group() as group:
            self._group = group
            group.start_soon(self._watch)
            try:
                yield self
            finally:
                group.cancel_scope.cancel()
                self._group = None

    async def locations(self) -> list[LocationState]:
        state = self._state
        if self._definitions is not None and state.definitions_hash != self._registered:
            # So that `upstream web` over the same state can show this graph too.
            await self.storage.register_code_location(
                CodeLocation(state.name, self._definitions).record()
            )
            self._registered = state.definitions_hash
        return [state]

    async def reload(self) -> list[LocationState]:
        self._load()
        return [self._state]

    async def launch(self, location: str, selection: str) -> str:
        definitions = self._definitions
        if definitions is None or location != self._name:
            raise UpstreamError(
                f"code location {location!r} is not loaded; fix the error shown and reload"
            )
        if self._group is None:
            raise RuntimeError("DevWorkspace.launch outside `running()`")
        plan = build_plan(definitions.graph, selection)
        run_id: str = await self._group.start(self._run, definitions, plan)
        return run_id

    async def cancel(self, run_id: str) -> RunStatus | None:
        status = await self.storage.request_cancel(run_id, time.time())
        scope = self._scopes.get(run_id)
        if scope is not None:
            scope.cancel()  # run_embedded records the run CANCELED as it unwinds
        return status

    async def _run(
        self,
        definitions: Definitions,
        plan: Plan,
        *,
        task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        run_id = str(uuid.uuid4())
        reporter = _Reporter(task_status)
        with anyio.CancelScope() as scope:
            self._scopes[run_id] = scope
            try:
                await run_embedded(
                    definitions,
                    plan,
                    storage=self.storage,
                    io_manager=self._io_manager(definitions),
                    code_location=self._name,
                    concurrency=self._concurrency,
                    run_id=run_id,
                    task_status=reporter,
                )
            except Exception:
                if not reporter.reported:
                    raise  # the launcher gets the error: no run was recorded
                log.exception("run.crashed", run_id=run_id)  # the server carries on
            finally:
                del self._scopes[run_id]

    def _load(self) -> None:
        forget_code_location(self._module, self._file)
        try:
            definitions = load_code_location(self._module, self._file).definitions
        except Exception as exc:  # any import error is shown in the UI, never fatal here
            message = str(exc) if isinstance(exc, UpstreamError) else _error_text(exc)
            log.warning("code_location.load_failed", code_location=self._name, error=message)
            self._state = LocationState(
                self._name,
                self._state.graph,
                self._state.definitions_hash,
                load_error=message,
                loaded_at=self._state.loaded_at,
            )
        else:
            self._definitions = definitions
            self._state = LocationState(
                self._name, definitions.graph, definitions.hash, None, time.time()
            )
            log.info(
                "code_location.loaded", code_location=self._name, assets=len(definitions.graph)
            )
        self._files = code_location_files(self._module, self._file)
        self._mtimes = self._look()

    def _look(self) -> dict[Path, float | None]:
        seen: dict[Path, float | None] = {}
        for path in self._files:
            try:
                seen[path] = path.stat().st_mtime
            except OSError:
                seen[path] = None
        return seen

    async def _watch(self) -> None:
        """Reload when a file of the code location changes (polling: no extra dependency,
        and a few stat calls a second cost nothing)."""
        while True:
            await anyio.sleep(_WATCH_EVERY)
            if self._look() != self._mtimes:
                log.info("code_location.changed", code_location=self._name)
                self._load()


class ClusterWorkspace:
    """The graphs workers registered; launches are queued for the cluster's coordinator."""

    mode: Literal["dev", "web"] = "web"

    def __init__(self, storage: RunStorage, *, launches: bool = True) -> None:
        self.storage = storage
        self._launches = launches
        self._graphs: dict[str, AssetGraph] = {}  # by definitions hash; snapshots never change
        self._states: list[LocationState] = []
        self._read_at = -math.inf

    async def locations(self) -> list[LocationState]:
        """Re-read at most every `_REREAD_EVERY` seconds: pages poll, workers rarely change
        code, and each read carries every snapshot (megabytes at 10,000 assets)."""
        if time.monotonic() - self._read_at < _REREAD_EVERY:
            return self._states
        states = []
        for record in await self.storage.list_code_locations():
            graph = self._graphs.get(record.definitions_hash)
            if graph is None:
                graph = self._graphs[record.definitions_hash] = graph_from_snapshot(record.snapshot)
            states.append(
                LocationState(record.name, graph, record.definitions_hash, None, record.updated_at)
            )
        self._states, self._read_at = states, time.monotonic()
        return states

    async def launch(self, location: str, selection: str) -> str:
        if not self._launches:
            raise NotSupported(
                "this store has no coordinator to run launches: use `upstream dev -m MODULE` "
                "on the same state, or `upstream web --database-url` for a cluster"
            )
        current = {state.name: state for state in await self.locations()}.get(location)
        if current is None or current.graph is None or current.definitions_hash is None:
            raise UpstreamError(f"no worker serves code location {location!r}; start one")
        build_plan(current.graph, selection)  # a bad selection fails here, not in the cluster
        run_id = str(uuid.uuid4())
        await self.storage.create_run(
            RunRecord(
                run_id=run_id,
                status=RunStatus.QUEUED,
                selection=selection,
                steps=(),
                code_location=location,
                definitions_hash=current.definitions_hash,
                created_at=time.time(),
            )
        )
        return run_id

    async def cancel(self, run_id: str) -> RunStatus | None:
        return await self.storage.request_cancel(run_id, time.time())

    async def reload(self) -> list[LocationState]:
        raise NotSupported(
            "reload is for `upstream dev`; in a cluster, restart the workers on the new code"
        )


@dataclass
class _Reporter:
    """Passes the run id on to the launcher, remembering that it did."""

    status: anyio.abc.TaskStatus[str]
    reported: bool = False

    def started(self, value: Any = None) -> None:
        self.reported = True
        self.status.started(value)


def _error_text(exc: BaseException) -> str:
    """An unexpected import error with its last frames, so the UI shows where it broke."""
    frames = traceback.format_exception(exc)
    return "".join(frames[-6:]).rstrip()
