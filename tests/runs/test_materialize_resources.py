"""`materialize` sets a run's resources up and tears them down when the run ends; the IO
manager kinds Dagster users bring (`fs_io_manager`, `mem_io_manager`, `@io_manager`,
`ConfigurableIOManager`) store and load values, and `output_for` reads them back."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from pydantic import PrivateAttr

from upstream import (
    ConfigurableIOManager,
    ConfigurableResource,
    Definitions,
    InitResourceContext,
    InputContext,
    IOManager,
    OutputContext,
    asset,
    fs_io_manager,
    io_manager,
    materialize,
    mem_io_manager,
)

EVENTS: list[str] = []


class Counter(ConfigurableResource):
    start: int = 0
    _count: int = PrivateAttr(default=0)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        EVENTS.append("setup")
        self._count = self.start

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        EVENTS.append("teardown")

    def next(self) -> int:
        self._count += 1
        return self._count


@asset
def one(counter: Counter) -> int:
    return counter.next()


@asset
def two(one: int, counter: Counter) -> int:
    return one + counter.next()


@pytest.fixture(autouse=True)
def _clear() -> None:
    EVENTS.clear()


def test_materialize_sets_up_once_and_tears_down_after_the_run() -> None:
    result = materialize([one, two], resources={"counter": Counter(start=10)})
    assert (result.output_for("one"), result.output_for("two")) == (11, 23)
    assert EVENTS == ["setup", "teardown"]


def test_teardown_follows_a_failed_step() -> None:
    @asset
    def broken(counter: Counter) -> int:
        raise RuntimeError("nope")

    with pytest.raises(RuntimeError, match="nope"):
        materialize([broken], resources={"counter": Counter()})
    assert EVENTS == ["setup", "teardown"]


def test_mem_io_manager_values_are_read_back_after_the_run() -> None:
    result = materialize([one, two], resources={"counter": Counter(), "io_manager": mem_io_manager})
    assert result.output_for("two") == 3


def test_fs_io_manager_configured_with_a_base_dir(tmp_path: Path) -> None:
    manager = fs_io_manager.configured({"base_dir": str(tmp_path)})
    result = materialize([one], resources={"counter": Counter(), "io_manager": manager})
    assert result.output_for("one") == 1
    assert pickle.loads((tmp_path / "one").read_bytes()) == 1


class Store(ConfigurableIOManager):
    """Dagster's shape: fields for config, `handle_output` and `load_input`."""

    prefix: str

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        SAVED[f"{self.prefix}/{context.asset_key.to_user_string()}"] = obj

    def load_input(self, context: InputContext) -> Any:
        return SAVED[f"{self.prefix}/{context.asset_key.to_user_string()}"]


SAVED: dict[str, Any] = {}


def test_configurable_io_manager_and_io_manager_key() -> None:
    @asset(io_manager_key="store")
    def kept() -> int:
        return 5

    @asset
    def doubled(kept: int) -> int:
        return kept * 2

    defs = Definitions([kept, doubled], resources={"store": Store(prefix="p")})
    result = materialize(defs)
    assert SAVED["p/kept"] == 5
    assert result.output_for("doubled") == 10
    assert result.output_for("kept") == 5


def test_io_manager_function_with_config() -> None:
    class Tagged(IOManager):
        def __init__(self, tag: str) -> None:
            self.tag, self.values = tag, {}

        def handle_output(self, context: OutputContext, obj: Any) -> None:
            self.values[context.asset_key] = (self.tag, obj)

        def load_input(self, context: InputContext) -> Any:
            return self.values[context.asset_key][1]

    @io_manager(config_schema={"tag": str})
    def tagged(init_context: InitResourceContext) -> IOManager:
        return Tagged(init_context.resource_config["tag"])

    @asset
    def value() -> int:
        return 4

    result = materialize([value], resources={"io_manager": tagged.configured({"tag": "t"})})
    assert result.output_for("value") == 4
