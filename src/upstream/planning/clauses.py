"""Dagster-style selection strings (`*sales/orders+`, `group:x`, `key:sales/*`) to asset keys.

One pure parser over the AssetGraph, so the CLI and jobs agree, and every error says the fix.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from upstream.model.errors import SelectionError, did_you_mean
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey

__all__ = ["select"]

_FORMS = (
    "accepted forms: 'a' or 'prefix/a'; '+a', '++a' (parents, one '+' per level); '*a' (all "
    "ancestors); 'a+', 'a*' (the same downstream); '*a+' and other pairs; 'group:<name>'; "
    "'key:<glob>' or 'key:\"<glob>\"'; '*' for everything; join clauses with ','"
)
_MODIFIERS = "+*"

Kind = Literal["key", "group", "pattern"]
_PREFIXES: tuple[tuple[Kind, str], ...] = (("group", "group:"), ("pattern", "key:"))


@dataclass(frozen=True, slots=True)
class _Clause:
    """One parsed clause: what it names, and how far up/down to extend (None: all levels)."""

    text: str
    kind: Kind
    body: str
    up: int | None
    down: int | None


def select(graph: AssetGraph, selection: str | Sequence[str] | None) -> list[AssetKey]:
    """Keys matched by a Dagster-style selection, in the graph's topological order.

    None or "*" -> all. A list is the union of its elements, each parsed as a selection.
    Raises `SelectionError` for an empty or malformed selection, or a clause matching nothing.
    """
    if selection is None:
        return graph.keys
    texts = [selection] if isinstance(selection, str) else list(selection)
    if not texts:
        raise SelectionError(f"selection is empty; {_FORMS}")
    chosen: set[AssetKey] = set()
    for text in texts:
        chosen |= _select_text(graph, text)
    return [key for key in graph.keys if key in chosen]


def _select_text(graph: AssetGraph, text: str) -> set[AssetKey]:
    if not text.strip():
        raise SelectionError(f"selection is empty; {_FORMS}")
    clauses = [raw.strip() for raw in text.split(",")]
    if not all(clauses):
        raise SelectionError(
            f"selection {text!r} has an empty clause; remove the stray ',' "
            "(clauses are joined by single commas)"
        )
    parsed_all = [None if c == "*" else _parse(c) for c in clauses]  # syntax errors first
    chosen: set[AssetKey] = set()
    for parsed in parsed_all:
        if parsed is None:
            chosen.update(graph.keys)
            continue
        hits = _match(graph, parsed)
        chosen |= hits
        chosen |= graph.ancestors(hits, parsed.up)  # depth 0 walks nothing
        chosen |= graph.descendants(hits, parsed.down)
    return chosen


def _parse(clause: str) -> _Clause:
    rest = clause.lstrip(_MODIFIERS)
    up = _depth(clause, clause[: len(clause) - len(rest)], "upstream")
    kind: Kind = "key"
    for candidate, prefix in _PREFIXES:
        if rest.startswith(prefix):
            kind = candidate
            rest = rest[len(prefix) :]
            break
    if rest.startswith('"'):
        end = rest.find('"', 1)
        if end < 0:
            raise SelectionError(f"selection {clause!r} has an unclosed '\"'; close the quote")
        body, trail = rest[1:end], rest[end + 1 :]
        if trail.strip(_MODIFIERS):
            raise SelectionError(
                f"selection {clause!r} has {trail!r} after the closing quote; only '+' or '*' "
                f"may follow it; {_FORMS}"
            )
    else:
        # Unquoted `key:` globs keep a trailing '*' as a wildcard: `key:sales/*` is a glob.
        body = rest.rstrip("+" if kind == "pattern" else _MODIFIERS)
        trail = rest[len(body) :]
    down = _depth(clause, trail, "downstream")
    _check_body(clause, kind, body)
    return _Clause(clause, kind, body, up, down)


def _depth(clause: str, modifier: str, side: str) -> int | None:
    """'' -> 0 levels, '+'*n -> n levels, '*' -> None (every level); anything else is an error."""
    if modifier == "*":
        return None
    if not modifier.strip("+"):
        return len(modifier)
    raise SelectionError(
        f"selection {clause!r} has {side} modifier {modifier!r}; use a single '*' for every "
        f"level or one '+' per level, never both or '**'; {_FORMS}"
    )


def _check_body(clause: str, kind: Kind, body: str) -> None:
    what = {"key": "asset key", "group": "group name", "pattern": "key pattern"}[kind]
    if not body:
        raise SelectionError(f"selection {clause!r} names no {what}; {_FORMS}")
    if kind == "pattern":
        if "+" in body:
            raise SelectionError(
                f"selection {clause!r}: '+' cannot appear inside a key pattern; put modifiers "
                f"outside it, e.g. '+key:\"sales/*\"+'; {_FORMS}"
            )
        return
    stray = sorted({c for c in body if c in _MODIFIERS})
    if stray:
        fix = f"to match by pattern, write 'key:{body}'" if stray == ["*"] and kind == "key" else ""
        raise SelectionError(
            f"selection {clause!r}: {' and '.join(map(repr, stray))} may only lead or trail a "
            f"clause, not appear inside {body!r}; {fix + '; ' if fix else ''}{_FORMS}"
        )
    if kind == "key":
        try:
            AssetKey.from_user_string(body)
        except ValueError as exc:
            rest = clause.lstrip(_MODIFIERS)
            glob = f"; to match by pattern, write '{clause[: len(clause) - len(rest)]}key:{rest}'"
            raise SelectionError(
                f"selection {clause!r} is not an asset key: {exc}{glob if '*' in rest else ''}"
            ) from None


def _match(graph: AssetGraph, clause: _Clause) -> set[AssetKey]:
    if clause.kind == "group":
        groups = graph.groups()
        if clause.body not in groups:
            hint = did_you_mean(clause.body, groups) or f"known groups: {_listing(groups)}"
            raise SelectionError(f"selection {clause.text!r} matches no group; {hint}")
        return set(groups[clause.body])
    if clause.kind == "pattern":
        hits = {k for k in graph.keys if fnmatch.fnmatchcase(k.to_user_string(), clause.body)}
        is_glob = any(c in clause.body for c in "*?[")
    else:
        key = AssetKey.from_user_string(clause.body)
        hits = {key} if key in graph else set()
        is_glob = False
    if not hits:
        hint = "" if is_glob else _suggest_key(graph, clause.body)
        hint = hint or f"known asset keys: {_listing(k.to_user_string() for k in graph.keys)}"
        raise SelectionError(f"selection {clause.text!r} matches no asset; {hint}")
    return hits


def _suggest_key(graph: AssetGraph, text: str) -> str:
    """Close full keys first; else keys whose last part is close to the text's last part."""
    users = {k.to_user_string(): k for k in graph.keys}
    hint = did_you_mean(text, users)
    if hint:
        return hint
    names = {k.name for k in graph.keys}
    close = set(difflib.get_close_matches(text.rsplit("/", 1)[-1], sorted(names), cutoff=0.6))
    full = sorted(u for u, k in users.items() if k.name in close)[:3]
    return "did you mean " + " or ".join(map(repr, full)) + "?" if full else ""


def _listing(names: Iterable[str], limit: int = 8) -> str:
    items = sorted(names)
    if not items:
        return "(none; the graph is empty)"
    shown = ", ".join(repr(n) for n in items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... ({len(items)} in all)"
