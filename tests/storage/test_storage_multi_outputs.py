"""One step, several assets: a multi-asset's outcome (`outputs`) records one
ASSET_MATERIALIZATION event and one catalog row per asset key, each with its own metadata,
on every backend; `asset_states` stays per step key (the op name)."""

from __future__ import annotations

from upstream.storage.base import EventType, RunStorage
from upstream.storage.records import RunRecord, RunStatus, StepOutcome, StepStatus

T0 = 1_700_000_000.0


def _int(n: int) -> dict[str, dict[str, object]]:
    return {"rows": {"type": "int", "value": n}}


def _outcome(run_id: str, outputs: dict[str, dict[str, dict[str, object]]]) -> StepOutcome:
    return StepOutcome(
        run_id,
        "split",
        1,
        StepStatus.SUCCESS,
        started_at=T0 + 1,
        ended_at=T0 + 2,
        worker_id="w",
        outputs=outputs,
    )


async def _start(storage: RunStorage, run_id: str) -> None:
    run = RunRecord(run_id, RunStatus.STARTED, "*", ("split",), "loc", "hash", T0)
    await storage.create_run(run)
    await storage.record_queued(run_id, [("split", 1)], T0)


async def test_each_asset_of_a_step_gets_its_own_materialization(storage: RunStorage) -> None:
    await _start(storage, "run-1")
    outcome = _outcome("run-1", {"a": _int(1), "b/c": _int(2)})
    assert await storage.record_outcomes([outcome]) == [True]
    assert await storage.record_outcomes([outcome]) == [False]  # recorded once

    events = await storage.get_events("run-1")
    made = [(e.step_key, e.data) for e in events if e.type == EventType.ASSET_MATERIALIZATION]
    assert made == [
        ("split", {"asset_key": "a", "metadata": _int(1)}),
        ("split", {"asset_key": "b/c", "metadata": _int(2)}),
    ]
    assert events[-1].type == EventType.STEP_SUCCESS
    latest = await storage.latest_materializations()
    assert {k: m.metadata for k, m in latest.items()} == {"a": _int(1), "b/c": _int(2)}
    assert [m.run_id for m in await storage.materializations("b/c")] == ["run-1"]
    states = await storage.asset_states(["split"])
    assert states["split"].step.status is StepStatus.SUCCESS


async def test_a_step_that_made_none_of_its_optional_assets_adds_no_catalog_row(
    storage: RunStorage,
) -> None:
    await _start(storage, "run-2")
    assert await storage.record_outcomes([_outcome("run-2", {})]) == [True]
    types = [e.type for e in await storage.get_events("run-2")]
    assert EventType.ASSET_MATERIALIZATION not in types
    assert EventType.STEP_SUCCESS in types
    assert await storage.latest_materializations() == {}
