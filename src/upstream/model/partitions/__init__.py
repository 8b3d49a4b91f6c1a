"""Partitions: definitions, keys, ranges, mappings and backfill policies. Pure."""

from upstream.model.partitions.base import (
    DynamicPartitionsStore,
    PartitionKeyRange,
    PartitionsDefinition,
    partitions_def_from_spec,
    register_partitions_spec,
)
from upstream.model.partitions.dynamic import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
    DynamicPartitionsDefinition,
)
from upstream.model.partitions.mappings import (
    AllPartitionMapping,
    IdentityPartitionMapping,
    LastPartitionMapping,
    PartitionMapping,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    default_partition_mapping,
    partition_mapping_from_spec,
    register_mapping_spec,
)
from upstream.model.partitions.multi import (
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionDimensionDefinition,
)
from upstream.model.partitions.multi_mapping import (
    DimensionPartitionMapping,
    MultiPartitionMapping,
    MultiToSingleDimensionPartitionMapping,
)
from upstream.model.partitions.named_windows import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    WeeklyPartitionsDefinition,
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
from upstream.model.partitions.time_mapping import TimeWindowPartitionMapping
from upstream.model.partitions.time_window import (
    ScheduleType,
    TimeWindow,
    TimeWindowPartitionsDefinition,
)

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "PARTITION_NAME_TAG",
    "AddDynamicPartitionsRequest",
    "AllPartitionMapping",
    "BackfillPolicy",
    "DailyPartitionsDefinition",
    "DeleteDynamicPartitionsRequest",
    "DimensionPartitionMapping",
    "DynamicPartitionsDefinition",
    "DynamicPartitionsStore",
    "HourlyPartitionsDefinition",
    "IdentityPartitionMapping",
    "LastPartitionMapping",
    "MonthlyPartitionsDefinition",
    "MultiPartitionKey",
    "MultiPartitionMapping",
    "MultiPartitionsDefinition",
    "MultiToSingleDimensionPartitionMapping",
    "PartitionDimensionDefinition",
    "PartitionKeyRange",
    "PartitionMapping",
    "PartitionsDefinition",
    "ScheduleType",
    "SpecificPartitionsPartitionMapping",
    "StaticPartitionMapping",
    "StaticPartitionsDefinition",
    "TimeWindow",
    "TimeWindowPartitionMapping",
    "TimeWindowPartitionsDefinition",
    "WeeklyPartitionsDefinition",
    "default_partition_mapping",
    "partition_from_tags",
    "partition_mapping_from_spec",
    "partition_tags",
    "partitions_def_from_spec",
    "register_mapping_spec",
    "register_partitions_spec",
]
