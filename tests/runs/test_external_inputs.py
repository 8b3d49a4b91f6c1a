"""Running assets around external ones, `-> None` assets, and what IO managers are told
(Dagster's OutputContext / InputContext names)."""

from __future__ import annotations

from typing import Any

import pytest

from upstream import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetSpec,
    Definitions,
    InputContext,
    InputLoadError,
    IOManager,
    OpExecutionContext,
    OutputContext,
    SourceAsset,
    UpstreamError,
    asset,
    materialize,
)


class Recording(IOManager):
    """Stores in a dict, and keeps every context it was handed."""

    def __init__(self, values: dict[AssetKey, Any] | None = None) -> None:
        self.values = dict(values or {})
        self.outputs: list[OutputContext] = []
        self.inputs: list[InputContext] = []

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.outputs.append(context)
        self.values[context.asset_key] = obj

    def load_input(self, context: InputContext) -> Any:
        self.inputs.append(context)
        return self.values[context.asset_key]


def test_an_external_upstream_is_loaded_through_its_io_manager() -> None:
    lake = Recording({AssetKey(["shop", "orders"]): [1, 2, 3]})

    @asset(ins={"orders": AssetIn(key="shop/orders")})
    def order_count(orders: list[int]) -> int:
        return len(orders)

    defs = Definitions(
        assets=[SourceAsset(["shop", "orders"], io_manager_key="lake"), order_count],
        resources={"lake": lake},
    )
    result = materialize(defs)
    assert result.output_for("order_count") == 3
    assert list(result.steps) == ["order_count"]  # the external asset is never a step


def test_a_spec_with_io_manager_key_is_loaded_by_parameter_name() -> None:
    lake = Recording({AssetKey("raw"): "hello"})

    @asset
    def shout(raw: str) -> str:
        return raw.upper()

    defs = Definitions(
        assets=[AssetSpec("raw").with_io_manager_key("lake"), shout], resources={"lake": lake}
    )
    assert materialize(defs).output_for("shout") == "HELLO"


def test_a_list_of_assets_with_a_spec_works_as_in_dagster() -> None:
    @asset(deps=[AssetSpec("raw")])
    def after() -> int:
        return 1

    result = materialize([AssetSpec("raw"), after])
    assert result.success and list(result.steps) == ["after"]


def test_a_missing_external_value_says_what_the_asset_is() -> None:
    @asset
    def shout(raw: str) -> str:
        return raw.upper()

    with pytest.raises(InputLoadError, match="external asset, produced outside upstream"):
        materialize([AssetSpec("raw"), shout])


def test_an_asset_annotated_none_stores_nothing() -> None:
    io = Recording()

    @asset
    def side_effect() -> None:
        pass

    @asset
    def plain():  # type: ignore[no-untyped-def]
        return None  # no annotation: None is stored, as in Dagster

    materialize([side_effect, plain], resources={"io_manager": io})
    assert [c.asset_key for c in io.outputs] == [AssetKey("plain")]
    assert io.values == {AssetKey("plain"): None}


def test_a_none_annotated_asset_returning_a_value_fails() -> None:
    @asset
    def liar() -> None:
        return 3  # type: ignore[return-value]

    with pytest.raises(TypeError, match="annotated -> None but returned a int"):
        materialize([liar])


def test_a_parameter_on_a_none_asset_fails_saying_to_use_deps() -> None:
    @asset
    def table() -> None:
        pass

    @asset
    def report(table: object) -> int:
        return 1

    with pytest.raises(InputLoadError, match=r"annotated -> None.*deps=\['table'\]"):
        materialize([table, report])

    @asset(deps=[table])
    def fine() -> int:
        return 1

    assert materialize([table, fine]).success


def test_io_contexts_carry_dagsters_attributes() -> None:
    io = Recording()

    @asset(metadata={"table": "t_up"})
    def up() -> int:
        return 1

    @asset(ins={"up": AssetIn(metadata={"columns": ["a"]})})
    def down(up: int) -> int:
        return up + 1

    materialize([up, down], resources={"io_manager": io})
    out = io.outputs[0]
    assert out.asset_key == AssetKey("up") and out.has_asset_key and out.name == "result"
    assert out.definition_metadata == {"table": "t_up"} == out.metadata
    assert out.has_partition_key is False
    with pytest.raises(UpstreamError, match="non-partitioned run"):
        _ = out.partition_key
    out.log.info("the log works")
    inp = io.inputs[0]
    assert (inp.name, inp.asset_key, inp.downstream_key) == ("up", AssetKey("up"), AssetKey("down"))
    assert inp.definition_metadata == {"columns": ["a"]}
    assert inp.upstream_output is not None
    assert inp.upstream_output.definition_metadata == {"table": "t_up"}
    assert inp.has_asset_key and not inp.has_partition_key
    with pytest.raises(UpstreamError, match="non-partitioned run"):
        _ = inp.partition_key


def test_io_manager_log_lines_land_in_the_run_log() -> None:
    class Talking(Recording):
        def handle_output(self, context: OutputContext, obj: Any) -> None:
            context.log.info("stored %s", context.asset_key)
            super().handle_output(context, obj)

    @asset
    def a() -> int:
        return 1

    result = materialize([a], resources={"io_manager": Talking()})
    logs = [e.data["message"] for e in result.events if e.type == "LOG"]
    assert logs == ["stored a"]


def test_op_execution_context_is_the_asset_context() -> None:
    assert OpExecutionContext is AssetExecutionContext

    @asset
    def a(context: OpExecutionContext) -> str:
        return context.asset_key.to_user_string()

    assert materialize([a]).output_for("a") == "a"
