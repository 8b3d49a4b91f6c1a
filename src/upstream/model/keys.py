"""Asset keys: a path of names, written `sales/raw_orders` by users and on the wire."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from upstream.model.errors import InvalidAssetKey

__all__ = ["AssetKey", "CoercibleToAssetKey", "CoercibleToKeyPrefix", "coerce_prefix"]

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.]*$")


@dataclass(frozen=True, order=True, slots=True)
class AssetKey:
    """An asset's identity. Hashable, ordered, and printed as its slash-joined path.

    The hash is computed once: planners look keys up in dicts millions of times.
    """

    path: tuple[str, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __init__(self, path: str | Sequence[str]) -> None:
        parts = (path,) if isinstance(path, str) else tuple(path)
        if not parts:
            raise InvalidAssetKey("an asset key needs at least one name")
        for part in parts:
            if not isinstance(part, str) or not _NAME.match(part):
                raise InvalidAssetKey(
                    f"invalid asset key part {part!r}: use letters, digits, '_', '-' or '.'"
                )
        object.__setattr__(self, "path", parts)
        object.__setattr__(self, "_hash", hash(parts))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[AssetKey], tuple[tuple[str, ...]]]:
        # Pickle the path alone: string hashes are salted per process, so the cached hash
        # must be recomputed where the key is loaded.
        return (AssetKey, (self.path,))

    @classmethod
    def from_user_string(cls, text: str) -> AssetKey:
        """Parse `sales/raw_orders` (the form the CLI, selection and the wire use)."""
        return cls(text.split("/"))

    @classmethod
    def from_coercible(cls, value: CoercibleToAssetKey) -> AssetKey:
        """Accept an AssetKey, a `a/b` string or a list of parts, as Dagster does."""
        if isinstance(value, AssetKey):
            return value
        if isinstance(value, str):
            return cls.from_user_string(value)
        return cls(value)

    def to_user_string(self) -> str:
        return "/".join(self.path)

    @property
    def name(self) -> str:
        """The last part: what a parameter names."""
        return self.path[-1]

    def with_prefix(self, prefix: Sequence[str]) -> AssetKey:
        return AssetKey([*prefix, *self.path])

    def __str__(self) -> str:
        return self.to_user_string()

    def __repr__(self) -> str:
        return f"AssetKey({list(self.path)!r})"


CoercibleToAssetKey: TypeAlias = AssetKey | str | Sequence[str]
CoercibleToKeyPrefix: TypeAlias = str | Sequence[str] | None


def coerce_prefix(prefix: CoercibleToKeyPrefix) -> tuple[str, ...]:
    """`"a/b"`, `"a"` or `["a", "b"]` -> ("a", "b"); None -> ()."""
    if prefix is None:
        return ()
    if isinstance(prefix, str):
        return tuple(p for p in prefix.split("/") if p)
    return tuple(prefix)
