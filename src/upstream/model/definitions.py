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
        for item in assets:
            if not isinstance(item, AssetsDefinition):
                raise DefinitionsError(
                    f"Definitions(assets=...) takes @asset functions; got {item!r}"
                )
            other = self._assets.get(item.key)
            if other is not None and other is not item:
                raise DuplicateAssetKey(item.key.to_user_string(), other.origin, item.origin)
            self._assets[item.key] = item
        self._by_group_name: dict[tuple[str, str], list[AssetKey]] = {}
        for key, item in self._assets.items():
            self._by_group_name.setdefault((item.group_name, key.name), []).append(key)
        self._inputs: dict[AssetKey, dict[str, AssetKey]] = {}
        self._resource_params: dict[AssetKey, tuple[str, ...]] = {}
        nodes = [self._resolve(a) for a in self._assets.values()]
        self.graph = AssetGraph(nodes)
        self.hash = self.graph.snapshot_hash()

    # -- resolution ---------------------------------------------------------------------

    def _resolve(self, item: AssetsDefinition) -> AssetNode:
        label = item.key.to_user_string()
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
                inputs[param.parameter] = self._assets[param.key].key
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
        if item.io_manager_key != DEFAULT_IO_MANAGER_KEY or item.io_manager_key in self.resources:
            manager = self.resources.get(item.io_manager_key)
            if manager is None:
                raise MissingResource(label, item.io_manager_key, self.resources, what="IO manager")
            if not isinstance(manager, IOManager):
                raise DefinitionsError(
                    f"resource {item.io_manager_key!r} is used as an IO manager by {label!r} "
                    f"but is a {type(manager).__name__}; subclass upstream.IOManager"
                )
        # deps follow the same name rule as parameters; what resolves nowhere is external
        deps = [(self._by_name(item, d.name) or d) if len(d.path) == 1 else d for d in item.deps]
        self._inputs[item.key] = inputs
        self._resource_params[item.key] = tuple(resource_params)
        known = [self._assets[d].key for d in deps if d in self._assets]
        parents = list(dict.fromkeys([*inputs.values(), *known]))
        return AssetNode(
            key=item.key,
            parents=tuple(parents),
            group=item.group_name,
            description=item.description,
            metadata=_definition_metadata(label, item.metadata),
            tags=item.tags,
            external_deps=tuple(d for d in deps if d not in self._assets),
            queue=item.queue,
            code_version=item.code_version,
            kinds=tuple(sorted(item.kinds)),
            owners=item.owners,
        )

    def _candidates(self, item: AssetsDefinition) -> dict[str, str]:
        """How `item` could name each other asset: its bare name where the name rule reaches
        it (one part, or the same group), else its full key. Built only for an error."""
        out: dict[str, str] = {}
        for key, other in self._assets.items():
            if key == item.key:
                continue
            full = key.to_user_string()
            reachable = len(key.path) == 1 or other.group_name == item.group_name
            out[key.name if reachable else full] = full
        return out

    def _by_name(self, item: AssetsDefinition, parameter: str) -> AssetKey | None:
        """Exact key first; else the one asset of that name in the same group (Dagster's rule).
        Returns the asset's own key object: lookups by an identical object skip `__eq__`."""
        exact = self._assets.get(AssetKey([parameter]))
        if exact is not None:
            return exact.key
        same = sorted(
            k for k in self._by_group_name.get((item.group_name, parameter), ()) if k != item.key
        )  # never itself, as in Dagster
        if len(same) > 1:
            raise AmbiguousUpstream(
                item.key.to_user_string(), parameter, [k.to_user_string() for k in same]
            )
        return same[0] if same else None

    # -- queries ------------------------------------------------------------------------

    @property
    def assets(self) -> list[AssetsDefinition]:
        return [self._assets[key] for key in self.graph.keys]

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


def _definition_metadata(label: str, metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    try:
        return normalize_metadata(metadata)
    except TypeError as exc:
        raise DefinitionsError(f"asset {label!r}: {exc}") from exc
