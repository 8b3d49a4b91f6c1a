"""`upstream materialize --partition KEY | --partition-range START...END | --all-partitions`.

Dagster's `dagster asset materialize` options (its "..." range separator and its rules),
plus `--all-partitions`: one run over the whole range of the selection's definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from upstream.model.errors import UpstreamError
from upstream.model.graph import AssetGraph
from upstream.model.partitions import DynamicPartitionsStore, PartitionKeyRange
from upstream.planning.partitions import InvalidPartition, shared_partitions_def
from upstream.planning.plan import Plan, materializable
from upstream.planning.selection import recorded_text, select

__all__ = ["check_range_policy", "partition_options", "run_target"]

F = TypeVar("F", bound=Callable[..., Any])

RANGE_SEPARATOR = "..."  # Dagster's: --partition-range 2024-01-01...2024-01-31


def partition_options(fn: F) -> F:
    fn = click.option(
        "--all-partitions",
        is_flag=True,
        help="One run over every partition of the selection's partitions definition.",
    )(fn)
    fn = click.option(
        "--partition-range",
        "partition_range",
        metavar="START...END",
        help="One run over the partitions START to END, both included (Dagster's form).",
    )(fn)
    return click.option(
        "--partition", "partition", metavar="KEY", help="The partition key to materialize."
    )(fn)


def run_target(
    graph: AssetGraph,
    selection: str | None,
    partition: str | None,
    partition_range: str | None,
    all_partitions: bool,
    dynamic_partitions_store: DynamicPartitionsStore | None = None,
) -> PartitionKeyRange | None:
    """The run's partition target from the options (None: none given); whether the selection
    takes it is for the planner. A malformed or conflicting option is an `InvalidPartition`."""
    given = [
        name
        for name, value in (
            ("--partition", partition is not None),
            ("--partition-range", partition_range is not None),
            ("--all-partitions", all_partitions),
        )
        if value
    ]
    if len(given) > 1:
        raise InvalidPartition(f"{' and '.join(given)} both given; use only one")
    if partition is not None:
        return PartitionKeyRange(partition, partition)
    if partition_range is not None:
        parts = partition_range.split(RANGE_SEPARATOR)
        if len(parts) != 2 or not all(parts):
            raise InvalidPartition(
                f"--partition-range {partition_range!r}: expected START...END, e.g. "
                "--partition-range 2024-01-01...2024-01-31"
            )
        return PartitionKeyRange(parts[0], parts[1])
    if all_partitions:
        return _whole_range(graph, selection, dynamic_partitions_store)
    return None


def _whole_range(
    graph: AssetGraph, selection: str | None, store: DynamicPartitionsStore | None
) -> PartitionKeyRange:
    keys = select(graph, selection)
    steps = materializable(graph, keys, recorded_text(graph, selection, keys))
    shared = shared_partitions_def(graph, steps)  # assets of several definitions: refused
    if shared is None:
        raise InvalidPartition(
            "--all-partitions given, but none of the selected assets is partitioned; "
            "leave it out, or select partitioned assets"
        )
    definition = shared[0]
    every = definition.get_partition_keys(dynamic_partitions_store=store)
    if not every:
        raise InvalidPartition(f"--all-partitions: {definition!r} has no partitions yet")
    return PartitionKeyRange(every[0], every[-1])


def check_range_policy(graph: AssetGraph, plan: Plan) -> None:
    """A run over several partitions needs assets that take them in one run: Dagster's CLI
    refuses a range for an asset whose `BackfillPolicy` is multi-run ("Provided partition
    range, but not all assets have a single-run backfill policy"); here, only when the
    range holds more keys than the policy's `max_partitions_per_run`."""
    count = len(plan.partition_keys)
    if count <= 1:
        return
    for node in graph.nodes:
        policy = node.backfill_policy
        if node.step_key not in plan.partitioned or policy is None:
            continue
        most = policy.max_partitions_per_run
        if most is not None and count > most:
            raise UpstreamError(
                f"the range covers {count} partitions in one run, but asset "
                f"{node.key.to_user_string()!r} has BackfillPolicy.multi_run({most}): at most "
                f"{most} per run; launch a backfill instead (it cuts the range into runs), or "
                "give the asset BackfillPolicy.single_run()"
            )
