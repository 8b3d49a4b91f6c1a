"""Lay the asset graph out left to right, each asset group in a box of its own.

The server computes this once per definitions hash and caches it (`GET /api/graph`), so
the browser only has to draw rectangles at given coordinates; that is what keeps a
10,000-asset graph interactive. Pure: no I/O, nothing but the standard library.

The picture:

- **Columns are longest-path depths**: a source is in column 0, every other asset one
  column right of its deepest parent, so every edge points right.
- **Columns are aligned across groups** (not per group): column `d` has one x range in
  the whole picture. Edges between groups therefore point right too, and assets at the
  same depth line up whatever their group.
- **Groups are boxes in horizontal lanes**: a group's box spans the columns its assets
  use, plus a title strip. Groups whose columns do not overlap share a lane, so groups
  that follow one another (ingest, then staging, then marts) read as one row, left to
  right, as in Dagster; a group that overlaps another's columns goes to a lane below.
  Lanes are filled first fit, groups taken by first column (then mean column, name).
  Within a group, a column shorter than the group's tallest is centred; boxes are
  centred in their lane.
- **Crossings** are reduced by barycenter sweeps (forward, backward, forward) inside
  each group's column: an asset moves towards the mean y of its parents (then children),
  in whichever group they are. Each sweep is one pass over the edges plus one sort per
  column, O(E + N log N).
- **Wide columns wrap**: a group's column of more than `MAX_ROWS` assets is split into
  sub-columns. Up to `MAX_ROWS * MAX_ROWS` assets, sub-columns hold `MAX_ROWS` each; past
  that they grow like a square root, so a 10,000-child fan-out is a roughly square block
  rather than a strip 760,000 px tall or 60,000 px wide.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "COLUMN_GAP",
    "MAX_ROWS",
    "NODE_H",
    "NODE_W",
    "LayoutInput",
    "layout_graph",
]

NODE_W = 200.0  # wide enough for a ~26-character key at 13 px
NODE_H = 60.0  # three lines: key, group, status
ROW_GAP = 16.0  # vertical space between two assets of one column
COLUMN_GAP = 100.0  # between columns: room for edges to fan out and cross legibly
SUBCOLUMN_GAP = 36.0  # between the sub-columns of one wrapped column
GROUP_PAD = 20.0  # inside a group box, around its assets
GROUP_TITLE = 30.0  # the strip at the top of a group box that holds its name
GROUP_GAP = 40.0  # between two group boxes
MARGIN = 40.0  # around the whole picture
MAX_ROWS = 40  # a group's column wraps into sub-columns beyond this many assets
SWEEPS = 3  # barycenter passes: forward, backward, forward

_PITCH_X = NODE_W + SUBCOLUMN_GAP
_PITCH_Y = NODE_H + ROW_GAP


@dataclass(frozen=True)
class LayoutInput:
    """One asset as the layout needs it. `parents` may name keys that are not laid out
    (external or filtered out); such parents are ignored."""

    key: str
    group: str
    code_location: str
    parents: tuple[str, ...] = ()
    external: bool = False  # produced outside upstream: drawn as such, never launched


def layout_graph(nodes: Sequence[LayoutInput]) -> dict[str, Any]:
    """The `/api/graph` body without `definitions_hash`, for `nodes` in their given order.

    `nodes` in the result keep the input order, so `edges` index into the input too.
    Deterministic: the same input gives the same output. Raises `ValueError` for a key
    given twice or a dependency cycle (a validated `AssetGraph` has neither).
    """
    n = len(nodes)
    if n == 0:
        return {"width": 0.0, "height": 0.0, "nodes": [], "edges": [], "groups": []}

    index: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.key in index:
            raise ValueError(f"asset key {node.key!r} is given twice")
        index[node.key] = i

    parents: list[list[int]] = [[] for _ in range(n)]
    children: list[list[int]] = [[] for _ in range(n)]
    edges: list[list[int]] = []
    for child, node in enumerate(nodes):
        seen: set[int] = set()
        for key in node.parents:
            parent = index.get(key)
            if parent is None or parent == child or parent in seen:
                continue
            seen.add(parent)
            parents[child].append(parent)
            children[parent].append(child)
            edges.append([parent, child])

    depth = _depths(parents, children)
    group_of, group_names = _groups(nodes, depth)
    group_ids = range(len(group_names))

    # cells[(group, depth)]: one group's assets in one column, in their current order.
    # Sparse: a 10,000-long chain of one-asset groups must not allocate 10,000².
    cells: dict[tuple[int, int], list[int]] = {}
    for i in range(n):
        cells.setdefault((group_of[i], depth[i]), []).append(i)
    max_depth = max(depth)
    columns: list[list[tuple[int, int]]] = [[] for _ in range(max_depth + 1)]
    for cell_id in sorted(cells):
        columns[cell_id[1]].append(cell_id)

    # Everything but the order inside a cell depends only on counts, so the geometry is
    # fixed first and ordering can then work with real y coordinates.
    rows_per_sub = {cell_id: _rows_per_subcolumn(len(cell)) for cell_id, cell in cells.items()}
    group_rows = [0] * len(group_names)
    first = [max_depth] * len(group_names)
    last = [0] * len(group_names)
    for (b, d), cell in cells.items():
        group_rows[b] = max(group_rows[b], min(len(cell), rows_per_sub[b, d]))
        first[b] = min(first[b], d)
        last[b] = max(last[b], d)
    box_h = [GROUP_TITLE + rows * _PITCH_Y - ROW_GAP + GROUP_PAD for rows in group_rows]

    # Lanes: a group shares a horizontal lane with groups whose columns it does not
    # overlap, so groups that follow one another (ingest, staging, marts) read as one
    # row, left to right. First fit in group order (interval partitioning): groups come
    # by first column, so a lane that is free for one group stays free for the next;
    # two heaps make it O(G log G) even for thousands of groups.
    lane_of = [0] * len(group_names)
    busy: list[tuple[int, int]] = []  # (last column, lane)
    free: list[int] = []  # lanes whose groups all end left of the current group
    lanes = 0
    for b in group_ids:
        while busy and busy[0][0] < first[b]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane = lanes
            lanes += 1
        heapq.heappush(busy, (last[b], lane))
        lane_of[b] = lane
    lane_h = [0.0] * lanes
    for b in group_ids:
        lane_h[lane_of[b]] = max(lane_h[lane_of[b]], box_h[b])
    lane_y: list[float] = []
    y = MARGIN
    for h in lane_h:
        lane_y.append(y)
        y += h + GROUP_GAP
    height = y - GROUP_GAP + MARGIN
    box_y = [lane_y[lane_of[b]] + (lane_h[lane_of[b]] - box_h[b]) / 2 for b in group_ids]
    cell_top = {
        (b, d): box_y[b]
        + GROUP_TITLE
        + (group_rows[b] - min(len(cell), rows_per_sub[b, d])) / 2 * _PITCH_Y
        for (b, d), cell in cells.items()
    }

    _order(columns, cells, rows_per_sub, cell_top, parents, children)

    # Column x: each column is as wide as its widest wrapped cell.
    subcolumns = [1] * (max_depth + 1)
    for cell_id, cell in cells.items():
        d = cell_id[1]
        subcolumns[d] = max(subcolumns[d], -(-len(cell) // rows_per_sub[cell_id]))
    column_x: list[float] = []
    x = MARGIN + GROUP_PAD
    for count in subcolumns:
        column_x.append(x)
        x += count * _PITCH_X - SUBCOLUMN_GAP + COLUMN_GAP

    xs = [0.0] * n
    ys = [0.0] * n
    right = [0.0] * len(group_names)
    for (b, d), cell in cells.items():
        rows = rows_per_sub[b, d]
        for rank, i in enumerate(cell):
            sub, row = divmod(rank, rows)
            xs[i] = column_x[d] + sub * _PITCH_X
            ys[i] = cell_top[b, d] + row * _PITCH_Y
        subs = -(-len(cell) // rows)
        right[b] = max(right[b], column_x[d] + subs * _PITCH_X - SUBCOLUMN_GAP)
    boxes: list[dict[str, Any]] = [
        {
            "name": group_names[b],
            "x": column_x[first[b]] - GROUP_PAD,
            "y": box_y[b],
            "w": right[b] - column_x[first[b]] + 2 * GROUP_PAD,
            "h": box_h[b],
        }
        for b in group_ids
    ]

    width = max(g["x"] + g["w"] for g in boxes) + MARGIN
    return {
        "width": width,
        "height": height,
        "nodes": [
            {
                "key": node.key,
                "group": node.group,
                "code_location": node.code_location,
                "external": node.external,
                "x": xs[i],
                "y": ys[i],
                "w": NODE_W,
                "h": NODE_H,
            }
            for i, node in enumerate(nodes)
        ],
        "edges": edges,
        "groups": boxes,
    }


def _depths(parents: list[list[int]], children: list[list[int]]) -> list[int]:
    """Longest-path depth of each node (Kahn's algorithm), so every edge goes right."""
    n = len(parents)
    waiting = [len(p) for p in parents]
    depth = [0] * n
    ready = [i for i in range(n) if waiting[i] == 0]
    done = 0
    while ready:
        i = ready.pop()
        done += 1
        for child in children[i]:
            if depth[i] + 1 > depth[child]:
                depth[child] = depth[i] + 1
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if done != n:
        raise ValueError("the assets form a dependency cycle")
    return depth


def _groups(nodes: Sequence[LayoutInput], depth: list[int]) -> tuple[list[int], list[str]]:
    """Each node's group number and the group names, numbered in the order lanes are
    filled: groups that start further left (then whose assets lie further left on
    average) first, then by name."""
    first: dict[str, int] = {}
    total: dict[str, int] = {}
    count: dict[str, int] = {}
    for node, d in zip(nodes, depth, strict=True):
        g = node.group
        first[g] = min(first.get(g, d), d)
        total[g] = total.get(g, 0) + d
        count[g] = count.get(g, 0) + 1
    names = sorted(first, key=lambda g: (first[g], total[g] / count[g], g))
    number = {g: b for b, g in enumerate(names)}
    return [number[node.group] for node in nodes], names


def _rows_per_subcolumn(count: int) -> int:
    """How many assets one sub-column of a cell of `count` assets holds.

    Up to MAX_ROWS: one sub-column. Beyond, enough sub-columns of at most MAX_ROWS, until
    the block would be wider than tall; then the block stays roughly square. The rows are
    spread evenly so the last sub-column is not a stub.
    """
    if count <= MAX_ROWS:
        return max(count, 1)
    square = math.ceil(math.sqrt(count * _PITCH_X / _PITCH_Y))
    rows = max(MAX_ROWS, square)
    subs = -(-count // rows)
    return -(-count // subs)


def _order(
    columns: list[list[tuple[int, int]]],
    cells: dict[tuple[int, int], list[int]],
    rows_per_sub: dict[tuple[int, int], int],
    cell_top: dict[tuple[int, int], float],
    parents: list[list[int]],
    children: list[list[int]],
) -> None:
    """Reorder each cell in place to reduce crossings (barycenter heuristic).

    A node's position is its y in the final picture (cells are centred in their group,
    groups in their lane); in a wrapped cell, its reading-order rank spread over the
    cell's height, so that order stays monotonic. A node moves towards the mean position
    of its parents (forward sweeps) or children (backward sweeps), wherever they are;
    nodes with no such neighbour keep their position, so unrelated assets do not collapse
    to the top. Ties keep the current order (stable sort): the result is deterministic.
    """
    pos = [0.0] * len(parents)

    def place(cell_id: tuple[int, int]) -> None:
        cell = cells[cell_id]
        used = min(len(cell), rows_per_sub[cell_id])
        step = used / len(cell) * _PITCH_Y  # one row unless wrapped
        top = cell_top[cell_id]
        for rank, i in enumerate(cell):
            pos[i] = top + rank * step

    for cell_id in cells:
        place(cell_id)

    max_depth = len(columns) - 1
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        neighbours = parents if forward else children
        depths = range(1, max_depth + 1) if forward else range(max_depth - 1, -1, -1)
        for d in depths:
            for cell_id in columns[d]:
                cell = cells[cell_id]
                if len(cell) < 2:
                    continue
                score: dict[int, float] = {}
                for i in cell:
                    near = neighbours[i]
                    score[i] = sum(pos[j] for j in near) / len(near) if near else pos[i]
                cell.sort(key=score.__getitem__)
                place(cell_id)
