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
from upstream.model.external import ExternalAsset, SourceAsset, to_external
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.io_manager import DEFAULT_IO_MANAGER_KEY
from upstream.model.keys import AssetKey, CoercibleToAssetKey
from upstream.model.metadata import normalize_metadata
from upstream.model.multi_asset import MultiAssetsDefinition
from upstream.model.partitions import PartitionMapping
from upstream.model.resources import provides_io_manager
from upstream.model.spec import AssetSpec

__all__ = ["Definitions"]


class Definitions:
    """The assets and resources of a code location. Bad definitions raise `DefinitionsError`.

    Every parameter of every asset is resolved here, once: to an upstream asset key (by
    `ins`, by exact name, or by the same name in the same group, as Dagster does) or to a
    resource. Nothing is left to guess at run time.
    """

    def __init__(
        self,
        assets: Iterable[AssetsDefinition | AssetSpec | SourceAsset] = (),
        resources: Mapping[str, Any] | None = None,
    ) -> None:
        self.resources: dict[str, Any] = dict(resources or {})
        self._assets: dict[AssetKey, AssetsDefinition] = {}
        self._externals: dict[AssetKey, ExternalAsset] = {}
        # every key: the name rule below finds @assets and external assets alike
        self._known: dict[AssetKey, AssetsDefinition | ExternalAsset] = {}
        self._ops: dict[str, AssetsDefinition] = {}  # multi-assets by op name (step key)
        for item in assets:
            self._add(item)
        self._by_group_name: dict[tuple[str, str], list[AssetKey]] = {}
        for key, known in self._known.items():
            self._by_group_name.setdefault((_group(known, key), key.name), []).append(key)
        self._inputs: dict[AssetKey, dict[str, AssetKey]] = {}
        self._resource_params: dict[AssetKey, tuple[str, ...]] = {}
        self._keys = {key: key for key in self._known}  # each key's one shared object
        unique = list({id(a): a for a in self._assets.values()}.values())
        nodes = [node for a in unique for node in self._resolve(a)]
        nodes += [self._resolve_external(e) for e in self._externals.values()]
        self.graph = AssetGraph(nodes)
        self.hash = self.graph.snapshot_hash()
        # whether any asset is partitioned: a step of a code location without partitions
        # skips working out its partitions (a no-op step is a few microseconds)
        self.has_partitions = any(node.partitions_def is not None for node in nodes)

    def _add(self, item: object) -> None:
        if isinstance(item, AssetSpec | SourceAsset):
            added: AssetsDefinition | ExternalAsset = to_external(item)
        elif isinstance(item, AssetsDefinition):
            added = item
        else:
            raise DefinitionsError(
                f"Definitions(assets=...) takes @asset functions, AssetSpec and SourceAsset; "
                f"got {item!r}"
            )
        for key in _keys_of(added):
            other = self._known.get(key)
            if other is not None:
                if other is added:
                    return  # the same @asset listed twice
                raise DuplicateAssetKey(key.to_user_string(), other.origin, added.origin)
        for key in _keys_of(added):
            self._known[key] = added
            if isinstance(added, ExternalAsset):
                self._externals[key] = added
            else:
                self._assets[key] = added
        if isinstance(added, AssetsDefinition) and added.op_name is not None:
            same = self._ops.setdefault(added.op_name, added)
            if same is not added:
                raise DefinitionsError(
                    f"multi_asset {added.op_name!r} is defined twice ({same.origin} and "
                    f"{added.origin}); its name is its step key: pass name= to one"
                )

    # -- resolution ---------------------------------------------------------------------

    def _resolve(self, item: AssetsDefinition) -> list[AssetNode]:
        label = item.op_name or item.key.to_user_string()
        inputs: dict[str, AssetKey] = {}
        resource_params = list(item.resource_params)
        for param in item.inputs:
            if param.key is not None:
                if param.key not in self._known:
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
        mappings = _partition_mappings(item, inputs, resolved)
        return [self._node(item, key, inputs, shared, resolved, mappings) for key in item.keys]

    def _dep(self, item: AssetsDefinition | ExternalAsset, dep: AssetKey) -> AssetKey:
        return (self._by_name(item, dep.name) or dep) if len(dep.path) == 1 else dep

    def _node(
        self,
        item: AssetsDefinition,
        key: AssetKey,
        inputs: Mapping[str, AssetKey],
        shared: list[AssetKey],
        resolved: Mapping[AssetKey, AssetKey],
        mappings: Mapping[AssetKey, PartitionMapping],
    ) -> AssetNode:
        own = _own(item, key)  # an AssetSpec's deps replace the multi-asset's deps=
        deps = [resolved[d] for d in own] if own else shared
        deps = [d for d in dict.fromkeys(deps) if d != key]
        known = [self._keys[d] for d in deps if d in self._known]
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
                external_deps=tuple(d for d in deps if d not in self._known),
                queue=item.queue,
                code_version=out.code_version,
                op=item.op_name,
                can_subset=item.can_subset,
                required=out.is_required,
                kinds=tuple(sorted(out.kinds)),
                owners=out.owners,
                partitions_def=item.partitions_def,
                partition_mappings={p: m for p, m in mappings.items() if p in parents},
                backfill_policy=item.backfill_policy,
            )
        return AssetNode(
            key=key,
            parents=tuple(parents),
            group=item.group_name,
            description=item.description,
            metadata=_definition_metadata(key.to_user_string(), item.metadata),
            tags=item.tags,
            external_deps=tuple(d for d in deps if d not in self._known),
            queue=item.queue,
            code_version=item.code_version,
            required=item.output_required,
            kinds=tuple(sorted(item.kinds)),
            owners=item.owners,
            partitions_def=item.partitions_def,
            partition_mappings={p: m for p, m in mappings.items() if p in parents},
            backfill_policy=item.backfill_policy,
        )

    def _check_io_manager(self, label: str, key: str) -> None:
        if key != DEFAULT_IO_MANAGER_KEY or key in self.resources:
            manager = self.resources.get(key)
            if manager is None:
                raise MissingResource(label, key, self.resources, what="IO manager")
            if not provides_io_manager(manager):
                raise DefinitionsError(
                    f"resource {key!r} is used as an IO manager by {label!r} "
                    f"but is a {type(manager).__name__}; subclass upstream.IOManager "
                    "(or ConfigurableIOManager, or use @io_manager)"
                )

    def _resolve_deps(self, item: AssetsDefinition | ExternalAsset) -> list[AssetKey]:
        """deps follow the same name rule as parameters; what resolves nowhere stays an
        external dep (a key nothing here declares)."""
        return [self._dep(item, d) for d in item.deps]

    def _resolve_external(self, item: ExternalAsset) -> AssetNode:
        """An AssetSpec or SourceAsset: a node that is never a step. Its observe function's
        resources must be provided, and its IO manager (downstreams load it through it)."""
        label = item.key.to_user_string()
        self._check_io_manager(label, item.io_manager_key)
        for name in [*item.resource_params, *item.required_resource_keys]:
            if name not in self.resources:
                raise MissingResource(label, name, self.resources, what="resource")
        self._resource_params[item.key] = item.resource_params
        deps = self._resolve_deps(item)
        return AssetNode(
            key=item.key,
            parents=tuple(dict.fromkeys(self._keys[d] for d in deps if d in self._known)),
            group=item.group_name,
            description=item.description,
            metadata=_definition_metadata(label, item.metadata),
            tags=item.tags,
            external_deps=tuple(d for d in deps if d not in self._known),
            code_version=item.code_version or "",
            execution_type=item.execution_type,
            kinds=tuple(sorted(item.kinds)),
            owners=item.owners,
            partitions_def=item.partitions_def,
        )

    def _candidates(self, item: AssetsDefinition | ExternalAsset) -> dict[str, str]:
        """How `item` could name each other asset: its bare name where the name rule reaches
        it (one part, or the same group), else its full key. Built only for an error."""
        out: dict[str, str] = {}
        for key, other in self._known.items():
            if other is item:
                continue
            full = key.to_user_string()
            reachable = len(key.path) == 1 or _group(other, key) == item.group_name
            out[key.name if reachable else full] = full
        return out

    def _by_name(self, item: AssetsDefinition | ExternalAsset, parameter: str) -> AssetKey | None:
        """Exact key first; else the one asset of that name in the same group (Dagster's rule).
        Returns the asset's own key object: lookups by an identical object skip `__eq__`."""
        exact_key = AssetKey([parameter])
        if exact_key in self._known:
            return self._keys[exact_key]
        mine = set(_keys_of(item))
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
        """The @assets (materializable), each once (a multi-asset at its first asset), in
        topological order."""
        found = {id(a): a for key in self.graph.keys if (a := self._assets.get(key)) is not None}
        return list(found.values())

    @property
    def external_assets(self) -> list[AssetSpec | SourceAsset]:
        """The AssetSpecs and SourceAssets, as given (to build other Definitions from)."""
        return [e.source for e in self._externals.values()]

    @property
    def all_assets(self) -> list[AssetsDefinition | AssetSpec | SourceAsset]:
        """Everything given as `assets=`: the @assets, then the external ones. What another
        `Definitions` is built from (merge, test resources, in-memory IO managers)."""
        return [*self.assets, *self.external_assets]

    def get_external(self, key: AssetKey) -> ExternalAsset:
        """The external asset (AssetSpec or SourceAsset) of `key`; KeyError if none."""
        return self._externals[key]

    def is_external(self, key: AssetKey) -> bool:
        return key in self._externals

    def io_manager_key_of(self, key: AssetKey) -> str:
        """The resource key of the IO manager that stores (or, external, loads) `key`."""
        known = self._known[key]
        if isinstance(known, AssetsDefinition):
            return known.io_manager_key_for(key)
        return known.io_manager_key

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

    def get_assets_def(self, key: CoercibleToAssetKey) -> AssetsDefinition:
        """The `@asset` with this key (Dagster's name); `DefinitionsError` if there is none."""
        asset_key = AssetKey.from_coercible(key)
        found = self._assets.get(asset_key)
        if found is None:
            known = ", ".join(sorted(k.to_user_string() for k in self._assets)) or "none"
            raise DefinitionsError(
                f"no asset {asset_key.to_user_string()!r} in these Definitions; known: {known}"
            )
        return found

    def resolve_asset_graph(self) -> AssetGraph:
        """The asset graph (Dagster's name; upstream builds it once, when constructed)."""
        return self.graph

    def resolve_all_asset_keys(self) -> list[AssetKey]:
        return list(self.graph.keys)

    @staticmethod
    def merge(*def_sets: Definitions) -> Definitions:
        """One `Definitions` with the assets and resources of all (Dagster's rules): a resource
        key bound in two of them must be the same object; an asset key defined by two
        different functions is a `DefinitionsError`, as in any `Definitions`."""
        assets: list[AssetsDefinition | AssetSpec | SourceAsset] = []
        resources: dict[str, Any] = {}
        owner: dict[str, int] = {}
        for index, defs in enumerate(def_sets):
            if not isinstance(defs, Definitions):
                raise DefinitionsError(
                    f"Definitions.merge takes Definitions objects; argument {index} is "
                    f"{type(defs).__name__}"
                )
            assets.extend(defs.all_assets)
            for key, value in defs.resources.items():
                if key in resources and resources[key] is not value:
                    raise DefinitionsError(
                        f"Definitions objects {owner[key]} and {index} have different resources "
                        f"with the same key {key!r}; keep one, or give them different keys"
                    )
                resources[key] = value
                owner[key] = index
        return Definitions(assets=assets, resources=resources)

    def has_asset(self, key: AssetKey) -> bool:
        return key in self._assets

    def input_keys(self, key: AssetKey) -> Mapping[str, AssetKey]:
        """Parameter name -> upstream key, for the value inputs of `key`."""
        return self._inputs[key]

    def resource_params(self, key: AssetKey) -> tuple[str, ...]:
        return self._resource_params[key]

    def __repr__(self) -> str:
        return f"Definitions({len(self._assets)} assets, resources={sorted(self.resources)})"


def _keys_of(item: AssetsDefinition | ExternalAsset) -> tuple[AssetKey, ...]:
    return item.keys if isinstance(item, AssetsDefinition) else (item.key,)


def _group(item: AssetsDefinition | ExternalAsset, key: AssetKey) -> str:
    if isinstance(item, MultiAssetsDefinition):
        return item.output(key).group_name
    return item.group_name


def _own(item: AssetsDefinition, key: AssetKey) -> tuple[AssetKey, ...]:
    """`key`'s own deps beyond the function's: an AssetSpec's, or internal_asset_deps."""
    return item.output(key).deps if isinstance(item, MultiAssetsDefinition) else ()


def _partition_mappings(
    item: AssetsDefinition,
    inputs: Mapping[str, AssetKey],
    resolved: Mapping[AssetKey, AssetKey],
) -> dict[AssetKey, PartitionMapping]:
    """The mappings given on `item`'s edges (AssetIn / AssetDep), by resolved parent key.
    A mapping on an edge from an unpartitioned parent is kept and ignored there, as
    Dagster ignores it (`AssetGraph.partition_mapping` gives None for such an edge)."""
    found: dict[AssetKey, PartitionMapping] = {}
    for dep, mapping in item.dep_partition_mappings.items():
        found[resolved.get(dep, dep)] = mapping
    for param in item.inputs:
        if param.partition_mapping is not None:
            found[inputs[param.parameter]] = param.partition_mapping
    return found


def _definition_metadata(label: str, metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        return normalize_metadata(metadata)
    except TypeError as exc:
        raise DefinitionsError(f"asset {label!r}: {exc}") from exc
