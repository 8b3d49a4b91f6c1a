"""Observations of (external) assets, on every backend: appended idempotently, newest first,
and the newest per asset for the catalog."""

from __future__ import annotations

from upstream.storage.base import RunStorage
from upstream.storage.records import Observation

T0 = 1_700_000_000.0


def observed(key: str, n: int, version: str | None = None, **meta: int) -> Observation:
    metadata = {name: {"type": "int", "value": value} for name, value in meta.items()}
    return Observation(key, f"{key}-{n}", T0 + n, version, metadata)


async def test_observations_read_back_newest_first(storage: RunStorage) -> None:
    await storage.record_observations([observed("raw", 1, "v1", rows=3)])
    await storage.record_observations([observed("raw", 2, "v2", rows=5), observed("other", 3)])
    history = await storage.observations("raw")
    assert [o.data_version for o in history] == ["v2", "v1"]
    assert history[0] == observed("raw", 2, "v2", rows=5)
    assert await storage.observations("raw", limit=1) == [history[0]]
    assert await storage.observations("nothing") == []


async def test_a_repeated_observation_is_recorded_once(storage: RunStorage) -> None:
    await storage.record_observations([observed("raw", 1, "v1")])
    await storage.record_observations([observed("raw", 1, "v1"), observed("raw", 1, "v1")])
    assert len(await storage.observations("raw")) == 1
    await storage.record_observations([])


async def test_latest_observations_per_asset(storage: RunStorage) -> None:
    assert await storage.latest_observations() == {}
    await storage.record_observations(
        [observed("a", 1, "v1"), observed("a", 2, "v2"), observed("b/c", 3, None)]
    )
    latest = await storage.latest_observations()
    assert {k: o.data_version for k, o in latest.items()} == {"a": "v2", "b/c": None}
    some = await storage.latest_observations(["b/c", "missing"])
    assert list(some) == ["b/c"]
    assert await storage.latest_observations([]) == {}
