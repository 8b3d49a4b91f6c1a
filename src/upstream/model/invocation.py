"""Direct invocation of an asset in a unit test (`my_asset(build_asset_context(), up=1)`),
with Dagster's rules for the context, resources and config."""

from __future__ import annotations

import inspect
import typing
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from upstream.model.context import AssetExecutionContext
from upstream.model.errors import ConfigurationError, DefinitionsError, UpstreamError
from upstream.model.keys import AssetKey
from upstream.model.logs import get_upstream_logger
from upstream.model.partition_context import (
    AssetPartitions,
    PartitionError,
    StepPartitions,
    typed_key,
)
from upstream.model.partitions import PartitionKeyRange, PartitionsDefinition

if TYPE_CHECKING:
    from upstream.model.asset import AssetsDefinition

__all__ = ["DirectAssetContext", "InvocationError", "build_asset_context", "invoke"]


class InvocationError(UpstreamError, TypeError):
    """An asset called directly with arguments that do not fit it (also a TypeError)."""


class DirectAssetContext(AssetExecutionContext):
    """The context `build_asset_context` makes: bound to an asset when that asset is called
    with it. `log` is `get_upstream_logger()`; `asset_config` builds a `config` parameter."""

    def __init__(
        self,
        *,
        resources: Mapping[str, Any],
        asset_config: Mapping[str, Any] | None,
        run_id: str,
        partition: PartitionKeyRange | None = None,
    ) -> None:
        super().__init__(
            run_id=run_id,
            asset_key=AssetKey(["unbound"]),
            log=get_upstream_logger(),
            resources=resources,
            partitions=StepPartitions(target=partition),
        )
        self._partition = partition
        self.asset_config = dict(asset_config) if asset_config is not None else None
        self._bound: AssetKey | None = None

    @property
    def asset_key(self) -> AssetKey:
        if self._bound is None:
            raise UpstreamError(
                "this context has no asset yet: it is bound to one when the asset is "
                "called with it, e.g. my_asset(context)"
            )
        return self._bound

    @asset_key.setter
    def asset_key(self, key: AssetKey) -> None:
        self._bound = None  # the base class sets a placeholder; calling an asset binds it

    def bind(
        self,
        key: AssetKey,
        partitions_def: PartitionsDefinition | None = None,
        output_keys: Mapping[str, AssetKey] | None = None,
    ) -> None:
        """Bind to the asset called with this context; a partitioned one checks the key or
        range against its definition, so `partition_keys` and the time window work."""
        self._bound = key
        self._output_keys = dict(output_keys or {"result": key})
        target = self._partition
        if partitions_def is None or target is None:
            return
        label = key.to_user_string()
        if target.start == target.end:
            # Dynamic keys live in storage, which a direct call has not: the key given is used.
            known = partitions_def.dynamic_names() or partitions_def.has_partition_key(target.start)
            if not known:
                raise InvocationError(
                    f"asset {label!r}: partition key {target.start!r} is not in "
                    f"{partitions_def!r}; pass one of its keys to build_asset_context"
                )
            expanded: tuple[str, ...] = (typed_key(partitions_def, target.start),)
        else:
            try:
                found = partitions_def.get_partition_keys_in_range(target)
            except DefinitionsError as exc:
                raise InvocationError(f"asset {label!r}: {exc}") from exc
            expanded = tuple(typed_key(partitions_def, k) for k in found)
        target = PartitionKeyRange(expanded[0], expanded[-1]) if expanded else target
        made = AssetPartitions(partitions_def, expanded)
        self._partitions = StepPartitions(
            target=target,
            partitions_def=partitions_def,
            keys=expanded,
            outputs=dict.fromkeys(self._output_keys.values(), made),
        )

    def _step_keys(self) -> tuple[str, ...]:
        target = self._partition
        if self._partitions.keys or target is None:
            return self._partitions.keys
        if target.start == target.end:
            return (target.start,)
        raise PartitionError(
            "a partition key range is expanded with the asset's partitions definition: "
            "call the partitioned asset with this context first"
        )

    def __enter__(self) -> DirectAssetContext:
        return self  # `with build_asset_context(...) as context:`, as in Dagster

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        bound = self._bound.to_user_string() if self._bound else "unbound"
        return f"DirectAssetContext(run_id={self.run_id!r}, asset={bound})"


def build_asset_context(
    resources: Mapping[str, Any] | None = None,
    resources_config: Mapping[str, Any] | None = None,
    asset_config: Mapping[str, Any] | None = None,
    instance: Any = None,
    partition_key: str | None = None,
    partition_key_range: PartitionKeyRange | tuple[str, str] | None = None,
    *,
    run_id: str | None = None,
) -> DirectAssetContext:
    """A context for calling an asset directly in a test (Dagster's `build_asset_context`,
    its parameters in its order). Usable as is or as a context manager.

    `resources` are what `context.resources` holds and what resource parameters receive;
    `asset_config` (a dict) builds the asset's `config` parameter. `partition_key` (or
    `partition_key_range`, a `PartitionKeyRange`) is what `context.partition_key` (or
    `partition_key_range`) returns; calling a partitioned asset checks it against its
    definition. `resources_config` and `instance` are not supported and raise
    `ConfigurationError`."""
    if resources_config is not None:
        raise ConfigurationError(
            "build_asset_context(resources_config=...) is not supported: configure the "
            "resource objects themselves and pass them in resources="
        )
    if instance is not None:
        raise ConfigurationError(
            "build_asset_context(instance=...): upstream has no DagsterInstance; leave it out"
        )
    if partition_key is not None and partition_key_range is not None:
        raise ConfigurationError(
            "Cannot specify both partition_key and partition_key_range; pass one of them"
        )
    partition: PartitionKeyRange | None = None
    if partition_key is not None:  # kept as given: a MultiPartitionKey stays one
        partition = PartitionKeyRange(partition_key, partition_key)
    elif partition_key_range is not None:
        start, end = partition_key_range  # a PartitionKeyRange, or any (start, end) pair
        partition = PartitionKeyRange(start, end)
    return DirectAssetContext(
        resources=resources or {},
        asset_config=asset_config,
        run_id=run_id or f"ephemeral-{uuid.uuid4().hex[:8]}",
        partition=partition,
    )


def _no_context(label: str, fn_name: str) -> InvocationError:
    return InvocationError(
        f"asset {label!r} takes a context as its first parameter, but no context was provided "
        f"when invoking it; call {fn_name}(build_asset_context(), ...)"
    )


def invoke(asset: AssetsDefinition, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Call the asset's function as Dagster's direct invocation does; returns what it returns
    (a coroutine for an `async def` asset)."""
    fn = asset.fn
    label = asset.key.to_user_string()
    fn_name = getattr(fn, "__name__", label)
    signature = inspect.signature(fn)
    params = list(signature.parameters)
    context: AssetExecutionContext | None = None
    if asset.takes_context:
        if args:
            if args[0] is not None and not isinstance(args[0], AssetExecutionContext):
                raise _no_context(label, fn_name)
            context, args = args[0], args[1:]
        elif params[0] in kwargs:
            context = kwargs.pop(params[0])
        else:
            raise _no_context(label, fn_name)
        if context is None:
            context = build_asset_context()
    elif args and isinstance(args[0], AssetExecutionContext):
        context, args = args[0], args[1:]  # accepted for its resources, as in Dagster
    if isinstance(context, DirectAssetContext):
        context.bind(asset.key, asset.partitions_def, asset.output_keys)

    lead = (context,) if asset.takes_context else ()
    try:
        given = signature.bind_partial(*lead, *args, **kwargs).arguments
    except TypeError as exc:
        raise InvocationError(f"asset {label!r}: {exc}") from exc
    resources = context.resources if context is not None else None
    for name in asset.required_resource_keys:
        if resources is None or name not in resources:
            raise InvocationError(
                f"resource with key {name!r} required by asset {label!r} was not provided; "
                f"pass build_asset_context(resources={{{name!r}: ...}})"
            )
    for name in params[len(lead) :]:
        if name in given:
            if name in asset.resource_params and resources is not None and name in resources:
                raise InvocationError(
                    f"asset {label!r}: resource {name!r} was given both in the context and "
                    "as an argument; pass it once"
                )
            continue
        parameter = signature.parameters[name]
        if resources is not None and name in resources:
            kwargs[name] = resources[name]
        elif (
            name == "config"
            and isinstance(context, DirectAssetContext)
            and (context.asset_config is not None)
        ):
            kwargs[name] = _config_value(fn, context.asset_config)
        elif parameter.default is inspect.Parameter.empty:
            what = "resource" if name in asset.resource_params else "input"
            raise InvocationError(
                f"asset {label!r}: no value provided for required {what} {name!r}; pass "
                f"{name}=..."
                + (" or put it in build_asset_context(resources=...)" if what == "resource" else "")
            )
    return fn(*lead, *args, **kwargs)


def _config_value(fn: Any, config: Mapping[str, Any]) -> Any:
    """The `config` argument from a dict: an instance of its annotated class, if any."""
    try:
        annotation = typing.get_type_hints(fn).get("config")
    except Exception:
        annotation = None
    if isinstance(annotation, type) and annotation not in (dict, object):
        return annotation(**config)
    return dict(config)
