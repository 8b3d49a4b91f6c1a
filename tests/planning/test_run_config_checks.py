"""Run config is checked against the assets before anything runs, as Dagster checks it
against the job's config schema: unknown ops, missing required fields, wrong types."""

from __future__ import annotations

import pytest

from upstream import Config, Definitions, RunConfig, asset
from upstream.model.config import RunConfigError
from upstream.planning.run_config import validate_run_config


class RateConfig(Config):
    rate: float


class LimitConfig(Config):
    limit: int = 10


@asset
def orders() -> list[int]:
    return [1, 2]


@asset(key_prefix=["sales"])
def revenue(orders: list[int], config: RateConfig) -> float:
    return sum(orders) * config.rate


@asset
def top(config: LimitConfig) -> int:
    return config.limit


DEFS = Definitions([orders, revenue, top])


def test_a_valid_run_config_comes_back_normalised() -> None:
    checked = validate_run_config(DEFS, RunConfig(ops={"sales__revenue": RateConfig(rate=2)}))
    assert checked == {"ops": {"sales__revenue": {"config": {"rate": 2.0}}}}


def test_defaults_apply_when_an_asset_has_no_entry() -> None:
    assert validate_run_config(DEFS, None, steps=["orders", "top"]) == {}


def test_a_required_field_missing_is_an_error_naming_asset_and_field() -> None:
    with pytest.raises(RunConfigError, match="asset 'sales/revenue': field 'rate' is required"):
        validate_run_config(DEFS, None)


def test_an_unknown_op_is_an_error_with_did_you_mean() -> None:
    with pytest.raises(RunConfigError, match="'sales_revenue', which is no asset; did you mean"):
        validate_run_config(DEFS, {"ops": {"sales_revenue": {"config": {"rate": 1}}}})
    with pytest.raises(RunConfigError, match="joined by '__'"):
        validate_run_config(DEFS, {"ops": {"zzz": {"config": {}}}}, steps=["orders"])


def test_an_entry_holds_only_config() -> None:
    with pytest.raises(RunConfigError, match=r"unknown key 'inputs' in ops\.top"):
        validate_run_config(DEFS, {"ops": {"top": {"inputs": {}}}}, steps=["top"])


def test_only_selected_assets_are_built_so_a_partial_rerun_keeps_its_config() -> None:
    # revenue is not selected: its missing rate is no error, and top's entry is checked.
    assert validate_run_config(DEFS, None, steps=["top"]) == {}
    with pytest.raises(RunConfigError, match="asset 'top': field 'limit'"):
        validate_run_config(DEFS, {"ops": {"top": {"config": {"limit": "many"}}}}, ["top"])


def test_the_resources_part_is_carried_as_it_is() -> None:
    resources = {"db": {"config": {"url": {"env": "DB_URL"}}}}
    checked = validate_run_config(DEFS, {"resources": resources}, steps=["orders"])
    assert checked == {"resources": resources}
