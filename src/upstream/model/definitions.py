"""`Definitions`: the assets and resources of one code location, validated on construction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from upstream.model.asset import AssetsDefinition
from upstream.model.errors import (
    AmbiguousUpstream,
    DefinitionsError,
    DuplicateAssetKey,
    MissingResource,
    MissingUpstream,
)
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY, IOManager
from upstream.model.keys import AssetKey
from upstream.model.metadata import normalize_metadata
from upstream.model.multi_asset import MultiAssetsDefinition

__all__ = ["Definitions"]


class Definitions:
    """The assets and resources of a code location. Bad definitions raise `DefinitionsError`.

    Every parameter of every asset is resolved here, once: to an upstream asset key (by
    `ins`, by exact name, or by the same name in the same group, as Dagster does) or to a
    resource. Nothing is left to guess at run time.
    """

    def __init__(
        self,
        assets: Iterable[AssetsDefinition] = (),
        resources: Mapping[str, Any] | None = None,
    ) -> None:
        self.resources: dict[str, Any] = dict(resources or {})
        self._assets: dict[AssetKey, AssetsDefinition] = {}
        self._ops: dict[str, AssetsDefinition] = {}  # multi-assets by op name (step key)
        for item in assets:
            if not isinstance(item, AssetsDefinition):
                raise DefinitionsError(
                    f"Definitions(assets=...) takes @asset functions; got {item!r}"
                )
            for key in item.keys:
                other = self._assets.get(key)
                if other is not None and other is not item:
                    raise DuplicateAssetKey(key.to_user_string(), other.origin, item.origin)
                self._assets[key] = item
            if item.op_name is not None:
                same = self._ops.setdefault(item.op_name, item)
                if same is not item:
                    raise DefinitionsError(
                        f"multi_asset {item.op_name!r} is defined twice ({same.origin} and "
                        f"{item.origin}); its name is its step key: pass name= to one"
                    )
        self._by_group_name: dict[tuple[str, str], list[AssetKey]] = {}
        for key, item in self._assets.items():
            self._by_group_name.setdefault((_group(item, key), key.name), []).append(key)
        self._inputs: dict[AssetKey, dict[str, AssetKey]] = {}
        self._resource_params: dict[AssetKey, tuple[str, ...]] = {}
        self._keys = {key: key for key in self._assets}  # each key's one shared object
        unique = list({id(a): a for a in self._assets.values()}.values())
        nodes = [node for a in unique for node in self._resolve(a)]
        self.graph = AssetGraph(nodes)
        self.hash = self.graph.snapshot_hash()

    # -- resolution ---------------------------------------------------------------------

    def _resolve(self, item: AssetsDefinition) -> list[AssetNode]:
        label = item.op_name or item.key.to_user_string()
        inputs: dict[str, AssetKey] = {}
        resource_params = list(item.resource_params)
        for param in item.inputs:
            if param.key is not None:
                if param.key not in self._assets:
                    raise MissingUpstream(
                        label,
                        param.parameter,
                        self._candidates(item),
                        self.resources,
                        key=param.key.to_user_string(),
                    )
                inputs[param.parameter] = self._keys[param.key]
                continue
            found = self._by_name(item, param.parameter)
            if found is not None:
                inputs[param.parameter] = found
            elif param.parameter in self.resources:
                resource_params.append(param.parameter)
            else:
                raise MissingUpstream(
                    label, param.parameter, self._candidates(item), self.resources
                )
        for name in [*resource_params, *item.required_resource_keys]:
            if name not in self.resources:
                raise MissingResource(label, name, self.resources, what="resource")
        for io_key in dict.fromkeys(item.io_manager_key_for(k) for k in item.keys):
            self._check_io_manager(label, io_key)
        # deps follow the same name rule as parameters; what resolves nowhere is external
        resolved = {d: self._dep(item, d) for k in item.keys for d in (*item.deps, *_own(item, k))}
        shared = [resolved[d] for d in item.deps]
        for key in item.keys:
            self._inputs[key] = inputs
            self._resource_params[key] = tuple(resource_params)
        return [self._node(item, key, inputs, shared, resolved) for key in item.keys]

    def _dep(self, item: AssetsDefinition, dep: AssetKey) -> AssetKey:
        return (self._by_name(item, dep.name) or dep) if len(dep.path) == 1 else dep

    def _node(
        self,
        item: AssetsDefinition,
        key: AssetKey,
        inputs: Mapping[str, AssetKey],
        shared: list[AssetKey],
        resolved: Mapping[AssetKey, AssetKey],
    ) -> AssetNode:
        own = _own(item, key)  # an AssetSpec's deps replace the multi-asset's deps=
        deps = [resolved[d] for d in own] if own else shared
        deps = [d for d in dict.fromkeys(deps) if d != key]
        known = [self._keys[d] for d in deps if d in self._assets]
        parents = list(dict.fromkeys([*inputs.values(), *known]))
        if isinstance(item, MultiAssetsDefinition):
            out = item.output(key)
            return AssetNode(
                key=key,
                parents=tuple(parents),
                group=out.group_name,
                description=out.description,
                metadata=_definition_metadata(key.to_user_string(), out.metadata),
                tags=out.tags,
                external_deps=tuple(d for d in deps if d not in self._assets),
                queue=item.queue,
                code_version=out.code_version,
                op=item.op_name,
                can_subset=item.can_subset,
                required=out.is_required,
            )
        return AssetNode(
            key=key,
            parents=tuple(parents),
            group=item.group_name,
            description=item.description,
            metadata=_definition_metadata(key.to_user_string(), item.metadata),
            tags=item.tags,
            external_deps=tuple(d for d in deps if d not in self._assets),
            queue=item.queue,
            code_version=item.code_version,
            required=item.output_required,
        )

    def _check_io_manager(self, label: str, io_key: str) -> None:
        if io_key != DEFAULT_IO_MANAGER_KEY or io_key in self.resources:
            manager = self.resources.get(io_key)
            if manager is None:
                raise MissingResource(label, io_key, self.resources, what="IO manager")
            if not isinstance(manager, IOManager):
                raise DefinitionsError(
                    f"resource {io_key!r} is used as an IO manager by {label!r} "
                    f"but is a {type(manager).__name__}; subclass upstream.IOManager"
                )

    def _candidates(self, item: AssetsDefinition) -> dict[str, str]:
        """How `item` could name each other asset: its bare name where the name rule reaches
        it (one part, or the same group), else its full key. Built only for an error."""
        out: dict[str, str] = {}
        for key, other in self._assets.items():
            if other is item:
                continue
            full = key.to_user_string()
            reachable = len(key.path) == 1 or _group(other, key) == item.group_name
            out[key.name if reachable else full] = full
        return out

    def _by_name(self, item: AssetsDefinition, parameter: str) -> AssetKey | None:
        """Exact key first; else the one asset of that name in the same group (Dagster's rule).
        Returns the asset's own key object: lookups by an identical object skip `__eq__`."""
        exact_key = AssetKey([parameter])
        exact = self._assets.get(exact_key)
        if exact is not None:
            return self._keys[exact_key]
        mine = set(item.keys)
        same = sorted(
            k for k in self._by_group_name.get((item.group_name, parameter), ()) if k not in mine
        )  # never itself, as in Dagster
        if len(same) > 1:
            raise AmbiguousUpstream(
                item.key.to_user_string(), parameter, [k.to_user_string() for k in same]
            )
        return same[0] if same else None

    # -- queries ------------------------------------------------------------------------

    @property
    def assets(self) -> list[AssetsDefinition]:
        """Each definition once (a multi-asset at its first asset), in topological order."""
        found = {id(self._assets[key]): self._assets[key] for key in self.graph.keys}
        return list(found.values())

    def get_step(self, step: str) -> AssetsDefinition:
        """The definition a step key names: a multi-asset's op name, or a plain asset's key
        (KeyError for anything else, a multi-asset's asset key included)."""
        item = self._ops.get(step)
        if item is None:
            item = self.get_asset(step)
            if item.op_name is not None:
                raise KeyError(f"{step!r} is an asset of multi_asset {item.op_name!r}")
        return item

    def has_step(self, step: str) -> bool:
        """True for a key `get_step` finds."""
        if step in self._ops:
            return True
        try:
            item = self._assets.get(AssetKey.from_user_string(step))
        except ValueError:
            return False
        return item is not None and item.op_name is None

    def get_asset(self, key: AssetKey | str) -> AssetsDefinition:
        key = AssetKey.from_user_string(key) if isinstance(key, str) else key
        return self._assets[key]

    def has_asset(self, key: AssetKey) -> bool:
        return key in self._assets

    def input_keys(self, key: AssetKey) -> Mapping[str, AssetKey]:
        """Parameter name -> upstream key, for the value inputs of `key`."""
        return self._inputs[key]

    def resource_params(self, key: AssetKey) -> tuple[str, ...]:
        return self._resource_params[key]

    def __repr__(self) -> str:
        return f"Definitions({len(self._assets)} assets, resources={sorted(self.resources)})"


def _group(item: AssetsDefinition, key: AssetKey) -> str:
    if isinstance(item, MultiAssetsDefinition):
        return item.output(key).group_name
    return item.group_name


def _own(item: AssetsDefinition, key: AssetKey) -> tuple[AssetKey, ...]:
    """`key`'s own deps beyond the function's: an AssetSpec's, or internal_asset_deps."""
    return item.output(key).deps if isinstance(item, MultiAssetsDefinition) else ()


def _definition_metadata(label: str, metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        return normalize_metadata(metadata)
    except TypeError as exc:
        raise DefinitionsError(f"asset {label!r}: {exc}") from exc
