"""Partitioned assets in the model: what `@asset`, `@multi_asset`, `AssetSpec`, `AssetIn` and
`AssetDep` record, what the graph (and its snapshot) carries, and direct invocation with
`build_asset_context(partition_key=...)`, as Dagster's partitions docs describe them."""

from __future__ import annotations

from typing import Any

import pytest

from upstream import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    AssetSpec,
    BackfillPolicy,
    Definitions,
    DefinitionsError,
    IdentityPartitionMapping,
    InvocationError,
    LastPartitionMapping,
    PartitionKeyRange,
    StaticPartitionsDefinition,
    asset,
    build_asset_context,
    multi_asset,
    observable_source_asset,
)
from upstream.model.graph import AssetGraph
from upstream.model.with_attributes import with_prefix

LETTERS = StaticPartitionsDefinition(["a", "b", "c"])
COLOURS = StaticPartitionsDefinition(["red", "blue"])


@asset(partitions_def=LETTERS, backfill_policy=BackfillPolicy.single_run())
def raw() -> int:
    return 1


def test_an_asset_carries_its_partitions_into_the_graph_and_snapshot() -> None:
    @asset(partitions_def=LETTERS)
    def clean(raw: int) -> int:
        return raw

    defs = Definitions([raw, clean])
    node = defs.graph.node(AssetKey("raw"))
    assert node.partitions_def == LETTERS
    assert node.backfill_policy == BackfillPolicy.single_run()
    again = AssetGraph.from_snapshot(defs.graph.to_snapshot())
    assert again.node(AssetKey("clean")).partitions_def == LETTERS
    assert again.node(AssetKey("raw")).backfill_policy == BackfillPolicy.single_run()
    # no mapping given: Dagster's default between two assets of one definition, identity
    assert defs.graph.partition_mapping(AssetKey("clean"), AssetKey("raw")) == (
        IdentityPartitionMapping()
    )


def test_the_definitions_hash_changes_with_the_partitions() -> None:
    """The hash is of the snapshot, which carries each node's partitions definition."""

    def make(partitions: StaticPartitionsDefinition | None) -> str:
        @asset(name="thing", partitions_def=partitions, code_version="1")
        def thing() -> int:
            return 1

        return Definitions([thing]).hash

    assert make(None) != make(LETTERS)
    assert make(LETTERS) != make(StaticPartitionsDefinition(["a", "b"]))
    assert make(LETTERS) == make(StaticPartitionsDefinition(["a", "b", "c"]))


def test_asset_in_gives_the_edges_mapping() -> None:
    @asset(ins={"raw": AssetIn(partition_mapping=AllPartitionMapping())})
    def summary(raw: dict[str, int]) -> int:
        return len(raw)

    defs = Definitions([raw, summary])
    assert defs.graph.node(AssetKey("summary")).partition_mappings == {
        AssetKey("raw"): AllPartitionMapping()
    }
    again = AssetGraph.from_snapshot(defs.graph.to_snapshot())
    assert again.partition_mapping(AssetKey("summary"), AssetKey("raw")) == AllPartitionMapping()


def test_asset_dep_gives_the_edges_mapping_and_resolves_by_name() -> None:
    @asset(
        key_prefix="reports",
        partitions_def=COLOURS,
        deps=[AssetDep("raw", partition_mapping=LastPartitionMapping())],
    )
    def latest() -> None:
        return None

    defs = Definitions([raw, latest])
    key = AssetKey(["reports", "latest"])
    assert defs.graph.parents(key) == (AssetKey("raw"),)
    assert defs.graph.partition_mapping(key, AssetKey("raw")) == LastPartitionMapping()
    assert AssetDep(raw).asset_key == AssetKey("raw")  # from the asset itself, as Dagster


def test_an_unpartitioned_reader_defaults_to_all_partitions() -> None:
    @asset
    def summary(raw: dict[str, int]) -> int:
        return len(raw)

    graph = Definitions([raw, summary]).graph
    assert graph.partition_mapping(AssetKey("summary"), AssetKey("raw")) == AllPartitionMapping()


def test_a_mapping_from_an_unpartitioned_parent_is_ignored() -> None:
    """Dagster validates mappings only on edges from partitioned parents
    (AssetGraph.validate_partition_mappings skips the others); the parent's one value loads."""

    @asset
    def rate() -> float:
        return 1.0

    @asset(partitions_def=LETTERS, ins={"rate": AssetIn(partition_mapping=LastPartitionMapping())})
    def priced(rate: float) -> float:
        return rate

    graph = Definitions([rate, priced]).graph
    assert graph.partition_mapping(AssetKey("priced"), AssetKey("rate")) is None


def test_a_multi_assets_outputs_share_its_partitions_def() -> None:
    @multi_asset(
        outs={"left": AssetOut(), "right": AssetOut()},
        partitions_def=LETTERS,
        backfill_policy=BackfillPolicy.multi_run(2),
    )
    def pair() -> tuple[int, int]:
        return 1, 2

    graph = Definitions([pair]).graph
    for name in ("left", "right"):
        assert graph.node(AssetKey(name)).partitions_def == LETTERS
        assert graph.node(AssetKey(name)).backfill_policy == BackfillPolicy.multi_run(2)


def test_a_multi_assets_specs_must_agree_on_partitions() -> None:
    with pytest.raises(DefinitionsError, match="different partitions definitions"):

        @multi_asset(
            specs=[AssetSpec("x", partitions_def=LETTERS), AssetSpec("y", partitions_def=COLOURS)]
        )
        def two() -> None:
            return None

    @multi_asset(
        specs=[AssetSpec("x", partitions_def=LETTERS), AssetSpec("y", partitions_def=LETTERS)]
    )
    def same() -> None:
        return None

    assert same.partitions_def == LETTERS


def test_external_assets_may_be_partitioned() -> None:
    @observable_source_asset(partitions_def=COLOURS)
    def paint() -> None:
        return None

    defs = Definitions([AssetSpec("lake", partitions_def=LETTERS), paint])
    assert defs.graph.node(AssetKey("lake")).partitions_def == LETTERS
    assert defs.graph.node(AssetKey("paint")).partitions_def == COLOURS


def test_a_wrong_partitions_def_names_the_fix() -> None:
    with pytest.raises(DefinitionsError, match="partitions_def takes a PartitionsDefinition"):

        @asset(partitions_def=["a", "b"])  # type: ignore[arg-type]
        def wrong() -> None:
            return None

    with pytest.raises(DefinitionsError, match="takes a PartitionMapping"):
        AssetIn(partition_mapping="all")  # type: ignore[arg-type]


def test_a_prefixed_copy_keeps_the_mappings_on_its_new_keys() -> None:
    @asset(partitions_def=COLOURS, deps=[AssetDep("raw", partition_mapping=AllPartitionMapping())])
    def after() -> None:
        return None

    moved = with_prefix([raw, after], ["p"])
    graph = Definitions(moved).graph
    parent = AssetKey(["p", "raw"])
    assert graph.partition_mapping(AssetKey(["p", "after"]), parent) == AllPartitionMapping()
    assert graph.node(parent).partitions_def == LETTERS


# -- direct invocation ------------------------------------------------------------------


@asset(partitions_def=LETTERS)
def shout(context: AssetExecutionContext) -> str:
    return context.partition_key.upper()


def test_build_asset_context_gives_the_partition_key() -> None:
    """Dagster's testing docs: `build_asset_context(partition_key=...)` then call the asset."""
    context = build_asset_context(partition_key="b")
    assert context.partition_key == "b"  # before the call too, as Dagster's
    assert shout(context) == "B"
    assert context.partition_keys == ["b"]
    assert context.asset_partition_key_for_output() == "b"
    assert context.asset_partitions_def_for_output() == LETTERS


def test_build_asset_context_gives_a_range() -> None:
    seen: dict[str, Any] = {}

    @asset(partitions_def=LETTERS)
    def several(context: AssetExecutionContext) -> None:
        seen["keys"] = context.partition_keys
        seen["range"] = context.partition_key_range
        seen["has"] = (context.has_partition_key, context.has_partition_key_range)

    several(build_asset_context(partition_key_range=PartitionKeyRange("a", "b")))
    assert seen == {
        "keys": ["a", "b"],
        "range": PartitionKeyRange("a", "b"),
        "has": (False, True),
    }


def test_a_key_outside_the_assets_definition_is_refused_on_the_call() -> None:
    with pytest.raises(InvocationError, match="partition key 'z' is not in"):
        shout(build_asset_context(partition_key="z"))


def test_a_context_without_a_partition_raises_dagsters_error() -> None:
    with pytest.raises(Exception, match="Cannot access partition_key for a non-partitioned run"):
        shout(build_asset_context())
    context = build_asset_context()
    assert not context.has_partition_key
    with pytest.raises(Exception, match="Partitions definition is not defined"):
        _ = context.partition_time_window


def test_an_asset_spec_takes_asset_deps_but_no_mapping_yet() -> None:
    spec = AssetSpec("lake", deps=[AssetDep("raw")], partitions_def=LETTERS)
    assert spec.deps == (AssetKey("raw"),)
    assert spec.replace_attributes(group_name="g").partitions_def == LETTERS
    with pytest.raises(DefinitionsError, match="AssetDep\\(\\.\\.\\., partition_mapping"):
        AssetSpec("lake", deps=[AssetDep("raw", partition_mapping=AllPartitionMapping())])
