"""`materialize`'s Dagster signature and `ExecuteInProcessResult`'s Dagster API (its
`test_materialize.py`, `test_execute_in_process_result.py`), and `materialize_to_memory`."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

from upstream import (
    AssetExecutionContext,
    AssetKey,
    ConfigurationError,
    Definitions,
    ExecuteInProcessResult,
    InputContext,
    IOManager,
    MaterializeResult,
    OutputContext,
    SelectionError,
    asset,
    get_dagster_logger,
    get_upstream_logger,
    materialize,
    materialize_to_memory,
)
from upstream.storage import EventType


@asset(key_prefix=["sales"])
def orders() -> list[int]:
    return [1, 2, 3]


@asset
def total(context: AssetExecutionContext, orders: list[int]) -> MaterializeResult:
    return MaterializeResult(value=sum(orders), metadata={"rows": len(orders)})


@asset
def other() -> str:
    return "x"


ASSETS = [orders, total, other]


def test_the_positional_order_is_dagsters() -> None:
    """`materialize(assets, run_config, instance, resources, partition_key, raise_on_error,
    tags, selection)`: a selection passed second is not silently a selection."""
    names = list(inspect.signature(materialize).parameters)
    expected = ["assets", "run_config", "instance", "resources", "partition_key"]
    assert names[:8] == [*expected, "raise_on_error", "tags", "selection"]
    assert inspect.signature(materialize).parameters["concurrency"].kind is (
        inspect.Parameter.KEYWORD_ONLY
    )
    assert list(inspect.signature(materialize_to_memory).parameters) == names
    with pytest.raises(ConfigurationError, match="pass the selection by name"):
        materialize(ASSETS, "total")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"instance": object()}, "no DagsterInstance"),
        ({"partition_key": 20260101}, "partition_key must be a string"),
    ],
)
def test_unsupported_arguments_are_refused_before_anything_runs(
    argument: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        materialize(ASSETS, **argument)


def test_tags_are_recorded_with_the_run() -> None:
    """Dagster's `materialize(tags=)`: the run carries them (`result.dagster_run.tags`),
    in memory too; no tags is an empty dict."""
    tags = {"team": "sales", "dagster/priority": "3"}
    result = materialize(ASSETS, tags=tags)
    assert result.success and result.dagster_run.tags == tags == result.run.tags
    assert materialize_to_memory(ASSETS, tags={"a": "b"}).dagster_run.tags == {"a": "b"}
    assert materialize(ASSETS).dagster_run.tags == {}


def test_json_values_are_stored_as_json_text_as_in_dagster() -> None:
    """Dagster accepts a non-string value whose JSON reads back equal, stored as JSON."""
    result = materialize(ASSETS, tags={"n": 3, "flags": ["a", "b"]})  # type: ignore[dict-item]
    assert result.dagster_run.tags == {"n": "3", "flags": '["a", "b"]'}


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({1: "x"}, "run tag key 1 is a int"),
        ({"when": object()}, "run tag 'when' has value"),
        ({"t": (1, 2)}, "run tag 't' has value"),
        (["team"], "must be a dict"),
    ],
)
def test_bad_tags_are_refused_before_anything_runs(tags: Any, message: str) -> None:
    ran: list[str] = []

    @asset
    def side_effect() -> None:
        ran.append("ran")

    for run in (materialize, materialize_to_memory):
        with pytest.raises(ConfigurationError, match=message):
            run([side_effect], tags=tags)
    assert ran == []


def test_selection_takes_strings_keys_and_assets() -> None:
    assert set(materialize(ASSETS, selection="other").steps) == {"other"}
    assert set(materialize(ASSETS, selection=["sales/orders"]).steps) == {"sales/orders"}
    assert set(materialize(ASSETS, selection=[AssetKey(["other"])]).steps) == {"other"}
    both = materialize(ASSETS, selection=[orders, total])
    assert set(both.steps) == {"sales/orders", "total"}
    with pytest.raises(SelectionError, match="not in these definitions"):
        materialize(ASSETS, selection=[AssetKey(["nope"])])


def test_selection_takes_an_object_that_resolves_against_the_graph() -> None:
    """Where `AssetSelection` plugs in: anything with `resolve(graph)` returning keys."""

    class Just:
        def resolve(self, graph: Any) -> list[AssetKey]:
            return [k for k in graph.keys if k.name == "other"]

    assert set(materialize(ASSETS, selection=Just()).steps) == {"other"}


def test_output_for_node_and_asset_value() -> None:
    result = materialize(ASSETS)
    assert isinstance(result, ExecuteInProcessResult) and result.success
    assert result.output_for_node("sales__orders") == [1, 2, 3]
    assert result.output_for_node("total") == 6
    assert result.asset_value(AssetKey(["sales", "orders"])) == [1, 2, 3]
    assert result.asset_value(["sales", "orders"]) == [1, 2, 3]
    with pytest.raises(Exception, match="one output, 'result'"):
        result.output_for_node("total", "other_output")
    with pytest.raises(Exception, match="no node 'nope'"):
        result.output_for_node("nope")


def test_materialization_events_carry_key_and_metadata() -> None:
    result = materialize(ASSETS)
    events = result.get_asset_materialization_events()
    assert {e.asset_key for e in events} == {
        AssetKey(["sales", "orders"]),
        AssetKey(["total"]),
        AssetKey(["other"]),
    }
    [total_event] = [e for e in events if e.asset_key == AssetKey(["total"])]
    assert total_event.event_type_value == EventType.ASSET_MATERIALIZATION
    assert total_event.materialization is not None
    assert total_event.materialization.metadata["rows"].value == 3
    assert total_event.step_materialization_data is not None
    [mat] = result.asset_materializations_for_node("total")
    assert mat.asset_key == AssetKey(["total"]) and mat.metadata["rows"].value == 3


def test_step_events_and_all_events() -> None:
    result = materialize(ASSETS)
    assert {e.step_key for e in result.get_step_success_events()} == {
        "sales/orders",
        "total",
        "other",
    }
    assert result.all_events[0].event_type_value == EventType.RUN_STARTED
    assert result.all_events[-1].event_type_value == EventType.RUN_SUCCESS
    assert {e.event_type_value for e in result.events_for_node("total")} >= {
        EventType.STEP_SUCCESS,
        EventType.ASSET_MATERIALIZATION,
    }


def test_failures_show_in_the_events() -> None:
    @asset
    def broken() -> int:
        raise ValueError("bad")

    @asset
    def after(broken: int) -> int:
        return broken

    result = materialize([broken, after], raise_on_error=False)
    assert not result.success
    assert [e.step_key for e in result.get_step_failure_events()] == ["broken"]
    assert [e.step_key for e in result.get_step_skipped_events()] == ["after"]
    assert result.get_failed_step_keys() == {"broken"}


class Shelf(IOManager):
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.values[context.asset_key.to_user_string()] = obj

    def load_input(self, context: InputContext) -> Any:
        return self.values[context.asset_key.to_user_string()]


def test_materialize_to_memory_replaces_every_io_manager() -> None:
    shelf = Shelf()

    @asset(io_manager_key="shelf")
    def kept() -> int:
        return 5

    @asset
    def plus(kept: int) -> int:
        return kept + 1

    defs = Definitions(assets=[kept, plus], resources={"shelf": shelf})
    result = materialize_to_memory(defs)
    assert result.asset_value("plus") == 6
    assert shelf.values == {}  # never touched
    with pytest.raises(ConfigurationError, match="remove 'io_manager'"):
        materialize_to_memory([plus, kept], resources={"io_manager": Shelf(), "shelf": shelf})


def test_a_single_asset_must_be_in_a_list() -> None:
    with pytest.raises(ConfigurationError, match="wrap"):
        materialize(other)  # type: ignore[arg-type]


def helper_that_logs() -> None:
    get_dagster_logger().info("from a helper")
    get_upstream_logger("mine").warning("careful %d", 3)


def test_get_upstream_logger_lands_in_the_step_log() -> None:
    """Dagster's get_dagster_logger: a helper logs without a context, into the step's log."""

    @asset
    def logs_in_a_thread() -> int:
        helper_that_logs()
        return 1

    @asset
    async def logs_on_the_loop() -> int:
        helper_that_logs()
        return 1

    result = materialize([logs_in_a_thread, logs_on_the_loop])
    for step in ("logs_in_a_thread", "logs_on_the_loop"):
        lines = [
            (e.data["level"], e.data["message"])
            for e in result.events_for_node(step)
            if e.event_type_value == EventType.LOG
        ]
        assert lines == [("info", "from a helper"), ("warning", "careful 3")]


def test_get_upstream_logger_outside_a_step_is_a_plain_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert get_dagster_logger is get_upstream_logger
    logger = get_upstream_logger("outside")
    assert isinstance(logger, logging.Logger) and logger.name == "upstream.user.outside"
    with caplog.at_level(logging.INFO):
        logger.info("plain")
    assert "plain" in caplog.text
