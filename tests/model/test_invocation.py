"""Calling an asset directly in a unit test, with Dagster's rules (its direct-invocation
tests): the context first or by name, resources from the context or as arguments."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from upstream import (
    AssetExecutionContext,
    Config,
    ConfigurableResource,
    ConfigurationError,
    InvocationError,
    MaterializeResult,
    ResourceParam,
    UpstreamError,
    asset,
    build_asset_context,
)


class Greeter(ConfigurableResource):
    pass


@asset
def plain(up: int) -> int:
    return up + 1


@asset
def with_context(context: AssetExecutionContext, up: int) -> str:
    return f"{context.asset_key.to_user_string()}:{up}"


@asset(required_resource_keys={"db"})
def needs_db(context: AssetExecutionContext) -> Any:
    return context.resources.db


@asset
def takes_resource(greeter: ResourceParam[str], up: int) -> str:
    return f"{greeter} {up}"


def test_an_asset_without_context_is_a_plain_function() -> None:
    assert plain(1) == 2
    assert plain(up=1) == 2


def test_the_context_comes_first_or_by_its_name() -> None:
    context = build_asset_context()
    assert with_context(context, 3) == "with_context:3"
    assert with_context(context=build_asset_context(), up=3) == "with_context:3"


def test_a_missing_context_is_an_error_naming_the_fix() -> None:
    """Dagster: 'has context argument, but no context was provided when invoking'."""
    with pytest.raises(InvocationError, match=r"no context was provided.*build_asset_context"):
        with_context()
    with pytest.raises(InvocationError, match=r"no context was provided"):
        with_context(3)


def test_none_for_the_context_builds_one() -> None:
    assert with_context(None, 4) == "with_context:4"


def test_a_context_given_to_an_asset_without_one_is_dropped() -> None:
    """As in Dagster: it is taken for its resources, not passed to the function."""
    assert plain(build_asset_context(), 1) == 2


def test_required_resources_come_from_the_context() -> None:
    assert needs_db(build_asset_context(resources={"db": "sqlite"})) == "sqlite"
    with pytest.raises(InvocationError, match=r"resource with key 'db' required by asset"):
        needs_db(build_asset_context())


def test_resource_parameters_from_the_context_or_as_arguments() -> None:
    assert takes_resource(build_asset_context(resources={"greeter": "hi"}), up=1) == "hi 1"
    assert takes_resource(greeter="hello", up=2) == "hello 2"
    with pytest.raises(InvocationError, match=r"both in the context and as an argument"):
        takes_resource(build_asset_context(resources={"greeter": "hi"}), greeter="x", up=1)
    with pytest.raises(InvocationError, match=r"required resource 'greeter'"):
        takes_resource(up=1)


def test_a_missing_input_is_named() -> None:
    with pytest.raises(InvocationError, match=r"required input 'up'"):
        plain()
    assert issubclass(InvocationError, (UpstreamError, TypeError))


def test_extra_arguments_are_an_error() -> None:
    with pytest.raises(InvocationError, match=r"plain"):
        plain(1, 2)


class Settings(Config):
    limit: int


def test_a_config_parameter_is_built_from_asset_config() -> None:
    @asset
    def limited(config: Settings) -> int:
        return config.limit

    assert limited(build_asset_context(asset_config={"limit": 3})) == 3
    assert limited(config=Settings(limit=5)) == 5  # a Config object passes through


def test_the_return_value_is_returned_as_is() -> None:
    @asset
    def with_metadata() -> MaterializeResult:
        return MaterializeResult(value=1, metadata={"rows": 1})

    assert with_metadata() == MaterializeResult(value=1, metadata={"rows": 1})


def test_async_assets_return_a_coroutine() -> None:
    @asset
    async def later(context: AssetExecutionContext) -> str:
        return context.run_id

    context = build_asset_context(run_id="r1")
    assert asyncio.run(later(context)) == "r1"


def test_context_log_is_a_logger(caplog: pytest.LogCaptureFixture) -> None:
    @asset
    def logs(context: AssetExecutionContext) -> None:
        context.log.info("hello %s", "there")

    with caplog.at_level(logging.INFO, logger="upstream.user"):
        logs(build_asset_context())
    assert "hello there" in caplog.text


def test_an_unbound_context_says_so() -> None:
    context = build_asset_context()
    with pytest.raises(UpstreamError, match=r"no asset yet"):
        _ = context.asset_key
    with_context(context, 1)
    assert context.asset_key.to_user_string() == "with_context"


def test_unsupported_arguments_are_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match=r"both partition_key and partition_key_range"):
        build_asset_context(partition_key="a", partition_key_range=("a", "b"))
    with pytest.raises(ConfigurationError, match=r"instance"):
        build_asset_context(instance=object())


def test_a_configurable_resource_is_passed_through() -> None:
    greeter = Greeter()

    @asset
    def uses(g: Greeter) -> Greeter:
        return g

    assert uses(build_asset_context(resources={"g": greeter})) is greeter


def test_the_parameters_are_in_dagsters_order() -> None:
    import inspect

    names = list(inspect.signature(build_asset_context).parameters)
    assert names[:6] == [
        "resources",
        "resources_config",
        "asset_config",
        "instance",
        "partition_key",
        "partition_key_range",
    ]
    with pytest.raises(ConfigurationError, match="resources_config"):
        build_asset_context({"db": 1}, {"db": {"config": {}}})


def test_the_context_is_a_context_manager() -> None:
    with build_asset_context(resources={"db": "duckdb"}) as context:
        assert needs_db(context) == "duckdb"
