"""Where the UI's asset graph comes from and where its launches go.

`DevWorkspace` (`upstream dev`) imports the code location itself and hands launches to
`EmbeddedRuns`, which runs them in this process. `ClusterWorkspace` (`upstream web`) never
imports user code: its graph is what workers registered, and a launch is queued by
`ClusterRuns` for the cluster's coordinator, exactly as `upstream materialize --database-url`
does. Either way canceling is `workspace.runs.cancel`.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import anyio

from upstream.locations import (
    CodeLocation,
    code_location_files,
    forget_code_location,
    load_code_location,
)
from upstream.model.definitions import Definitions
from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.partitions import partition_from_tags
from upstream.model.run_tags import check_run_tags
from upstream.planning.backfill import BackfillTarget
from upstream.planning.plan import build_plan
from upstream.planning.run_config import check_op_names, config_keys
from upstream.runs import ClusterRuns, EmbeddedRuns, Runs
from upstream.runs.backfills import new_backfill
from upstream.storage.base import RunStorage
from upstream.storage.dynamic import dynamic_store_for_graph
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
    """What the web app needs from its mode; everything else it reads from `storage`, and
    acts on runs through `runs`."""

    mode: Literal["dev", "web"]
    storage: RunStorage

    @property
    def runs(self) -> Runs: ...

    async def locations(self) -> list[LocationState]: ...

    async def launch(
        self,
        location: str,
        selection: str,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Start (or queue) a run of `selection` in `location` with `run_config` (the
        normalised dict, e.g. the run re-executed) and run `tags` (the partition key or range
        they name is its target); return its id once the run is recorded. Raises
        `UpstreamError` (e.g. `SelectionError`, `InvalidPartition`, `RunConfigError`) for
        bad input."""
        ...

    async def reload(self) -> list[LocationState]:
        """Import the code again (dev); `NotSupported` elsewhere."""
        ...

    async def launch_backfill(
        self,
        location: str,
        selection: str,
        target: BackfillTarget,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Record a backfill of `selection` in `location` over `target` and have it driven
        (here in dev, by the cluster's coordinator otherwise); return its id. Raises
        `UpstreamError` (e.g. `SelectionError` for a key not in the definition)."""
        ...


class DevWorkspace:
    """One code location imported here, its runs executed here; reloaded on demand or when
    its files change. A failed import keeps the last good graph and reports the error."""

    mode: Literal["dev", "web"] = "dev"

    def __init__(self, runs: EmbeddedRuns, *, module: str | None, file: str | None) -> None:
        self.runs = runs
        self.storage = runs.storage
        self._module, self._file = module, file
        self._name = module or str(Path(file or "").resolve())
        self._definitions: Definitions | None = None
        self._state = LocationState(self._name, None, None)
        self._files: set[Path] = set()  # what the last import read: what to watch
        self._mtimes: dict[Path, float | None] = {}
        self._registered: str | None = None  # the definitions hash written to the store
        self._load()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DevWorkspace]:
        """Run launched materializations and the file watcher; leaving it cancels runs still
        going (they are recorded CANCELED)."""
        async with self.runs.running(), anyio.create_task_group() as group:
            group.start_soon(self._watch)
            try:
                yield self
            finally:
                group.cancel_scope.cancel()

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

    async def launch(
        self,
        location: str,
        selection: str,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        definitions = self._definitions
        if definitions is None or location != self._name:
            raise UpstreamError(
                f"code location {location!r} is not loaded; fix the error shown and reload"
            )
        location_now = CodeLocation(self._name, definitions)
        return await self.runs.submit(location_now, selection, run_config, tags)

    async def launch_backfill(
        self,
        location: str,
        selection: str,
        target: BackfillTarget,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        definitions = self._definitions
        if definitions is None or location != self._name:
            raise UpstreamError(
                f"code location {location!r} is not loaded; fix the error shown and reload"
            )
        await self.locations()  # its snapshot registered: the backfill's runs plan from it
        record, _ = await new_backfill(
            self.storage,
            definitions.graph,
            code_location=self._name,
            definitions_hash=definitions.hash,
            selection=selection,
            target=target,
            tags=tags,
        )
        self.runs.drive_backfill(CodeLocation(self._name, definitions), record)
        return record.backfill_id

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

    def __init__(self, runs: ClusterRuns, *, launches: bool = True) -> None:
        self.runs = runs
        self.storage = runs.storage
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

    async def launch(
        self,
        location: str,
        selection: str,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        graph, definitions_hash = await self._served(location, "launches")
        # A bad selection or partition fails here, not in the cluster.
        store = await dynamic_store_for_graph(self.storage, graph)
        partition = partition_from_tags(check_run_tags(tags))
        build_plan(graph, selection, partition, dynamic_partitions_store=store)
        # Only op names can be checked here, from the graph; the submitter with the code
        # (`upstream materialize`) checked fields, and workers check them with their classes.
        config = check_op_names(run_config, config_keys(graph))
        return await self.runs.submit(location, definitions_hash, selection, config, tags)

    async def launch_backfill(
        self,
        location: str,
        selection: str,
        target: BackfillTarget,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        graph, definitions_hash = await self._served(location, "backfills")
        record, _ = await new_backfill(
            self.storage,
            graph,
            code_location=location,
            definitions_hash=definitions_hash,
            selection=selection,
            target=target,
            tags=tags,
        )
        return record.backfill_id

    async def _served(self, location: str, what: str) -> tuple[AssetGraph, str]:
        """The code location's graph and hash as its workers registered them: what a
        launch of `what` plans against. NotSupported without a coordinator to run it."""
        if not self._launches:
            raise NotSupported(
                f"this store has no coordinator to run {what}: use `upstream dev -m MODULE` "
                "on the same state, or `upstream web --database-url` for a cluster"
            )
        current = {state.name: state for state in await self.locations()}.get(location)
        if current is None or current.graph is None or current.definitions_hash is None:
            raise UpstreamError(f"no worker serves code location {location!r}; start one")
        return current.graph, current.definitions_hash

    async def reload(self) -> list[LocationState]:
        raise NotSupported(
            "reload is for `upstream dev`; in a cluster, restart the workers on the new code"
        )


def _error_text(exc: BaseException) -> str:
    """An unexpected import error with its last frames, so the UI shows where it broke."""
    frames = traceback.format_exception(exc)
    return "".join(frames[-6:]).rstrip()
