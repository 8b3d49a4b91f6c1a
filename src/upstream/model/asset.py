"""`@asset`: a function becomes an asset; its parameters name its upstreams, as in Dagster."""

from __future__ import annotations

import hashlib
import inspect
import re
import textwrap
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import TYPE_CHECKING, Any, TypeAlias, overload

from upstream.model.asset_attributes import check_owners, check_tags, resolve_kinds
from upstream.model.asset_dep import AssetDep, dep_partition_mappings
from upstream.model.config import CONFIG_PARAM, Config, config_annotation
from upstream.model.errors import DefinitionsError
from upstream.model.invocation import invoke
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import (
    AssetKey,
    CoercibleToAssetKey,
    CoercibleToKeyPrefix,
    coerce_prefix,
)
from upstream.model.partitions import BackfillPolicy, PartitionMapping, PartitionsDefinition
from upstream.model.resources import is_resource_annotation

if TYPE_CHECKING:
    from upstream.model.external import SourceAsset
    from upstream.model.spec import AssetSpec

__all__ = [
    "DEFAULT_GROUP",
    "AssetIn",
    "AssetsDefinition",
    "MaterializeResult",
    "asset",
]

DEFAULT_GROUP = "default"
_GROUP_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.]*$")


@dataclass(frozen=True)
class MaterializeResult:
    """What an asset may return instead of a bare value: the value plus metadata to record.

    `value` goes to the IO manager (leave it out for an asset that stores its own output);
    `metadata` (numbers, text, row counts, URLs) is recorded with the materialization.
    """

    value: Any = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    asset_key: CoercibleToAssetKey | None = None  # which asset of a multi-asset, as Dagster's


class AssetIn:
    """Maps a parameter to an upstream asset: `ins={"orders": AssetIn(key="sales/raw_orders")}`.

    `key_prefix` keeps the parameter's name and puts it under a prefix, as in Dagster.
    """

    __slots__ = ("key", "key_prefix", "metadata", "partition_mapping")

    def __init__(
        self,
        key: CoercibleToAssetKey | None = None,
        *,
        key_prefix: CoercibleToKeyPrefix = None,
        metadata: Mapping[str, Any] | None = None,
        partition_mapping: PartitionMapping | None = None,
    ) -> None:
        if key is not None and key_prefix is not None:
            raise DefinitionsError("AssetIn takes key or key_prefix, not both")
        if partition_mapping is not None and not isinstance(partition_mapping, PartitionMapping):
            raise DefinitionsError(
                f"AssetIn(partition_mapping=...) takes a PartitionMapping, got "
                f"{type(partition_mapping).__name__}"
            )
        self.key = AssetKey.from_coercible(key) if key is not None else None
        self.key_prefix = coerce_prefix(key_prefix)
        self.metadata = dict(metadata or {})
        # which upstream partitions each partition reads (None: Dagster's default)
        self.partition_mapping = partition_mapping

    def resolve(self, parameter: str) -> AssetKey:
        """The upstream key this maps `parameter` to."""
        return self.key if self.key is not None else AssetKey([*self.key_prefix, parameter])

    def __repr__(self) -> str:
        return f"AssetIn(key={self.key!r}, key_prefix={list(self.key_prefix)!r})"


@dataclass(frozen=True)
class InputParam:
    """One value parameter: either pinned to a key (`ins`) or to be resolved by its name."""

    parameter: str
    key: AssetKey | None  # None: resolved by name when Definitions sees every asset
    metadata: Mapping[str, Any] = field(default_factory=dict)  # AssetIn(metadata=...)
    partition_mapping: PartitionMapping | None = None  # AssetIn(partition_mapping=...)


CoercibleToDep: TypeAlias = (
    "AssetsDefinition | AssetSpec | SourceAsset | AssetDep | CoercibleToAssetKey"
)


class AssetsDefinition:
    """What `@asset` returns: the function plus everything needed to plan and run it.

    Calling it calls the function directly, so an asset is unit-testable as a plain function.
    """

    def __init__(
        self,
        *,
        fn: Callable[..., Any],
        key: AssetKey,
        inputs: Sequence[InputParam],
        deps: Sequence[AssetKey],
        resource_params: Sequence[str],
        takes_context: bool,
        group_name: str,
        description: str | None,
        metadata: Mapping[str, Any],
        io_manager_key: str,
        required_resource_keys: Iterable[str],
        tags: Mapping[str, str],
        queue: str | None = None,
        code_version: str | None = None,
        output_required: bool = True,
        op_tags: Mapping[str, Any] | None = None,
        kinds: Iterable[str] = (),
        owners: Sequence[str] = (),
        config: tuple[bool, type[Config] | None] = (False, None),
        partitions_def: PartitionsDefinition | None = None,
        backfill_policy: BackfillPolicy | None = None,
        dep_partition_mappings: Mapping[AssetKey, PartitionMapping] | None = None,
    ) -> None:
        self.fn = fn
        self.key = key
        self.inputs = tuple(inputs)
        self.deps = tuple(deps)
        self.resource_params = tuple(resource_params)
        self.takes_context = takes_context
        self.group_name = group_name
        self.description = description
        self.metadata = dict(metadata)
        self.io_manager_key = io_manager_key
        self.required_resource_keys = frozenset(required_resource_keys)
        self.tags = dict(tags)
        self.queue = queue
        self.code_version = code_version or code_fingerprint(fn)
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
        self.output_required = output_required
        self.op_tags = dict(op_tags or {})
        self.kinds = frozenset(kinds)  # `compute_kind` and `dagster/kind/*` tags included
        self.owners = tuple(owners)
        # Whether the function takes `config`, and its Config class (None: the raw dict).
        self.takes_config, self.config_type = config
        self.partitions_def = partitions_def
        self.backfill_policy = backfill_policy
        # AssetDep(partition_mapping=...) of `deps`, by the key as given (resolved later)
        self.dep_partition_mappings = dict(dep_partition_mappings or {})

    @property
    def keys(self) -> tuple[AssetKey, ...]:
        """Every asset this definition produces: one here, several for a multi-asset."""
        return (self.key,)

    @property
    def op_name(self) -> str | None:
        """The step key of a multi-asset (its op's name); None for a plain asset, whose step
        key is its asset key."""
        return None

    def io_manager_key_for(self, key: AssetKey) -> str:
        """The IO manager resource key that stores `key`'s value."""
        return self.io_manager_key

    @property
    def output_keys(self) -> dict[str, AssetKey]:
        """Output name -> asset key: an @asset's one output is named "result"."""
        return {"result": self.key}

    @property
    def origin(self) -> str:
        """`module.function`, for errors that must say which code defined an asset."""
        return f"{getattr(self.fn, '__module__', '?')}.{getattr(self.fn, '__qualname__', '?')}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Direct invocation, with Dagster's rules for context, resources and config."""
        return invoke(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<asset {self.key.to_user_string()}>"


_FINGERPRINTS: dict[CodeType, str] = {}


def code_fingerprint(fn: Callable[..., Any]) -> str:
    """sha256 of the function's source (dedented), else of its bytecode; cached per code
    object, so assets made in a loop share one computation."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, CodeType):
        return ""
    found = _FINGERPRINTS.get(code)
    if found is None:
        try:
            data = textwrap.dedent(inspect.getsource(fn)).encode()
        except (OSError, TypeError):  # no source: exec'd or generated code
            data = _bytecode(code)
        found = _FINGERPRINTS[code] = hashlib.sha256(data).hexdigest()[:16]
    return found


def _bytecode(code: CodeType) -> bytes:
    parts = [code.co_code, repr(code.co_names).encode()]
    for const in code.co_consts:
        parts.append(_bytecode(const) if isinstance(const, CodeType) else repr(const).encode())
    return b"\0".join(parts)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to what is there
        return dict(getattr(fn, "__annotations__", {}))


def _is_config_class(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Config)


def _is_context_param(param: inspect.Parameter, annotation: Any) -> bool:
    if param.name in ("context", "_context"):
        return True
    name = getattr(annotation, "__name__", annotation if isinstance(annotation, str) else "")
    return name == "AssetExecutionContext"


def parse_parameters(
    fn: Callable[..., Any], label: str, ins: Mapping[str, AssetIn] | None
) -> tuple[bool, list[InputParam], list[str], tuple[bool, type[Config] | None]]:
    """Whether `fn` takes a context first, its value inputs, its resource parameters, and
    whether it takes `config` (with its Config class; None: the raw dict); `label` names
    the asset (or multi-asset) in errors."""
    hints = _type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())
    takes_context = bool(params) and _is_context_param(
        params[0], hints.get(params[0].name, params[0].annotation)
    )
    if takes_context:
        params = params[1:]

    ins = dict(ins or {})
    inputs: list[InputParam] = []
    resource_params: list[str] = []
    config: tuple[bool, type[Config] | None] = (False, None)
    for param in params:
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise DefinitionsError(
                f"asset {label!r}: *args/**kwargs cannot name upstreams; "
                "list each upstream as its own parameter"
            )
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise DefinitionsError(
                f"asset {label!r}: parameter {param.name!r} is positional-only; "
                "upstreams are passed by name"
            )
        annotation = hints.get(param.name, param.annotation)
        if param.name == CONFIG_PARAM and param.name not in ins:  # Dagster's rule: by name
            config = (True, config_annotation(label, annotation, getattr(fn, "__globals__", {})))
        elif _is_config_class(annotation) and not is_resource_annotation(annotation):
            # (Dagster's ConfigurableResource is a Config too)
            raise DefinitionsError(
                f"asset {label!r}: parameter {param.name!r} is annotated with a Config class, "
                "but config is passed only to a parameter named 'config'; rename it"
            )
        elif param.name in ins:
            mapped = ins.pop(param.name)
            inputs.append(
                InputParam(
                    param.name,
                    mapped.resolve(param.name),
                    mapped.metadata,
                    mapped.partition_mapping,
                )
            )
        elif is_resource_annotation(annotation):
            resource_params.append(param.name)
        else:
            inputs.append(InputParam(param.name, None))
    if ins:
        extra = ", ".join(repr(k) for k in ins)
        raise DefinitionsError(
            f"asset {label!r}: ins names {extra}, but the function has no such parameter; "
            "add the parameter or use deps=[...] for an ordering-only dependency"
        )

    return takes_context, inputs, resource_params, config


def check_partitioning(label: str, partitions_def: object, backfill_policy: object) -> None:
    """`partitions_def` and `backfill_policy` are what they say (a common slip: passing the
    class, or a list of keys)."""
    if partitions_def is not None and not isinstance(partitions_def, PartitionsDefinition):
        raise DefinitionsError(
            f"asset {label!r}: partitions_def takes a PartitionsDefinition (e.g. "
            f"StaticPartitionsDefinition([...])), got {partitions_def!r}"
        )
    if backfill_policy is not None and not isinstance(backfill_policy, BackfillPolicy):
        raise DefinitionsError(
            f"asset {label!r}: backfill_policy takes BackfillPolicy.single_run() or "
            f"BackfillPolicy.multi_run(n), got {backfill_policy!r}"
        )


def _build(
    fn: Callable[..., Any],
    *,
    name: str | None,
    key: CoercibleToAssetKey | None,
    key_prefix: CoercibleToKeyPrefix,
    ins: Mapping[str, AssetIn] | None,
    deps: Iterable[CoercibleToDep] | None,
    group_name: str | None,
    description: str | None,
    metadata: Mapping[str, Any] | None,
    io_manager_key: str | None,
    required_resource_keys: Iterable[str] | None,
    tags: Mapping[str, str] | None,
    queue: str | None,
    code_version: str | None,
    output_required: bool = True,
    op_tags: Mapping[str, Any] | None = None,
    compute_kind: str | None = None,
    kinds: Iterable[str] | None = None,
    owners: Sequence[str] | None = None,
    partitions_def: PartitionsDefinition | None = None,
    backfill_policy: BackfillPolicy | None = None,
) -> AssetsDefinition:
    fn_name = getattr(fn, "__name__", repr(fn))
    if key is not None and (name is not None or key_prefix is not None):
        raise DefinitionsError(f"asset {fn_name!r}: pass key=, or name=/key_prefix=, not both")
    asset_key = (
        AssetKey.from_coercible(key)
        if key is not None
        else AssetKey([*coerce_prefix(key_prefix), name or fn_name])
    )
    label = asset_key.to_user_string()
    group = DEFAULT_GROUP if group_name is None else group_name
    if not _GROUP_NAME.match(group):
        raise DefinitionsError(
            f"asset {label!r}: group_name {group!r} may use only letters, digits and '_'"
        )
    if isinstance(required_resource_keys, str):
        raise DefinitionsError(
            f"asset {label!r}: required_resource_keys takes a collection of keys, "
            f"e.g. {{{required_resource_keys!r}}}, not a string"
        )
    if queue is not None and not _QUEUE_NAME.match(queue):
        raise DefinitionsError(
            f"asset {label!r}: queue {queue!r} may use only letters, digits, '_', '-' and '.'"
        )

    user_tags = check_tags(label, tags)
    all_kinds = resolve_kinds(label, kinds, compute_kind, user_tags)
    all_owners = check_owners(label, owners)
    takes_context, inputs, resource_params, config = parse_parameters(fn, label, ins)
    check_partitioning(label, partitions_def, backfill_policy)

    dep_keys = []
    for dep in deps or ():
        dep_key: Any = getattr(dep, "key", dep)  # an @asset, AssetSpec or SourceAsset: its key
        dep_keys.append(
            dep_key if isinstance(dep_key, AssetKey) else AssetKey.from_coercible(dep_key)
        )

    return AssetsDefinition(
        fn=fn,
        key=asset_key,
        inputs=inputs,
        deps=dep_keys,
        resource_params=resource_params,
        takes_context=takes_context,
        group_name=group,
        description=description if description is not None else inspect.getdoc(fn),
        metadata=metadata or {},
        io_manager_key=io_manager_key or DEFAULT_IO_MANAGER_KEY,
        required_resource_keys=required_resource_keys or (),
        tags=user_tags,
        queue=queue,
        code_version=code_version,
        output_required=output_required,
        op_tags=op_tags,
        kinds=all_kinds,
        owners=all_owners,
        config=config,
        partitions_def=partitions_def,
        backfill_policy=backfill_policy,
        dep_partition_mappings=dep_partition_mappings(deps),
    )


@overload
def asset(fn: Callable[..., Any], /) -> AssetsDefinition: ...


@overload
def asset(
    *,
    name: str | None = None,
    key: CoercibleToAssetKey | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[CoercibleToDep] | None = None,
    group_name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, str] | None = None,
    queue: str | None = None,
    code_version: str | None = None,
    output_required: bool = True,
    op_tags: Mapping[str, Any] | None = None,
    compute_kind: str | None = None,
    kinds: Iterable[str] | None = None,
    owners: Sequence[str] | None = None,
    partitions_def: PartitionsDefinition | None = None,
    backfill_policy: BackfillPolicy | None = None,
) -> Callable[[Callable[..., Any]], AssetsDefinition]: ...


def asset(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    key: CoercibleToAssetKey | None = None,
    key_prefix: CoercibleToKeyPrefix = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[CoercibleToDep] | None = None,
    group_name: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    io_manager_key: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    tags: Mapping[str, str] | None = None,
    queue: str | None = None,
    code_version: str | None = None,
    output_required: bool = True,
    op_tags: Mapping[str, Any] | None = None,
    compute_kind: str | None = None,
    kinds: Iterable[str] | None = None,
    owners: Sequence[str] | None = None,
    partitions_def: PartitionsDefinition | None = None,
    backfill_policy: BackfillPolicy | None = None,
) -> AssetsDefinition | Callable[[Callable[..., Any]], AssetsDefinition]:
    """Define an asset. Parameters name upstream assets (or resources); `context` may come first.

    Works bare (`@asset`) or with arguments (`@asset(group_name="sales")`), on sync and
    `async def` functions. `queue` routes the asset to workers started with `--queue NAME`
    (upstream's addition; Dagster has no equivalent). `code_version` marks the code's
    version, as in Dagster; left out, it is a fingerprint of the function's source, so a
    worker running other code than the run was planned against refuses the task.
    `output_required=False` (a generator that may yield nothing) lets a run leave the asset
    unmaterialized; its downstreams are then skipped, as in Dagster. `op_tags` are recorded.
    `kinds` (at most three), `compute_kind` (one kind, Dagster's older keyword), `owners`
    (emails or `team:name`) and `tags` are validated as Dagster does and shown in the UI.
    `partitions_def` partitions the asset (a run materializes a key or a range of its
    keys); `backfill_policy` says how many partitions one run of a backfill covers.
    """

    def decorate(f: Callable[..., Any]) -> AssetsDefinition:
        return _build(
            f,
            name=name,
            key=key,
            key_prefix=key_prefix,
            ins=ins,
            deps=deps,
            group_name=group_name,
            description=description,
            metadata=metadata,
            io_manager_key=io_manager_key,
            required_resource_keys=required_resource_keys,
            tags=tags,
            queue=queue,
            code_version=code_version,
            output_required=output_required,
            op_tags=op_tags,
            compute_kind=compute_kind,
            kinds=kinds,
            owners=owners,
            partitions_def=partitions_def,
            backfill_policy=backfill_policy,
        )

    if fn is not None:
        return decorate(fn)
    return decorate
