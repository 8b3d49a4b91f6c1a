"""Test scaffolding until `@asset(partitions_def=...)` lands (i18-asset): definitions whose
named assets carry a partitions definition in the graph, as the decorator will put it."""

from __future__ import annotations

from dataclasses import replace

from upstream import Definitions
from upstream.model.graph import AssetGraph
from upstream.model.partitions import PartitionsDefinition, StaticPartitionsDefinition

__all__ = ["LETTERS", "PIPELINE", "partitioned"]

LETTERS = StaticPartitionsDefinition(["a", "b", "c", "d"])


def partitioned(defs: Definitions, definition: PartitionsDefinition, *names: str) -> Definitions:
    """`defs` with the assets `names` partitioned by `definition` (graph and hash rebuilt)."""
    defs.graph = AssetGraph(
        replace(node, partitions_def=definition) if node.key.to_user_string() in names else node
        for node in defs.graph.nodes
    )
    defs.hash = defs.graph.snapshot_hash()
    return defs


# A code location for the CLI, web and cluster tests (self-contained: subprocesses import
# it from elsewhere): `daily` and `report` partitioned by the letters a..d, `lookup` not.
PIPELINE = """
from dataclasses import replace

from upstream import Definitions, asset
from upstream.model.graph import AssetGraph
from upstream.model.partitions import StaticPartitionsDefinition


@asset
def daily() -> int:
    return 1


@asset
def report(daily: int) -> int:
    return daily + 1


@asset
def lookup() -> int:
    return 0


LETTERS = StaticPartitionsDefinition(["a", "b", "c", "d"])
defs = Definitions([daily, report, lookup])
defs.graph = AssetGraph(
    replace(n, partitions_def=LETTERS) if n.key.name in ("daily", "report") else n
    for n in defs.graph.nodes
)
defs.hash = defs.graph.snapshot_hash()
"""
