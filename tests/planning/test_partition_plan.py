"""A run's partition target, checked by the planner against the selected assets (pure).

The rules are Dagster's `dagster asset materialize` ones (dagster_tests/cli_tests/
command_tests/test_materialize_command.py) and its job rule that partitioned assets of one
run share one partitions definition (`_infer_partitions_def`).
"""

from __future__ import annotations

import pytest

from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.model.partitions import PartitionKeyRange, StaticPartitionsDefinition
from upstream.planning import build_plan, cut_plan
from upstream.planning.partitions import InvalidPartition

LETTERS = StaticPartitionsDefinition(["a", "b", "c", "d"])
COLORS = StaticPartitionsDefinition(["red", "blue"])


def _graph(**partitions: StaticPartitionsDefinition | None) -> AssetGraph:
    """raw -> clean -> report, `lookup` on the side; partitioned as given."""
    parents = {"raw": (), "clean": ("raw",), "report": ("clean",), "lookup": ()}
    return AssetGraph(
        AssetNode(
            AssetKey(name),
            tuple(AssetKey(p) for p in ups),
            partitions_def=partitions.get(name),
        )
        for name, ups in parents.items()
    )


GRAPH = _graph(raw=LETTERS, clean=LETTERS)


def test_a_key_marks_the_partitioned_steps_and_expands_to_itself() -> None:
    plan = build_plan(GRAPH, "raw*", PartitionKeyRange("b", "b"))
    assert plan.partition == PartitionKeyRange("b", "b")
    assert plan.partition_keys == ("b",)
    assert plan.partitioned == frozenset({"raw", "clean"})  # report is not partitioned
    assert plan.task_partition("raw") == ("b",)
    assert plan.task_partition("report") == ()
    assert plan.step_partitions("clean") == ("b",)
    assert plan.step_partitions("report") == ()


def test_a_range_expands_in_the_definitions_order() -> None:
    plan = build_plan(GRAPH, "raw", PartitionKeyRange("b", "d"))
    assert plan.partition_keys == ("b", "c", "d")
    assert plan.task_partition("raw") == ("b", "d")


def test_an_unpartitioned_plan_has_no_partition() -> None:
    plan = build_plan(GRAPH, "lookup")
    assert (plan.partition, plan.partition_keys, plan.partitioned) == (None, (), frozenset())
    assert plan.task_partition("lookup") == ()


def test_a_key_not_in_the_definition_is_named_with_the_keys_there_are() -> None:
    """Dagster: "Could not find a partition with key `e`" (DagsterUnknownPartitionError)."""
    with pytest.raises(InvalidPartition, match=r"partition key 'e' is not in Static.*'a' to 'd'"):
        build_plan(GRAPH, "raw", PartitionKeyRange("e", "e"))
    with pytest.raises(InvalidPartition, match="did you mean 'banana'"):
        build_plan(_static_graph(["apple", "banana"]), "x", PartitionKeyRange("banan", "banan"))


def _static_graph(keys: list[str]) -> AssetGraph:
    return AssetGraph([AssetNode(AssetKey("x"), partitions_def=StaticPartitionsDefinition(keys))])


def test_a_range_with_a_missing_end_or_running_backwards_is_refused() -> None:
    with pytest.raises(InvalidPartition, match="'z' is not in"):
        build_plan(GRAPH, "raw", PartitionKeyRange("a", "z"))
    with pytest.raises(InvalidPartition, match=r"runs backwards.*give it as b...d"):
        build_plan(GRAPH, "raw", PartitionKeyRange("d", "b"))


def test_a_partition_for_a_selection_with_nothing_partitioned_is_refused() -> None:
    """Dagster: "Provided '--partition' option, but none of the assets are partitioned";
    `execute_in_process`: "Attempted to execute a partitioned run for a non-partitioned job"."""
    with pytest.raises(InvalidPartition, match="none of the selected assets is partitioned"):
        build_plan(GRAPH, "report", PartitionKeyRange("a", "a"))
    unpartitioned = _graph()
    with pytest.raises(InvalidPartition, match="none of the selected assets is partitioned"):
        build_plan(unpartitioned, None, PartitionKeyRange("a", "a"))


def test_a_partitioned_selection_without_a_partition_is_refused() -> None:
    """Dagster: "Asset has partitions, but no '--partition' option was provided"."""
    with pytest.raises(
        InvalidPartition, match=r"assets 'raw', 'clean' are partitioned.*--partition"
    ):
        build_plan(GRAPH)


def test_assets_of_different_definitions_cannot_share_a_run() -> None:
    """Dagster: "Selected assets must have the same partitions definitions, but the selected
    assets have different partitions definitions" (naming each definition's assets)."""
    graph = _graph(raw=LETTERS, lookup=COLORS)
    with pytest.raises(InvalidPartition) as error:
        build_plan(graph, "raw,lookup", PartitionKeyRange("a", "a"))
    message = str(error.value)
    assert "different partitions definitions" in message
    assert "StaticPartitionsDefinition(['a', 'b', 'c', 'd']): asset 'raw'" in message
    assert "StaticPartitionsDefinition(['red', 'blue']): asset 'lookup'" in message
    # Equal definitions built apart are one definition (compared by their specs).
    same = _graph(raw=LETTERS, lookup=StaticPartitionsDefinition(["a", "b", "c", "d"]))
    assert build_plan(same, "raw,lookup", PartitionKeyRange("a", "a")).partitioned == {
        "raw",
        "lookup",
    }


def test_the_partition_survives_the_snapshot_and_a_resume_cut() -> None:
    """The coordinator plans from the snapshot, and a resume cuts the stored steps."""
    graph = AssetGraph.from_snapshot(GRAPH.to_snapshot())
    keys = [AssetKey("raw"), AssetKey("clean")]
    plan = cut_plan(graph, keys, "raw,clean", PartitionKeyRange("a", "c"))
    assert plan.partition_keys == ("a", "b", "c")
    assert plan.partitioned == {"raw", "clean"}


def test_an_unpartitioned_graph_plans_as_before() -> None:
    graph = _graph()
    assert not graph.has_partitions
    plan = build_plan(graph)
    assert plan.partitioned == frozenset() and plan.partition is None
