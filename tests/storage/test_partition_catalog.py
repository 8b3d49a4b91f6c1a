"""The catalog per partition and dynamic partitions, on every backend.

A partitioned step's outcome upserts one row per (asset made, partition key) in the same
transaction as the outcome: the last attempt's status decides the key's status, as in
Dagster's asset partition status (a key materialized and then failed counts as failed:
`AssetPartitionStatus.FAILED`, dagster `_core/definitions/partitions/...` status cache).
"""

from __future__ import annotations

import pytest

from upstream.model.partitions import StaticPartitionsDefinition
from upstream.protocol import ErrorInfo
from upstream.storage.base import EventType, RunStorage
from upstream.storage.dynamic import FetchedDynamicPartitions, load_dynamic_partitions
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus

T0 = 1_700_000_000.0


async def _start(
    storage: RunStorage, run_id: str, step: str, tags: dict[str, str] | None = None
) -> None:
    run = RunRecord(run_id, RunStatus.STARTED, "*", (step,), "loc", "h", T0, tags=tags or {})
    await storage.create_run(run)
    await storage.record_queued(run_id, [(step, 1)], T0)


def _ok(run_id: str, step: str, keys: tuple[str, ...], **kw: object) -> StepOutcome:
    return StepOutcome(
        run_id, step, 1, StepStatus.SUCCESS, T0 + 1, T0 + 2, "w", {"n": 1}, partitions=keys, **kw
    )  # type: ignore[arg-type]


def _failed(run_id: str, step: str, keys: tuple[str, ...]) -> StepOutcome:
    error = ErrorInfo("ValueError", "boom", "")
    return StepOutcome(
        run_id, step, 1, StepStatus.FAILURE, T0 + 3, T0 + 4, "w", error=error, partitions=keys
    )


async def test_a_range_step_records_a_row_per_key_once(storage: RunStorage) -> None:
    await _start(storage, "r1", "daily")
    outcome = _ok("r1", "daily", ("a", "b", "c"))
    assert await storage.record_outcomes([outcome]) == [True]
    assert await storage.record_outcomes([outcome]) == [False]  # redelivered: nothing new

    status = await storage.partition_status("daily")
    assert status.materialized == ("a", "b", "c")
    assert status.failed == ()
    latest = await storage.latest_partition_materializations("daily")
    assert sorted(latest) == ["a", "b", "c"]
    assert {m.run_id for m in latest.values()} == {"r1"}
    assert latest["b"].metadata == {"n": 1}
    # One materialization event per asset per step, naming the range it covered.
    events = await storage.get_events("r1")
    made = [e.data for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == [
        {
            "asset_key": "daily",
            "metadata": {"n": 1},
            "partition_range": {"start": "a", "end": "c", "count": 3},
        }
    ]
    assert await storage.partition_status("other") == type(status)("other", (), ())


async def test_the_last_attempt_decides_and_a_failure_keeps_the_materialization(
    storage: RunStorage,
) -> None:
    await _start(storage, "r1", "daily")
    await storage.record_outcomes([_ok("r1", "daily", ("a", "b"))])
    await _start(storage, "r2", "daily")
    await storage.record_outcomes([_failed("r2", "daily", ("b", "c"))])

    status = await storage.partition_status("daily")
    assert status.materialized == ("a",)
    assert status.failed == ("b", "c")
    latest = await storage.latest_partition_materializations("daily", keys=["b", "c", "zz"])
    assert list(latest) == ["b"]  # c never materialized; b's last success is kept
    assert latest["b"].run_id == "r1"

    await _start(storage, "r3", "daily")
    await storage.record_outcomes([_ok("r3", "daily", ("b",))])
    status = await storage.partition_status("daily")
    assert status.materialized == ("a", "b")
    assert status.failed == ("c",)
    events = await storage.get_events("r3")
    made = [e.data for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made[0]["partition"] == "b"
    newest = await storage.latest_partition_materializations("daily", limit=1)
    assert {k: m.run_id for k, m in newest.items()} == {"b": "r3"}


async def test_one_batch_with_a_success_then_a_failure_of_a_key(storage: RunStorage) -> None:
    await _start(storage, "r1", "daily")
    await _start(storage, "r2", "daily")
    batch = [_ok("r1", "daily", ("a",)), _failed("r2", "daily", ("a",))]
    assert await storage.record_outcomes(batch) == [True, True]
    status = await storage.partition_status("daily")
    assert status.failed == ("a",)
    latest = await storage.latest_partition_materializations("daily")
    assert latest["a"].run_id == "r1"


async def test_a_multi_asset_step_records_each_asset_it_made(storage: RunStorage) -> None:
    await _start(storage, "r1", "split")
    outputs: dict[str, dict[str, object]] = {"x": {}, "y": {}}
    await storage.record_outcomes([_ok("r1", "split", ("k1",), outputs=outputs)])
    assert (await storage.partition_status("x")).materialized == ("k1",)
    assert (await storage.partition_status("y")).materialized == ("k1",)
    assert (await storage.partition_status("split")).materialized == ()


async def test_unpartitioned_and_skipped_outcomes_add_no_partition_rows(
    storage: RunStorage,
) -> None:
    await _start(storage, "r1", "plain")
    await storage.record_outcomes([_ok("r1", "plain", ())])
    await _start(storage, "r2", "skipped")
    skipped = StepOutcome("r2", "skipped", 1, StepStatus.SKIPPED, partitions=("a",))
    await storage.record_outcomes([skipped])
    assert (await storage.partition_status("plain")).materialized == ()
    assert (await storage.partition_status("skipped")).failed == ()
    events = await storage.get_events("r1")
    made = [e.data for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == [{"asset_key": "plain", "metadata": {"n": 1}}]


async def test_runs_in_progress_are_those_with_partition_tags(storage: RunStorage) -> None:
    await _start(storage, "r1", "daily", {"dagster/partition": "a"})
    await _start(storage, "r2", "daily")
    queued = RunRecord(
        "r3",
        RunStatus.QUEUED,
        "daily",
        (),
        "loc",
        "h",
        T0 + 1,
        tags={
            "dagster/asset_partition_range_start": "b",
            "dagster/asset_partition_range_end": "c",
        },
    )
    await storage.create_run(queued)
    await _start(storage, "r4", "daily", {"dagster/partition": "d"})
    await storage.finish_run("r4", RunStatus.SUCCESS, T0 + 5)
    runs = await storage.partition_runs_in_progress()
    assert sorted(run.run_id for run in runs) == ["r1", "r3"]


async def test_dynamic_partitions_keep_their_order_and_are_idempotent(
    storage: RunStorage,
) -> None:
    assert await storage.get_dynamic_partitions("customers") == []
    assert await storage.add_dynamic_partitions("customers", ["c", "a", "c", "b"]) == [
        "c",
        "a",
        "b",
    ]
    assert await storage.add_dynamic_partitions("customers", ["a", "d"]) == ["d"]
    assert await storage.get_dynamic_partitions("customers") == ["c", "a", "b", "d"]
    assert await storage.has_dynamic_partition("customers", "a")
    assert not await storage.has_dynamic_partition("other", "a")
    assert await storage.delete_dynamic_partition("customers", "a")
    assert not await storage.delete_dynamic_partition("customers", "a")
    assert await storage.add_dynamic_partitions("customers", ["a"]) == ["a"]  # now last
    assert await storage.get_dynamic_partitions("customers") == ["c", "b", "d", "a"]
    assert await storage.add_dynamic_partitions("customers", []) == []

    store = await load_dynamic_partitions(storage, ["customers", "none"])
    assert list(store.get_dynamic_partitions("customers")) == ["c", "b", "d", "a"]
    assert store.has_dynamic_partition("customers", "d")
    assert not store.has_dynamic_partition("none", "d")


async def test_a_bad_dynamic_key_is_refused(storage: RunStorage) -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        await storage.add_dynamic_partitions("customers", ["a", ""])
    with pytest.raises(ValueError, match="needs a name"):
        await storage.add_dynamic_partitions("", ["a"])
    assert await storage.get_dynamic_partitions("customers") == []


def test_fetched_keys_serve_pure_code() -> None:
    store = FetchedDynamicPartitions({"customers": ["x", "y"]})
    static = StaticPartitionsDefinition(["x", "y"])
    assert list(static.get_partition_keys(dynamic_partitions_store=store)) == ["x", "y"]
    assert store.get_dynamic_partitions("unknown") == []
