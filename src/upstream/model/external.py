"""External assets: `SourceAsset`, `@observable_source_asset` and what observing returns.

An external asset is produced outside upstream. It sits in the graph so downstreams can
load it (through its IO manager) or order after it; it is never a step of a run. An
observable one has a function that reports its current `DataVersion` and metadata.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, overload

from upstream.model.errors import DefinitionsError
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import AssetKey, CoercibleToAssetKey, CoercibleToKeyPrefix, coerce_prefix
from upstream.model.partitions import PartitionsDefinition
from upstream.model.resources import is_resource_annotation
from upstream.model.spec import AssetSpec, check_partitions_def

__all__ = [
    "DataVersion",
    "ExternalAsset",
    "ObserveResult",
    "SourceAsset",
    "observable_source_asset",
    "to_external",
]

_GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class DataVersion:
    """An opaque string that changes when an asset's data changes (a hash, a timestamp)."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise DefinitionsError(
                f"DataVersion takes a string, got {type(self.value).__name__}; "
                f"write DataVersion(str({self.value!r}))"
            )


@dataclass(frozen=True, kw_only=True)
class ObserveResult:
    """What an observe function may return: a data version and metadata to record."""

    asset_key: CoercibleToAssetKey | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    data_version: DataVersion | None = None


class SourceAsset:
    """Dagster's older form of an external asset: a key plus how downstreams load it.

    `observe_fn` (set by `@observable_source_asset`) makes it observable.
    """

    def __init__(
        self,
        key: CoercibleToAssetKey,
        metadata: Mapping[str, Any] | None = None,
        io_manager_key: str | None = None,
        *,
        description: str | None = None,
        group_name: str | None = None,
        observe_fn: Callable[..., Any] | None = None,
        required_resource_keys: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        partitions_def: PartitionsDefinition | None = None,
    ) -> None:
        self.key = AssetKey.from_coercible(key)
        check_partitions_def(self.key.to_user_string(), partitions_def)
        self.partitions_def = partitions_def
        self.metadata = dict(metadata or {})
        self.io_manager_key = io_manager_key or DEFAULT_IO_MANAGER_KEY
        self.description = description
        self.group_name = group_name
        self.observe_fn = observe_fn
        self.required_resource_keys = frozenset(required_resource_keys or ())
        self.tags = dict(tags or {})

    @property
    def is_observable(self) -> bool:
        return self.observe_fn is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the observe function directly (unit tests), as with an @asset."""
        if self.observe_fn is None:
            raise DefinitionsError(f"source asset {self.key.to_user_string()!r} has no function")
        return self.observe_fn(*args, **kwargs)

    def __repr__(self) -> str:
        kind = "observable source asset" if self.observe_fn else "source asset"
        return f"<{kind} {self.key.to_user_string()}>"


@dataclass(frozen=True)
class ExternalAsset:
    """An AssetSpec or SourceAsset as `Definitions` keeps it: one shape for both."""

    key: AssetKey
    deps: tuple[AssetKey, ...]
    group_name: str
    description: str | None
    metadata: Mapping[str, Any]
    io_manager_key: str
    tags: Mapping[str, str]
    code_version: str | None
    source: AssetSpec | SourceAsset  # what the user passed, to rebuild Definitions
    observe_fn: Callable[..., Any] | None = None
    takes_context: bool = False
    resource_params: tuple[str, ...] = ()
    required_resource_keys: frozenset[str] = frozenset()
    owners: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset()
    partitions_def: PartitionsDefinition | None = None

    @property
    def is_observable(self) -> bool:
        return self.observe_fn is not None

    @property
    def execution_type(self) -> str:
        """Dagster's names: "observation" when it can be observed, else "unexecutable"."""
        return "observation" if self.observe_fn is not None else "unexecutable"

    @property
    def origin(self) -> str:
        fn = self.observe_fn
        if fn is None:
            return f"{type(self.source).__name__}({self.key.to_user_string()!r})"
        return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', '?')}"


def to_external(item: AssetSpec | SourceAsset) -> ExternalAsset:
    """Normalise a spec or source asset; raises DefinitionsError naming the asset."""
    label = item.key.to_user_string()
    group = item.group_name or "default"
    if not _GROUP_NAME.match(group):
        raise DefinitionsError(
            f"asset {label!r}: group_name {group!r} may use only letters, digits and '_'"
        )
    if isinstance(item, AssetSpec):
        return ExternalAsset(
            key=item.key,
            deps=item.deps,
            group_name=group,
            description=item.description,
            metadata=item.metadata,
            io_manager_key=item.io_manager_key or DEFAULT_IO_MANAGER_KEY,
            tags=item.tags,
            code_version=item.code_version,
            source=item,
            owners=item.owners,
            kinds=item.kinds,
            partitions_def=item.partitions_def,
        )
    takes_context = False
    resource_params: tuple[str, ...] = ()
    if item.observe_fn is not None:
        takes_context, resource_params = _observe_signature(label, item.observe_fn)
    return ExternalAsset(
        key=item.key,
        deps=(),
        group_name=group,
        description=item.description,
        metadata=item.metadata,
        io_manager_key=item.io_manager_key,
        tags=item.tags,
        code_version=None,
        source=item,
        observe_fn=item.observe_fn,
        takes_context=takes_context,
        resource_params=resource_params,
        required_resource_keys=item.required_resource_keys,
        partitions_def=item.partitions_def,
    )


def _observe_signature(label: str, fn: Callable[..., Any]) -> tuple[bool, tuple[str, ...]]:
    """(takes context, resource parameters): an observe function loads no upstream values."""
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: judge by what is there
        hints = dict(getattr(fn, "__annotations__", {}))
    params = list(inspect.signature(fn).parameters.values())
    first = hints.get(params[0].name) if params else None
    takes_context = bool(params) and (
        params[0].name in ("context", "_context")
        or getattr(first, "__name__", first) in ("AssetExecutionContext", "OpExecutionContext")
    )
    resources: list[str] = []
    for param in params[1:] if takes_context else params:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise DefinitionsError(
                f"observable source asset {label!r}: *args/**kwargs are not supported; "
                "name each resource as its own parameter"
            )
        annotation = hints.get(param.name, param.empty)
        if annotation is not param.empty and not is_resource_annotation(annotation):
            raise DefinitionsError(
                f"observable source asset {label!r}: parameter {param.name!r} is not a "
                "resource; an observe function takes `context` and resources only"
            )
        resources.append(param.name)  # checked against Definitions' resources there
    return takes_context, tuple(resources)


def _source_from(
    fn: Callable[..., Any],
    *,
    key: CoercibleToAssetKey | None,
    name: str | None,
    key_prefix: CoercibleToKeyPrefix,
    metadata: Mapping[str, Any] | None,
    io_manager_key: str | None,
    description: str | None,
    group_name: str | None,
    required_resource_keys: Iterable[str] | None,
    tags: Mapping[str, str] | None,
    partitions_def: PartitionsDefinition | None = None,
) -> SourceAsset:
    fn_name = getattr(fn, "__name__", repr(fn))
    if key is not None and (name is not None or key_prefix is not None):
        raise DefinitionsError(
            f"observable source asset {fn_name!r}: pass key=, or name=/key_prefix=, not both"
        )
    asset_key = (
        AssetKey.from_coercible(key)
        if key is not None
        else AssetKey([*coerce_prefix(key_prefix), name or fn_name])
    )
    source = SourceAsset(
        asset_key,
        metadata,
        io_manager_key,
        description=description if description is not None else inspect.getdoc(fn),
        group_name=group_name,
        observe_fn=fn,
        required_resource_keys=required_resource_keys,
        tags=tags,
        partitions_def=partitions_def,
    )
    _observe_signature(asset_key.to_user_string(), fn)  # a bad signature fails here
    return source


@overload
def observable_source_asset(observe_fn: Callable[..., Any], /) -> SourceAsset: ...


@overload
def observable_source_asset(
    *,
    key: CoercibleToAssetKey | None = None,
    name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    description: str | None = None,
    group_name: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, str] | None = None,
    partitions_def: PartitionsDefinition | None = None,
) -> Callable[[Callable[..., Any]], SourceAsset]: ...


def observable_source_asset(
    observe_fn: Callable[..., Any] | None = None,
    /,
    *,
    key: CoercibleToAssetKey | None = None,
    name: str | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    description: str | None = None,
    group_name: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, str] | None = None,
    partitions_def: PartitionsDefinition | None = None,
) -> SourceAsset | Callable[[Callable[..., Any]], SourceAsset]:
    """An external asset whose function reports its `DataVersion` (or an `ObserveResult`).

    The function may take `context` first, then resources; `observe()` or
    `upstream observe` calls it and records the observation.
    """

    def decorate(fn: Callable[..., Any]) -> SourceAsset:
        return _source_from(
            fn,
            key=key,
            name=name,
            key_prefix=key_prefix,
            metadata=metadata,
            io_manager_key=io_manager_key,
            description=description,
            group_name=group_name,
            required_resource_keys=required_resource_keys,
            tags=tags,
            partitions_def=partitions_def,
        )

    if observe_fn is not None:
        return decorate(observe_fn)
    return decorate
