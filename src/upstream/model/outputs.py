"""`Output` and `AssetOut`: what a function hands back per output, and how a multi-asset
declares each output, with Dagster's names and defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from upstream.model.errors import DefinitionsError
from upstream.model.keys import AssetKey, CoercibleToAssetKey, CoercibleToKeyPrefix, coerce_prefix

__all__ = ["DEFAULT_OUTPUT", "AssetOut", "Output"]

DEFAULT_OUTPUT = "result"  # Dagster's name for a single asset's one output


class Output:
    """A value with the metadata to record for it: `return Output(df, metadata={"rows": 3})`,
    or `yield Output(v, output_name="b")` from a multi-asset (one per output)."""

    __slots__ = ("data_version", "metadata", "output_name", "tags", "value")

    def __init__(
        self,
        value: Any,
        output_name: str = DEFAULT_OUTPUT,
        metadata: Mapping[str, Any] | None = None,
        data_version: Any = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.value = value
        self.output_name = output_name
        self.metadata = dict(metadata or {})
        self.data_version = data_version
        self.tags = dict(tags or {})

    def __repr__(self) -> str:
        return f"Output(output_name={self.output_name!r}, metadata={self.metadata!r})"


class AssetOut:
    """One output of `@multi_asset(outs={"name": AssetOut(...)})`: its key (by default the
    output's name, under `key_prefix`) and the attributes of the asset it produces."""

    __slots__ = (
        "code_version",
        "description",
        "group_name",
        "io_manager_key",
        "is_required",
        "key",
        "key_prefix",
        "kinds",
        "metadata",
        "owners",
        "tags",
    )

    def __init__(
        self,
        key_prefix: CoercibleToKeyPrefix = None,
        key: CoercibleToAssetKey | None = None,
        dagster_type: Any = None,
        description: str | None = None,
        is_required: bool = True,
        io_manager_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        group_name: str | None = None,
        code_version: str | None = None,
        owners: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        kinds: Iterable[str] | None = None,
    ) -> None:
        if key is not None and key_prefix is not None:
            raise DefinitionsError("AssetOut takes key or key_prefix, not both")
        del dagster_type  # accepted for Dagster's signature; values are not type-checked
        self.key = AssetKey.from_coercible(key) if key is not None else None
        self.key_prefix = coerce_prefix(key_prefix)
        self.description = description
        self.is_required = bool(is_required)
        self.io_manager_key = io_manager_key
        self.metadata = dict(metadata or {})
        self.group_name = group_name
        self.code_version = code_version
        self.owners = tuple(owners or ())
        self.tags = dict(tags or {})
        self.kinds = frozenset(kinds or ())

    def resolve(self, output_name: str) -> AssetKey:
        """The key of the asset this output produces."""
        return self.key if self.key is not None else AssetKey([*self.key_prefix, output_name])

    def __repr__(self) -> str:
        return f"AssetOut(key={self.key!r}, key_prefix={list(self.key_prefix)!r})"
