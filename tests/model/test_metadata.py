"""Metadata: plain values become typed, JSON-safe entries the catalog can show."""

import json
import math
from decimal import Decimal
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import pytest

from upstream import MetadataValue
from upstream.model.metadata import normalize_metadata


class FakeScalar:
    """Stands in for a numpy scalar: converts to int/float and compares equal to its value."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __eq__(self, other: object) -> bool:
        return bool(self.value == other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FakeScalar({self.value!r})"


class Opaque:
    """Neither a number nor JSON: kept as its repr."""

    def __repr__(self) -> str:
        return "<opaque>"


def _entry(value: Any) -> dict[str, Any]:
    return normalize_metadata({"v": value})["v"]


@pytest.mark.parametrize(
    ("value", "kind", "stored"),
    [
        (3, "int", 3),
        (0, "int", 0),
        (-(2**40), "int", -(2**40)),
        (2.5, "float", 2.5),
        (True, "bool", True),
        (False, "bool", False),
        ("hello", "text", "hello"),
        ("", "text", ""),
        ("https://example.com/a?b=1", "url", "https://example.com/a?b=1"),
        ("http://example.com", "url", "http://example.com"),
        ("ftp://example.com", "text", "ftp://example.com"),
        (PurePosixPath("/data/orders.parquet"), "path", "/data/orders.parquet"),
        (PureWindowsPath("C:/data/orders.csv"), "path", "C:\\data\\orders.csv"),
        ({"a": 1, "b": [1, 2]}, "json", {"a": 1, "b": [1, 2]}),
        ([1, "two", None], "json", [1, "two", None]),
        ((1, 2), "json", [1, 2]),
        ({1: 2}, "json", {"1": 2}),
        (None, "null", None),
        (float("nan"), "float", "nan"),
        (float("inf"), "float", "inf"),
        (float("-inf"), "float", "-inf"),
        (
            {"ratio": float("nan"), "rows": [float("inf")]},
            "json",
            {"ratio": "nan", "rows": ["inf"]},
        ),
        (Opaque(), "text", "<opaque>"),
    ],
)
def test_plain_values_get_their_type(value: Any, kind: str, stored: Any) -> None:
    """int/float/bool/text/url/path/json/null are inferred; the stored value is JSON-safe."""
    assert _entry(value) == {"type": kind, "value": stored}


def test_every_inferred_entry_is_strict_json() -> None:
    """Normalised metadata dumps as strict JSON (no NaN/Infinity) and loads back equal."""
    metadata = {
        "nan": float("nan"),
        "inf": float("inf"),
        "nested": {"x": [float("-inf"), (1, 2)], 3: "three"},
        "path": PurePosixPath("/tmp/x"),
        "opaque": Opaque(),
        "scalar": FakeScalar(7),
    }
    normalized = normalize_metadata(metadata)
    assert json.loads(json.dumps(normalized, allow_nan=False)) == normalized


@pytest.mark.parametrize(
    ("value", "kind", "stored"),
    [
        (FakeScalar(3), "int", 3),
        (FakeScalar(2.5), "float", 2.5),
        (FakeScalar(float("inf")), "float", "inf"),
        (Decimal("12"), "int", 12),
        (Decimal("0.5"), "float", 0.5),
    ],
    ids=["int-like", "float-like", "inf-like", "decimal-int", "decimal-float"],
)
def test_number_like_scalars_become_numbers(value: Any, kind: str, stored: Any) -> None:
    """numpy-style scalars convert to the plain int or float they equal."""
    entry = _entry(value)
    assert entry == {"type": kind, "value": stored}
    assert type(entry["value"]) is type(stored)


@pytest.mark.parametrize(
    ("value", "entry"),
    [
        (MetadataValue.int(3), {"type": "int", "value": 3}),
        (MetadataValue.float(2), {"type": "float", "value": 2.0}),
        (
            MetadataValue.text("https://example.com"),
            {"type": "text", "value": "https://example.com"},
        ),
        (MetadataValue.url("example.com/x"), {"type": "url", "value": "example.com/x"}),
        (MetadataValue.path("data/x.csv"), {"type": "path", "value": "data/x.csv"}),
        (MetadataValue.md("# Title"), {"type": "md", "value": "# Title"}),
        (MetadataValue.json({"a": (1, 2)}), {"type": "json", "value": {"a": [1, 2]}}),
        (MetadataValue.json([float("nan")]), {"type": "json", "value": ["nan"]}),
    ],
    ids=["int", "float", "text-not-url", "url", "path", "md", "json", "json-nan"],
)
def test_explicit_metadata_values_are_kept(value: MetadataValue, entry: dict[str, Any]) -> None:
    """An explicit MetadataValue keeps its type, overriding what inference would choose."""
    assert normalize_metadata({"v": value}) == {"v": entry}
    assert value.to_dict() == entry


@pytest.mark.parametrize("number", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_explicit_non_finite_floats_are_json_safe(number: float) -> None:
    """`MetadataValue.float(nan)` is stored as text like an inferred NaN, keeping JSON strict."""
    normalized = normalize_metadata({"v": MetadataValue.float(number)})
    json.dumps(normalized, allow_nan=False)
    assert normalized == {"v": {"type": "float", "value": str(number)}}


@pytest.mark.parametrize("key", [1, None, ("a", "b"), b"bytes"])
def test_non_string_keys_are_rejected_naming_the_key(key: Any) -> None:
    """Metadata keys are labels in the catalog, so only strings are accepted."""
    with pytest.raises(TypeError, match="metadata keys must be strings") as raised:
        normalize_metadata({key: 1})
    assert repr(key) in str(raised.value)


@pytest.mark.parametrize("empty", [None, {}])
def test_no_metadata_is_an_empty_mapping(empty: dict[str, Any] | None) -> None:
    """None and {} both normalise to {}."""
    assert normalize_metadata(empty) == {}


def test_normalising_does_not_change_the_input() -> None:
    """The caller's mapping and its nested values are left as they were."""
    nested = {"ratio": float("nan")}
    metadata = {"nested": nested, "rows": 3}
    normalize_metadata(metadata)
    assert metadata["rows"] == 3
    assert math.isnan(nested["ratio"])


def test_keys_keep_their_order() -> None:
    """Entries come out in the order the asset declared them, for a stable display."""
    assert list(normalize_metadata({"b": 1, "a": 2, "c": 3})) == ["b", "a", "c"]


def test_numpy_bools_are_bools() -> None:
    """numpy's bool_ is no bool subclass; it is still recorded as a bool, not 1."""
    import numpy as np

    assert normalize_metadata({"ok": np.bool_(True)}) == {"ok": {"type": "bool", "value": True}}
