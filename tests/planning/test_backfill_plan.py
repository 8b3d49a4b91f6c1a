"""The backfill planner: units by partitions definition and BackfillPolicy, edges through
partition mappings, tracked by the ReadySet. Pure: no store, no transport."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey
from upstream.model.partitions import (
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    BackfillPolicy,
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionMapping,
    PartitionsDefinition,
    StaticPartitionsDefinition,
)
from upstream.planning.backfill import BackfillTarget, plan_backfill

DAYS = StaticPartitionsDefinition(
    [(date(2015, 1, 1) + timedelta(days=i)).isoformat() for i in range(3650)]
)
COLORS = StaticPartitionsDefinition(["red", "green", "blue"])


def key(name: str) -> AssetKey:
    return AssetKey.from_user_string(name)


def node(name: str, *parents: str, **kw: Any) -> AssetNode:
    return AssetNode(key(name), tuple(key(p) for p in parents), **kw)


class PreviousKey(PartitionMapping):
    """Each partition reads the partition before it (Dagster's TimeWindowPartitionMapping
    with start_offset=-1, end_offset=-1), over any ordered definition."""

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        every = list(upstream_def.get_partition_keys())
        index = {k: i for i, k in enumerate(every)}
        return [every[index[k] - 1] for k in downstream_keys or () if index[k] > 0]

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        every = list(downstream_def.get_partition_keys())
        index = {k: i for i, k in enumerate(every)}
        return [every[index[k] + 1] for k in upstream_keys if index[k] + 1 < len(every)]

    def to_spec(self) -> dict[str, Any]:
        return {"type": "previous"}


def test_identity_on_one_definition_makes_every_unit_ready_at_once() -> None:
    """Two daily assets, identity: a run per partition covering both (Dagster launches a
    run per partition when no BackfillPolicy is set), none waiting for another."""
    graph = AssetGraph(
        [node("raw", partitions_def=DAYS), node("daily", "raw", partitions_def=DAYS)]
    )
    started = time.perf_counter()
    plan = plan_backfill(graph, graph.keys, BackfillTarget())
    assert time.perf_counter() - started < 2.0  # 3,650 units: no quadratic walk
    assert len(plan) == 3650
    first = next(iter(plan.units.values()))
    assert first.selection == "raw,daily"
    assert first.partition == PartitionKeyRange("2015-01-01", "2015-01-01")
    assert first.tags("b1") == {BACKFILL_ID_TAG: "b1", PARTITION_NAME_TAG: "2015-01-01"}
    tracker = plan.tracker()
    assert len(tracker.initial()) == 3650


def test_a_range_selects_its_keys_only() -> None:
    graph = AssetGraph([node("raw", partitions_def=DAYS)])
    plan = plan_backfill(
        graph, graph.keys, BackfillTarget(range=PartitionKeyRange("2015-01-30", "2015-02-02"))
    )
    assert plan.partitions == ["2015-01-30", "2015-01-31", "2015-02-01", "2015-02-02"]


def test_multi_run_policy_cuts_chunks_of_at_most_n_consecutive_keys() -> None:
    graph = AssetGraph(
        [node("c", partitions_def=DAYS, backfill_policy=BackfillPolicy.multi_run(4))]
    )
    target = BackfillTarget(range=PartitionKeyRange("2015-01-01", "2015-01-10"))
    plan = plan_backfill(graph, graph.keys, target)
    ranges = [u.partition for u in plan.units.values()]
    assert ranges == [
        PartitionKeyRange("2015-01-01", "2015-01-04"),
        PartitionKeyRange("2015-01-05", "2015-01-08"),
        PartitionKeyRange("2015-01-09", "2015-01-10"),
    ]


def test_single_run_policy_is_one_range_and_a_gap_splits_it() -> None:
    graph = AssetGraph(
        [node("c", partitions_def=COLORS, backfill_policy=BackfillPolicy.single_run())]
    )
    assert [
        u.partition for u in plan_backfill(graph, graph.keys, BackfillTarget()).units.values()
    ] == [PartitionKeyRange("red", "blue")]
    # red and blue are not consecutive: a run covers one range, so two runs.
    gap = plan_backfill(graph, graph.keys, BackfillTarget(keys=("blue", "red")))
    assert [u.partition for u in gap.units.values()] == [
        PartitionKeyRange("red", "red"),
        PartitionKeyRange("blue", "blue"),
    ]


def test_the_strictest_policy_of_a_unit_wins() -> None:
    graph = AssetGraph(
        [
            node("a", partitions_def=COLORS, backfill_policy=BackfillPolicy.single_run()),
            node("b", "a", partitions_def=COLORS, backfill_policy=BackfillPolicy.multi_run(2)),
        ]
    )
    plan = plan_backfill(graph, graph.keys, BackfillTarget())
    assert [u.partition for u in plan.units.values()] == [
        PartitionKeyRange("red", "green"),
        PartitionKeyRange("blue", "blue"),
    ]


def test_an_offset_dependency_orders_the_units() -> None:
    """`b` of a day reads `a` of the day before: each unit waits for the previous one."""
    graph = AssetGraph(
        [
            node("a", partitions_def=COLORS),
            node("b", "a", partitions_def=COLORS, partition_mappings={key("a"): PreviousKey()}),
        ]
    )
    plan = plan_backfill(graph, graph.keys, BackfillTarget())
    units = plan.units
    assert [u.selection for u in units.values()] == ["a,b", "a,b", "a,b"]
    tracker = plan.tracker()
    [red] = tracker.initial()
    assert units[red].keys == ("red",)
    [green] = tracker.succeeded(red)
    assert units[green].keys == ("green",)
    assert [units[u].keys for u in tracker.succeeded(green)] == [("blue",)]
    # Asked for red only, b's keys are those the mapping derives (green): its own unit,
    # waiting for a's.
    plan = plan_backfill(graph, graph.keys, BackfillTarget(keys=("red",)))
    assert [(u.selection, u.keys) for u in plan.units.values()] == [
        ("a", ("red",)),
        ("b", ("green",)),
    ]
    assert plan.parents["b|green|green"] == ("a|red|red",)


def test_two_definitions_downstream_waits_for_the_mapped_upstream_units() -> None:
    """A per-color asset reading every day (AllPartitionMapping by default between two
    definitions is not Dagster's; here explicit): each color waits for all day units."""
    from upstream.model.partitions import AllPartitionMapping

    days = StaticPartitionsDefinition(["d1", "d2"])
    graph = AssetGraph(
        [
            node("raw", partitions_def=days),
            node(
                "by_color",
                "raw",
                partitions_def=COLORS,
                partition_mappings={key("raw"): AllPartitionMapping()},
            ),
        ]
    )
    plan = plan_backfill(graph, graph.keys, BackfillTarget())
    tracker = plan.tracker()
    ready = tracker.initial()
    assert sorted(plan.units[u].selection for u in ready) == ["raw", "raw"]
    assert tracker.succeeded(ready[0]) == []
    assert sorted(plan.units[u].partition.start for u in tracker.succeeded(ready[1])) == [  # type: ignore[union-attr]
        "blue",
        "green",
        "red",
    ]


def test_an_unpartitioned_asset_runs_once_after_its_partitioned_parents() -> None:
    """Dagster materializes an unpartitioned asset of an asset backfill in a run of its
    own once its upstream partitions are done."""
    graph = AssetGraph([node("a", partitions_def=COLORS), node("summary", "a")])
    plan = plan_backfill(graph, graph.keys, BackfillTarget())
    assert plan.units["summary"].partition is None
    assert plan.units["summary"].tags("b") == {BACKFILL_ID_TAG: "b"}
    tracker = plan.tracker()
    ready = tracker.initial()
    assert len(ready) == 3
    tracker.succeeded(ready[0])
    tracker.succeeded(ready[1])
    assert tracker.succeeded(ready[2]) == ["summary"]


def test_a_failed_unit_skips_its_dependents() -> None:
    graph = AssetGraph([node("a", partitions_def=COLORS), node("summary", "a")])
    tracker = plan_backfill(graph, graph.keys, BackfillTarget()).tracker()
    ready = tracker.initial()
    assert [s.step for s in tracker.failed(ready[0])] == ["summary"]


def test_a_key_not_in_the_definition_is_refused_by_name() -> None:
    graph = AssetGraph([node("a", partitions_def=COLORS)])
    with pytest.raises(SelectionError, match="'purple' is not in StaticPartitionsDefinition"):
        plan_backfill(graph, graph.keys, BackfillTarget(keys=("purple",)))


def test_root_assets_of_two_definitions_cannot_share_requested_keys() -> None:
    """Dagster: "All root assets must share the same partitions def" for partition names."""
    graph = AssetGraph([node("a", partitions_def=COLORS), node("b", partitions_def=DAYS)])
    with pytest.raises(SelectionError, match="different partitions definitions"):
        plan_backfill(graph, graph.keys, BackfillTarget(keys=("red",)))


def test_the_target_survives_its_json_form() -> None:
    for target in (
        BackfillTarget(),
        BackfillTarget(keys=("a", "b")),
        BackfillTarget(range=PartitionKeyRange("a", "b")),
    ):
        assert BackfillTarget.from_dict(target.to_dict()) == target
