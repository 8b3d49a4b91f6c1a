"""The seed pipeline in examples/orders, the first code the README runs, really works."""

from __future__ import annotations

import csv
import importlib
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from upstream import materialize

CSV = Path(__file__).resolve().parents[2] / "examples" / "orders" / "orders.csv"


@pytest.fixture(scope="module")
def orders() -> ModuleType:
    return importlib.import_module("examples.orders")


def _csv_rows() -> list[dict[str, str]]:
    with CSV.open(newline="") as f:
        return list(csv.DictReader(f))


def test_materializes_every_asset(orders: ModuleType) -> None:
    result = materialize(orders.defs)
    assert result.success

    rows = _csv_rows()
    raw = result.output_for("raw_orders")
    assert len(raw) == len(rows)

    revenue: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for row in rows:
        revenue[row["date"]] += float(row["amount"])
        count[row["date"]] += 1
    summary = result.output_for("daily_summary")
    assert len(summary) == len(revenue)
    by_date = {str(r.date)[:10]: (r.revenue, r.orders) for r in summary.itertuples(index=False)}
    assert set(by_date) == set(revenue)
    for date, (total, n) in by_date.items():
        assert total == pytest.approx(revenue[date])
        assert n == count[date]

    per_customer: dict[str, float] = defaultdict(float)
    for row in rows:
        per_customer[row["customer"]] += float(row["amount"])
    expected = sorted(per_customer, key=per_customer.__getitem__, reverse=True)[:3]
    top = result.output_for("top_customers")
    assert len(top) == 3
    assert list(top["customer"]) == expected
    assert list(top["revenue"]) == pytest.approx([per_customer[c] for c in expected])


def test_graph_groups_and_descriptions(orders: ModuleType) -> None:
    assets = {a.key.to_user_string(): a for a in orders.defs.assets}
    assert set(assets) == {"raw_orders", "daily_summary", "top_customers"}
    assert assets["raw_orders"].group_name == "ingest"
    assert assets["daily_summary"].group_name == "reporting"
    assert assets["top_customers"].group_name == "reporting"
    assert all(a.description for a in assets.values())
