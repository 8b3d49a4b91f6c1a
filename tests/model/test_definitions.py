"""`Definitions`: how every parameter is resolved, and the errors that say what to fix."""

import re
from typing import Any

import pytest

import upstream
from upstream import (
    AssetIn,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    Definitions,
    DefinitionsError,
    InputContext,
    IOManager,
    OutputContext,
    ResourceParam,
    UpstreamError,
    asset,
)
from upstream.model.errors import (
    AmbiguousUpstream,
    AssetCycle,
    DuplicateAssetKey,
    MissingResource,
    MissingUpstream,
)


class Warehouse(ConfigurableResource):
    """A resource type: parameters annotated with it are injected."""


class Client:
    """A plain class, made a resource only by `ResourceParam[Client]`."""


class MemoryIO(IOManager):
    """The smallest IO manager: nothing is stored, nothing is read."""

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        return None

    def load_input(self, context: InputContext) -> Any:
        return None


def _key(text: str) -> AssetKey:
    return AssetKey.from_user_string(text)


def _parents(defs: Definitions, key: str) -> set[str]:
    return {str(p) for p in defs.graph.parents(_key(key))}


# -- resolution by name --------------------------------------------------------------------


def test_a_parameter_resolves_to_the_asset_of_that_exact_key() -> None:
    """`def report(raw_orders)` depends on the asset keyed `raw_orders` and receives its value."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    @asset
    def report(raw_orders: list[int]) -> int:
        return len(raw_orders)

    defs = Definitions([report, raw_orders])
    assert defs.input_keys(_key("report")) == {"raw_orders": _key("raw_orders")}
    assert _parents(defs, "report") == {"raw_orders"}
    assert defs.resource_params(_key("report")) == ()
    assert [str(a.key) for a in defs.assets] == ["raw_orders", "report"]


@pytest.mark.parametrize("group", ["default", "sales"])
def test_a_prefixed_asset_resolves_by_name_within_the_same_group(group: str) -> None:
    """No `raw_orders` key: the one asset named `raw_orders` in the same group is the upstream."""

    @asset(key_prefix=["sales", "raw"], group_name=group)
    def raw_orders() -> list[int]:
        return [1]

    @asset(group_name=group)
    def report(raw_orders: list[int]) -> int:
        return len(raw_orders)

    defs = Definitions([raw_orders, report])
    assert defs.input_keys(_key("report")) == {"raw_orders": _key("sales/raw/raw_orders")}


def test_a_prefixed_asset_in_another_group_is_not_resolved_by_name() -> None:
    """Dagster's flexible rule needs the same group; otherwise the parameter names nothing."""

    @asset(key_prefix="sales", group_name="sales")
    def raw_orders() -> list[int]:
        return [1]

    @asset(group_name="reports")
    def report(raw_orders: list[int]) -> int:
        return len(raw_orders)

    with pytest.raises(MissingUpstream, match="'raw_orders'"):
        Definitions([raw_orders, report])


def test_an_exact_key_wins_over_a_same_group_name_match() -> None:
    """`AssetKey([param])` is used when it exists, even in another group."""

    @asset(group_name="legacy")
    def raw_orders() -> list[int]:
        return [1]

    @asset(name="raw_orders", key_prefix="sales", group_name="sales")
    def sales_raw_orders() -> list[int]:
        return [2]

    @asset(group_name="sales")
    def report(raw_orders: list[int]) -> int:
        return len(raw_orders)

    defs = Definitions([raw_orders, sales_raw_orders, report])
    assert defs.input_keys(_key("report")) == {"raw_orders": _key("raw_orders")}


def test_two_same_group_candidates_are_ambiguous_naming_both() -> None:
    """Two assets named like the parameter in its group: the error lists both and says AssetIn."""

    @asset(name="orders", key_prefix="shop", group_name="sales")
    def shop_orders() -> list[int]:
        return [1]

    @asset(name="orders", key_prefix="market", group_name="sales")
    def market_orders() -> list[int]:
        return [2]

    @asset(group_name="sales")
    def report(orders: list[int]) -> int:
        return len(orders)

    with pytest.raises(AmbiguousUpstream) as raised:
        Definitions([shop_orders, market_orders, report])
    message = str(raised.value)
    assert "'shop/orders'" in message
    assert "'market/orders'" in message
    assert "'report'" in message
    assert "AssetIn(key=" in message


def test_an_asset_is_never_its_own_same_group_candidate() -> None:
    """`clean/orders(orders)` next to `raw/orders` in one group depends on `raw/orders`."""

    @asset(name="orders", key_prefix="raw", group_name="sales")
    def raw_orders() -> list[int]:
        return [1]

    @asset(name="orders", key_prefix="clean", group_name="sales")
    def clean_orders(orders: list[int]) -> list[int]:
        return orders

    defs = Definitions([raw_orders, clean_orders])
    assert defs.input_keys(_key("clean/orders")) == {"orders": _key("raw/orders")}


def test_a_prefixed_asset_does_not_resolve_a_parameter_to_itself() -> None:
    """`sales/orders(orders)` with no other `orders` names a missing upstream, not a cycle."""

    @asset(key_prefix="sales")
    def orders(orders: list[int]) -> list[int]:
        return orders

    with pytest.raises(MissingUpstream):
        Definitions([orders])


@pytest.mark.parametrize(
    "ins",
    [AssetIn(key="sales/raw"), AssetIn(key=["sales", "raw"]), AssetIn(key_prefix="sales")],
    ids=["key-str", "key-list", "key_prefix"],
)
def test_asset_in_maps_a_parameter_to_a_key(ins: AssetIn) -> None:
    """`AssetIn(key=...)` and `AssetIn(key_prefix=...)` pin the parameter, bypassing name lookup."""

    @asset(key_prefix="sales", group_name="sales")
    def raw() -> list[int]:
        return [1]

    @asset(name="raw")
    def unrelated_raw() -> list[int]:
        return [2]

    @asset(ins={"raw": ins})
    def report(raw: list[int]) -> int:
        return len(raw)

    defs = Definitions([raw, unrelated_raw, report])
    assert defs.input_keys(_key("report")) == {"raw": _key("sales/raw")}
    assert _parents(defs, "report") == {"sales/raw"}


# -- resources ----------------------------------------------------------------------------------


def _by_type(raw_orders: Warehouse) -> int:
    return 0


def _by_marker(raw_orders: ResourceParam[Client]) -> int:
    return 0


def _by_marker_builtin(raw_orders: ResourceParam[dict[str, str]]) -> int:
    return 0


def _by_io_manager_type(raw_orders: MemoryIO) -> int:
    return 0


@pytest.mark.parametrize(
    ("fn", "resource"),
    [
        (_by_type, Warehouse()),
        (_by_marker, Client()),
        (_by_marker_builtin, {"dsn": "x"}),
        (_by_io_manager_type, MemoryIO()),
    ],
    ids=["ConfigurableResource", "ResourceParam", "ResourceParam-builtin", "IOManager"],
)
def test_a_resource_annotated_parameter_is_never_an_upstream(fn: Any, resource: Any) -> None:
    """A resource-typed parameter is injected even when an asset has the same name."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    report = asset(name="report")(fn)
    assert report.inputs == ()
    defs = Definitions([raw_orders, report], resources={"raw_orders": resource})
    assert defs.input_keys(_key("report")) == {}
    assert defs.resource_params(_key("report")) == ("raw_orders",)
    assert _parents(defs, "report") == set()


def test_an_unannotated_parameter_naming_only_a_resource_is_that_resource() -> None:
    """With no asset of that name, a parameter naming a resource key is the resource."""

    @asset
    def report(warehouse, raw_orders: list[int]) -> int:  # type: ignore[no-untyped-def]
        return 0

    @asset
    def raw_orders() -> list[int]:
        return [1]

    defs = Definitions([report, raw_orders], resources={"warehouse": Warehouse()})
    assert defs.resource_params(_key("report")) == ("warehouse",)
    assert defs.input_keys(_key("report")) == {"raw_orders": _key("raw_orders")}
    assert _parents(defs, "report") == {"raw_orders"}


def test_an_unannotated_parameter_naming_an_asset_and_a_resource_is_the_asset() -> None:
    """Unannotated parameters are upstreams first, as in Dagster; the resource is not injected."""

    @asset
    def warehouse() -> int:
        return 1

    @asset
    def report(warehouse: int) -> int:
        return warehouse

    defs = Definitions([warehouse, report], resources={"warehouse": Warehouse()})
    assert defs.input_keys(_key("report")) == {"warehouse": _key("warehouse")}
    assert defs.resource_params(_key("report")) == ()


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"warehouse": Warehouse()}, "did you mean 'warehouse'?"),
        ({}, "add it: Definitions(resources={'warehuose': ...})"),
    ],
)
def test_a_missing_annotated_resource_is_named_with_a_fix(
    resources: dict[str, Any], expected: str
) -> None:
    """A resource parameter with no such resource: did-you-mean, or how to provide it."""

    @asset
    def report(warehuose: Warehouse) -> int:
        return 0

    with pytest.raises(MissingResource) as raised:
        Definitions([report], resources=resources)
    message = str(raised.value)
    assert "'report'" in message
    assert "resource 'warehuose'" in message
    assert expected in message


def test_required_resource_keys_must_be_provided() -> None:
    """`required_resource_keys` are checked when Definitions is built."""

    @asset(required_resource_keys={"slack"})
    def report() -> int:
        return 0

    with pytest.raises(MissingResource, match="resource 'slack'"):
        Definitions([report])
    assert Definitions([report], resources={"slack": object()}).has_asset(_key("report"))


@pytest.mark.parametrize(
    ("resources", "error", "expected"),
    [
        ({}, MissingResource, "IO manager 'warehouse_io'"),
        ({"warehouse_io_": MemoryIO()}, MissingResource, "did you mean 'warehouse_io_'?"),
        ({"warehouse_io": Warehouse()}, DefinitionsError, "subclass upstream.IOManager"),
    ],
    ids=["missing", "typo", "not-an-io-manager"],
)
def test_a_bad_io_manager_key_is_refused(
    resources: dict[str, Any], error: type[Exception], expected: str
) -> None:
    """`io_manager_key` must name a provided resource that is an IOManager."""

    @asset(io_manager_key="warehouse_io")
    def report() -> int:
        return 0

    with pytest.raises(error) as raised:
        Definitions([report], resources=resources)
    assert expected in str(raised.value)
    assert "'report'" in str(raised.value)


def test_the_default_io_manager_need_not_be_provided_but_must_be_one_if_it_is() -> None:
    """`io_manager` falls back to the built-in; a provided `io_manager` must be an IOManager."""

    @asset
    def report() -> int:
        return 0

    Definitions([report])
    Definitions([report], resources={"io_manager": MemoryIO()})
    with pytest.raises(DefinitionsError, match=r"'io_manager'.*Warehouse"):
        Definitions([report], resources={"io_manager": Warehouse()})


# -- deps --------------------------------------------------------------------------------------


def test_deps_are_ordering_only_parents() -> None:
    """`deps=[asset, "key", AssetKey]` add parents that pass no value to the function."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    @asset(key_prefix="crm")
    def customers() -> list[int]:
        return [1]

    @asset(key_prefix="ops")
    def refresh() -> None:
        return None

    @asset(deps=[raw_orders, "crm/customers", AssetKey(["ops", "refresh"])])
    def report() -> int:
        return 0

    defs = Definitions([raw_orders, customers, refresh, report])
    assert _parents(defs, "report") == {"raw_orders", "crm/customers", "ops/refresh"}
    assert defs.input_keys(_key("report")) == {}
    assert defs.graph.node(_key("report")).external_deps == ()


def test_a_dep_that_is_also_an_input_is_one_parent() -> None:
    """Listing an input's asset in deps too does not duplicate the edge."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    @asset(deps=[raw_orders])
    def report(raw_orders: list[int]) -> int:
        return 0

    defs = Definitions([raw_orders, report])
    assert defs.graph.parents(_key("report")) == (_key("raw_orders"),)


def test_deps_on_unknown_keys_are_external_not_parents() -> None:
    """A dep no asset here produces is recorded as an external dep and is not a parent."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    @asset(deps=["warehouse/exports", raw_orders])
    def report() -> int:
        return 0

    defs = Definitions([raw_orders, report])
    node = defs.graph.node(_key("report"))
    assert node.parents == (_key("raw_orders"),)
    assert node.external_deps == (_key("warehouse/exports"),)
    assert _key("warehouse/exports") not in defs.graph


# -- missing upstreams ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        None,
        ["sales"],
        ["analytics", "warehouse"],
    ],
    ids=["no-prefix", "short-prefix", "long-prefix"],
)
def test_a_typo_names_the_asset_the_parameter_and_the_close_match(
    prefix: list[str] | None,
) -> None:
    """A misspelt parameter: the error names the asset, the parameter and `did you mean`."""

    @asset(key_prefix=prefix)
    def raw_orders() -> list[int]:
        return [1]

    @asset
    def report(raw_ordrs: list[int]) -> int:
        return 0

    with pytest.raises(MissingUpstream) as raised:
        Definitions([raw_orders, report])
    message = str(raised.value)
    assert "asset 'report'" in message
    assert "parameter 'raw_ordrs'" in message
    assert "did you mean 'raw_orders'?" in message


def test_no_close_match_says_how_to_fix() -> None:
    """Nothing close: the error lists the three fixes: an @asset, a resource, or AssetIn."""

    @asset
    def raw_orders() -> list[int]:
        return [1]

    @asset
    def report(zebra: list[int]) -> int:
        return 0

    with pytest.raises(MissingUpstream) as raised:
        Definitions([raw_orders, report])
    message = str(raised.value)
    assert "parameter 'zebra'" in message
    assert "did you mean" not in message
    assert "@asset" in message
    assert "resources=" in message
    assert "AssetIn(key=" in message


def test_asset_in_to_a_missing_key_names_the_parameter_and_the_key() -> None:
    """`ins={"orders": AssetIn(key="sales/raw_ordrs")}` missing: both names are in the error."""

    @asset(key_prefix="sales")
    def raw_orders() -> list[int]:
        return [1]

    @asset(ins={"orders": AssetIn(key="sales/raw_ordrs")})
    def report(orders: list[int]) -> int:
        return 0

    with pytest.raises(MissingUpstream) as raised:
        Definitions([raw_orders, report])
    message = str(raised.value)
    assert "'orders'" in message
    assert "'sales/raw_ordrs'" in message
    assert "did you mean 'sales/raw_orders'?" in message


def test_a_pinned_key_is_not_satisfied_by_a_resource() -> None:
    """`AssetIn` always means an asset: a resource of the parameter's name does not count."""

    @asset(ins={"warehouse": AssetIn(key="sales/warehouse")})
    def report(warehouse: int) -> int:
        return 0

    with pytest.raises(MissingUpstream):
        Definitions([report], resources={"warehouse": Warehouse()})


# -- cycles ------------------------------------------------------------------------------------


def _reported_cycle(error: AssetCycle) -> list[str]:
    match = re.search(r"cycle: (.+?);", str(error))
    assert match is not None, str(error)
    path = match.group(1).split(" -> ")
    assert path[0] == path[-1], path
    assert error.cycle == path[:-1]
    return path[:-1]


def _is_rotation(found: list[str], expected: list[str]) -> bool:
    return len(found) == len(expected) and any(
        found == expected[i:] + expected[:i] for i in range(len(expected))
    )


def test_a_cycle_names_every_asset_on_it_in_order_and_nothing_else() -> None:
    """alpha -> beta -> gamma -> alpha is reported in dependency order; feeders are not named."""

    @asset
    def source_feed() -> int:
        return 1

    @asset
    def alpha(gamma: int, source_feed: int) -> int:
        return 0

    @asset
    def beta(alpha: int) -> int:
        return 0

    @asset
    def gamma(beta: int) -> int:
        return 0

    @asset
    def report(gamma: int) -> int:
        return 0

    with pytest.raises(AssetCycle) as raised:
        Definitions([report, source_feed, gamma, beta, alpha])
    assert _is_rotation(_reported_cycle(raised.value), ["alpha", "beta", "gamma"])
    assert "source_feed" not in str(raised.value)
    assert "report" not in str(raised.value)
    assert "remove one of these dependencies" in str(raised.value)


def test_a_cycle_through_deps_and_prefixed_keys_is_reported() -> None:
    """Ordering-only deps and prefixed keys take part in cycles like inputs do."""

    @asset(key_prefix="sales", deps=["ops/refresh"])
    def orders() -> int:
        return 0

    @asset(key_prefix="ops", ins={"orders": AssetIn(key_prefix="sales")})
    def refresh(orders: int) -> int:
        return 0

    with pytest.raises(AssetCycle) as raised:
        Definitions([orders, refresh])
    assert _is_rotation(_reported_cycle(raised.value), ["sales/orders", "ops/refresh"])


def test_an_asset_depending_on_itself_is_a_cycle() -> None:
    """`def loop(loop)` is a self-cycle, reported as `loop -> loop`."""

    @asset
    def loop(loop: int) -> int:
        return loop

    with pytest.raises(AssetCycle, match="loop -> loop") as raised:
        Definitions([loop])
    assert _reported_cycle(raised.value) == ["loop"]


# -- duplicates and bad items --------------------------------------------------------------------


def test_duplicate_keys_name_both_functions_with_their_modules() -> None:
    """Two definitions of one key: the error names `module.qualname` of each."""

    def orders() -> int:
        return 1

    def other_orders() -> int:
        return 2

    other_orders.__module__ = "pipelines.legacy"
    first = asset(orders)
    second = asset(name="orders")(other_orders)
    with pytest.raises(DuplicateAssetKey) as raised:
        Definitions([first, second])
    message = str(raised.value)
    assert "'orders'" in message
    assert f"{orders.__module__}.{orders.__qualname__}" in message
    assert f"pipelines.legacy.{other_orders.__qualname__}" in message


def test_the_same_asset_object_twice_is_not_a_duplicate() -> None:
    """Passing one asset object twice (e.g. from two module lists) keeps one asset."""

    @asset
    def orders() -> int:
        return 1

    defs = Definitions([orders, orders])
    assert defs.assets == [orders]


def test_non_assets_are_refused() -> None:
    """Definitions(assets=...) takes @asset functions only; a plain function is refused."""

    def orders() -> int:
        return 1

    with pytest.raises(DefinitionsError, match="takes @asset functions"):
        Definitions([orders])  # type: ignore[list-item]


def test_a_non_string_metadata_key_is_a_definitions_error() -> None:
    """Bad asset metadata is a bad definition, reported in the DefinitionsError family."""

    @asset(metadata={1: "one"})  # type: ignore[dict-item]
    def orders() -> int:
        return 1

    with pytest.raises(DefinitionsError):
        Definitions([orders])


@pytest.mark.parametrize(
    "error",
    [MissingUpstream, MissingResource, AmbiguousUpstream, AssetCycle, DuplicateAssetKey],
)
def test_every_definitions_error_is_in_the_public_family(error: type[Exception]) -> None:
    """Each definitions error is catchable as `upstream.DefinitionsError` and `UpstreamError`."""
    assert issubclass(error, upstream.DefinitionsError)
    assert issubclass(error, upstream.UpstreamError)
    assert upstream.DefinitionsError is DefinitionsError
    assert upstream.UpstreamError is UpstreamError


# -- queries ---------------------------------------------------------------------------------------


def test_queries_find_assets_by_key_and_text() -> None:
    """`get_asset` takes an AssetKey or `a/b` text; `has_asset` answers for keys."""

    @asset(key_prefix="sales")
    def orders() -> int:
        return 1

    defs = Definitions([orders], resources={"warehouse": Warehouse()})
    got: AssetsDefinition = defs.get_asset("sales/orders")
    assert got is orders
    assert defs.get_asset(_key("sales/orders")) is orders
    assert defs.has_asset(_key("sales/orders"))
    assert not defs.has_asset(_key("orders"))
    assert repr(defs) == "Definitions(1 assets, resources=['warehouse'])"


def test_the_definitions_hash_is_the_graph_hash() -> None:
    """`Definitions.hash` is the graph's snapshot hash, so the coordinator can compare them."""

    @asset
    def orders() -> int:
        return 1

    @asset
    def report(orders: int) -> int:
        return orders

    defs = Definitions([orders, report])
    assert defs.hash == defs.graph.snapshot_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", defs.hash)


def test_a_string_dep_follows_the_same_group_name_rule() -> None:
    """deps=["raw"] reaches `sales/raw` in the same group, as in Dagster; else it is external."""

    @asset(key_prefix="sales", group_name="sales")
    def raw() -> int:
        return 1

    @asset(key_prefix="sales", group_name="sales", deps=["raw", "elsewhere"])
    def clean() -> int:
        return 2

    node = Definitions([raw, clean]).graph.node(clean.key)
    assert node.parents == (raw.key,)
    assert [d.to_user_string() for d in node.external_deps] == ["elsewhere"]


def test_a_misspelt_resource_parameter_suggests_the_resource() -> None:
    """An unannotated parameter close to a resource key is told about the resource."""

    @asset
    def report(databse: object) -> int:
        return 0

    with pytest.raises(MissingUpstream, match="did you mean 'database'"):
        Definitions([report], resources={"database": object()})


def test_an_asset_outside_the_group_is_suggested_with_asset_in() -> None:
    """When the close asset is not reachable by name, the hint shows the AssetIn to write."""

    @asset(key_prefix="sales", group_name="sales")
    def raw_orders() -> int:
        return 1

    @asset
    def report(raw_ordrs: int) -> int:
        return 0

    with pytest.raises(MissingUpstream) as raised:
        Definitions([raw_orders, report])
    assert "ins={'raw_ordrs': AssetIn(key='sales/raw_orders')}" in str(raised.value)
