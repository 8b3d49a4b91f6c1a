"""Orders: read a CSV of orders, then summarise revenue per day and find the top customers.

Run it from the repository root with `upstream materialize -m examples.orders`.
"""

from pathlib import Path

import pandas as pd

from upstream import AssetExecutionContext, Definitions, MaterializeResult, asset

CSV = Path(__file__).with_name("orders.csv")


@asset(group_name="ingest")
def raw_orders(context: AssetExecutionContext) -> MaterializeResult:
    """Every order, as read from orders.csv."""
    df = pd.read_csv(CSV, parse_dates=["date"])
    context.log.info("read %d orders from %s", len(df), CSV.name)
    return MaterializeResult(value=df, metadata={"rows": len(df), "path": str(CSV)})


@asset(group_name="reporting")
def daily_summary(raw_orders: pd.DataFrame) -> MaterializeResult:
    """Revenue and number of orders per day."""
    summary = (
        raw_orders.groupby("date")
        .agg(revenue=("amount", "sum"), orders=("order_id", "count"))
        .reset_index()
    )
    total = round(float(summary["revenue"].sum()), 2)
    return MaterializeResult(value=summary, metadata={"rows": len(summary), "revenue": total})


@asset(group_name="reporting")
def top_customers(raw_orders: pd.DataFrame) -> pd.DataFrame:
    """The three customers with the most revenue."""
    revenue = raw_orders.groupby("customer")["amount"].sum()
    return revenue.nlargest(3).rename("revenue").reset_index()


defs = Definitions(assets=[raw_orders, daily_summary, top_customers])
