"""Mappings that involve multi-partitioned assets: one dimension to a single-dimension
asset (`MultiToSingleDimensionPartitionMapping`), and dimension by dimension between two
multi-partitioned assets (`MultiPartitionMapping`). Pure; Dagster's names and rules.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from upstream.model.errors import DefinitionsError
from upstream.model.partitions.base import DynamicPartitionsStore, PartitionsDefinition
from upstream.model.partitions.mappings import (
    IdentityPartitionMapping,
    PartitionMapping,
    partition_mapping_from_spec,
    register_mapping_spec,
)
from upstream.model.partitions.multi import MultiPartitionKey, MultiPartitionsDefinition
from upstream.model.partitions.time_mapping import TimeWindowPartitionMapping
from upstream.model.partitions.time_window import TimeWindowPartitionsDefinition

__all__ = [
    "DimensionPartitionMapping",
    "MultiPartitionMapping",
    "MultiToSingleDimensionPartitionMapping",
    "shared_dimension",
]


def shared_dimension(
    upstream_def: PartitionsDefinition, downstream_def: PartitionsDefinition | None
) -> str | None:
    """The dimension through which one multi and one single-dimension definition meet
    (Dagster's inference): the dimension equal to the single definition, else the multi's
    only time dimension when the single one is a time definition; None otherwise."""
    if downstream_def is None:
        return None
    multis = [d for d in (upstream_def, downstream_def) if isinstance(d, MultiPartitionsDefinition)]
    if len(multis) != 1:
        return None
    multi = multis[0]
    single = downstream_def if multi is upstream_def else upstream_def
    equal = [d.name for d in multi.partitions_defs if d.partitions_def == single]
    if equal:  # two equal dimensions: ambiguous, name one with partition_dimension_name
        return equal[0] if len(equal) == 1 else None
    timed = multi.time_window_dimension
    if timed is not None and isinstance(single, TimeWindowPartitionsDefinition):
        return timed.name
    return None


def _between(dimension_def: PartitionsDefinition, single: PartitionsDefinition) -> PartitionMapping:
    """How one dimension and a single-dimension definition correspond."""
    if dimension_def == single:
        return IdentityPartitionMapping()
    return TimeWindowPartitionMapping()


def _dimension_keys(multi: MultiPartitionsDefinition, name: str, keys: Sequence[str]) -> list[str]:
    """The distinct keys in dimension `name` of multi-partition `keys`, in their order."""
    return list(
        dict.fromkeys(multi.get_partition_key_from_str(k).keys_by_dimension[name] for k in keys)
    )


def _with_dimension(
    multi: MultiPartitionsDefinition,
    name: str,
    keys: Sequence[str],
    current_time: datetime | None,
    store: DynamicPartitionsStore | None,
) -> list[str]:
    """The multi keys whose dimension `name` is one of `keys`, any key in the others."""
    keys_by_dimension = {
        d.name: list(keys)
        if d.name == name
        else d.partitions_def.get_partition_keys(current_time, store)
        for d in multi.partitions_defs
    }
    return _ordered_product(multi, keys_by_dimension)


def _ordered_product(
    multi: MultiPartitionsDefinition,
    keys_by_dimension: Mapping[str, Sequence[str]],
) -> list[str]:
    names = tuple(multi.partition_dimension_names)
    per_dimension = [keys_by_dimension[name] for name in names]
    return [MultiPartitionKey._of(names, parts) for parts in itertools.product(*per_dimension)]


class MultiToSingleDimensionPartitionMapping(PartitionMapping):
    """Dagster's: between a multi-partitioned asset and a single-dimension one, a partition
    corresponds to the multi keys whose `partition_dimension_name` key is its key (the
    dimension inferred when None)."""

    def __init__(self, partition_dimension_name: str | None = None) -> None:
        self.partition_dimension_name = partition_dimension_name

    def _resolve(
        self, upstream_def: PartitionsDefinition, downstream_def: PartitionsDefinition | None
    ) -> tuple[MultiPartitionsDefinition, PartitionsDefinition, str, bool]:
        """(the multi definition, the single one, the dimension, whether upstream is multi)."""
        if isinstance(upstream_def, MultiPartitionsDefinition) and not isinstance(
            downstream_def, MultiPartitionsDefinition
        ):
            multi, single, up_multi = upstream_def, downstream_def, True
        elif isinstance(downstream_def, MultiPartitionsDefinition) and not isinstance(
            upstream_def, MultiPartitionsDefinition
        ):
            multi, single, up_multi = downstream_def, upstream_def, False
        else:
            raise DefinitionsError(
                "MultiToSingleDimensionPartitionMapping maps between one multi-partitioned "
                f"asset and one single-dimension asset; got {upstream_def!r} upstream and "
                f"{downstream_def!r} downstream (use MultiPartitionMapping between two)"
            )
        if single is None:
            raise DefinitionsError(
                "MultiToSingleDimensionPartitionMapping needs a partitioned downstream asset"
            )
        name = self.partition_dimension_name or shared_dimension(upstream_def, downstream_def)
        if name is None and all(d.partitions_def == single for d in multi.partitions_defs):
            raise DefinitionsError(
                f"both dimensions of {multi!r} equal {single!r}; pass partition_dimension_name="
                f"naming one of {multi.partition_dimension_names}"
            )
        if name is None or name not in multi.partition_dimension_names:
            raise DefinitionsError(
                f"no dimension of {multi!r} corresponds to {single!r}; pass "
                "partition_dimension_name= naming one of "
                f"{multi.partition_dimension_names} whose partitions equal it"
            )
        return multi, single, name, up_multi

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if downstream_keys is None or downstream_def is None:
            return list(upstream_def.get_partition_keys(current_time, dynamic_partitions_store))
        multi, single, name, up_multi = self._resolve(upstream_def, downstream_def)
        dimension_def = multi.get_partitions_def_for_dimension(name)
        store = dynamic_partitions_store
        if up_multi:  # single downstream keys -> the upstream multi keys having them
            mapped = _between(dimension_def, single).upstream_partition_keys(
                downstream_keys,
                single,
                dimension_def,
                current_time=current_time,
                dynamic_partitions_store=store,
            )
            return _with_dimension(multi, name, mapped, current_time, store)
        # multi downstream keys -> their keys in the dimension -> the single upstream keys
        parts = _dimension_keys(multi, name, downstream_keys)
        return _between(dimension_def, single).upstream_partition_keys(
            parts, dimension_def, single, current_time=current_time, dynamic_partitions_store=store
        )

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        multi, single, name, up_multi = self._resolve(upstream_def, downstream_def)
        dimension_def = multi.get_partitions_def_for_dimension(name)
        store = dynamic_partitions_store
        if up_multi:  # upstream multi keys -> their dimension keys -> single downstream keys
            parts = _dimension_keys(multi, name, upstream_keys)
            return _between(dimension_def, single).downstream_partition_keys(
                parts,
                dimension_def,
                single,
                current_time=current_time,
                dynamic_partitions_store=store,
            )
        mapped = _between(dimension_def, single).downstream_partition_keys(
            upstream_keys,
            single,
            dimension_def,
            current_time=current_time,
            dynamic_partitions_store=store,
        )
        return _with_dimension(multi, name, mapped, current_time, store)

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "multi_to_single",
            "partition_dimension_name": self.partition_dimension_name,
        }

    def __repr__(self) -> str:
        if self.partition_dimension_name is None:
            return "MultiToSingleDimensionPartitionMapping()"
        return (
            "MultiToSingleDimensionPartitionMapping("
            f"partition_dimension_name={self.partition_dimension_name!r})"
        )


class DimensionPartitionMapping(NamedTuple):
    """Dagster's: which downstream dimension an upstream dimension follows, and how."""

    dimension_name: str
    partition_mapping: PartitionMapping


class MultiPartitionMapping(PartitionMapping):
    """Dagster's: between two multi-partitioned assets, `{upstream_dimension:
    DimensionPartitionMapping(downstream_dimension, mapping)}`; an upstream dimension not
    named maps all its partitions."""

    def __init__(
        self, downstream_mappings_by_upstream_dimension: Mapping[str, DimensionPartitionMapping]
    ) -> None:
        self.downstream_mappings_by_upstream_dimension = dict(
            downstream_mappings_by_upstream_dimension
        )

    def _check(
        self, upstream_def: PartitionsDefinition, downstream_def: PartitionsDefinition | None
    ) -> tuple[MultiPartitionsDefinition, MultiPartitionsDefinition]:
        if not isinstance(upstream_def, MultiPartitionsDefinition) or not isinstance(
            downstream_def, MultiPartitionsDefinition
        ):
            raise DefinitionsError(
                "MultiPartitionMapping maps between two multi-partitioned assets; got "
                f"{upstream_def!r} upstream and {downstream_def!r} downstream"
            )
        for up_name, dimension in self.downstream_mappings_by_upstream_dimension.items():
            if up_name not in upstream_def.partition_dimension_names:
                raise DefinitionsError(
                    f"MultiPartitionMapping names upstream dimension {up_name!r}, but the upstream "
                    f"dimensions are {upstream_def.partition_dimension_names}"
                )
            if dimension.dimension_name not in downstream_def.partition_dimension_names:
                raise DefinitionsError(
                    f"MultiPartitionMapping maps {up_name!r} to downstream dimension "
                    f"{dimension.dimension_name!r}, but the downstream dimensions are "
                    f"{downstream_def.partition_dimension_names}"
                )
        return upstream_def, downstream_def

    def upstream_partition_keys(
        self,
        downstream_keys: Sequence[str] | None,
        downstream_def: PartitionsDefinition | None,
        upstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        if downstream_keys is None:
            return list(upstream_def.get_partition_keys(current_time, dynamic_partitions_store))
        upstream, downstream = self._check(upstream_def, downstream_def)
        store = dynamic_partitions_store
        found: dict[str, None] = {}
        for key in downstream_keys:
            down_parts = downstream.get_partition_key_from_str(key).keys_by_dimension
            per_dimension: dict[str, Sequence[str]] = {}
            for dim in upstream.partitions_defs:
                rule = self.downstream_mappings_by_upstream_dimension.get(dim.name)
                if rule is None:
                    per_dimension[dim.name] = dim.partitions_def.get_partition_keys(
                        current_time, store
                    )
                    continue
                per_dimension[dim.name] = rule.partition_mapping.upstream_partition_keys(
                    [down_parts[rule.dimension_name]],
                    downstream.get_partitions_def_for_dimension(rule.dimension_name),
                    dim.partitions_def,
                    current_time=current_time,
                    dynamic_partitions_store=store,
                )
            found.update(dict.fromkeys(_ordered_product(upstream, per_dimension)))
        return list(found)

    def downstream_partition_keys(
        self,
        upstream_keys: Sequence[str],
        upstream_def: PartitionsDefinition,
        downstream_def: PartitionsDefinition,
        *,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        upstream, downstream = self._check(upstream_def, downstream_def)
        store = dynamic_partitions_store
        by_downstream_dimension = {
            rule.dimension_name: (up_name, rule.partition_mapping)
            for up_name, rule in self.downstream_mappings_by_upstream_dimension.items()
        }
        found: dict[str, None] = {}
        for key in upstream_keys:
            up_parts = upstream.get_partition_key_from_str(key).keys_by_dimension
            per_dimension: dict[str, Sequence[str]] = {}
            for dim in downstream.partitions_defs:
                rule = by_downstream_dimension.get(dim.name)
                if rule is None:
                    per_dimension[dim.name] = dim.partitions_def.get_partition_keys(
                        current_time, store
                    )
                    continue
                up_name, mapping = rule
                per_dimension[dim.name] = mapping.downstream_partition_keys(
                    [up_parts[up_name]],
                    upstream.get_partitions_def_for_dimension(up_name),
                    dim.partitions_def,
                    current_time=current_time,
                    dynamic_partitions_store=store,
                )
            found.update(dict.fromkeys(_ordered_product(downstream, per_dimension)))
        return list(found)

    def to_spec(self) -> dict[str, Any]:
        return {
            "type": "multi",
            "dimensions": {
                up: {
                    "dimension_name": rule.dimension_name,
                    "mapping": rule.partition_mapping.to_spec(),
                }
                for up, rule in sorted(self.downstream_mappings_by_upstream_dimension.items())
            },
        }

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{up!r}: DimensionPartitionMapping("
            f"{rule.dimension_name!r}, {rule.partition_mapping!r})"
            for up, rule in sorted(self.downstream_mappings_by_upstream_dimension.items())
        )
        return f"MultiPartitionMapping({{{shown}}})"


register_mapping_spec(
    "multi_to_single",
    lambda spec: MultiToSingleDimensionPartitionMapping(spec.get("partition_dimension_name")),
)
register_mapping_spec(
    "multi",
    lambda spec: MultiPartitionMapping(
        {
            up: DimensionPartitionMapping(
                rule["dimension_name"], partition_mapping_from_spec(rule["mapping"])
            )
            for up, rule in spec["dimensions"].items()
        }
    ),
)
