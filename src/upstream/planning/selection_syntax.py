"""The selection string grammar: clauses joined by `and`, `or`, `not`, `,` and parentheses,
with `+`/`*` traversals around groups and `roots(...)`/`sinks(...)`, into an AssetSelection.

Precedence, as in Dagster's newer syntax: traversal, then `not`, then `and`, then `or`;
`,` (the older union) binds loosest. The whole string is parsed before anything matches.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

from upstream.model.errors import SelectionError, did_you_mean
from upstream.planning.asset_selection import AssetSelection, _Clause
from upstream.planning.clauses import FORMS, parse_clause

__all__ = ["parse_selection"]

_KEYWORDS = {"and": "and", "AND": "and", "or": "or", "OR": "or", "not": "not", "NOT": "not"}
_FUNCTIONS = ("roots", "sinks")
_FILTERS = ("key", "group", "tag", "kind", "owner")
# Dagster filters that need state or services upstream's pure selection does not have.
_UNSUPPORTED = (
    "status",
    "code_location",
    "column",
    "table_name",
    "column_tag",
    "changed_in_branch",
    "is",
    "partitions",
    "automation_type",
    "sensor",
    "schedule",
    "job",
)
_UP = re.compile(r"^(\*|\++|\d+\+)")
_DOWN = re.compile(r"^(\*|\++|\+\d+)$")
_FILTER_NAME = re.compile(r"^[+*\d]*([A-Za-z_]+):")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", ",", "and", "or", "not", "atom"
    text: str
    start: int
    end: int


def parse_selection(text: str) -> AssetSelection:
    """Parse a whole selection string; raises `SelectionError` naming the problem and forms."""
    if not isinstance(text, str) or not text.strip():
        raise SelectionError(f"selection is empty; {FORMS}")
    return _Parser(text).parse()


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            tokens.append(_Token(c, c, i, i + 1))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in "(),":
            if text[j] == '"':
                close = text.find('"', j + 1)
                j = n if close < 0 else close + 1  # unclosed: the clause parser says so
            else:
                j += 1
        word = text[i:j]
        tokens.append(_Token(_KEYWORDS.get(word, "atom"), word, i, j))
        i = j
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self) -> AssetSelection:
        selection = self._union()
        if self._peek() is not None:
            self._fail(self._peek(), "expected 'and', 'or', ',' or the end")
        return selection

    # -- helpers --------------------------------------------------------------------------

    def _peek(self, ahead: int = 0) -> _Token | None:
        at = self.pos + ahead
        return self.tokens[at] if at < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _fail(self, token: _Token | None, what: str) -> None:
        where = f"at {token.text!r} (position {token.start})" if token else "at its end"
        raise SelectionError(f"selection {self.text!r}, {where}: {what}; {FORMS}")

    # -- grammar --------------------------------------------------------------------------

    def _union(self) -> AssetSelection:
        items = [self._or()]
        while (token := self._peek()) is not None and token.kind == ",":
            self._next()
            following = self._peek()
            if following is None or following.kind in (",", ")"):
                raise SelectionError(
                    f"selection {self.text!r} has an empty clause; remove the stray ',' "
                    "(clauses are joined by single commas)"
                )
            items.append(self._or())
        return functools.reduce(operator.or_, items)

    def _or(self) -> AssetSelection:
        items = [self._and()]
        while (token := self._peek()) is not None and token.kind == "or":
            self._next()
            items.append(self._and())
        return functools.reduce(operator.or_, items)

    def _and(self) -> AssetSelection:
        items = [self._not()]
        while (token := self._peek()) is not None and token.kind == "and":
            self._next()
            items.append(self._not())
        return functools.reduce(operator.and_, items)

    def _not(self) -> AssetSelection:
        token = self._peek()
        if token is not None and token.kind == "not":
            self._next()
            return AssetSelection.all() - self._not()
        return self._primary()

    def _primary(self) -> AssetSelection:
        token = self._peek()
        if token is None:
            self._fail(None, "expected a clause")
        assert token is not None
        if token.kind == "(":
            return self._down(self._group())
        if token.kind != "atom":
            if token.kind == ",":
                raise SelectionError(
                    f"selection {self.text!r} has an empty clause; remove the stray ',' "
                    "(clauses are joined by single commas)"
                )
            self._fail(token, "expected a clause")
        self._next()
        following = self._peek()
        if following is not None and following.kind == "(" and following.start == token.end:
            return self._down(self._call(token))
        return self._leaf(token)

    def _group(self) -> AssetSelection:
        self._next()  # "("
        inner = self._union()
        closing = self._peek()
        if closing is None or closing.kind != ")":
            self._fail(closing, "expected ')'")
        self._next()
        return inner

    def _call(self, token: _Token) -> AssetSelection:
        """`roots(...)`, `sinks(...)`, `+(...)`, `2+(...)`, `*(...)`, `+roots(...)`."""
        up = _UP.match(token.text)
        name = token.text[up.end() :] if up else token.text
        if name and name not in _FUNCTIONS:
            hint = did_you_mean(name, _FUNCTIONS) or "the functions are roots(...) and sinks(...)"
            self._fail(token, f"unknown function {name!r}; {hint}")
        inner = self._group()
        if name:
            inner = inner.roots() if name == "roots" else inner.sinks()
        if up:
            inner = inner.upstream(_depth(up.group(1)))
        return inner

    def _down(self, selection: AssetSelection) -> AssetSelection:
        token = self._peek()
        previous = self.tokens[self.pos - 1]
        if token is None or token.kind != "atom" or token.start != previous.end:
            return selection
        if not _DOWN.match(token.text):
            self._fail(token, "only '+', '+<n>' or '*' may follow ')'")
        self._next()
        return selection.downstream(_depth(token.text))

    def _leaf(self, token: _Token) -> AssetSelection:
        if token.text == "*":
            return AssetSelection.all()
        named = _FILTER_NAME.match(token.text)
        if named and named.group(1) not in _FILTERS:
            name = named.group(1)
            if name in _UNSUPPORTED:
                self._fail(token, f"the filter '{name}:' is not supported by upstream")
            filters = [f"{f}:" for f in _FILTERS]
            hint = did_you_mean(f"{name}:", filters) or "the filters are " + ", ".join(
                map(repr, filters)
            )
            self._fail(token, f"unknown filter '{name}:'; {hint}")
        return _Clause(parse_clause(token.text))


def _depth(mark: str) -> int | None:
    """'*' -> every level; '+' * n -> n levels; '2+' or '+2' -> 2 levels."""
    if mark == "*":
        return None
    digits = mark.strip("+")
    return int(digits) if digits else len(mark)
