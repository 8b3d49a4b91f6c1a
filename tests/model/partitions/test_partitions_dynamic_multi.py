"""Dynamic and multi partitions (Dagster's `test_dynamic_partitions.py`,
`test_multi_partitions.py`), and every definition and mapping surviving its JSON spec."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

import upstream
from upstream import (
    AddDynamicPartitionsRequest,
    AllPartitionMapping,
    DailyPartitionsDefinition,
    DefinitionsError,
    DeleteDynamicPartitionsRequest,
    DimensionPartitionMapping,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionKeyRange,
    PartitionMapping,
    PartitionsDefinition,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from upstream.model.partitions import partition_mapping_from_spec, partitions_def_from_spec


class Store:
    """A `DynamicPartitionsStore` in a dict, as storage would answer."""

    def __init__(self, **keys: list[str]) -> None:
        self.keys = keys

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        return self.keys.get(partitions_def_name, [])

    def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in self.keys.get(partitions_def_name, [])


# -- dynamic ---------------------------------------------------------------------------------


def test_dynamic_keys_come_from_the_store() -> None:
    customers = DynamicPartitionsDefinition(name="customers")
    store = Store(customers=["acme", "globex"])
    assert customers.get_partition_keys(dynamic_partitions_store=store) == ["acme", "globex"]
    assert customers.has_partition_key("acme", dynamic_partitions_store=store)
    assert not customers.has_partition_key("initech", dynamic_partitions_store=store)
    assert customers.get_last_partition_key(dynamic_partitions_store=store) == "globex"
    assert customers.get_partition_keys(dynamic_partitions_store=Store()) == []
    assert customers.get_partition_keys_in_range(
        PartitionKeyRange("acme", "globex"), dynamic_partitions_store=store
    ) == ["acme", "globex"]


def test_dynamic_keys_without_a_store_say_what_to_pass() -> None:
    customers = DynamicPartitionsDefinition(name="customers")
    with pytest.raises(DefinitionsError, match="pass dynamic_partitions_store="):
        customers.get_partition_keys()
    with pytest.raises(DefinitionsError, match="DynamicPartitionsDefinition"):
        customers.has_partition_key("acme")


def test_dynamic_requests_are_dagsters_records() -> None:
    customers = DynamicPartitionsDefinition(name="customers")
    assert customers.build_add_request(["acme"]) == AddDynamicPartitionsRequest(
        partitions_def_name="customers", partition_keys=["acme"]
    )
    assert customers.build_delete_request(["acme"]) == DeleteDynamicPartitionsRequest(
        "customers", ["acme"]
    )
    with pytest.raises(DefinitionsError, match=r"write \['acme'\]"):
        customers.build_add_request("acme")
    with pytest.raises(DefinitionsError, match="needs a name"):
        DynamicPartitionsDefinition(name="")


def test_dynamic_definitions_compare_by_name() -> None:
    assert DynamicPartitionsDefinition("a") == DynamicPartitionsDefinition(name="a")
    assert DynamicPartitionsDefinition("a") != DynamicPartitionsDefinition("b")
    assert len({DynamicPartitionsDefinition("a"), DynamicPartitionsDefinition("a")}) == 1


# -- multi -----------------------------------------------------------------------------------

DATES = DailyPartitionsDefinition("2024-01-01")
COLORS = StaticPartitionsDefinition(["red", "blue"])
NOW = datetime(2024, 1, 3, tzinfo=UTC)


def test_multi_keys_are_the_product_in_dimension_name_order() -> None:
    # Dagster: dimensions sorted by name; the first (here "color") varies slowest
    multi = MultiPartitionsDefinition({"date": DATES, "color": COLORS})
    keys = multi.get_partition_keys(current_time=NOW)
    assert keys == ["red|2024-01-01", "red|2024-01-02", "blue|2024-01-01", "blue|2024-01-02"]
    assert all(isinstance(k, MultiPartitionKey) for k in keys)
    assert keys[0].keys_by_dimension == {"color": "red", "date": "2024-01-01"}
    assert [d.name for d in multi.partitions_defs] == ["color", "date"]
    assert multi.partition_dimension_names == ["color", "date"]


def test_a_multi_key_is_a_string_with_dimensions() -> None:
    key = MultiPartitionKey({"date": "2024-01-01", "color": "red"})
    assert key == "red|2024-01-01" and isinstance(key, str)
    assert key.keys_by_dimension == {"color": "red", "date": "2024-01-01"}
    assert [k.dimension_name for k in key.dimension_keys] == ["color", "date"]
    assert pickle.loads(pickle.dumps(key)).keys_by_dimension == key.keys_by_dimension
    multi = MultiPartitionsDefinition({"date": DATES, "color": COLORS})
    parsed = multi.get_partition_key_from_str("blue|2024-01-02")
    assert parsed.keys_by_dimension == {"color": "blue", "date": "2024-01-02"}
    with pytest.raises(DefinitionsError, match=r"expected 2 keys joined by '\|' \(color\|date\)"):
        multi.get_partition_key_from_str("blue")


def test_multi_has_partition_key_asks_each_dimension() -> None:
    multi = MultiPartitionsDefinition({"date": DATES, "color": COLORS})
    assert multi.has_partition_key("red|2024-01-02", current_time=NOW)
    assert multi.has_partition_key(MultiPartitionKey({"color": "red", "date": "2024-01-01"}), NOW)
    assert not multi.has_partition_key("green|2024-01-02", current_time=NOW)
    assert not multi.has_partition_key("red|2024-01-03", current_time=NOW)  # not ended yet
    assert not multi.has_partition_key("red", current_time=NOW)
    assert not multi.has_partition_key(MultiPartitionKey({"a": "red", "b": "x"}), NOW)


def test_primary_and_secondary_dimensions() -> None:
    # Dagster: the time dimension is primary when there is exactly one; else the first by name
    with_time = MultiPartitionsDefinition({"a_color": COLORS, "z_date": DATES})
    assert with_time.primary_dimension.name == "z_date"
    assert with_time.secondary_dimension.name == "a_color"
    static_only = MultiPartitionsDefinition({"b": COLORS, "a": StaticPartitionsDefinition(["x"])})
    assert (static_only.primary_dimension.name, static_only.secondary_dimension.name) == ("a", "b")
    two_times = MultiPartitionsDefinition(
        {"d": DATES, "h": HourlyPartitionsDefinition("2024-01-01-00:00")}
    )
    assert two_times.primary_dimension.name == "d"


def test_multi_with_a_dynamic_dimension() -> None:
    multi = MultiPartitionsDefinition(
        {"customer": DynamicPartitionsDefinition("c"), "color": COLORS}
    )
    store = Store(c=["acme"])
    assert multi.get_partition_keys(dynamic_partitions_store=store) == ["red|acme", "blue|acme"]
    assert multi.has_partition_key("blue|acme", dynamic_partitions_store=store)


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        ({"date": DATES}, "exactly 2 dimensions"),
        ({"a": COLORS, "b": COLORS, "c": COLORS}, "exactly 2 dimensions"),
        ({"a": StaticPartitionsDefinition(["x|y"]), "b": COLORS}, r"\['x\|y'\]"),
        ({"a": StaticPartitionsDefinition(["x,y"]), "b": COLORS}, "cannot contain"),
        (
            {"a": MultiPartitionsDefinition({"x": COLORS, "y": DATES}), "b": COLORS},
            "is a MultiPartitionsDefinition",
        ),
    ],
)
def test_bad_multi_definitions_say_why(
    dimensions: dict[str, PartitionsDefinition], message: str
) -> None:
    with pytest.raises(DefinitionsError, match=message):
        MultiPartitionsDefinition(dimensions)


def test_multi_definitions_compare_by_dimensions() -> None:
    a = MultiPartitionsDefinition({"date": DATES, "color": COLORS})
    b = MultiPartitionsDefinition(
        {"color": StaticPartitionsDefinition(["red", "blue"]), "date": DATES}
    )
    assert a == b and hash(a) == hash(b)
    assert a != MultiPartitionsDefinition({"day": DATES, "color": COLORS})


# -- specs: the snapshot carries every definition and mapping --------------------------------

DEFINITIONS: list[PartitionsDefinition] = [
    StaticPartitionsDefinition(["a", "b"]),
    DailyPartitionsDefinition("2024-01-01"),
    DailyPartitionsDefinition(
        "2024-01-01",
        end_date="2024-06-01",
        hour_offset=6,
        minute_offset=30,
        timezone="America/Chicago",
        end_offset=1,
    ),
    DailyPartitionsDefinition("2024/01/01", fmt="%Y/%m/%d", end_offset=-1),
    HourlyPartitionsDefinition("2024-01-01-00:00", timezone="Europe/Berlin", minute_offset=15),
    WeeklyPartitionsDefinition("2024-01-01", day_offset=3),
    MonthlyPartitionsDefinition("2024-01-01", day_offset=15, hour_offset=2),
    TimeWindowPartitionsDefinition(
        start="2024-01-01 00:00", fmt="%Y-%m-%d %H:%M", cron_schedule="0 0,12 * * *"
    ),
    DynamicPartitionsDefinition("customers"),
    MultiPartitionsDefinition({"date": DATES, "color": COLORS}),
    MultiPartitionsDefinition(
        {"c": DynamicPartitionsDefinition("c"), "h": HourlyPartitionsDefinition("2024-01-01-00:00")}
    ),
]


@pytest.mark.parametrize("partitions_def", DEFINITIONS, ids=repr)
def test_a_definition_survives_its_spec(partitions_def: PartitionsDefinition) -> None:
    spec = json.loads(json.dumps(partitions_def.to_spec()))
    rebuilt = partitions_def_from_spec(spec)
    assert rebuilt == partitions_def
    assert type(rebuilt) is type(partitions_def)
    assert repr(rebuilt) == repr(partitions_def)
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        assert isinstance(rebuilt, TimeWindowPartitionsDefinition)
        assert (rebuilt.start, rebuilt.end, rebuilt.timezone, rebuilt.fmt, rebuilt.end_offset) == (
            partitions_def.start,
            partitions_def.end,
            partitions_def.timezone,
            partitions_def.fmt,
            partitions_def.end_offset,
        )
        now = datetime(2024, 3, 1, tzinfo=UTC)
        assert rebuilt.get_partition_keys(now) == partitions_def.get_partition_keys(now)


MAPPINGS: list[PartitionMapping] = [
    IdentityPartitionMapping(),
    AllPartitionMapping(),
    LastPartitionMapping(),
    TimeWindowPartitionMapping(),
    TimeWindowPartitionMapping(
        start_offset=-2, end_offset=-1, allow_nonexistent_upstream_partitions=True
    ),
    StaticPartitionMapping({"a": "1", "b": ["1", "2"]}),
    SpecificPartitionsPartitionMapping(["a", "c"]),
    MultiToSingleDimensionPartitionMapping(),
    MultiToSingleDimensionPartitionMapping(partition_dimension_name="date"),
    MultiPartitionMapping(
        {
            "date": DimensionPartitionMapping("day", TimeWindowPartitionMapping(-1, -1)),
            "color": DimensionPartitionMapping("color", IdentityPartitionMapping()),
        }
    ),
]


@pytest.mark.parametrize("mapping", MAPPINGS, ids=repr)
def test_a_mapping_survives_its_spec(mapping: PartitionMapping) -> None:
    rebuilt = partition_mapping_from_spec(json.loads(json.dumps(mapping.to_spec())))
    assert rebuilt == mapping and type(rebuilt) is type(mapping)
    assert repr(rebuilt) == repr(mapping)


def test_unknown_specs_are_named() -> None:
    with pytest.raises(DefinitionsError, match="unknown partitions definition type 'yearly'"):
        partitions_def_from_spec({"type": "yearly"})
    with pytest.raises(DefinitionsError, match="unknown partition mapping type 'weird'"):
        partition_mapping_from_spec({"type": "weird"})


def test_every_public_name_is_exported_from_upstream() -> None:
    import upstream.model.partitions as partitions

    for name in [
        "AddDynamicPartitionsRequest",
        "AllPartitionMapping",
        "BackfillPolicy",
        "DailyPartitionsDefinition",
        "DeleteDynamicPartitionsRequest",
        "DimensionPartitionMapping",
        "DynamicPartitionsDefinition",
        "HourlyPartitionsDefinition",
        "IdentityPartitionMapping",
        "LastPartitionMapping",
        "MonthlyPartitionsDefinition",
        "MultiPartitionKey",
        "MultiPartitionMapping",
        "MultiPartitionsDefinition",
        "MultiToSingleDimensionPartitionMapping",
        "PartitionKeyRange",
        "PartitionMapping",
        "PartitionsDefinition",
        "SpecificPartitionsPartitionMapping",
        "StaticPartitionMapping",
        "StaticPartitionsDefinition",
        "TimeWindow",
        "TimeWindowPartitionMapping",
        "TimeWindowPartitionsDefinition",
        "WeeklyPartitionsDefinition",
    ]:
        assert name in upstream.__all__ and name in partitions.__all__, name
        assert getattr(upstream, name) is getattr(partitions, name)
    assert upstream.__all__ == sorted(upstream.__all__)


@pytest.mark.parametrize("partitions_def", DEFINITIONS, ids=repr)
def test_a_definition_pickles_and_copies(partitions_def: PartitionsDefinition) -> None:
    # assets travel to worker processes by pickle; a time definition drops its key cache
    now = datetime(2024, 3, 1, tzinfo=UTC)
    store = Store(customers=["acme"], c=["acme"])
    before = partitions_def.get_partition_keys(now, store)
    again = pickle.loads(pickle.dumps(partitions_def))
    assert again == partitions_def
    assert again.get_partition_keys(now, store) == before
    assert copy.deepcopy(partitions_def) == partitions_def
