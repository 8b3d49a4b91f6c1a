"""Records as the JSON shapes shared by `--json` (docs/cli.md) and the web API (docs/web-api.md).

These field names are a documented contract: add fields, never rename or remove them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from upstream.model.graph import AssetNode
from upstream.model.partitions import PartitionKeyRange, partition_from_tags
from upstream.storage.base import EventType
from upstream.storage.records import (
    CoordinatorRecord,
    EventRecord,
    Materialization,
    Observation,
    RunRecord,
    StepRecord,
)

__all__ = [
    "asset_dict",
    "coordinator_dict",
    "materialization_dict",
    "materialized_by_step",
    "observation_dict",
    "partition_json",
    "run_dict",
    "step_dict",
]


def materialization_dict(m: Materialization | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "run_id": m.run_id,
        "timestamp": m.timestamp,
        "duration": m.duration,
        "metadata": m.metadata,
    }


def observation_dict(o: Observation | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "asset_key": o.asset_key,
        "observation_id": o.observation_id,
        "timestamp": o.timestamp,
        "data_version": o.data_version,
        "metadata": o.metadata,
    }


def asset_dict(
    node: AssetNode, latest: Materialization | None, observed: Observation | None = None
) -> dict[str, Any]:
    return {
        "key": node.key.to_user_string(),
        "group": node.group,
        "upstreams": [p.to_user_string() for p in node.parents],
        "external_deps": [d.to_user_string() for d in node.external_deps],
        "description": node.description,
        "kinds": list(node.kinds),
        "owners": list(node.owners),
        "tags": dict(node.tags),
        "last_materialization": materialization_dict(latest),
        # "materialization" (an @asset), "observation" or "unexecutable" (external assets)
        "execution_type": node.execution_type,
        "is_external": node.is_external,
        "last_observation": observation_dict(observed),
    }


def materialized_by_step(events: Sequence[EventRecord]) -> dict[str, list[str]]:
    """Step key -> the asset keys it materialized, from a run's events (a multi-asset's
    step makes several; a step that made none, or did not succeed, is absent)."""
    out: dict[str, list[str]] = {}
    for e in events:
        if e.type == EventType.ASSET_MATERIALIZATION and e.step_key is not None:
            out.setdefault(e.step_key, []).append(str(e.data.get("asset_key")))
    return out


def step_dict(step: StepRecord, assets: Sequence[str] = ()) -> dict[str, Any]:
    duration = (
        step.ended_at - step.started_at
        if step.ended_at is not None and step.started_at is not None
        else None
    )
    error = step.error
    return {
        "step_key": step.step_key,
        "attempt": step.attempt,
        "status": str(step.status),
        "queued_at": step.queued_at,
        "started_at": step.started_at,
        "ended_at": step.ended_at,
        "duration": duration,
        "worker_id": step.worker_id,
        "error": None
        if error is None
        else {"type": error.type, "message": error.message, "traceback": error.traceback},
        "skip_reason": step.skip_reason,
        "metadata": step.metadata,
        "assets": list(assets),
    }


def run_dict(
    run: RunRecord,
    steps: Sequence[StepRecord] | None = None,
    materialized: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A run; with `steps`, each with the asset keys it materialized (`materialized`)."""
    out: dict[str, Any] = {
        "run_id": run.run_id,
        "status": str(run.status),
        "selection": run.selection,
        "step_count": len(run.steps),
        "code_location": run.code_location,
        "definitions_hash": run.definitions_hash,
        "created_at": run.created_at,
        "ended_at": run.ended_at,
        "duration": run.duration,
        "run_config": run.run_config,
        "tags": run.tags,
        "partition": partition_json(partition_from_tags(run.tags)),
    }
    if steps is not None:
        made = materialized or {}
        out["steps"] = [step_dict(s, made.get(s.step_key, ())) for s in steps]
    return out


def partition_json(target: PartitionKeyRange | None) -> str | dict[str, str] | None:
    """A run's partition target: null (unpartitioned), "key", or {"start", "end"} (a range)."""
    if target is None:
        return None
    if target.start == target.end:
        return target.start
    return {"start": target.start, "end": target.end}


def coordinator_dict(c: CoordinatorRecord) -> dict[str, Any]:
    return {
        "coordinator_id": c.coordinator_id,
        "state": str(c.state),
        "alive": c.alive,
        "leading": c.leading,
        "started_at": c.started_at,
        "seen_at": c.seen_at,
        "seen_ago": c.seen_ago,
    }
