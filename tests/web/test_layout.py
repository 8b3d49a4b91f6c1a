"""`layout_graph`: the geometry behind `GET /api/graph` that the asset graph page draws."""

import random
from typing import Any

import pytest

from upstream.web.layout import MAX_ROWS, LayoutInput, layout_graph


def _inputs(edges: dict[str, list[str]], groups: dict[str, str] | None = None) -> list[LayoutInput]:
    """`child: [parents]` as layout inputs; groups default to "default"."""
    groups = groups or {}
    return [
        LayoutInput(key, groups.get(key, "default"), "loc", tuple(parents))
        for key, parents in edges.items()
    ]


def _layered(width: int = 10, layers: int = 1000, fan_in: int = 3) -> list[LayoutInput]:
    """`layers` layers of `width` assets, each depending on `fan_in` of the previous layer;
    one group per 100 layers."""
    rnd = random.Random(7)
    out = []
    for layer in range(layers):
        for w in range(width):
            parents = (
                tuple(f"l{layer - 1}/n{p}" for p in rnd.sample(range(width), fan_in))
                if layer
                else ()
            )
            out.append(LayoutInput(f"l{layer}/n{w}", f"g{layer // 100}", "loc", parents))
    return out


def _fan_out(children: int = 10_000) -> list[LayoutInput]:
    return [LayoutInput("root", "source", "loc")] + [
        LayoutInput(f"kids/{i}", "kids", "loc", ("root",)) for i in range(children)
    ]


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def _contains(box: dict[str, Any], node: dict[str, Any]) -> bool:
    return bool(
        box["x"] <= node["x"]
        and node["x"] + node["w"] <= box["x"] + box["w"]
        and box["y"] <= node["y"]
        and node["y"] + node["h"] <= box["y"] + box["h"]
    )


def _check(layout: dict[str, Any]) -> None:
    """Every invariant the page relies on."""
    nodes = layout["nodes"]
    for parent, child in layout["edges"]:
        assert nodes[parent]["x"] + nodes[parent]["w"] < nodes[child]["x"], (parent, child)

    # No two nodes overlap. All nodes have one size, so bucket them in a grid of that size:
    # two overlapping nodes fall in the same or neighbouring cells.
    w, h = nodes[0]["w"], nodes[0]["h"]
    grid: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for node in nodes:
        assert (node["w"], node["h"]) == (w, h)
        cx, cy = int(node["x"] // w), int(node["y"] // h)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for other in grid.get((cx + dx, cy + dy), ()):
                    assert not _overlap(node, other), (node["key"], other["key"])
        grid.setdefault((cx, cy), []).append(node)

    # Each node lies in its own group's box and no two boxes overlap, so no node lies in
    # another group's box. Boxes are compared only with those whose x ranges meet.
    groups = layout["groups"]
    box = {g["name"]: g for g in groups}
    assert len(box) == len(groups)
    for node in nodes:
        assert _contains(box[node["group"]], node), node["key"]
        assert node["x"] + node["w"] <= layout["width"]
        assert node["y"] + node["h"] <= layout["height"]
    by_x = sorted(groups, key=lambda g: g["x"])
    for i, a in enumerate(by_x):
        assert a["x"] >= 0 and a["y"] >= 0
        assert a["x"] + a["w"] <= layout["width"] and a["y"] + a["h"] <= layout["height"]
        for b in by_x[i + 1 :]:
            if b["x"] >= a["x"] + a["w"]:
                break
            assert not _overlap(a, b), (a["name"], b["name"])


def test_empty_graph() -> None:
    assert layout_graph([]) == {"width": 0.0, "height": 0.0, "nodes": [], "edges": [], "groups": []}


def test_diamond_left_to_right_grouped() -> None:
    inputs = _inputs(
        {
            "raw": [],
            "clean": ["raw"],
            "daily": ["clean"],
            "weekly": ["clean"],
            "report": ["daily", "weekly", "raw"],
            "lookup": [],
        },
        {"raw": "ingest", "clean": "ingest", "lookup": "ingest"},
    )
    layout = layout_graph(inputs)
    _check(layout)
    assert [n["key"] for n in layout["nodes"]] == [i.key for i in inputs]
    assert [g["name"] for g in layout["groups"]] == ["ingest", "default"]  # sources on top
    x = {n["key"]: n["x"] for n in layout["nodes"]}
    # Columns are longest-path depths: report sits right of daily although raw feeds it.
    assert x["raw"] == x["lookup"] < x["clean"] < x["daily"] == x["weekly"] < x["report"]
    assert sorted(map(tuple, layout["edges"])) == sorted(
        [(0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (0, 4)]
    )
    assert {(n["w"], n["h"]) for n in layout["nodes"]} == {(200.0, 60.0)}


def test_groups_that_follow_one_another_share_a_lane() -> None:
    # ingest -> staging -> marts read as one row; `ml` overlaps marts' column, so it gets
    # a lane of its own below.
    layout = layout_graph(
        _inputs(
            {"raw": [], "stg": ["raw"], "mart": ["stg"], "model": ["stg"], "score": ["model"]},
            {"raw": "ingest", "stg": "staging", "mart": "marts", "model": "ml", "score": "ml"},
        )
    )
    _check(layout)
    box = {g["name"]: g for g in layout["groups"]}
    centre = {name: g["y"] + g["h"] / 2 for name, g in box.items()}
    assert centre["ingest"] == centre["staging"] == centre["marts"]
    assert box["ml"]["y"] >= box["marts"]["y"] + box["marts"]["h"]


def test_long_chain_of_one_asset_groups() -> None:
    """10,000 groups over 10,000 columns: sparse cells, one lane, quick."""
    layout = layout_graph(
        [LayoutInput(f"c{i}", f"g{i}", "loc", (f"c{i - 1}",) if i else ()) for i in range(10_000)]
    )
    _check(layout)
    assert len({g["y"] for g in layout["groups"]}) == 1


def test_unknown_and_repeated_parents_are_ignored() -> None:
    layout = layout_graph(
        _inputs({"a": ["elsewhere/raw"], "b": ["a", "a", "missing", "b"], "c": ["b"]})
    )
    _check(layout)
    assert layout["edges"] == [[0, 1], [1, 2]]
    assert layout["nodes"][0]["x"] < layout["nodes"][1]["x"] < layout["nodes"][2]["x"]


def test_deterministic() -> None:
    inputs = _layered(width=8, layers=30)
    assert layout_graph(inputs) == layout_graph(list(inputs))


def test_barycenter_untangles_a_crossed_pair() -> None:
    # Given in crossed order: a1 -> b2 and a2 -> b1. Ordering must put b2 beside a1.
    layout = layout_graph(_inputs({"a1": [], "a2": [], "b1": ["a2"], "b2": ["a1"]}))
    y = {n["key"]: n["y"] for n in layout["nodes"]}
    assert (y["a1"] < y["a2"]) == (y["b2"] < y["b1"])


def test_wide_fan_out_wraps_into_sub_columns() -> None:
    layout = layout_graph(_fan_out())
    _check(layout)
    kids = [n for n in layout["nodes"] if n["group"] == "kids"]
    columns: dict[float, int] = {}
    for node in kids:
        columns[node["x"]] = columns.get(node["x"], 0) + 1
    assert len(columns) > 10
    # Roughly square rather than a strip in either direction.
    box = next(g for g in layout["groups"] if g["name"] == "kids")
    assert 0.5 < box["w"] / box["h"] < 2


def test_moderate_column_wraps_at_max_rows() -> None:
    layout = layout_graph(_fan_out(MAX_ROWS * 3))
    _check(layout)
    xs = {n["x"] for n in layout["nodes"] if n["group"] == "kids"}
    assert len(xs) == 3


def test_ten_thousand_layered_assets() -> None:
    """Runs in well under a second; the invariants hold at scale."""
    layout = layout_graph(_layered())
    assert len(layout["nodes"]) == 10_000 and len(layout["edges"]) == 29_970
    _check(layout)


def test_duplicate_key_and_cycle_are_errors() -> None:
    with pytest.raises(ValueError, match="twice"):
        layout_graph(_inputs({"a": []}) * 2)
    with pytest.raises(ValueError, match="cycle"):
        layout_graph(_inputs({"a": ["b"], "b": ["a"]}))
