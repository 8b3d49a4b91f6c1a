"""`materialize()`: Dagster's testing entry point, with upstream's execution semantics."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from upstream import (
    AssetExecutionContext,
    AssetIn,
    ConfigurableResource,
    Definitions,
    InMemoryIOManager,
    IOManager,
    MaterializeResult,
    ResourceParam,
    SelectionError,
    asset,
    materialize,
)
from upstream.model.io_manager import InputContext, OutputContext
from upstream.storage import EventType, StepStatus


@asset
def raw_orders() -> list[dict[str, Any]]:
    return [
        {"date": "2026-01-01", "amount": 10.0},
        {"date": "2026-01-01", "amount": 5.0},
        {"date": "2026-01-02", "amount": 7.5},
    ]


@asset
def daily_summary(raw_orders: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for order in raw_orders:
        totals[order["date"]] = totals.get(order["date"], 0.0) + order["amount"]
    return totals


def test_the_issue_example_runs() -> None:
    """The README's first example: values flow through parameters, and come back out."""
    defs = Definitions(assets=[raw_orders, daily_summary])
    result = materialize(defs)
    assert result.success
    assert result.output_for("daily_summary") == {"2026-01-01": 15.0, "2026-01-02": 7.5}
    assert result.asset_value("raw_orders") == raw_orders()


def test_a_list_of_assets_is_accepted() -> None:
    """materialize([...]) works without building Definitions, as in Dagster."""
    assert materialize([raw_orders, daily_summary]).success


def test_async_assets_run_on_the_loop() -> None:
    """`async def` assets are awaited; their values flow to sync downstreams and back."""

    @asset
    async def fetched() -> int:
        await anyio.lowlevel.checkpoint()
        return 20

    @asset
    def doubled(fetched: int) -> int:
        return fetched * 2

    @asset
    async def tripled(fetched: int) -> int:
        return fetched * 3

    result = materialize([fetched, doubled, tripled])
    assert (result.output_for("doubled"), result.output_for("tripled")) == (40, 60)


def test_independent_assets_run_concurrently() -> None:
    """Two sync assets that each wait for the other only finish if they run at once."""
    barrier = threading.Barrier(2, timeout=10)

    @asset
    def left() -> str:
        barrier.wait()
        return "l"

    @asset
    def right() -> str:
        barrier.wait()
        return "r"

    assert materialize([left, right]).success


def test_concurrency_one_runs_one_at_a_time() -> None:
    """`concurrency=1` is a real limit: no two assets overlap."""
    running: list[int] = []
    peak: list[int] = [0]
    lock = threading.Lock()

    def body() -> None:
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        threading.Event().wait(0.01)
        with lock:
            running.pop()

    assets = [asset(name=f"a{i}")(lambda: body()) for i in range(4)]
    assert materialize(assets, concurrency=1).success
    assert peak[0] == 1


def test_a_downstream_starts_when_its_last_upstream_finishes_not_its_layer() -> None:
    """`quick_child` runs while `slow` (same layer as its parent) is still running."""
    child_ran = threading.Event()

    @asset
    def quick() -> int:
        return 1

    @asset
    def slow() -> int:
        assert child_ran.wait(timeout=10), "quick_child waited for the whole layer"
        return 2

    @asset
    def quick_child(quick: int) -> int:
        child_ran.set()
        return quick + 1

    assert materialize([quick, slow, quick_child]).success


def _failing_graph() -> list[Any]:
    @asset
    def source() -> int:
        return 1

    @asset
    def broken(source: int) -> int:
        raise ValueError(f"boom at {source}")

    @asset
    def after_broken(broken: int) -> int:
        return broken

    @asset
    def far_after(after_broken: int) -> int:
        return after_broken

    @asset
    def healthy(source: int) -> int:
        return source + 1

    return [source, broken, after_broken, far_after, healthy]


def test_a_failure_skips_its_descendants_and_lets_other_branches_finish() -> None:
    """The failed step keeps type, message and traceback; descendants skipped with a reason."""
    result = materialize(_failing_graph(), raise_on_error=False)
    assert not result.success
    assert result.failed_steps == ["broken"]
    assert sorted(result.skipped_steps) == ["after_broken", "far_after"]
    assert result.steps["healthy"].status is StepStatus.SUCCESS
    error = result.steps["broken"].error
    assert error is not None
    assert (error.type, error.message) == ("ValueError", "boom at 1")
    assert 'raise ValueError(f"boom at {source}")' in error.traceback
    assert "execution/step.py" not in error.traceback  # the user's frames, not our plumbing
    assert result.steps["far_after"].skip_reason == "upstream 'broken' failed"
    with pytest.raises(Exception, match="produced no value"):
        result.output_for("after_broken")


def test_raise_on_error_raises_the_assets_own_exception() -> None:
    """As in Dagster, the default re-raises the user's exception (after recording the run)."""
    with pytest.raises(ValueError, match="boom at 1"):
        materialize(_failing_graph())


def test_metadata_from_materialize_result_and_context_is_recorded() -> None:
    """MaterializeResult metadata and context.add_output_metadata land with the materialization."""

    @asset
    def table(context: AssetExecutionContext) -> MaterializeResult:
        context.add_output_metadata({"source": "https://example.com/data"})
        return MaterializeResult(value=[1, 2, 3], metadata={"rows": 3, "mean": 2.0})

    result = materialize([table])
    assert result.output_for("table") == [1, 2, 3]
    assert result.metadata_for("table") == {
        "rows": 3,
        "mean": 2.0,
        "source": "https://example.com/data",
    }
    assert result.steps["table"].metadata["source"]["type"] == "url"
    kinds = [e.type for e in result.events]
    assert EventType.ASSET_MATERIALIZATION in kinds


def test_materialize_result_without_value_skips_the_io_manager() -> None:
    """An asset that stores its own output returns MaterializeResult(metadata=...) only."""
    manager = InMemoryIOManager()

    @asset
    def external_table() -> MaterializeResult:
        return MaterializeResult(metadata={"rows": 10})

    result = materialize([external_table], resources={"io_manager": manager})
    assert result.success
    assert manager.values == {}


def test_context_gives_run_id_key_log_and_resources() -> None:
    """context.log lines land in the run's event log; resources are reachable by attribute."""
    seen: dict[str, Any] = {}

    @asset(required_resource_keys={"settings"})
    def inspect_me(context: AssetExecutionContext) -> None:
        seen["run_id"] = context.run_id
        seen["key"] = context.asset_key.to_user_string()
        seen["settings"] = context.resources.settings
        context.log.info("hello %s", "world")

    result = materialize([inspect_me], resources={"settings": {"region": "eu"}})
    assert seen == {"run_id": result.run_id, "key": "inspect_me", "settings": {"region": "eu"}}
    logs = [e.data for e in result.events if e.type == EventType.LOG]
    assert logs == [{"level": "info", "message": "hello world"}]


class Warehouse(ConfigurableResource):
    name: str


def test_resources_are_injected_by_parameter_and_never_mistaken_for_assets() -> None:
    """An annotated resource parameter gets the resource even when an asset has its name."""

    @asset
    def warehouse() -> str:
        return "the asset"

    @asset
    def report(warehouse: Warehouse, client: ResourceParam[dict[str, str]]) -> str:
        return f"{warehouse.name}/{client['id']}"

    defs = Definitions(
        assets=[warehouse, report],
        resources={"warehouse": Warehouse(name="wh"), "client": {"id": "c1"}},
    )
    assert defs.graph.parents(report.key) == ()
    assert materialize(defs).output_for("report") == "wh/c1"


def test_resources_passed_to_materialize_override_definitions() -> None:
    """materialize(defs, resources=...) swaps a resource for the test."""

    @asset
    def greeting(name: ResourceParam[str]) -> str:
        return f"hi {name}"

    defs = Definitions(assets=[greeting], resources={"name": "prod"})
    assert materialize(defs, resources={"name": "test"}).output_for("greeting") == "hi test"


def test_prefixed_keys_and_asset_in_cross_prefixes() -> None:
    """Multi-part keys, AssetIn(key=...) and AssetIn(key_prefix=...) reach across prefixes."""

    @asset(key_prefix=["sales"])
    def orders() -> int:
        return 3

    @asset(key_prefix="finance", ins={"sales_orders": AssetIn(key="sales/orders")})
    def revenue(sales_orders: int) -> int:
        return sales_orders * 10

    @asset(ins={"orders": AssetIn(key_prefix="sales")})
    def count(orders: int) -> int:
        return orders

    result = materialize([orders, revenue, count])
    assert result.output_for("finance/revenue") == 30
    assert result.output_for(["sales", "orders"]) == 3
    assert result.output_for("count") == 3


def test_deps_order_without_passing_values() -> None:
    """deps=[...] runs after the upstream but receives nothing from it."""
    order: list[str] = []

    @asset
    def first() -> None:
        order.append("first")

    @asset(deps=[first])
    def second() -> None:
        order.append("second")

    assert materialize([second, first], concurrency=4).success
    assert order == ["first", "second"]


class RecordingIOManager(IOManager):
    def __init__(self) -> None:
        self.stored: dict[str, Any] = {}

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.stored[context.asset_key.to_user_string()] = obj
        context.add_output_metadata({"stored_by": "recording"})

    def load_input(self, context: InputContext) -> Any:
        return self.stored[context.asset_key.to_user_string()]


def test_an_asset_may_choose_its_io_manager() -> None:
    """io_manager_key picks a resource; downstreams load through the upstream's manager."""
    special = RecordingIOManager()

    @asset(io_manager_key="special")
    def precious() -> int:
        return 7

    @asset
    def user(precious: int) -> int:
        return precious + 1

    result = materialize(Definitions([precious, user], resources={"special": special}))
    assert special.stored == {"precious": 7}
    assert result.output_for("user") == 8
    assert result.output_for("precious") == 7
    assert result.metadata_for("precious") == {"stored_by": "recording"}


def test_a_selection_runs_only_what_it_names() -> None:
    """'+daily_summary' takes the parent; a bad selection fails before anything runs."""
    defs = Definitions(assets=[raw_orders, daily_summary])
    assert materialize(defs, selection="+daily_summary").success
    only_raw = materialize(defs, selection="raw_orders")
    assert list(only_raw.steps) == ["raw_orders"]
    with pytest.raises(SelectionError, match="did you mean 'daily_summary'"):
        materialize(defs, selection="daily_sumary")


def test_a_missing_upstream_value_says_how_to_fix_it() -> None:
    """Selecting a downstream alone, in memory, fails with the selection that would work."""
    defs = Definitions(assets=[raw_orders, daily_summary])
    result = materialize(defs, selection="daily_summary", raise_on_error=False)
    error = result.steps["daily_summary"].error
    assert error is not None
    assert "materialize it first or add it to the selection" in error.message
    assert "'+daily_summary'" in error.message


async def test_materialize_works_inside_a_running_event_loop() -> None:
    """In a notebook or an async test, materialize() still works (it uses a helper thread)."""
    assert materialize([raw_orders, daily_summary]).success
