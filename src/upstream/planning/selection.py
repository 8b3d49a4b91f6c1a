"""Selections (strings, lists of strings, AssetSelection objects) to the keys they name,
in the graph's order; the one entry point the CLI, the web and plans use."""

from __future__ import annotations

from collections.abc import Sequence

from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey
from upstream.planning.asset_selection import AssetSelection
from upstream.planning.clauses import FORMS
from upstream.planning.selection_syntax import parse_selection

__all__ = ["Selection", "recorded_text", "select", "selection_text"]

Selection = str | Sequence[str] | AssetSelection | None


def select(graph: AssetGraph, selection: Selection) -> list[AssetKey]:
    """Keys matched by a selection, in the graph's topological order.

    None or "*" -> all. A list is the union of its elements, each parsed as a selection.
    Raises `SelectionError` for an empty or malformed selection, a clause matching nothing,
    or a selection that matches no asset at all (e.g. `group:a and group:b`).
    """
    if selection is None:
        return graph.keys
    if isinstance(selection, AssetSelection):
        chosen = selection.resolve(graph)
    else:
        texts = [selection] if isinstance(selection, str) else list(selection)
        if not texts:
            raise SelectionError(f"selection is empty; {FORMS}")
        parsed = [parse_selection(text) for text in texts]  # every syntax error first
        chosen = set().union(*(p.resolve(graph) for p in parsed))
    if not chosen and len(graph):
        raise SelectionError(
            f"selection {selection_text(selection)!r} matches no asset; loosen it (each "
            "clause matches something, but together they select nothing)"
        )
    return [key for key in graph.keys if key in chosen]


def selection_text(selection: Selection) -> str:
    """The selection as one string, as a run records it."""
    if selection is None:
        return "*"
    if isinstance(selection, AssetSelection):
        return selection.to_selection_str()
    if isinstance(selection, str):
        return selection
    return ",".join(selection)


def recorded_text(graph: AssetGraph, selection: Selection, keys: Sequence[AssetKey]) -> str:
    """The string a run records for `selection`, which chose `keys`: re-parsed later (to
    re-execute, or to plan a queued cluster run) it must choose the same keys. An
    AssetSelection's string does unless one of its leaves matched nothing (a string clause
    that matches nothing is an error); then the keys themselves are recorded, as Dagster
    serializes a selection to its keys."""
    text = selection_text(selection)
    if not isinstance(selection, AssetSelection):
        return text
    try:
        again = parse_selection(text).resolve(graph)
    except SelectionError:
        again = None
    if again == set(keys):
        return text
    return ",".join(key.to_user_string() for key in keys)
