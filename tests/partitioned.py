"""Partitioned definitions shared by the partition tests of the CLI, the web and the cluster."""

from __future__ import annotations

from upstream.model.partitions import StaticPartitionsDefinition

__all__ = ["LETTERS", "PIPELINE"]

LETTERS = StaticPartitionsDefinition(["a", "b", "c", "d"])


# A code location for the CLI, web and cluster tests (self-contained: subprocesses import
# it from elsewhere): `daily` and `report` partitioned by the letters a..d, `lookup` not;
# the partitioned ones store nothing through the IO manager, so a range run can make them.
PIPELINE = """
from upstream import Definitions, StaticPartitionsDefinition, asset

LETTERS = StaticPartitionsDefinition(["a", "b", "c", "d"])


@asset(partitions_def=LETTERS)
def daily(context) -> None:
    # Stores its own data (here: nothing), so that a range run can make it: an IO manager
    # keeping a value per partition refuses a range's one value, as Dagster's does.
    context.log.info(f"daily {context.partition_keys}")


@asset(partitions_def=LETTERS, deps=[daily])
def report(context) -> None:
    context.log.info(f"report {context.partition_keys}")


@asset
def lookup() -> int:
    return 0


defs = Definitions([daily, report, lookup])
"""
