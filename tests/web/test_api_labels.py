"""The web API carries kinds, owners and tags, selects by them, and records every metadata
kind (table, timestamp, asset and run links) as its JSON-safe entry."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.web.conftest import open_dev

LABELLED = textwrap.dedent(
    """
    from datetime import datetime, timezone

    from upstream import (
        AssetKey, Definitions, MaterializeResult, MetadataValue, TableRecord, TableSchema, asset,
    )

    @asset(kinds={"python", "duckdb"}, owners=["team:sales"], tags={"tier": "1"})
    def orders() -> int:
        return 1

    @asset(compute_kind="pandas")
    def report(orders: int) -> MaterializeResult:
        return MaterializeResult(value=orders, metadata={
            "preview": MetadataValue.table(
                [TableRecord({"id": 1})], TableSchema.from_name_type_dict({"id": "int"})
            ),
            "as_of": MetadataValue.timestamp(datetime(2024, 1, 1, tzinfo=timezone.utc)),
            "source": MetadataValue.asset(AssetKey("orders")),
        })

    defs = Definitions(assets=[orders, report])
    """
)


async def test_assets_carry_kinds_owners_and_tags(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(LABELLED)
    async with open_dev(tmp_path) as dev:
        listed = {a["key"]: a for a in (await dev.client.get("/api/assets")).json()}
        assert listed["orders"]["kinds"] == ["duckdb", "python"]
        assert listed["orders"]["owners"] == ["team:sales"]
        assert listed["orders"]["tags"] == {"tier": "1"}
        assert listed["report"]["kinds"] == ["pandas"]
        one = (await dev.client.get("/api/assets/orders")).json()
        assert (one["kinds"], one["owners"], one["tags"]) == (
            ["duckdb", "python"],
            ["team:sales"],
            {"tier": "1"},
        )


async def test_selection_by_kind_owner_and_tag(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(LABELLED)
    async with open_dev(tmp_path) as dev:

        async def keys(q: str) -> list[str]:
            response = await dev.client.get("/api/selection", params={"q": q})
            assert response.status_code == 200, response.text
            return list(response.json()["keys"])

        assert await keys("kind:python") == ["orders"]
        assert await keys("kind:pandas or owner:team:sales") == ["orders", "report"]
        assert await keys("tag:tier=1+ and not kind:duckdb") == ["report"]
        bad = await dev.client.get("/api/selection", params={"q": "kind:pyhton"})
        assert bad.status_code == 400 and "did you mean 'python'" in bad.json()["error"]


async def test_metadata_kinds_are_recorded_as_entries(tmp_path: Path) -> None:
    (tmp_path / "pipeline.py").write_text(LABELLED)
    async with open_dev(tmp_path) as dev:
        run = await dev.wait_run(await dev.launch("*report"))
        assert run["status"] == "SUCCESS"
        history = (await dev.client.get("/api/assets/report/materializations")).json()
        metadata = history[0]["metadata"]
        assert metadata["preview"]["type"] == "table"
        assert metadata["preview"]["value"]["records"] == [{"id": 1}]
        assert metadata["as_of"] == {"type": "timestamp", "value": 1704067200.0}
        assert metadata["source"] == {"type": "asset", "value": "orders"}
