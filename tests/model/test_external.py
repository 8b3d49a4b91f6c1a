"""External assets in the model: AssetSpec, SourceAsset, @observable_source_asset (Dagster's
documented behaviour), and how Definitions and the planner treat them."""

from __future__ import annotations

import pytest

from upstream import (
    AssetIn,
    AssetKey,
    AssetSpec,
    DataVersion,
    Definitions,
    DefinitionsError,
    ObserveResult,
    SelectionError,
    SourceAsset,
    asset,
    observable_source_asset,
)
from upstream.model.errors import DuplicateAssetKey, MissingResource
from upstream.planning.plan import build_plan


def test_asset_spec_coerces_its_key_and_deps_and_keeps_dagster_field_order() -> None:
    spec = AssetSpec(
        "warehouse/raw", deps=["a", AssetKey(["b", "c"])], owners=["team:data"], kinds={"s3"}
    )
    assert spec.key == AssetKey(["warehouse", "raw"])
    assert spec.deps == (AssetKey("a"), AssetKey(["b", "c"]))
    assert spec.group_name is None and spec.skippable is False
    assert list(spec.__dataclass_fields__)[:7] == [
        "key",
        "deps",
        "description",
        "metadata",
        "group_name",
        "skippable",
        "code_version",
    ]


def test_asset_spec_is_frozen_and_replace_attributes_returns_a_copy() -> None:
    spec = AssetSpec("raw", description="old")
    with pytest.raises(AttributeError):
        spec.description = "new"  # type: ignore[misc]
    other = spec.replace_attributes(description="new", group_name="g")
    assert (other.description, other.group_name, spec.description) == ("new", "g", "old")
    merged = spec.merge_attributes(metadata={"x": 1}, kinds={"csv"}, owners=["a@b.io"])
    assert merged.metadata == {"x": 1} and merged.kinds == {"csv"} and merged.owners == ("a@b.io",)
    with pytest.raises(DefinitionsError, match="no attribute 'colour'"):
        spec.replace_attributes(colour="red")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deps": ["a", "a"]}, "deps names 'a' twice"),
        ({"kinds": {"a", "b", "c", "d"}}, "at most three"),
        ({"owners": ["nobody"]}, "owner must be an email address or a team name"),
        ({"owners": "team:x"}, "owners takes a list"),
    ],
)
def test_bad_specs_raise_definitions_errors_naming_the_asset(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(DefinitionsError, match=message) as info:
        AssetSpec("raw", **kwargs)  # type: ignore[arg-type]
    assert "'raw'" in str(info.value)


def test_with_io_manager_key_sets_dagsters_metadata_key() -> None:
    spec = AssetSpec("raw").with_io_manager_key("lake")
    assert spec.io_manager_key == "lake"
    assert spec.metadata == {"dagster/io_manager_key": "lake"}


def test_a_spec_is_an_external_node_that_assets_depend_on_by_name_or_deps() -> None:
    @asset
    def cleaned(raw: list[int]) -> list[int]:
        return raw

    @asset(deps=["raw"])
    def audit() -> None: ...

    defs = Definitions(assets=[AssetSpec("raw", group_name="lake"), cleaned, audit])
    raw = defs.graph.node(AssetKey("raw"))
    assert raw.is_external and raw.execution_type == "unexecutable" and raw.group == "lake"
    assert defs.graph.parents(AssetKey("cleaned")) == (AssetKey("raw"),)
    assert defs.graph.parents(AssetKey("audit")) == (AssetKey("raw"),)
    assert defs.graph.node(AssetKey("audit")).external_deps == ()
    assert defs.input_keys(AssetKey("cleaned")) == {"raw": AssetKey("raw")}
    assert [a.key for a in defs.assets] == [AssetKey("cleaned"), AssetKey("audit")]
    assert defs.is_external(AssetKey("raw")) and not defs.is_external(AssetKey("cleaned"))


def test_ins_may_map_a_parameter_to_an_external_key() -> None:
    @asset(ins={"orders": AssetIn(key="shop/orders", metadata={"cols": ["id"]})})
    def report(orders: list[int]) -> int:
        return len(orders)

    defs = Definitions(assets=[SourceAsset(key=["shop", "orders"]), report])
    assert defs.input_keys(AssetKey("report")) == {"orders": AssetKey(["shop", "orders"])}


def test_external_nodes_survive_a_snapshot_and_plain_graphs_keep_their_hash() -> None:
    @asset
    def a() -> int:
        return 1

    plain = Definitions(assets=[a])
    assert "execution_type" not in plain.graph.to_snapshot()["assets"][0]
    defs = Definitions(assets=[a, AssetSpec("raw")])
    rebuilt = type(defs.graph).from_snapshot(defs.graph.to_snapshot())
    assert rebuilt.node(AssetKey("raw")).is_external
    assert rebuilt.snapshot_hash() == defs.graph.snapshot_hash()


def test_a_spec_and_an_asset_of_one_key_are_a_duplicate() -> None:
    @asset
    def raw() -> int:
        return 1

    with pytest.raises(DuplicateAssetKey, match="'raw' is defined twice"):
        Definitions(assets=[raw, AssetSpec("raw")])


def test_an_external_asset_needs_the_io_manager_it_names() -> None:
    with pytest.raises(MissingResource, match="needs IO manager 'lake'"):
        Definitions(assets=[SourceAsset("raw", io_manager_key="lake")])
    with pytest.raises(MissingResource, match="needs IO manager 'lake'"):
        Definitions(assets=[AssetSpec("raw").with_io_manager_key("lake")])


def test_plans_never_contain_external_assets() -> None:
    @asset
    def cleaned(raw: int) -> int:
        return raw

    graph = Definitions(assets=[AssetSpec("raw"), cleaned]).graph
    assert build_plan(graph).steps == ("cleaned",)
    assert build_plan(graph, "+cleaned").steps == ("cleaned",)
    assert build_plan(graph, "raw+").steps == ("cleaned",)


def test_selecting_only_external_assets_is_an_error_saying_so() -> None:
    @asset
    def cleaned(raw: int) -> int:
        return raw

    graph = Definitions(assets=[AssetSpec("raw"), cleaned]).graph
    with pytest.raises(SelectionError, match="names only external assets \\('raw'\\)"):
        build_plan(graph, "raw")
    with pytest.raises(SelectionError, match="upstream observe"):
        build_plan(Definitions(assets=[AssetSpec("raw")]).graph)


def test_observable_source_asset_is_an_observable_external_asset() -> None:
    @observable_source_asset(group_name="lake", metadata={"owner": "ops"})
    def files(context) -> DataVersion:  # type: ignore[no-untyped-def]
        """Files in the drop folder."""
        return DataVersion("3")

    assert isinstance(files, SourceAsset) and files.key == AssetKey("files")
    assert files.description == "Files in the drop folder."
    defs = Definitions(assets=[files])
    node = defs.graph.node(AssetKey("files"))
    assert node.execution_type == "observation" and node.group == "lake"
    assert files(None) == DataVersion("3")  # direct invocation, as with @asset


def test_observe_functions_take_context_and_resources_only() -> None:
    with pytest.raises(DefinitionsError, match="takes `context` and resources only"):

        @observable_source_asset
        def bad(upstream: int) -> DataVersion:
            return DataVersion(str(upstream))

    @observable_source_asset
    def needs(db) -> DataVersion:  # type: ignore[no-untyped-def]
        return DataVersion("1")

    with pytest.raises(MissingResource, match="needs resource 'db'"):
        Definitions(assets=[needs])
    Definitions(assets=[needs], resources={"db": object()})


def test_data_version_takes_a_string_and_observe_result_is_keyword_only() -> None:
    with pytest.raises(DefinitionsError, match="takes a string"):
        DataVersion(3)  # type: ignore[arg-type]
    result = ObserveResult(data_version=DataVersion("a"), metadata={"n": 1})
    assert result.data_version == DataVersion("a") and result.asset_key is None
    with pytest.raises(TypeError):
        ObserveResult({"n": 1})  # type: ignore[misc]
