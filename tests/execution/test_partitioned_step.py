"""One step of a partitioned asset, in process: what its context and IO contexts say, where
the filesystem IO manager puts each partition, and what inputs load through mappings.

Edge cases follow Dagster's documented behaviour: the partitions concept page
(docs.dagster.io/guides/build/partitions-and-backfills), `UPathIOManager` (one file per
partition under the asset's path; several partitions load as a dict keyed by partition key)
and `dagster_tests/asset_defs_tests/test_partitioned_assets.py`.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from upstream import (
    AllPartitionMapping,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    Definitions,
    FilesystemIOManager,
    InMemoryIOManager,
    InputContext,
    IOManager,
    LastPartitionMapping,
    MaterializeResult,
    OutputContext,
    PartitionKeyRange,
    PartitionsDefinition,
    StaticPartitionsDefinition,
    asset,
    multi_asset,
)
from upstream.execution.records import StepResult
from upstream.execution.step import execute_step
from upstream.model.partitions import DynamicPartitionsStore

LETTERS = StaticPartitionsDefinition(["a", "b", "c"])


async def _run(
    defs: Definitions,
    key: str,
    io: IOManager,
    partition: PartitionKeyRange | None = None,
) -> StepResult:
    return await execute_step(defs, key, run_id="r1", default_io_manager=io, partition=partition)


def _key(key: str) -> PartitionKeyRange:
    return PartitionKeyRange(key, key)


async def test_a_key_reaches_the_context() -> None:
    seen: dict[str, Any] = {}

    @asset(partitions_def=LETTERS)
    def letters(context: AssetExecutionContext) -> str:
        seen["key"] = context.partition_key
        seen["keys"] = context.partition_keys
        seen["range"] = context.partition_key_range
        seen["has"] = (context.has_partition_key, context.has_partition_key_range)
        seen["output"] = context.asset_partition_key_for_output()
        seen["def"] = context.asset_partitions_def_for_output()
        return context.partition_key.upper()

    io = InMemoryIOManager()
    result = await _run(Definitions([letters]), "letters", io, _key("b"))
    assert result.success, result.error
    assert seen == {
        "key": "b",
        "keys": ["b"],
        "range": PartitionKeyRange("b", "b"),
        "has": (True, False),
        "output": "b",
        "def": LETTERS,
    }
    assert io.values[(AssetKey("letters"), "b")] == "B"  # mem_io_manager: one per partition


async def test_a_range_reaches_the_context_and_partition_key_raises() -> None:
    """Dagster: "Cannot access partition_key for a partitioned run with a range of
    partitions. Call partition_key_range instead." (StepExecutionContext.partition_key)."""
    seen: dict[str, Any] = {}

    @asset(partitions_def=LETTERS)
    def letters(context: AssetExecutionContext) -> MaterializeResult:
        seen["keys"] = context.partition_keys
        seen["range"] = context.partition_key_range
        seen["has"] = (context.has_partition_key, context.has_partition_key_range)
        seen["out"] = context.asset_partition_keys_for_output()
        seen["out_range"] = context.asset_partition_key_range_for_output()
        with pytest.raises(Exception, match="Call partition_key_range instead"):
            _ = context.partition_key
        with pytest.raises(Exception, match="covers 2 partitions"):
            context.asset_partition_key_for_output()
        return MaterializeResult()  # a range run stores its data itself

    result = await _run(
        Definitions([letters]), "letters", InMemoryIOManager(), PartitionKeyRange("b", "c")
    )
    assert result.success, result.error
    assert seen == {
        "keys": ["b", "c"],
        "range": PartitionKeyRange("b", "c"),
        "has": (False, True),
        "out": ["b", "c"],
        "out_range": PartitionKeyRange("b", "c"),
    }


async def test_an_unpartitioned_step_ignores_the_runs_partition() -> None:
    """In a partitioned run an unpartitioned asset runs as usual: its context has no key."""
    seen: dict[str, Any] = {}

    @asset
    def plain(context: AssetExecutionContext) -> int:
        seen["has"] = context.has_partition_key
        with pytest.raises(Exception, match="Cannot access partition_key for a non-partitioned"):
            _ = context.partition_key
        return 1

    io = InMemoryIOManager()
    result = await _run(Definitions([plain]), "plain", io, _key("a"))
    assert result.success, result.error
    assert seen == {"has": False}
    assert io.values[AssetKey("plain")] == 1


async def test_a_key_outside_the_definition_fails_the_step_naming_it() -> None:
    @asset(partitions_def=LETTERS)
    def letters() -> int:
        return 1

    result = await _run(Definitions([letters]), "letters", InMemoryIOManager(), _key("z"))
    assert not result.success
    assert result.error is not None
    assert "partition key 'z' is not in StaticPartitionsDefinition" in result.error.message


async def test_the_filesystem_io_manager_stores_a_file_per_partition(tmp_path: Path) -> None:
    """Dagster's layout: <base_dir>/<asset key path>/<partition key>."""

    @asset(key_prefix="sales", partitions_def=LETTERS)
    def orders(context: AssetExecutionContext) -> str:
        return f"orders of {context.partition_key}"

    io = FilesystemIOManager(tmp_path)
    defs = Definitions([orders])
    for key in ("a", "c"):
        result = await _run(defs, "sales/orders", io, _key(key))
        assert result.success, result.error
        assert result.metadata["path"]["value"] == str(tmp_path / "sales" / "orders" / key)
    assert sorted(p.name for p in (tmp_path / "sales" / "orders").iterdir()) == ["a", "c"]
    assert pickle.loads((tmp_path / "sales" / "orders" / "c").read_bytes()) == "orders of c"


async def test_a_file_left_by_the_unpartitioned_asset_gives_way(tmp_path: Path) -> None:
    """Dagster's UPathIOManager removes the old unpartitioned file to make the directory."""
    (tmp_path / "orders").write_bytes(pickle.dumps("old"))

    @asset(partitions_def=LETTERS)
    def orders() -> int:
        return 1

    result = await _run(Definitions([orders]), "orders", FilesystemIOManager(tmp_path), _key("a"))
    assert result.success, result.error
    assert pickle.loads((tmp_path / "orders" / "a").read_bytes()) == 1


async def test_a_range_cannot_be_stored_as_one_value_per_partition(tmp_path: Path) -> None:
    """Dagster's UPathIOManager refuses an output of several partitions (a single-run
    backfill) and says what to do instead."""

    @asset(partitions_def=LETTERS)
    def letters() -> int:
        return 1

    result = await _run(
        Definitions([letters]),
        "letters",
        FilesystemIOManager(tmp_path),
        PartitionKeyRange("a", "b"),
    )
    assert not result.success
    assert result.error is not None
    assert "covers 2 partitions" in result.error.message
    assert "BackfillPolicy.multi_run()" in result.error.message


# -- inputs through mappings ------------------------------------------------------------


@asset(partitions_def=LETTERS)
def upstream_letters(context: AssetExecutionContext) -> str:
    return context.partition_key * 2


async def _fill(io: IOManager, *keys: str) -> None:
    for key in keys:
        result = await _run(Definitions([upstream_letters]), "upstream_letters", io, _key(key))
        assert result.success, result.error


async def test_identity_reads_the_same_partition(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    @asset(partitions_def=LETTERS)
    def doubled(context: AssetExecutionContext, upstream_letters: str) -> str:
        seen["key"] = context.asset_partition_key_for_input("upstream_letters")
        seen["keys"] = context.asset_partition_keys_for_input("upstream_letters")
        seen["range"] = context.asset_partition_key_range_for_input("upstream_letters")
        seen["def"] = context.asset_partitions_def_for_input("upstream_letters")
        return upstream_letters + "!"

    io = FilesystemIOManager(tmp_path)
    await _fill(io, "a", "b")
    result = await _run(Definitions([upstream_letters, doubled]), "doubled", io, _key("b"))
    assert result.success, result.error
    assert pickle.loads((tmp_path / "doubled" / "b").read_bytes()) == "bb!"
    assert seen == {"key": "b", "keys": ["b"], "range": _key("b"), "def": LETTERS}


async def test_an_unpartitioned_reader_gets_every_partition_as_a_dict(tmp_path: Path) -> None:
    """Dagster's default for an unpartitioned asset downstream of a partitioned one is
    AllPartitionMapping; several partitions arrive as a dict keyed by partition key."""

    @asset
    def summary(upstream_letters: dict[str, str]) -> str:
        return ",".join(f"{k}={v}" for k, v in upstream_letters.items())

    io = FilesystemIOManager(tmp_path)
    await _fill(io, "a", "b", "c")
    result = await _run(Definitions([upstream_letters, summary]), "summary", io, None)
    assert result.success, result.error
    assert pickle.loads((tmp_path / "summary").read_bytes()) == "a=aa,b=bb,c=cc"


async def test_all_partition_mapping_gives_a_partition_every_upstream_one() -> None:
    seen: dict[str, Any] = {}

    @asset(
        partitions_def=LETTERS,
        ins={"upstream_letters": AssetIn(partition_mapping=AllPartitionMapping())},
    )
    def everything(context: AssetExecutionContext, upstream_letters: dict[str, str]) -> int:
        seen["keys"] = context.asset_partition_keys_for_input("upstream_letters")
        seen["range"] = context.asset_partition_key_range_for_input("upstream_letters")
        with pytest.raises(Exception, match="covers 3 partitions"):
            context.asset_partition_key_for_input("upstream_letters")
        seen["value"] = upstream_letters
        return len(upstream_letters)

    io = InMemoryIOManager()
    await _fill(io, "a", "b", "c")
    result = await _run(Definitions([upstream_letters, everything]), "everything", io, _key("a"))
    assert result.success, result.error
    assert seen == {
        "keys": ["a", "b", "c"],
        "range": PartitionKeyRange("a", "c"),
        "value": {"a": "aa", "b": "bb", "c": "cc"},
    }


async def test_last_partition_mapping_reads_the_last_partition_alone() -> None:
    @asset(ins={"upstream_letters": AssetIn(partition_mapping=LastPartitionMapping())})
    def latest(upstream_letters: str) -> str:
        return upstream_letters

    io = InMemoryIOManager()
    await _fill(io, "a", "c")
    result = await _run(Definitions([upstream_letters, latest]), "latest", io, None)
    assert result.success, result.error
    assert io.values[AssetKey("latest")] == "cc"  # one partition: the value, not a dict


async def test_a_missing_upstream_partition_fails_naming_it(tmp_path: Path) -> None:
    """The IO manager's error, as in Dagster (a FileNotFoundError there)."""

    @asset
    def summary(upstream_letters: dict[str, str]) -> int:
        return len(upstream_letters)

    io = FilesystemIOManager(tmp_path)
    await _fill(io, "a", "c")
    result = await _run(Definitions([upstream_letters, summary]), "summary", io, None)
    assert not result.success
    assert result.error is not None
    assert result.error.type == "InputLoadError"
    assert "no stored value for partition 'b'" in result.error.message


async def test_allow_missing_partitions_leaves_them_out(tmp_path: Path) -> None:
    """Dagster's UPathIOManager: input metadata allow_missing_partitions=True skips them."""

    @asset(ins={"upstream_letters": AssetIn(metadata={"allow_missing_partitions": True})})
    def summary(upstream_letters: dict[str, str]) -> list[str]:
        return sorted(upstream_letters)

    io = FilesystemIOManager(tmp_path)
    await _fill(io, "a", "c")
    result = await _run(Definitions([upstream_letters, summary]), "summary", io, None)
    assert result.success, result.error
    assert pickle.loads((tmp_path / "summary").read_bytes()) == ["a", "c"]


async def test_an_unpartitioned_parent_gives_its_one_value() -> None:
    @asset
    def rate() -> float:
        return 2.0

    @asset(partitions_def=LETTERS)
    def priced(context: AssetExecutionContext, rate: float) -> float:
        with pytest.raises(Exception, match="has no asset partitions"):
            context.asset_partition_keys_for_input("rate")
        return rate

    io = InMemoryIOManager()
    io.values[AssetKey("rate")] = 2.0
    result = await _run(Definitions([rate, priced]), "priced", io, _key("a"))
    assert result.success, result.error
    assert io.values[(AssetKey("priced"), "a")] == 2.0


async def test_a_mapping_that_reaches_no_upstream_partition_fails_the_step() -> None:
    """Dagster fails such a step ("depends on invalid partitions") instead of loading
    nothing: identity from a key the upstream lacks."""

    @asset(partitions_def=StaticPartitionsDefinition(["a"]))
    def only_a() -> int:
        return 1

    @asset(partitions_def=LETTERS)
    def wider(only_a: int) -> int:
        return only_a

    result = await _run(Definitions([only_a, wider]), "wider", InMemoryIOManager(), _key("b"))
    assert not result.success
    assert result.error is not None
    assert "maps partition 'b' to no partition of 'only_a'" in result.error.message


# -- IO contexts ------------------------------------------------------------------------


class Recording(IOManager):
    """Keeps what each context said, and values per (key, partition) like Dagster's
    InMemoryIOManager keyed by `get_asset_identifier()`."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], Any] = {}
        self.outputs: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.outputs.append(
            {
                "has_partition_key": context.has_partition_key,
                "partition_key": context.partition_key if context.has_partition_key else None,
                "has_asset_partitions": context.has_asset_partitions,
                "asset_partition_key": (
                    context.asset_partition_key if context.has_asset_partitions else None
                ),
            }
        )
        self.values[tuple(context.get_asset_identifier())] = obj

    def load_input(self, context: InputContext) -> Any:
        self.inputs.append(
            {
                "partition_key": context.partition_key,
                "asset_partition_keys": context.asset_partition_keys,
                "asset_partition_key_range": context.asset_partition_key_range,
                "asset_partitions_def": context.asset_partitions_def,
            }
        )
        return {k: self.values[(*context.asset_key.path, k)] for k in context.asset_partition_keys}


async def test_io_contexts_say_the_step_key_and_the_upstream_keys_read() -> None:
    """On an InputContext `partition_key` is the running step's, `asset_partition_keys`
    the upstream partitions loaded (Dagster's InputContext)."""

    @asset(
        partitions_def=LETTERS,
        ins={"upstream_letters": AssetIn(partition_mapping=AllPartitionMapping())},
    )
    def everything(upstream_letters: dict[str, str]) -> int:
        return len(upstream_letters)

    io = Recording()
    await _fill(io, "a", "b", "c")
    assert io.outputs[0] == {
        "has_partition_key": True,
        "partition_key": "a",
        "has_asset_partitions": True,
        "asset_partition_key": "a",
    }
    result = await _run(Definitions([upstream_letters, everything]), "everything", io, _key("b"))
    assert result.success, result.error
    assert io.inputs == [
        {
            "partition_key": "b",
            "asset_partition_keys": ["a", "b", "c"],
            "asset_partition_key_range": PartitionKeyRange("a", "c"),
            "asset_partitions_def": LETTERS,
        }
    ]
    assert io.values[("everything", "b")] == 3


def test_an_unpartitioned_io_context_raises_dagsters_errors() -> None:
    context = OutputContext(asset_key=AssetKey("x"), run_id="r")
    assert not context.has_partition_key
    assert not context.has_asset_partitions
    with pytest.raises(Exception, match="Tried to access partition_key on a non-partitioned run"):
        _ = context.partition_key
    with pytest.raises(Exception, match="asset 'x' is not partitioned"):
        _ = context.asset_partition_keys
    assert context.get_asset_identifier() == ["x"]


# -- multi-assets -----------------------------------------------------------------------


async def test_a_multi_assets_outputs_share_its_partitions(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    @multi_asset(outs={"left": AssetOut(), "right": AssetOut()}, partitions_def=LETTERS)
    def pair(context: AssetExecutionContext) -> tuple[str, str]:
        seen["left"] = context.asset_partition_key_for_output("left")
        seen["right"] = context.asset_partition_keys_for_output("right")
        return "L" + context.partition_key, "R" + context.partition_key

    io = FilesystemIOManager(tmp_path)
    result = await _run(Definitions([pair]), "pair", io, _key("c"))
    assert result.success, result.error
    assert seen == {"left": "c", "right": ["c"]}
    assert pickle.loads((tmp_path / "left" / "c").read_bytes()) == "Lc"
    assert pickle.loads((tmp_path / "right" / "c").read_bytes()) == "Rc"


# -- time windows, through any definition that has them ----------------------------------


class Window(NamedTuple):
    start: datetime
    end: datetime


class Days(PartitionsDefinition):
    """A tiny daily definition: what a time-window definition offers the context."""

    def __init__(self, days: int) -> None:
        self._first = datetime(2024, 1, 1)
        self._keys = [(self._first + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(days)]

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return self._keys

    def to_spec(self) -> dict[str, Any]:
        return {"type": "static", "keys": self._keys}  # rebuilt as static: fine for a test

    def time_window_for_partition_key(self, partition_key: str) -> Window:
        start = datetime.strptime(partition_key, "%Y-%m-%d")
        return Window(start, start + timedelta(days=1))


async def test_the_time_window_spans_the_range() -> None:
    seen: dict[str, Any] = {}
    days = Days(5)

    @asset(partitions_def=days)
    def daily(context: AssetExecutionContext) -> MaterializeResult:
        seen["window"] = context.partition_time_window
        seen["output"] = context.asset_partitions_time_window_for_output()
        return MaterializeResult()

    result = await _run(
        Definitions([daily]),
        "daily",
        InMemoryIOManager(),
        PartitionKeyRange("2024-01-02", "2024-01-03"),
    )
    assert result.success, result.error
    expected = Window(datetime(2024, 1, 2), datetime(2024, 1, 4))
    assert seen == {"window": expected, "output": expected}


async def test_a_definition_without_time_windows_has_no_time_window() -> None:
    """Dagster: "Expected a TimeWindowPartitionsDefinition or MultiPartitionsDefinition with
    a single time dimension, but instead found ..."."""

    @asset(partitions_def=LETTERS)
    def letters(context: AssetExecutionContext) -> int:
        with pytest.raises(Exception, match="Expected a TimeWindowPartitionsDefinition"):
            _ = context.partition_time_window
        return 1

    result = await _run(Definitions([letters]), "letters", InMemoryIOManager(), _key("a"))
    assert result.success, result.error


# -- multi-dimensional keys and async assets --------------------------------------------


class TwoDimKey(str):
    """Dagster's MultiPartitionKey shape: a string ("color|size") with keys by dimension."""

    keys_by_dimension: dict[str, str]

    def __new__(cls, text: str) -> TwoDimKey:
        made = super().__new__(cls, text)
        size, color = text.split("|")
        made.keys_by_dimension = {"size": size, "color": color}
        return made


class TwoDims(PartitionsDefinition):
    """A stand-in for a MultiPartitionsDefinition: keys parse into `TwoDimKey`s."""

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        return [TwoDimKey(f"{s}|{c}") for s in ("small", "large") for c in ("red", "blue")]

    def to_spec(self) -> dict[str, Any]:
        return {"type": "static", "keys": [str(k) for k in self.get_partition_keys()]}

    def get_partition_key_from_str(self, partition_key_str: str) -> str:
        return TwoDimKey(partition_key_str)


async def test_a_multi_dimensional_key_is_one_directory_per_dimension(tmp_path: Path) -> None:
    """UPathIOManager's layout: the dimensions' keys, ordered by dimension name."""
    seen: dict[str, Any] = {}

    @asset(partitions_def=TwoDims())
    def boxes(context: AssetExecutionContext) -> str:
        seen["dims"] = context.partition_key.keys_by_dimension  # type: ignore[attr-defined]
        return str(context.partition_key)

    result = await _run(
        Definitions([boxes]), "boxes", FilesystemIOManager(tmp_path), _key("large|blue")
    )
    assert result.success, result.error
    assert seen == {"dims": {"size": "large", "color": "blue"}}
    assert pickle.loads((tmp_path / "boxes" / "blue" / "large").read_bytes()) == "large|blue"


async def test_an_async_asset_reads_its_partitions_the_same_way() -> None:
    @asset(partitions_def=LETTERS)
    async def later(context: AssetExecutionContext, upstream_letters: str) -> str:
        return f"{context.partition_key}:{upstream_letters}"

    io = InMemoryIOManager()
    await _fill(io, "c")
    result = await _run(Definitions([upstream_letters, later]), "later", io, _key("c"))
    assert result.success, result.error
    assert io.values[(AssetKey("later"), "c")] == "c:cc"


class Dimension(NamedTuple):
    name: str
    partitions_def: PartitionsDefinition


class DayAndColor(PartitionsDefinition):
    """A stand-in for a MultiPartitionsDefinition with one time dimension ("date")."""

    time_window_dimension = Dimension("date", Days(3))

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> Sequence[str]:
        days = Days(3).get_partition_keys()
        return [self.get_partition_key_from_str(f"{c}|{d}") for d in days for c in ("red", "blue")]

    def to_spec(self) -> dict[str, Any]:
        return {"type": "static", "keys": [str(k) for k in self.get_partition_keys()]}

    def get_partition_key_from_str(self, partition_key_str: str) -> str:
        made = TwoDimKey.__new__(TwoDimKey, partition_key_str)
        color, day = partition_key_str.split("|")
        made.keys_by_dimension = {"color": color, "date": day}
        return made


async def test_a_multi_partition_with_a_time_dimension_has_its_windows() -> None:
    """Dagster: partition_time_window works on a MultiPartitionsDefinition with a single
    time dimension (the window of the key's value in that dimension)."""
    seen: dict[str, Any] = {}

    @asset(partitions_def=DayAndColor())
    def painted(context: AssetExecutionContext) -> MaterializeResult:
        seen["window"] = context.partition_time_window
        return MaterializeResult()

    result = await _run(
        Definitions([painted]), "painted", InMemoryIOManager(), _key("blue|2024-01-02")
    )
    assert result.success, result.error
    assert seen == {"window": Window(datetime(2024, 1, 2), datetime(2024, 1, 3))}
