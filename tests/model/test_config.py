"""Config and RunConfig as Dagster documents them: a pydantic model an asset takes as
`config`, and run config naming each asset by op name, normalised to the plain dict."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from upstream import (
    AssetKey,
    Config,
    ConfigurationError,
    DefinitionsError,
    PermissiveConfig,
    RunConfig,
    asset,
)
from upstream.model.config import (
    RunConfigError,
    build_config,
    normalize_run_config,
    op_name,
    step_run_config,
)


class Inner(Config):
    depth: int = 1


class RateConfig(Config):
    rate: float
    label: str = "eu"
    inner: Inner = Inner()


def test_a_config_is_a_frozen_pydantic_model_with_defaults() -> None:
    config = RateConfig(rate=2)
    assert isinstance(config, pydantic.BaseModel)
    assert (config.rate, config.label, config.inner.depth) == (2.0, "eu", 1)
    with pytest.raises(pydantic.ValidationError):
        config.rate = 3.0  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="rate"):
        RateConfig()  # type: ignore[call-arg]


def test_a_permissive_config_keeps_undeclared_fields() -> None:
    class Open(PermissiveConfig):
        known: int = 0

    config = Open.model_validate({"known": 1, "other": "x"})
    assert config.known == 1 and config.model_dump()["other"] == "x"


def test_the_op_name_of_a_prefixed_key_joins_its_parts_as_dagster_does() -> None:
    assert op_name(AssetKey(["revenue"])) == "revenue"
    assert op_name(AssetKey(["sales", "raw-orders.v2"])) == "sales__raw_orders_v2"


def test_an_asset_takes_config_by_the_parameter_named_config() -> None:
    @asset
    def revenue(context: Any, orders: list[int], config: RateConfig) -> float:
        return sum(orders) * config.rate

    assert revenue.takes_config and revenue.config_type is RateConfig
    assert [p.parameter for p in revenue.inputs] == ["orders"]  # config is never an upstream

    @asset
    def raw(config):  # type: ignore[no-untyped-def]
        return config

    assert raw.takes_config and raw.config_type is None and raw.inputs == ()

    @asset
    def partly(orders: Unresolvable, config: RateConfig) -> None:  # type: ignore[name-defined]  # noqa: F821
        ...

    assert partly.config_type is RateConfig  # found although another hint did not resolve
    assert revenue(None, [1, 2], RateConfig(rate=2)) == 6.0  # direct invocation, as Dagster


def test_a_config_class_on_another_parameter_or_a_bad_annotation_is_an_error() -> None:
    with pytest.raises(DefinitionsError, match=r"'settings'.*named 'config'"):

        @asset
        def a(settings: RateConfig) -> None: ...

    with pytest.raises(DefinitionsError, match="'b': parameter 'config' is annotated"):

        @asset
        def b(config: int) -> None: ...

    class Local(Config):
        x: int = 1

    with pytest.raises(DefinitionsError, match=r"'Local'.*cannot be resolved.*module level"):

        @asset
        def c(config: Local) -> None: ...  # a string here: the module defers annotations


def test_run_config_and_the_plain_dict_normalise_to_the_same_dict() -> None:
    typed = RunConfig(
        ops={"revenue": RateConfig(rate=2)}, resources={"db": {"config": {"url": "x"}}}
    )
    plain = {
        "ops": {"revenue": {"config": {"rate": 2.0, "label": "eu", "inner": {"depth": 1}}}},
        "resources": {"db": {"config": {"url": "x"}}},
    }
    assert normalize_run_config(typed) == normalize_run_config(plain) == plain
    assert typed.to_config_dict() == plain
    assert normalize_run_config(None) == {} == normalize_run_config(RunConfig())


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"opz": {}}, "unknown top-level key 'opz'"),
        ({"ops": []}, "'ops' must map names"),
        ({"ops": {"a": 3}}, "ops.a must be a mapping"),
        ({"ops": {"a": {"config": {"when": object()}}}}, "ops.a.config.when is a object"),
        (["ops"], "must be a RunConfig or a mapping"),
    ],
)
def test_a_malformed_run_config_is_an_error_saying_where(bad: Any, message: str) -> None:
    with pytest.raises(RunConfigError, match=message):
        normalize_run_config(bad)
    assert issubclass(RunConfigError, ConfigurationError)


def test_build_config_applies_defaults_and_names_asset_and_field() -> None:
    key = AssetKey(["sales", "revenue"])
    run_config = {"ops": {"sales__revenue": {"config": {"rate": "1.5"}}}}
    built = build_config(RateConfig, run_config, key)
    assert built == RateConfig(rate=1.5)

    with pytest.raises(RunConfigError) as missing:
        build_config(RateConfig, {}, key)
    assert str(missing.value) == (
        "run config for asset 'sales/revenue': field 'rate' is required; "
        "set it, e.g. -c ops.sales__revenue.config.rate=VALUE"
    )
    with pytest.raises(RunConfigError, match=r"field 'rate': .*got 'fast'"):
        build_config(RateConfig, {"ops": {"sales__revenue": {"config": {"rate": "fast"}}}}, key)
    with pytest.raises(RunConfigError, match=r"no field 'rat'.*did you mean 'rate'"):
        build_config(
            RateConfig, {"ops": {"sales__revenue": {"config": {"rate": 1, "rat": 2}}}}, key
        )
    with pytest.raises(RunConfigError, match=r"field 'inner.depth'"):
        build_config(
            RateConfig,
            {"ops": {"sales__revenue": {"config": {"rate": 1, "inner": {"depth": "x"}}}}},
            key,
        )


def test_an_unannotated_config_gets_the_raw_op_config() -> None:
    key = AssetKey(["a"])
    assert build_config(None, {"ops": {"a": {"config": {"x": 1}}}}, key) == {"x": 1}
    assert build_config(None, {}, key) is None


def test_a_step_gets_its_own_op_entry_and_the_resources() -> None:
    run_config = {
        "ops": {"a": {"config": {"x": 1}}, "b": {"config": {"y": 2}}},
        "resources": {"db": {"config": {"url": "u"}}},
    }
    assert step_run_config(run_config, AssetKey(["a"])) == {
        "ops": {"a": {"config": {"x": 1}}},
        "resources": {"db": {"config": {"url": "u"}}},
    }
    assert step_run_config({"ops": {"b": {}}}, AssetKey(["a"])) == {}


def test_an_env_var_in_run_config_is_kept_by_name_never_resolved() -> None:
    """Dagster's EnvVar (a str naming the variable, `env_var_name`) becomes {"env": NAME}."""

    class EnvVar(str):
        @property
        def env_var_name(self) -> str:
            return str.__str__(self)

    run_config = RunConfig(resources={"db": {"config": {"url": EnvVar("DB_URL")}}})
    assert normalize_run_config(run_config) == {
        "resources": {"db": {"config": {"url": {"env": "DB_URL"}}}}
    }


def test_an_enum_is_written_by_member_name_and_read_by_name_or_value() -> None:
    """Dagster's run config names enum members; pydantic's value works too."""
    from enum import Enum

    class Colour(Enum):
        RED = "red"
        BLUE = "blue"

    class Paint(Config):
        colour: Colour = Colour.RED

    class Job(Config):
        paint: Paint = Paint()

    key = AssetKey(["a"])
    written = normalize_run_config(RunConfig(ops={"a": Job(paint=Paint(colour=Colour.BLUE))}))
    assert written == {"ops": {"a": {"config": {"paint": {"colour": "BLUE"}}}}}
    assert build_config(Job, written, key).paint.colour is Colour.BLUE
    by_value = {"ops": {"a": {"config": {"paint": {"colour": "blue"}}}}}
    assert build_config(Job, by_value, key).paint.colour is Colour.BLUE
