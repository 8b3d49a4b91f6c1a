"""`@multi_asset`: one function, run once per run, that produces several assets (Dagster's).

The function's op name (its name, or `name=`) is the key of its one step; each output is an
asset of its own in the graph, with its own group, metadata and IO manager.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from upstream.model.asset import (
    _GROUP_NAME,
    _QUEUE_NAME,
    DEFAULT_GROUP,
    AssetIn,
    AssetsDefinition,
    CoercibleToDep,
    check_partitioning,
    code_fingerprint,
    parse_parameters,
)
from upstream.model.asset_dep import dep_partition_mappings
from upstream.model.errors import DefinitionsError
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import AssetKey
from upstream.model.outputs import AssetOut
from upstream.model.partitions import BackfillPolicy, PartitionsDefinition
from upstream.model.spec import AssetSpec

__all__ = ["MultiAssetsDefinition", "OutputSpec", "multi_asset"]

_OP_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class OutputSpec:
    """One output of a multi-asset: its name, the asset it produces and that asset's
    attributes (from an `AssetOut` or an `AssetSpec`)."""

    output_name: str
    key: AssetKey
    group_name: str
    description: str | None
    metadata: Mapping[str, Any]
    io_manager_key: str
    is_required: bool
    code_version: str
    tags: Mapping[str, str]
    deps: tuple[AssetKey, ...] = ()  # this asset's own deps (an AssetSpec's, or internal)
    owners: tuple[str, ...] = ()
    kinds: frozenset[str] = field(default_factory=frozenset)
    from_spec: bool = False  # an AssetSpec's: stores its own data, returning None is fine


class MultiAssetsDefinition(AssetsDefinition):
    """What `@multi_asset` returns. `key` is its first asset's key; `keys` lists them all."""

    def __init__(
        self,
        *,
        op_name: str,
        outputs: Sequence[OutputSpec],
        can_subset: bool,
        op_description: str | None = None,
        **common: Any,
    ) -> None:
        first = outputs[0]
        super().__init__(
            key=first.key,
            group_name=first.group_name,
            description=first.description,
            metadata=first.metadata,
            io_manager_key=first.io_manager_key,
            **common,
        )
        self._op_name = op_name
        self.outputs = tuple(outputs)
        self.can_subset = can_subset
        self._by_key = {o.key: o for o in outputs}
        self._by_name = {o.output_name: o for o in outputs}
        self.op_description = op_description

    @property
    def keys(self) -> tuple[AssetKey, ...]:
        return tuple(o.key for o in self.outputs)

    @property
    def op_name(self) -> str:
        return self._op_name

    def output(self, key: AssetKey) -> OutputSpec:
        return self._by_key[key]

    def output_named(self, name: str) -> OutputSpec | None:
        return self._by_name.get(name)

    def io_manager_key_for(self, key: AssetKey) -> str:
        return self._by_key[key].io_manager_key

    @property
    def output_keys(self) -> dict[str, AssetKey]:
        return {o.output_name: o.key for o in self.outputs}

    def __repr__(self) -> str:
        keys = ", ".join(k.to_user_string() for k in self.keys)
        return f"<multi_asset {self._op_name}: {keys}>"


def _dep_keys(deps: Iterable[CoercibleToDep] | None) -> list[AssetKey]:
    out = []
    for dep in deps or ():
        key = getattr(dep, "key", None)
        out.append(key if isinstance(key, AssetKey) else AssetKey.from_coercible(dep))  # type: ignore[arg-type]
    return out


def _outputs(
    op: str,
    outs: Mapping[str, AssetOut],
    specs: Sequence[AssetSpec],
    group_name: str | None,
    code_version: str,
    internal: Mapping[str, Iterable[CoercibleToDep]],
) -> list[OutputSpec]:
    made: list[OutputSpec] = []
    for name, out in outs.items():
        if not isinstance(out, AssetOut):
            raise DefinitionsError(
                f"multi_asset {op!r}: outs[{name!r}] must be an AssetOut, got {out!r}"
            )
        if out.group_name is not None and group_name is not None:
            raise DefinitionsError(
                f"multi_asset {op!r}: group_name is set on the multi_asset and on "
                f"AssetOut {name!r}; set it in one place"
            )
        made.append(
            OutputSpec(
                output_name=name,
                key=out.resolve(name),
                group_name=out.group_name or group_name or DEFAULT_GROUP,
                description=out.description,
                metadata=out.metadata,
                io_manager_key=out.io_manager_key or DEFAULT_IO_MANAGER_KEY,
                is_required=out.is_required,
                code_version=out.code_version or code_version,
                tags=out.tags,
                owners=out.owners,
                kinds=out.kinds,
            )
        )
    for spec in specs:
        if not isinstance(spec, AssetSpec):
            raise DefinitionsError(f"multi_asset {op!r}: specs takes AssetSpecs, got {spec!r}")
        if spec.group_name is not None and group_name is not None:
            raise DefinitionsError(
                f"multi_asset {op!r}: group_name is set on the multi_asset and on "
                f"AssetSpec {spec.key.to_user_string()!r}; set it in one place"
            )
        made.append(
            OutputSpec(
                output_name="__".join(spec.key.path),  # Dagster's output name for a spec
                key=spec.key,
                group_name=spec.group_name or group_name or DEFAULT_GROUP,
                description=spec.description,
                metadata=spec.metadata,
                io_manager_key=DEFAULT_IO_MANAGER_KEY,
                is_required=not spec.skippable,
                code_version=spec.code_version or code_version,
                tags=spec.tags,
                deps=spec.deps,
                owners=spec.owners,
                kinds=spec.kinds,
                from_spec=True,
            )
        )
    by_name = {o.output_name: o for o in made}
    unknown = sorted(set(internal) - set(by_name))
    if unknown:
        raise DefinitionsError(
            f"multi_asset {op!r}: internal_asset_deps names {unknown}, which are not among "
            f"its outputs {sorted(by_name)}"
        )
    return [
        o
        if o.output_name not in internal
        else _with_deps(o, (*o.deps, *_dep_keys(internal[o.output_name])))
        for o in made
    ]


def _with_deps(spec: OutputSpec, deps: Iterable[AssetKey]) -> OutputSpec:
    return replace(spec, deps=tuple(dict.fromkeys(deps)))


def _check(op: str, outputs: Sequence[OutputSpec], group_name: str | None) -> None:
    if not outputs:
        raise DefinitionsError(
            f"multi_asset {op!r} produces no asset; pass outs={{...: AssetOut()}} or "
            "specs=[AssetSpec(...)]"
        )
    seen: dict[AssetKey, str] = {}
    for o in outputs:
        if o.key in seen:
            raise DefinitionsError(
                f"multi_asset {op!r}: asset key {o.key.to_user_string()!r} is produced by "
                f"outputs {seen[o.key]!r} and {o.output_name!r}; each key once"
            )
        seen[o.key] = o.output_name
        if not _GROUP_NAME.match(o.group_name):
            raise DefinitionsError(
                f"asset {o.key.to_user_string()!r}: group_name {o.group_name!r} may use only "
                "letters, digits and '_'"
            )


def multi_asset(
    *,
    outs: Mapping[str, AssetOut] | None = None,
    name: str | None = None,
    ins: Mapping[str, AssetIn] | None = None,
    deps: Iterable[CoercibleToDep] | None = None,
    description: str | None = None,
    required_resource_keys: Iterable[str] | None = None,
    internal_asset_deps: Mapping[str, Iterable[CoercibleToDep]] | None = None,
    op_tags: Mapping[str, Any] | None = None,
    can_subset: bool = False,
    group_name: str | None = None,
    code_version: str | None = None,
    specs: Sequence[AssetSpec] | None = None,
    queue: str | None = None,
    partitions_def: PartitionsDefinition | None = None,
    backfill_policy: BackfillPolicy | None = None,
) -> Callable[[Callable[..., Any]], MultiAssetsDefinition]:
    """Define several assets computed by one function, run once per run.

    The function returns one value per output, in `outs` order (a tuple; a single output
    takes the value itself), or yields `Output(value, output_name=...)` /
    `MaterializeResult(asset_key=...)` once per asset. `specs=` assets usually store their
    own data and yield `MaterializeResult`. With `can_subset=True` a run may select some of
    its assets (`context.selected_asset_keys`); otherwise selecting some but not all is a
    `SelectionError`. Every asset depends on every input and dep of the function, plus its
    own: an `AssetSpec`'s deps, or `internal_asset_deps` (output name -> keys).
    `partitions_def` partitions every asset it makes (one step covers one key or range for
    all of them; an `AssetSpec`'s own `partitions_def` must be the same one).
    """

    def decorate(fn: Callable[..., Any]) -> MultiAssetsDefinition:
        op: str = name or str(getattr(fn, "__name__", repr(fn)))
        if not _OP_NAME.match(op):
            raise DefinitionsError(
                f"multi_asset {op!r}: its name is its step key and may use only letters, "
                "digits and '_'; pass name="
            )
        if group_name is not None and not _GROUP_NAME.match(group_name):
            raise DefinitionsError(
                f"multi_asset {op!r}: group_name {group_name!r} may use only letters, "
                "digits and '_'"
            )
        if queue is not None and not _QUEUE_NAME.match(queue):
            raise DefinitionsError(
                f"multi_asset {op!r}: queue {queue!r} may use only letters, digits, '_', "
                "'-' and '.'"
            )
        if isinstance(required_resource_keys, str):
            raise DefinitionsError(
                f"multi_asset {op!r}: required_resource_keys takes a collection of keys, "
                f"e.g. {{{required_resource_keys!r}}}, not a string"
            )
        version = code_version or code_fingerprint(fn)
        outputs = _outputs(
            op, outs or {}, list(specs or ()), group_name, version, internal_asset_deps or {}
        )
        _check(op, outputs, group_name)
        takes_context, inputs, resource_params, config = parse_parameters(fn, op, ins)
        check_partitioning(op, partitions_def, backfill_policy)
        shared = _shared_partitions(op, partitions_def, list(specs or ()))
        return MultiAssetsDefinition(
            op_name=op,
            outputs=outputs,
            can_subset=can_subset,
            op_description=description,
            fn=fn,
            inputs=inputs,
            deps=_dep_keys(deps),
            resource_params=resource_params,
            takes_context=takes_context,
            required_resource_keys=required_resource_keys or (),
            tags={},
            queue=queue,
            code_version=version,
            op_tags=op_tags,
            config=config,
            partitions_def=shared,
            backfill_policy=backfill_policy,
            dep_partition_mappings=dep_partition_mappings(deps),
        )

    return decorate


def _shared_partitions(
    op: str, partitions_def: PartitionsDefinition | None, specs: Sequence[AssetSpec]
) -> PartitionsDefinition | None:
    """The one partitions definition of a multi-asset's assets: its own, which specs that
    set one must repeat, or the one every partitioned spec shares (Dagster's rule: one
    step covers one key or range, of one definition)."""
    found = {spec.partitions_def for spec in specs if spec.partitions_def is not None}
    if partitions_def is not None:
        found.add(partitions_def)
    if len(found) > 1:
        shown = ", ".join(sorted(repr(d) for d in found))
        raise DefinitionsError(
            f"multi_asset {op!r}: its assets have different partitions definitions ({shown}); "
            "a multi_asset's assets share one: set partitions_def on the multi_asset only"
        )
    unpartitioned = [s.key.to_user_string() for s in specs if s.partitions_def is None]
    if found and partitions_def is None and unpartitioned:
        raise DefinitionsError(
            f"multi_asset {op!r}: specs {unpartitioned} have no partitions_def while others "
            "do; set partitions_def on the multi_asset so all its assets share it"
        )
    return next(iter(found), None)
