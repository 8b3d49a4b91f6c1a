"""Dynamic-partitioned assets run embedded: through `EmbeddedRuns` (the `upstream dev` web
launches) the key must be in the run's storage first, as Dagster's `materialize(...,
instance=)` needs `instance.add_dynamic_partitions` (dagster_tests/definitions_tests/
test_dynamic_partitions.py); `materialize()` has no instance, so its run's key is taken as
added to its ephemeral store."""

from __future__ import annotations

from pathlib import Path

import pytest

from upstream import (
    AssetExecutionContext,
    Definitions,
    DynamicPartitionsDefinition,
    InMemoryIOManager,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    build_asset_context,
    materialize,
)
from upstream.locations import CodeLocation
from upstream.model.partitions import PartitionKeyRange
from upstream.planning.partitions import InvalidPartition
from upstream.runs import EmbeddedRuns, follow_run
from upstream.storage import RunStatus
from upstream.storage.sqlite import open_sqlite_storage

CUSTOMERS = DynamicPartitionsDefinition(name="customers")


@asset(partitions_def=CUSTOMERS)
def orders(context: AssetExecutionContext) -> str:
    return f"orders of {context.partition_key}"


@asset(partitions_def=CUSTOMERS)
def invoices(context: AssetExecutionContext, orders: str) -> str:
    return f"{orders}, invoiced"


REGIONS = MultiPartitionsDefinition(
    {"customer": CUSTOMERS, "region": StaticPartitionsDefinition(["eu", "us"])}
)


@asset(partitions_def=CUSTOMERS)
def ledger(context: AssetExecutionContext) -> None:
    """Writes its own data: a range run's one value has no per-key place in an IO manager."""
    RANGES.append((context.partition_key_range, context.partition_keys))


RANGES: list[tuple[PartitionKeyRange, list[str]]] = []


@asset(partitions_def=REGIONS)
def sales(context: AssetExecutionContext) -> str:
    return str(context.partition_key)


def test_materialize_runs_the_key_it_is_given() -> None:
    result = materialize([orders, invoices], partition_key="acme")
    assert result.success
    assert result.output_for_node("invoices") == "orders of acme, invoiced"


def test_materialize_a_multi_partition_with_a_dynamic_dimension() -> None:
    key = MultiPartitionKey({"customer": "acme", "region": "eu"})
    result = materialize([sales], partition_key=key)
    assert result.success and result.output_for_node("sales") == "acme|eu"


async def test_embedded_runs_read_the_keys_of_their_storage(tmp_path: Path) -> None:
    storage = await open_sqlite_storage(tmp_path / "state.db")
    location = CodeLocation("pipeline", Definitions([orders, invoices]))
    try:
        runs = EmbeddedRuns(storage, io_manager=lambda _: InMemoryIOManager())
        async with runs.running():
            with pytest.raises(InvalidPartition, match="upstream partitions add customers acme"):
                await runs.submit(location, "*", tags={"dagster/partition": "acme"})
            await storage.add_dynamic_partitions("customers", ["acme"])
            run_id = await runs.submit(location, "*", tags={"dagster/partition": "acme"})
            record, _ = await follow_run(storage, run_id, lambda step: None)
        assert record.status is RunStatus.SUCCESS
        assert (await storage.partition_status("invoices")).materialized == ("acme",)
    finally:
        await storage.close()


async def test_a_range_run_reads_the_stored_keys_between_its_ends(tmp_path: Path) -> None:
    storage = await open_sqlite_storage(tmp_path / "state.db")
    location = CodeLocation("pipeline", Definitions([ledger]))
    RANGES.clear()
    try:
        await storage.add_dynamic_partitions("customers", ["acme", "globex", "initech", "umbrella"])
        runs = EmbeddedRuns(storage, io_manager=lambda _: InMemoryIOManager())
        tags = {
            "dagster/asset_partition_range_start": "globex",
            "dagster/asset_partition_range_end": "umbrella",
        }
        async with runs.running():
            run_id = await runs.submit(location, "ledger", tags=tags)
            record, _ = await follow_run(storage, run_id, lambda step: None)
        assert record.status is RunStatus.SUCCESS
        assert [
            (PartitionKeyRange("globex", "umbrella"), ["globex", "initech", "umbrella"])
        ] == RANGES
        status = await storage.partition_status("ledger")
        assert status.materialized == ("globex", "initech", "umbrella")
    finally:
        await storage.close()


def test_a_direct_call_takes_the_dynamic_key_it_is_given() -> None:
    """No storage in a direct call: the key given is the asset's (Dagster's needs an
    instance that has it)."""
    assert orders(build_asset_context(partition_key="acme")) == "orders of acme"
