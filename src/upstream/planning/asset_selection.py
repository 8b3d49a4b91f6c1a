"""`AssetSelection`: Dagster's Python API for choosing assets (`groups`, `tag`, `upstream`,
`|`, `&`, `-`...), resolved against an AssetGraph to a set of keys. Pure: no I/O."""

from __future__ import annotations

import functools
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from upstream.model.asset import AssetsDefinition
from upstream.model.errors import SelectionError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.keys import AssetKey, CoercibleToAssetKey, CoercibleToKeyPrefix, coerce_prefix
from upstream.planning.clauses import Clause, resolve_clause, suggest_key

if TYPE_CHECKING:
    from upstream.model.definitions import Definitions

__all__ = ["AssetSelection", "CoercibleToAssetSelection"]

CoercibleToAssetSelection: TypeAlias = (
    "str | Sequence[str] | Sequence[AssetKey] | Sequence[AssetsDefinition] | AssetSelection"
)


class AssetSelection(ABC):
    """A query over the assets of a graph; combine with `|` (union), `&` (intersection) and
    `-` (difference). `resolve(graph)` returns the matching keys."""

    # -- leaves ---------------------------------------------------------------------------

    @staticmethod
    def all() -> AssetSelection:
        """Every asset."""
        return _All()

    @staticmethod
    def assets(*assets_defs: AssetsDefinition | CoercibleToAssetKey) -> AssetSelection:
        """The given assets: definitions, AssetKeys, lists of parts or strings ('a/b' is the
        key ['a', 'b'], since '/' cannot be part of a key part)."""
        return _Keys(tuple(_key_of(item) for item in assets_defs))

    @staticmethod
    def keys(*asset_keys: CoercibleToAssetKey) -> AssetSelection:
        """Assets by key; a string is a user string, so 'sales/orders' is two parts."""
        return _Keys(
            tuple(
                AssetKey.from_user_string(k) if isinstance(k, str) else AssetKey.from_coercible(k)
                for k in asset_keys
            )
        )

    @staticmethod
    def key_prefixes(*key_prefixes: CoercibleToKeyPrefix) -> AssetSelection:
        """Assets whose key starts with any prefix: `"a"` or `["a", "b"]` (a string with
        slashes is split, as `key_prefix=` is)."""
        return _Prefixes(tuple(tuple(coerce_prefix(p)) for p in key_prefixes))

    @staticmethod
    def key_substring(key_substring: str) -> AssetSelection:
        """Assets whose user string ('a/b') contains the substring."""
        return _Where("key_substring", (key_substring,), lambda n: key_substring in n.user_key)

    @staticmethod
    def groups(*group_strs: str) -> AssetSelection:
        """Assets in any of the groups; an unknown group selects nothing, as in Dagster."""
        for name in group_strs:
            if not isinstance(name, str):
                raise SelectionError(f"AssetSelection.groups takes group names, got {name!r}")
        names = frozenset(group_strs)
        return _Where("groups", tuple(group_strs), lambda n: n.node.group in names)

    @staticmethod
    def tag(key: str, value: str) -> AssetSelection:
        """Assets whose tag `key` equals `value` (`""` for a label-style tag)."""
        return _Where("tag", (key, value), lambda n: n.node.tags.get(key) == value)

    @staticmethod
    def tag_string(string: str) -> AssetSelection:
        """`"key=value"` or `"key"` (a tag with an empty value)."""
        parts = string.split("=")
        if len(parts) > 2:
            raise SelectionError(
                f"invalid tag selection string {string!r}; must have no more than one '='"
            )
        return AssetSelection.tag(parts[0], parts[1] if len(parts) == 2 else "")

    @staticmethod
    def kind(kind: str) -> AssetSelection:
        """Assets with the kind (from `kinds=`, `compute_kind=` or a `dagster/kind/` tag)."""
        return _Where("kind", (kind,), lambda n: kind in n.node.kinds)

    @staticmethod
    def owner(owner: str) -> AssetSelection:
        """Assets with the owner (an email or `team:name`)."""
        return _Where("owner", (owner,), lambda n: owner in n.node.owners)

    @staticmethod
    def from_string(string: str) -> AssetSelection:
        """Parse a selection string (`'group:sales and kind:python'`, `'*report'`...)."""
        from upstream.planning.selection_syntax import parse_selection

        return parse_selection(string)

    @staticmethod
    def from_coercible(selection: CoercibleToAssetSelection) -> AssetSelection:
        """A string, a list of strings (union), of AssetKeys or of asset definitions."""
        if isinstance(selection, AssetSelection):
            return selection
        if isinstance(selection, str):
            return AssetSelection.from_string(selection)
        items = list(selection)
        if items and all(isinstance(s, str) for s in items):
            parsed = [AssetSelection.from_string(str(s)) for s in items]
            return functools.reduce(operator.or_, parsed)
        if items and all(isinstance(s, AssetKey | AssetsDefinition) for s in items):
            return AssetSelection.assets(*items)  # type: ignore[arg-type]
        raise SelectionError(
            "selection must be a str, a list of str, of AssetKey or of asset definitions, or "
            f"an AssetSelection; got {selection!r}"
        )

    # -- combinators ----------------------------------------------------------------------

    def upstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """This selection plus its ancestors, `depth` levels up (None: all)."""
        return _Traverse(self, "up", _check_depth(depth), include_self)

    def downstream(self, depth: int | None = None, include_self: bool = True) -> AssetSelection:
        """This selection plus its descendants, `depth` levels down (None: all)."""
        return _Traverse(self, "down", _check_depth(depth), include_self)

    def roots(self) -> AssetSelection:
        """The assets of this selection with no ancestor inside it."""
        return _Ends(self, "roots")

    def sources(self) -> AssetSelection:
        """Dagster's deprecated name for `roots()`."""
        return self.roots()

    def sinks(self) -> AssetSelection:
        """The assets of this selection with no descendant inside it."""
        return _Ends(self, "sinks")

    def required_multi_asset_neighbors(self) -> AssetSelection:
        """This selection plus every asset of each multi-asset it touches that cannot be
        subset (`can_subset=False`), so that a run of it may be planned."""
        return _Neighbors(self)

    def __or__(self, other: AssetSelection) -> AssetSelection:
        return _Combine("or", (*_operands(self, "or"), *_operands(_check(other), "or")))

    def __and__(self, other: AssetSelection) -> AssetSelection:
        return _Combine("and", (*_operands(self, "and"), *_operands(_check(other), "and")))

    def __sub__(self, other: AssetSelection) -> AssetSelection:
        return _Subtract(self, _check(other))

    def __bool__(self) -> bool:
        return True

    # -- resolution -----------------------------------------------------------------------

    def resolve(
        self,
        all_assets: AssetGraph | Definitions | Iterable[AssetsDefinition],
        allow_missing: bool = False,
    ) -> set[AssetKey]:
        """The keys of `all_assets` this selection matches. An asset key named explicitly
        that is not there raises `SelectionError` (with a "did you mean"), unless
        `allow_missing`."""
        return self._resolve(_graph_of(all_assets), allow_missing)

    @abstractmethod
    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]: ...

    @abstractmethod
    def to_selection_str(self) -> str:
        """A string `from_string` parses back to the same selection."""

    def _operand_str(self) -> str:
        return self.to_selection_str()

    def __str__(self) -> str:
        return self.to_selection_str()

    def __repr__(self) -> str:
        return f"AssetSelection({self.to_selection_str()!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


@dataclass(frozen=True)
class _Node:
    """What a predicate sees of one asset."""

    node: AssetNode
    user_key: str


def _graph_of(all_assets: AssetGraph | Definitions | Iterable[AssetsDefinition]) -> AssetGraph:
    if isinstance(all_assets, AssetGraph):
        return all_assets
    graph = getattr(all_assets, "graph", None)
    if isinstance(graph, AssetGraph):
        return graph
    from upstream.model.definitions import Definitions

    return Definitions(assets=list(all_assets)).graph  # type: ignore[arg-type]


def _key_of(item: AssetsDefinition | CoercibleToAssetKey) -> AssetKey:
    if isinstance(item, AssetsDefinition):
        return item.key
    return AssetKey.from_coercible(item)


def _check(other: object) -> AssetSelection:
    if not isinstance(other, AssetSelection):
        raise SelectionError(
            f"cannot combine an AssetSelection with {other!r}; wrap it, e.g. "
            "AssetSelection.assets(...) or AssetSelection.from_string(...)"
        )
    return other


def _check_depth(depth: int | None) -> int | None:
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
        raise SelectionError(f"depth must be a non-negative int or None, got {depth!r}")
    return depth


def _operands(selection: AssetSelection, op: str) -> tuple[AssetSelection, ...]:
    if isinstance(selection, _Combine) and selection.op == op:
        return selection.operands
    return (selection,)


def _quote(text: str) -> str:
    return f'"{text}"'


class _All(AssetSelection):
    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        return set(graph.keys)

    def to_selection_str(self) -> str:
        return "*"


class _Keys(AssetSelection):
    def __init__(self, keys: tuple[AssetKey, ...]) -> None:
        self.keys_ = keys

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        missing = [k for k in self.keys_ if k not in graph]
        if missing and not allow_missing:
            names = [k.to_user_string() for k in missing]
            hints = [h for h in (suggest_key(graph, n) for n in names[:4]) if h]
            raise SelectionError(
                f"asset keys {names} were selected, but no asset supplies them; check the "
                "spelling and that the assets are in Definitions"
                + (f"; {'; '.join(hints)}" if hints else "")
            )
        return {k for k in self.keys_ if k in graph}

    def to_selection_str(self) -> str:
        return " or ".join(f"key:{_quote(k.to_user_string())}" for k in self.keys_) or "not *"

    def _operand_str(self) -> str:
        text = self.to_selection_str()
        return f"({text})" if len(self.keys_) > 1 else text


class _Prefixes(AssetSelection):
    def __init__(self, prefixes: tuple[tuple[str, ...], ...]) -> None:
        self.prefixes = prefixes

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        return {k for k in graph.keys if any(tuple(k.path[: len(p)]) == p for p in self.prefixes)}

    def to_selection_str(self) -> str:
        parts = [f"key:{_quote('/'.join(p) + '/*')}" for p in self.prefixes]
        return " or ".join(parts) or "not *"

    def _operand_str(self) -> str:
        text = self.to_selection_str()
        return f"({text})" if len(self.prefixes) > 1 else text


class _Where(AssetSelection):
    """A leaf matching assets by a predicate on their node (group, tag, kind, owner...)."""

    def __init__(self, what: str, values: tuple[str, ...], test: Callable[[_Node], bool]) -> None:
        self.what, self.values, self.test = what, values, test

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        test = self.test
        return {n.key for n in graph.nodes if test(_Node(n, n.key.to_user_string()))}

    def to_selection_str(self) -> str:
        if self.what == "groups":
            return " or ".join(f"group:{_quote(g)}" for g in self.values) or "not *"
        if self.what == "tag":
            key, value = self.values
            return f"tag:{_quote(key)}" + (f"={_quote(value)}" if value else "")
        if self.what == "key_substring":
            return f"key:{_quote('*' + self.values[0] + '*')}"
        return f"{self.what}:{_quote(self.values[0])}"

    def _operand_str(self) -> str:
        text = self.to_selection_str()
        return f"({text})" if " or " in text else text


class _Clause(AssetSelection):
    """One clause of a selection string; matching nothing is an error, as it always was."""

    def __init__(self, clause: Clause) -> None:
        self.clause = clause

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        return resolve_clause(graph, self.clause)

    def to_selection_str(self) -> str:
        return self.clause.text


class _Combine(AssetSelection):
    def __init__(self, op: str, operands: tuple[AssetSelection, ...]) -> None:
        self.op, self.operands = op, operands

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        sets = [s._resolve(graph, allow_missing) for s in self.operands]
        join = set.union if self.op == "or" else set.intersection
        return join(*sets)

    def to_selection_str(self) -> str:
        return f" {self.op} ".join(s._operand_str() for s in self.operands)

    def _operand_str(self) -> str:
        return f"({self.to_selection_str()})"


class _Subtract(AssetSelection):
    def __init__(self, left: AssetSelection, right: AssetSelection) -> None:
        self.left, self.right = left, right

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        return self.left._resolve(graph, allow_missing) - self.right._resolve(graph, allow_missing)

    def to_selection_str(self) -> str:
        if isinstance(self.left, _All):
            return f"not {self.right._operand_str()}"
        return f"{self.left._operand_str()} and not {self.right._operand_str()}"

    def _operand_str(self) -> str:
        return f"({self.to_selection_str()})"


class _Traverse(AssetSelection):
    def __init__(
        self, child: AssetSelection, direction: str, depth: int | None, include_self: bool
    ) -> None:
        self.child, self.direction, self.depth, self.include_self = (
            child,
            direction,
            depth,
            include_self,
        )

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        chosen = self.child._resolve(graph, allow_missing)
        walk = graph.ancestors if self.direction == "up" else graph.descendants
        found = walk(chosen, self.depth)
        return found - chosen if not self.include_self else found | chosen

    def to_selection_str(self) -> str:
        inner = f"({self.child.to_selection_str()})"
        if self.depth is None:
            mark = "*"
        elif self.depth == 0:
            mark = ""
        else:
            mark = f"{self.depth}+" if self.direction == "up" else f"+{self.depth}"
        text = f"{mark}{inner}" if self.direction == "up" else f"{inner}{mark}"
        return text if self.include_self else f"{text} and not {inner}"

    def _operand_str(self) -> str:
        return f"({self.to_selection_str()})"


class _Ends(AssetSelection):
    def __init__(self, child: AssetSelection, which: str) -> None:
        self.child, self.which = child, which

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        chosen = self.child._resolve(graph, allow_missing)
        order = graph.keys if self.which == "roots" else list(reversed(graph.keys))
        step = graph.parents if self.which == "roots" else graph.children
        # reaches[k]: some asset of the selection lies strictly beyond k (up for roots).
        reaches: dict[AssetKey, bool] = {}
        for key in order:
            reaches[key] = any(o in chosen or reaches[o] for o in step(key))
        return {k for k in chosen if not reaches[k]}

    def to_selection_str(self) -> str:
        return f"{self.which}({self.child.to_selection_str()})"


class _Neighbors(AssetSelection):
    """`required_multi_asset_neighbors()`. The string syntax has no form for it: its
    string is its child's, and a run records the resolved keys instead (`recorded_text`)."""

    def __init__(self, child: AssetSelection) -> None:
        self.child = child

    def _resolve(self, graph: AssetGraph, allow_missing: bool) -> set[AssetKey]:
        chosen = self.child._resolve(graph, allow_missing)
        return {n for key in chosen for n in graph.required_neighbors(key)}

    def to_selection_str(self) -> str:
        return self.child.to_selection_str()

    def __repr__(self) -> str:
        return f"AssetSelection({self.child.to_selection_str()!r}).required_multi_asset_neighbors()"
