"""Partitions: definitions, keys, ranges, mappings and backfill policies. Pure."""

from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
    partitions_def_from_spec,
)
from upstream.model.partitions.mappings import (
    AllPartitionMapping,
    IdentityPartitionMapping,
    LastPartitionMapping,
    PartitionMapping,
    default_partition_mapping,
    partition_mapping_from_spec,
)
from upstream.model.partitions.policy import BackfillPolicy
from upstream.model.partitions.static import StaticPartitionsDefinition
from upstream.model.partitions.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    partition_from_tags,
    partition_tags,
)

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "PARTITION_NAME_TAG",
    "AllPartitionMapping",
    "BackfillPolicy",
    "DynamicPartitionsStore",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "PartitionKeyRange",
    "PartitionMapping",
    "PartitionsDefinition",
    "StaticPartitionsDefinition",
    "default_partition_mapping",
    "partition_from_tags",
    "partition_mapping_from_spec",
    "partition_tags",
    "partitions_def_from_spec",
]
