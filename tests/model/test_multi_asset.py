"""`@multi_asset`, `AssetOut`, `AssetSpec`: one function, several assets, one step (its op
name). From Dagster's docs: every output is an asset of its own, keyed by the output's name
(under `key_prefix`) or `AssetOut(key=)`, with its own group, metadata and IO manager."""

from __future__ import annotations

import pytest

from upstream import AssetOut, AssetSpec, Definitions, DefinitionsError, asset, multi_asset
from upstream.model.errors import AssetCycle
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey


@asset
def raw() -> int:
    return 1


@multi_asset(
    outs={
        "orders": AssetOut(group_name="sales", metadata={"owner": "ana"}),
        "users": AssetOut(key_prefix="crm", io_manager_key="crm_io", is_required=False),
        "events": AssetOut(key=["web", "clicks"], description="clicks"),
    },
    op_tags={"team": "data"},
)
def split(raw: int) -> tuple[int, int, int]:
    return raw, raw, raw


def test_outs_name_the_assets_and_the_function_names_the_step() -> None:
    assert split.keys == (
        AssetKey("orders"),
        AssetKey(["crm", "users"]),
        AssetKey(["web", "clicks"]),
    )
    assert split.op_name == "split"
    assert split.op_tags == {"team": "data"}
    assert [o.output_name for o in split.outputs] == ["orders", "users", "events"]


def test_each_output_is_an_asset_of_the_graph_with_its_own_attributes() -> None:
    from upstream import InMemoryIOManager

    defs = Definitions([raw, split], resources={"crm_io": InMemoryIOManager()})
    graph = defs.graph
    orders = graph.node(AssetKey("orders"))
    users = graph.node(AssetKey(["crm", "users"]))
    clicks = graph.node(AssetKey(["web", "clicks"]))
    assert (orders.group, users.group) == ("sales", "default")
    assert orders.metadata == {"owner": {"type": "text", "value": "ana"}}
    assert clicks.description == "clicks"
    assert (orders.required, users.required) == (True, False)
    assert {n.step_key for n in (orders, users, clicks)} == {"split"}
    assert all(n.parents == (AssetKey("raw"),) for n in (orders, users, clicks))
    assert split.io_manager_key_for(AssetKey(["crm", "users"])) == "crm_io"
    assert defs.assets == [raw, split]  # each definition once
    assert defs.get_step("split") is split
    assert defs.has_step("split") and defs.has_step("raw")
    assert not defs.has_step("orders")  # an asset of a multi-asset is no step of its own


def test_an_io_manager_key_of_an_output_must_be_provided() -> None:
    with pytest.raises(DefinitionsError, match="crm_io"):
        Definitions([raw, split])


def test_specs_carry_their_own_deps() -> None:
    """`specs=[AssetSpec("b", deps=["a"])]`: the spec's deps are that asset's upstreams;
    a dep on a sibling (an internal dep) is allowed, as in Dagster."""

    @multi_asset(specs=[AssetSpec("a", deps=[raw]), AssetSpec("b", deps=["a"], skippable=True)])
    def loader() -> None:
        return None

    graph = Definitions([raw, loader]).graph
    assert graph.parents(AssetKey("a")) == (AssetKey("raw"),)
    assert graph.parents(AssetKey("b")) == (AssetKey("a"),)
    assert not graph.node(AssetKey("b")).required
    assert graph.siblings(AssetKey("b")) == (AssetKey("a"), AssetKey("b"))


def test_an_asset_can_depend_on_one_output_of_a_multi_asset() -> None:
    @asset
    def report(orders: int) -> int:
        return orders

    graph = Definitions([raw, split, report], resources=_crm()).graph
    assert graph.parents(AssetKey("report")) == (AssetKey("orders"),)


def _crm() -> dict[str, object]:
    from upstream import InMemoryIOManager

    return {"crm_io": InMemoryIOManager()}


def _fn() -> None:
    return None


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: multi_asset()(_fn), "produces no asset"),
        (
            lambda: multi_asset(outs={"a": AssetOut(), "b": AssetOut(key="a")})(_fn),
            "produced by outputs 'a' and 'b'",
        ),
        (lambda: multi_asset(outs={"a": "nope"})(_fn), "must be an AssetOut"),  # type: ignore[dict-item]
        (
            lambda: multi_asset(outs={"a": AssetOut(group_name="x")}, group_name="y")(_fn),
            "set it in one place",
        ),
        (lambda: multi_asset(outs={"a": AssetOut()}, name="no-dash")(_fn), "name="),
        (
            lambda: multi_asset(outs={"a": AssetOut()}, internal_asset_deps={"zz": ["x"]})(_fn),
            "internal_asset_deps names ['zz']",
        ),
    ],
)
def test_bad_multi_assets_say_what_to_fix(make: object, words: str) -> None:
    with pytest.raises(DefinitionsError, match=words.replace("[", r"\[").replace("]", r"\]")):
        make()  # type: ignore[operator]


def test_asset_out_takes_key_or_key_prefix_not_both() -> None:
    with pytest.raises(DefinitionsError, match="key or key_prefix"):
        AssetOut(key="a", key_prefix="p")


def test_an_op_name_that_is_another_assets_key_is_an_error() -> None:
    """A step key names one step: a multi-asset named like another asset is refused."""

    @asset
    def both() -> int:
        return 1

    @multi_asset(outs={"x": AssetOut(), "y": AssetOut()}, name="both")
    def other() -> tuple[int, int]:
        return 1, 2

    with pytest.raises(DefinitionsError, match=r"'both'.*another step's key"):
        Definitions([both, other])


def test_a_multi_asset_may_share_its_name_with_one_of_its_own_assets() -> None:
    @multi_asset(outs={"orders": AssetOut(), "users": AssetOut()})
    def orders() -> tuple[int, int]:
        return 1, 2

    assert Definitions([orders]).graph.step_key(AssetKey("users")) == "orders"


def test_two_multi_assets_of_one_name_are_an_error() -> None:
    def make(out: str) -> object:
        @multi_asset(outs={out: AssetOut()}, name="load")
        def f() -> int:
            return 1

        return f

    with pytest.raises(DefinitionsError, match="'load' is defined twice"):
        Definitions([make("a"), make("b")])  # type: ignore[list-item]


def test_steps_that_depend_on_each_other_through_a_multi_asset_are_a_cycle() -> None:
    """m makes a and c; b reads a; c reads b: the step m would have to run before and after b."""

    @multi_asset(outs={"a": AssetOut()}, specs=[AssetSpec("c", deps=["b"])])
    def m() -> None:
        return None

    @asset
    def b(a: int) -> int:
        return a

    with pytest.raises(AssetCycle, match=r"m -> b -> m|b -> m -> b"):
        Definitions([m, b])


def test_a_multi_asset_snapshot_round_trips_and_plain_graphs_keep_their_hash() -> None:
    defs = Definitions([raw, split], resources=_crm())
    again = AssetGraph.from_snapshot(defs.graph.to_snapshot())
    assert again.snapshot_hash() == defs.graph.snapshot_hash()
    assert {op: set(keys) for op, keys in again.ops.items()} == {
        "split": {AssetKey("orders"), AssetKey(["crm", "users"]), AssetKey(["web", "clicks"])}
    }
    assert not again.node(AssetKey(["crm", "users"])).required
    plain = Definitions([raw]).graph.to_snapshot()
    assert "op" not in plain["assets"][0] and "required" not in plain["assets"][0]


def test_required_neighbors_are_the_siblings_unless_the_multi_asset_can_be_subset() -> None:
    @multi_asset(outs={"p": AssetOut(), "q": AssetOut()}, can_subset=True)
    def flexible() -> None:
        return None

    graph = Definitions([raw, split, flexible], resources=_crm()).graph
    assert graph.required_neighbors(AssetKey("orders")) == graph.siblings(AssetKey("orders"))
    assert len(graph.siblings(AssetKey("orders"))) == 3
    assert graph.required_neighbors(AssetKey("p")) == (AssetKey("p"),)
    assert graph.siblings(AssetKey("p")) == (AssetKey("p"), AssetKey("q"))
    assert graph.required_neighbors(AssetKey("raw")) == (AssetKey("raw"),)


def test_asset_spec_has_dagsters_fields() -> None:
    spec = AssetSpec(
        ["s", "t"],
        deps=[raw, "x"],
        description="d",
        metadata={"m": 1},
        group_name="g",
        skippable=True,
        code_version="1",
        owners=["a@b.c"],
        tags={"k": "v"},
        kinds={"python"},
    )
    assert spec.key == AssetKey(["s", "t"])
    assert spec.deps == (AssetKey("raw"), AssetKey("x"))
    assert (spec.skippable, spec.owners, spec.kinds) == (True, ("a@b.c",), frozenset({"python"}))
    with pytest.raises(AttributeError):
        spec.description = "changed"  # type: ignore[misc]


def test_asset_takes_output_required_and_op_tags() -> None:
    @asset(output_required=False, op_tags={"k": "v"})
    def maybe() -> int:
        return 1

    assert (maybe.output_required, maybe.op_tags) == (False, {"k": "v"})
    assert not Definitions([maybe]).graph.node(AssetKey("maybe")).required
