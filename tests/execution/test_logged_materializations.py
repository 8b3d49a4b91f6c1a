"""`context.log_event(AssetMaterialization(...))` records a materialization of another asset
with the step, in the event log and the catalog, as Dagster's does."""

from __future__ import annotations

import pytest

from upstream import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetSpec,
    Definitions,
    DefinitionsError,
    asset,
    materialize,
)


@asset(deps=["warehouse/orders"])
def export(context: AssetExecutionContext) -> int:
    context.log_event(
        AssetMaterialization("warehouse/orders", description="refreshed", metadata={"rows": 3})
    )
    context.add_output_metadata({"files": 1})
    return 1


def test_a_logged_materialization_is_recorded_beside_the_assets_own() -> None:
    result = materialize(Definitions([export, AssetSpec("warehouse/orders")]))
    made = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None and e.materialization is not None
    }
    assert set(made) == {"export", "warehouse/orders"}
    assert made["warehouse/orders"]["rows"].value == 3
    assert made["export"]["files"].value == 1
    assert result.asset_value("export") == 1  # the asset's own value is stored as before


def test_log_event_takes_only_materializations() -> None:
    @asset
    def wrong(context: AssetExecutionContext) -> None:
        context.log_event({"asset_key": "x"})  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="AssetMaterialization"):
        materialize([wrong])


def test_a_partition_is_refused_until_partitions_exist() -> None:
    with pytest.raises(DefinitionsError, match="partitions are not supported yet"):
        AssetMaterialization("x", partition="2026-01-01")
