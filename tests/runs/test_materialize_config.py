"""`materialize(..., run_config=...)` as in Dagster's docs: a RunConfig or the plain dict,
defaults when an asset has none, errors before anything runs, recorded with the run."""

from __future__ import annotations

import pytest

from upstream import Config, Definitions, RunConfig, RunConfigError, asset, materialize


class Inner(Config):
    scale: int = 1


class RateConfig(Config):
    rate: float
    inner: Inner = Inner()


class TopConfig(Config):
    limit: int = 3


calls: list[str] = []


@asset
def orders() -> list[int]:
    calls.append("orders")
    return [1, 2, 3, 4]


@asset(key_prefix=["sales"])
def revenue(context, orders: list[int], config: RateConfig) -> float:  # type: ignore[no-untyped-def]
    return sum(orders) * config.rate * config.inner.scale


@asset
def top(orders: list[int], config: TopConfig) -> list[int]:
    return sorted(orders)[-config.limit :]


DEFS = Definitions([orders, revenue, top])


def test_run_config_reaches_the_asset_and_defaults_fill_the_rest() -> None:
    result = materialize(
        DEFS,
        run_config=RunConfig(ops={"sales__revenue": RateConfig(rate=2, inner=Inner(scale=10))}),
    )
    assert result.output_for("sales/revenue") == 200.0
    assert result.output_for("top") == [2, 3, 4]  # no entry: TopConfig's default
    assert result.run.run_config == {
        "ops": {"sales__revenue": {"config": {"rate": 2.0, "inner": {"scale": 10}}}}
    }


def test_the_plain_dict_form_works_the_same() -> None:
    run_config = {
        "ops": {
            "sales__revenue": {"config": {"rate": 0.5}},
            "top": {"config": {"limit": 1}},
        }
    }
    result = materialize(DEFS, run_config=run_config)
    assert (result.output_for("sales/revenue"), result.output_for("top")) == (5.0, [4])


def test_bad_config_fails_before_anything_runs() -> None:
    calls.clear()
    with pytest.raises(RunConfigError, match="asset 'sales/revenue': field 'rate' is required"):
        materialize(DEFS)
    with pytest.raises(RunConfigError, match="'revenue', which is no asset; did you mean"):
        materialize(DEFS, run_config={"ops": {"revenue": {"config": {"rate": 1}}}})
    assert calls == []  # nothing ran


def test_a_selection_needs_only_its_own_config() -> None:
    result = materialize([orders, revenue, top], selection="orders,top")
    assert result.output_for("top") == [2, 3, 4]


def test_context_op_config_is_the_config_as_a_dict_as_in_dagster() -> None:
    seen: dict[str, object] = {}

    @asset
    def typed(context, config: TopConfig) -> None:  # type: ignore[no-untyped-def]
        seen["typed"] = context.op_config

    @asset
    def raw(context) -> None:  # type: ignore[no-untyped-def]
        seen["raw"] = context.op_config

    materialize([typed, raw], run_config={"ops": {"raw": {"config": {"any": [1]}}}})
    assert seen == {"typed": {"limit": 3}, "raw": {"any": [1]}}
    materialize([typed, raw])
    assert seen["raw"] is None
