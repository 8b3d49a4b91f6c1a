"""One clause of a selection string (`*sales/orders+`, `group:x`, `key:sales/*`, `tag:k=v`,
`kind:python`, `owner:team:x`) and the keys it matches; `selection_syntax` joins clauses.

A clause that matches nothing is an error naming the fix, so a typo never selects nothing.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from upstream.model.errors import SelectionError, did_you_mean
from upstream.model.graph import AssetGraph
from upstream.model.keys import AssetKey

__all__ = ["FORMS", "Clause", "match_clause", "parse_clause", "resolve_clause"]

FORMS = (
    "accepted forms: 'a' or 'prefix/a'; '+a', '++a' or '2+a' (parents, one '+' per level); "
    "'*a' (all ancestors); 'a+', 'a+2', 'a*' (the same downstream); '*a+' and other pairs; "
    "'group:<name>'; 'key:<glob>' or 'key:\"<glob>\"'; 'tag:<key>' or 'tag:<key>=<value>'; "
    "'kind:<kind>'; 'owner:<email or team:name>'; '*' for everything; combine with 'and', "
    "'or', 'not', parentheses ('(a or b)+'), 'roots(...)', 'sinks(...)'; ',' is 'or'"
)
_FORMS = FORMS
_MODIFIERS = "+*"

Kind = Literal["key", "group", "pattern", "tag", "kind", "owner"]
_PREFIXES: tuple[tuple[Kind, str], ...] = (
    ("group", "group:"),
    ("pattern", "key:"),
    ("tag", "tag:"),
    ("kind", "kind:"),
    ("owner", "owner:"),
)
_UP_DIGITS = re.compile(r"^(\d+)\+(?=[^+*\d])")
_DOWN_DIGITS = re.compile(r"(?<=[^+*])\+(\d+)$")
_TRAIL_DIGITS = re.compile(r"\+(\d+)")


@dataclass(frozen=True, slots=True)
class Clause:
    """One parsed clause: what it names, and how far up/down to extend (None: all levels)."""

    text: str
    kind: Kind
    body: str
    up: int | None
    down: int | None


def resolve_clause(graph: AssetGraph, clause: Clause) -> set[AssetKey]:
    """The clause's matches plus the levels up and down its modifiers ask for."""
    hits = match_clause(graph, clause)
    return hits | graph.ancestors(hits, clause.up) | graph.descendants(hits, clause.down)


def parse_clause(clause: str) -> Clause:
    """Parse one clause; raises `SelectionError` naming what is wrong and the forms."""
    digits = _UP_DIGITS.match(clause)
    if digits:
        rest = clause[digits.end() :]
        up: int | None = int(digits.group(1))
    else:
        rest = clause.lstrip(_MODIFIERS)
        up = _depth(clause, clause[: len(clause) - len(rest)], "upstream")
    kind: Kind = "key"
    for candidate, prefix in _PREFIXES:
        if rest.startswith(prefix):
            kind = candidate
            rest = rest[len(prefix) :]
            break
    quoted = rest.startswith('"')
    if quoted:
        body, trail = _parse_value(clause, rest)
        if kind == "tag" and trail.startswith("="):  # tag:"k"="v"
            value, trail = _parse_value(clause, trail[1:])
            body = f"{body}={value}"
        if trail.strip(_MODIFIERS) and not _TRAIL_DIGITS.fullmatch(trail):
            raise SelectionError(
                f"selection {clause!r} has {trail!r} after the closing quote; only '+' or '*' "
                f"may follow it; {_FORMS}"
            )
    else:
        # Unquoted `key:` globs keep a trailing '*' as a wildcard: `key:sales/*` is a glob.
        body = rest.rstrip("+" if kind == "pattern" else _MODIFIERS)
        trail = rest[len(body) :]
        if kind == "tag" and '="' in body:  # tag:k="v"
            name = body.partition("=")[0]
            value, trail = _parse_value(clause, rest[len(name) + 1 :])
            body = f"{name}={value}"
    by_digits = _TRAIL_DIGITS.fullmatch(trail) or (
        None if trail or quoted else _DOWN_DIGITS.search(body)
    )
    if by_digits:
        if not trail:
            body = body[: by_digits.start()]
        down: int | None = int(by_digits.group(1))
    else:
        down = _depth(clause, trail, "downstream")
    _check_body(clause, kind, body)
    return Clause(clause, kind, body, up, down)


def _parse_value(clause: str, text: str) -> tuple[str, str]:
    """A tag value after '=': quoted or bare; returns (value, what follows it)."""
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            raise SelectionError(f"selection {clause!r} has an unclosed '\"'; close the quote")
        return text[1:end], text[end + 1 :]
    value = text.rstrip(_MODIFIERS)
    return value, text[len(value) :]


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
    what = {
        "key": "asset key",
        "group": "group name",
        "pattern": "key pattern",
        "tag": "tag key",
        "kind": "kind",
        "owner": "owner",
    }[kind]
    if not body or body.startswith("="):
        raise SelectionError(f"selection {clause!r} names no {what}; {_FORMS}")
    if kind in ("tag", "kind", "owner"):
        return
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


def match_clause(graph: AssetGraph, clause: Clause) -> set[AssetKey]:
    """The keys the clause names (no modifiers applied); nothing matched is an error."""
    if clause.kind in ("tag", "kind", "owner"):
        return _match_label(graph, clause)
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
        hint = "" if is_glob else suggest_key(graph, clause.body)
        hint = hint or f"known asset keys: {_listing(k.to_user_string() for k in graph.keys)}"
        raise SelectionError(f"selection {clause.text!r} matches no asset; {hint}")
    return hits


def _match_label(graph: AssetGraph, clause: Clause) -> set[AssetKey]:
    """`tag:k`, `tag:k=v`, `kind:x`, `owner:x`: an error naming close labels if none match."""
    known: dict[str, set[AssetKey]] = {}
    for node in graph.nodes:
        if clause.kind == "tag":
            labels = [*node.tags, *(f"{k}={v}" for k, v in node.tags.items())]
        else:
            labels = list(node.kinds if clause.kind == "kind" else node.owners)
        for label in labels:
            known.setdefault(label, set()).add(node.key)
    hits = known.get(clause.body)
    if clause.kind == "tag" and "=" not in clause.body:
        # Dagster: `tag:k` matches a tag k whose value is empty (a label), not any value.
        hits = {k for k in hits or () if graph.node(k).tags.get(clause.body) == ""}
    if hits:
        return set(hits)
    what = {"tag": "tag", "kind": "kind", "owner": "owner"}[clause.kind]
    hint = did_you_mean(clause.body, known) or f"known {what}s: {_listing(known)}"
    raise SelectionError(f"selection {clause.text!r} matches no asset; {hint}")


def suggest_key(graph: AssetGraph, text: str) -> str:
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
