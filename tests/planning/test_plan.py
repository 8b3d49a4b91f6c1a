"""Plans: the steps of a run, their in-plan parents, and where each step is routed."""

from __future__ import annotations

import pytest

from upstream import AssetKey, Definitions, DefinitionsError, asset
from upstream.planning import build_plan, cut_plan


@asset(queue="gpu")
def embeddings() -> int:
    return 1


@asset
def index(embeddings: int) -> int:
    return embeddings


@asset
def report(index: int) -> int:
    return index


DEFS = Definitions([embeddings, index, report])


def test_parents_outside_the_selection_are_not_steps() -> None:
    """Selecting `report` alone plans one step with no parents: `index` is loaded as stored."""
    plan = build_plan(DEFS.graph, "report")
    assert plan.steps == ("report",)
    assert plan.parents == {"report": ()}


def test_a_step_on_another_queue_is_routed_there() -> None:
    """`@asset(queue="gpu")` reaches the plan, and survives the graph's snapshot."""
    assert build_plan(DEFS.graph).queues == {"embeddings": "gpu"}
    rebuilt = type(DEFS.graph).from_snapshot(DEFS.graph.to_snapshot())
    assert build_plan(rebuilt).queues == {"embeddings": "gpu"}


def test_cut_plan_rebuilds_a_stored_runs_plan_in_topological_order() -> None:
    """A resumed run's plan comes from its stored step keys, whatever their stored order."""
    plan = cut_plan(DEFS.graph, [AssetKey("report"), AssetKey("embeddings")], "stored")
    assert plan.steps == ("embeddings", "report")
    assert plan.parents == {"embeddings": (), "report": ()}


def test_a_bad_queue_name_is_refused() -> None:
    """Queue names become broker queue names; spaces and slashes are refused up front."""
    with pytest.raises(DefinitionsError, match="queue 'gpu pool'"):
        asset(name="x", queue="gpu pool")(lambda: None)
