"""`@asset` and `AssetKey`: what the decorator records, and which signatures it refuses."""

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from upstream import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    DefinitionsError,
    UpstreamError,
    asset,
)
from upstream.model.asset import InputParam


def _orders() -> list[int]:
    """Orders as loaded from the shop."""
    return [1, 2, 3]


# -- the decorator's defaults and arguments --------------------------------------------------


@pytest.mark.parametrize(
    "decorate",
    [pytest.param(asset, id="bare"), pytest.param(asset(), id="empty-call")],
)
def test_bare_and_empty_call_give_the_same_defaults(
    decorate: Callable[[Callable[..., Any]], AssetsDefinition],
) -> None:
    """`@asset` and `@asset()` both key the asset by the function name with Dagster's defaults."""
    defined = decorate(_orders)
    assert isinstance(defined, AssetsDefinition)
    assert defined.key == AssetKey(["_orders"])
    assert defined.group_name == "default"
    assert defined.io_manager_key == "io_manager"
    assert defined.description == "Orders as loaded from the shop."
    assert defined.metadata == {}
    assert defined.tags == {}
    assert defined.deps == ()
    assert defined.inputs == ()
    assert defined.required_resource_keys == frozenset()
    assert defined.takes_context is False
    assert defined.fn is _orders


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"name": "orders"}, ["orders"]),
        ({"key_prefix": "sales"}, ["sales", "_orders"]),
        ({"key_prefix": "sales/raw"}, ["sales", "raw", "_orders"]),
        ({"key_prefix": ["sales", "raw"]}, ["sales", "raw", "_orders"]),
        ({"name": "orders", "key_prefix": "sales/raw"}, ["sales", "raw", "orders"]),
        ({"name": "orders", "key_prefix": ["sales"]}, ["sales", "orders"]),
        ({"key": "sales/orders"}, ["sales", "orders"]),
        ({"key": ["sales", "orders"]}, ["sales", "orders"]),
        ({"key": AssetKey(["sales", "orders"])}, ["sales", "orders"]),
        ({"key": "orders"}, ["orders"]),
    ],
)
def test_name_key_prefix_and_key_combine_into_the_asset_key(
    kwargs: dict[str, Any], expected: list[str]
) -> None:
    """`name` replaces the function name, `key_prefix` goes in front, `key` is taken whole."""
    assert asset(**kwargs)(_orders).key == AssetKey(expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "sales/orders", "name": "orders"},
        {"key": "sales/orders", "key_prefix": "sales"},
        {"key": "orders", "name": "orders", "key_prefix": ["sales"]},
    ],
)
def test_key_is_exclusive_with_name_and_key_prefix(kwargs: dict[str, Any]) -> None:
    """Passing `key=` together with `name=` or `key_prefix=` is refused, naming the function."""
    with pytest.raises(DefinitionsError, match=r"key=.*name=/key_prefix=") as raised:
        asset(**kwargs)(_orders)
    assert "'_orders'" in str(raised.value)


def test_explicit_arguments_are_recorded() -> None:
    """group_name, description, metadata, tags, io_manager_key and resource keys are kept."""
    defined = asset(
        group_name="sales",
        description="explicit",
        metadata={"owner": "data-team", "rows": 3},
        tags={"tier": "gold"},
        io_manager_key="warehouse_io",
        required_resource_keys={"slack"},
    )(_orders)
    assert defined.group_name == "sales"
    assert defined.description == "explicit"
    assert defined.metadata == {"owner": "data-team", "rows": 3}
    assert defined.tags == {"tier": "gold"}
    assert defined.io_manager_key == "warehouse_io"
    assert defined.required_resource_keys == frozenset({"slack"})


def test_an_empty_description_is_not_replaced_by_the_docstring() -> None:
    """Only a missing description falls back to the docstring; an explicit "" is kept."""
    assert asset(description="")(_orders).description == ""


def test_a_function_without_docstring_has_no_description() -> None:
    """No docstring and no description: the description is None, not an empty string."""

    def bare() -> int:
        return 1

    assert asset(bare).description is None


def test_the_docstring_is_dedented() -> None:
    """A multi-line docstring becomes the description as `inspect.getdoc` cleans it."""

    def documented() -> int:
        """First line.

        Second paragraph, indented in the source.
        """
        return 1

    assert (
        asset(documented).description == "First line.\n\nSecond paragraph, indented in the source."
    )


@pytest.mark.parametrize("group", ["sales-team", "sales team", "sales/raw", "ventes.été"])
def test_an_invalid_group_name_is_refused_with_its_name(group: str) -> None:
    """Group names allow letters, digits and '_' only; the error quotes the bad group."""
    with pytest.raises(DefinitionsError, match="group_name") as raised:
        asset(group_name=group)(_orders)
    assert repr(group) in str(raised.value)


@pytest.mark.parametrize("group", ["sales", "Sales_2024", "_private"])
def test_valid_group_names_are_accepted(group: str) -> None:
    """Letters, digits and underscores make a valid group name."""
    assert asset(group_name=group)(_orders).group_name == group


@pytest.mark.parametrize(
    "kwargs", [{"name": "raw orders"}, {"key_prefix": ["sales team"]}, {"name": "a/b"}]
)
def test_an_invalid_name_is_a_definitions_error(kwargs: dict[str, Any]) -> None:
    """A name or prefix that cannot be a key part is a bad definition, like a bad group name."""
    with pytest.raises(DefinitionsError):
        asset(**kwargs)(_orders)


# -- sync, async and direct calls -------------------------------------------------------------


def test_calling_a_sync_asset_calls_the_function() -> None:
    """An asset is unit-testable: calling it passes the arguments through and returns the value."""

    @asset
    def doubled(numbers: list[int]) -> list[int]:
        return [n * 2 for n in numbers]

    assert doubled.is_async is False
    assert doubled([1, 2]) == [2, 4]
    assert doubled(numbers=[3]) == [6]


async def test_calling_an_async_asset_returns_its_coroutine() -> None:
    """`async def` assets are marked `is_async`, and calling one gives the awaitable result."""

    @asset
    async def fetched(numbers: list[int]) -> int:
        return sum(numbers)

    assert fetched.is_async is True
    result = fetched([1, 2, 3])
    assert inspect.iscoroutine(result)
    assert await result == 6


def test_repr_shows_the_key() -> None:
    """The repr names the asset by its slash-joined key."""
    assert repr(asset(key_prefix="sales")(_orders)) == "<asset sales/_orders>"


# -- parameters: context, inputs, refused signatures ----------------------------------------


def _ctx_by_name(context, orders):  # type: ignore[no-untyped-def]
    return orders


def _ctx_private(_context, orders):  # type: ignore[no-untyped-def]
    return orders


def _ctx_annotated(ctx: AssetExecutionContext, orders: list[int]) -> list[int]:
    return orders


def _ctx_string_annotation(ctx: "AssetExecutionContext", orders: list[int]) -> list[int]:
    return orders


@pytest.mark.parametrize("fn", [_ctx_by_name, _ctx_private, _ctx_annotated, _ctx_string_annotation])
def test_a_leading_context_parameter_is_not_an_input(fn: Callable[..., Any]) -> None:
    """`context` (by name, or annotated AssetExecutionContext) first is injected, not loaded."""
    defined = asset(fn)
    assert defined.takes_context is True
    assert defined.inputs == (InputParam("orders", None),)
    assert defined.resource_params == ()


def test_parameters_become_inputs_in_order() -> None:
    """Every other parameter is an upstream, resolved by name later unless `ins` pins it."""

    @asset(ins={"customers": AssetIn(key="crm/customers")})
    def report(orders: list[int], customers: list[str], *, limit: int) -> int:
        return 0

    assert report.takes_context is False
    assert report.inputs == (
        InputParam("orders", None),
        InputParam("customers", AssetKey(["crm", "customers"])),
        InputParam("limit", None),
    )


@pytest.mark.parametrize(
    "ins",
    [
        AssetIn(key="sales/raw_orders"),
        AssetIn(key=["sales", "raw_orders"]),
        AssetIn(key=AssetKey(["sales", "raw_orders"])),
        AssetIn(key_prefix="sales"),
        AssetIn(key_prefix=["sales"]),
    ],
    ids=["key-str", "key-list", "key-AssetKey", "prefix-str", "prefix-list"],
)
def test_asset_in_pins_a_parameter_to_a_key(ins: AssetIn) -> None:
    """`AssetIn(key=...)` names the key; `AssetIn(key_prefix=...)` prefixes the parameter name."""

    @asset(ins={"raw_orders": ins})
    def report(raw_orders: list[int]) -> int:
        return len(raw_orders)

    assert report.inputs == (InputParam("raw_orders", AssetKey(["sales", "raw_orders"])),)


def test_asset_in_with_a_nested_prefix() -> None:
    """A multi-part prefix keeps every part before the parameter name."""
    assert AssetIn(key_prefix="a/b").resolve("orders") == AssetKey(["a", "b", "orders"])


def test_asset_in_refuses_key_and_key_prefix_together() -> None:
    """`AssetIn` takes one of key and key_prefix, as in Dagster."""
    with pytest.raises(DefinitionsError, match="key or key_prefix"):
        AssetIn(key="sales/orders", key_prefix="sales")


def _star_args(*orders):  # type: ignore[no-untyped-def]
    return orders


def _star_kwargs(**upstreams):  # type: ignore[no-untyped-def]
    return upstreams


def _context_then_star(context, *rest):  # type: ignore[no-untyped-def]
    return rest


@pytest.mark.parametrize("fn", [_star_args, _star_kwargs, _context_then_star])
def test_star_args_and_kwargs_are_refused_with_a_message(fn: Callable[..., Any]) -> None:
    """Variadic parameters cannot name upstreams; the error says to list each one."""
    with pytest.raises(DefinitionsError, match=r"\*args/\*\*kwargs") as raised:
        asset(fn)
    assert "its own parameter" in str(raised.value)
    assert repr(fn.__name__) in str(raised.value)


def test_positional_only_parameters_are_refused() -> None:
    """Upstreams are passed by name, so a positional-only parameter is refused by name."""

    def positional(orders, /):  # type: ignore[no-untyped-def]
        return orders

    with pytest.raises(DefinitionsError, match="'orders' is positional-only"):
        asset(positional)


@pytest.mark.parametrize(
    ("ins", "named"),
    [
        ({"custmers": AssetIn(key="crm/customers")}, ["'custmers'"]),
        ({"a": AssetIn(key_prefix="x"), "b": AssetIn(key="y")}, ["'a'", "'b'"]),
    ],
)
def test_ins_naming_a_missing_parameter_is_refused_naming_it(
    ins: dict[str, AssetIn], named: list[str]
) -> None:
    """`ins` keys must be parameters; the error names each stray key and suggests deps=."""

    def report(orders: list[int]) -> int:
        return len(orders)

    with pytest.raises(DefinitionsError, match="no such parameter") as raised:
        asset(ins=ins)(report)
    message = str(raised.value)
    for name in named:
        assert name in message
    assert "deps=" in message


def test_deps_become_ordering_only_keys() -> None:
    """`deps` accepts assets, key strings and AssetKeys; they are recorded but pass no value."""
    upstream_asset = asset(key_prefix="sales")(_orders)

    @asset(deps=[upstream_asset, "crm/customers", AssetKey(["ops", "refresh"]), "plain"])
    def report() -> int:
        return 0

    assert report.deps == (
        AssetKey(["sales", "_orders"]),
        AssetKey(["crm", "customers"]),
        AssetKey(["ops", "refresh"]),
        AssetKey(["plain"]),
    )
    assert report.inputs == ()


def test_errors_are_in_the_upstream_family() -> None:
    """A decorator error is catchable as `upstream.DefinitionsError` and `UpstreamError`."""
    assert issubclass(DefinitionsError, UpstreamError)
    with pytest.raises(UpstreamError):
        asset(group_name="bad group")(_orders)


# -- AssetKey ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("orders", ("orders",)),
        ("sales/orders", ("sales", "orders")),
        ("a/b/c", ("a", "b", "c")),
        ("v1.2/raw-orders_x", ("v1.2", "raw-orders_x")),
    ],
)
def test_asset_key_round_trips_through_its_user_string(text: str, path: tuple[str, ...]) -> None:
    """`from_user_string` splits on '/', and `str()`/`to_user_string()` join back."""
    key = AssetKey.from_user_string(text)
    assert key.path == path
    assert str(key) == text
    assert key.to_user_string() == text
    assert key.name == path[-1]
    assert AssetKey.from_coercible(text) == key
    assert AssetKey.from_coercible(list(path)) == key
    assert AssetKey.from_coercible(key) is key


def test_asset_key_from_a_string_is_a_single_part() -> None:
    """`AssetKey("orders")` equals `AssetKey(["orders"])` and hashes the same."""
    assert AssetKey("orders") == AssetKey(["orders"])
    assert hash(AssetKey("orders")) == hash(AssetKey(("orders",)))
    assert repr(AssetKey(["sales", "orders"])) == "AssetKey(['sales', 'orders'])"


@pytest.mark.parametrize(
    "parts",
    [[], [""], ["sales orders"], ["sales/orders"], ["-lead"], [".hidden"], ["ok", ""], ["é"]],
)
def test_asset_key_rejects_invalid_parts_with_a_message(parts: list[str]) -> None:
    """Empty keys and parts outside letters, digits, '_', '-', '.' are refused, quoting the part."""
    with pytest.raises(ValueError, match=r"asset key") as raised:
        AssetKey(parts)
    if parts:
        bad = next(p for p in parts if p != "ok")
        assert repr(bad) in str(raised.value)


def test_asset_key_rejects_a_non_string_part() -> None:
    """A part that is not a string is refused rather than stringified."""
    with pytest.raises(ValueError, match="invalid asset key part 3"):
        AssetKey(["sales", 3])  # type: ignore[list-item]


@pytest.mark.parametrize("text", ["", "/orders", "sales/", "sales//orders", "sales/raw orders"])
def test_from_user_string_rejects_malformed_text(text: str) -> None:
    """Leading, trailing or doubled slashes and spaces are not silently dropped."""
    with pytest.raises(ValueError, match="asset key"):
        AssetKey.from_user_string(text)


def test_asset_keys_order_by_their_path() -> None:
    """Keys sort part by part, a prefix before its extensions."""
    keys = [AssetKey(["b"]), AssetKey(["a", "b"]), AssetKey(["a"]), AssetKey(["a", "a"])]
    assert sorted(keys) == [
        AssetKey(["a"]),
        AssetKey(["a", "a"]),
        AssetKey(["a", "b"]),
        AssetKey(["b"]),
    ]


def test_with_prefix_prepends_parts() -> None:
    """`with_prefix` puts the given parts in front of the key's path."""
    assert AssetKey(["orders"]).with_prefix(["sales", "raw"]) == AssetKey(
        ["sales", "raw", "orders"]
    )


def test_required_resource_keys_as_a_bare_string_is_refused() -> None:
    """ "slack" would otherwise become five one-letter keys."""
    with pytest.raises(DefinitionsError, match=r"collection of keys, e.g. \{'slack'\}"):
        asset(name="x", required_resource_keys="slack")(lambda: None)


def test_an_empty_group_name_is_refused() -> None:
    """An empty group_name is a mistake, not a request for the default group."""
    with pytest.raises(DefinitionsError, match="group_name ''"):
        asset(name="x", group_name="")(lambda: None)
