"""upstream: assets as plain functions, dependencies from their parameters, run anywhere.

The public API; everything a code location or a test needs is importable from here.
"""

from upstream.execution import FilesystemIOManager, InMemoryIOManager
from upstream.execution.io_managers import MissingValue, fs_io_manager, mem_io_manager
from upstream.execution.resources import build_resources, check_resources_config
from upstream.execution.step import InputLoadError
from upstream.locations import CodeLocationError
from upstream.locations.defs_folder import load_from_defs_folder
from upstream.locations.module_assets import (
    load_assets_from_current_module,
    load_assets_from_modules,
    load_assets_from_package_module,
    load_assets_from_package_name,
)
from upstream.model import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    ConfigurableResource,
    DataVersion,
    Definitions,
    DefinitionsError,
    InputContext,
    IOManager,
    MaterializeResult,
    MetadataValue,
    ObserveResult,
    OpExecutionContext,
    OutputContext,
    ResourceParam,
    SelectionError,
    SourceAsset,
    UpstreamError,
    asset,
    observable_source_asset,
)
from upstream.model.asset_dep import AssetDep
from upstream.model.config import Config, PermissiveConfig, RunConfig, RunConfigError
from upstream.model.configurable import (
    ConfigurableIOManager,
    ConfigurableIOManagerFactory,
    ConfigurableResourceFactory,
    ResourceDependency,
)
from upstream.model.env import EnvVar
from upstream.model.errors import ConfigurationError
from upstream.model.events import AssetMaterialization
from upstream.model.invocation import InvocationError, build_asset_context
from upstream.model.lazy import definitions
from upstream.model.logs import get_dagster_logger, get_upstream_logger
from upstream.model.metadata_tables import (
    TableColumn,
    TableColumnConstraints,
    TableConstraints,
    TableRecord,
    TableSchema,
)
from upstream.model.multi_asset import multi_asset
from upstream.model.outputs import AssetOut, Output
from upstream.model.partitions import (
    AddDynamicPartitionsRequest,
    AllPartitionMapping,
    BackfillPolicy,
    DailyPartitionsDefinition,
    DeleteDynamicPartitionsRequest,
    DimensionPartitionMapping,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionMapping,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionKeyRange,
    PartitionMapping,
    PartitionsDefinition,
    SpecificPartitionsPartitionMapping,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindow,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)
from upstream.model.resource_definition import (
    InitResourceContext,
    IOManagerDefinition,
    ResourceDefinition,
    build_init_resource_context,
    io_manager,
    resource,
)
from upstream.planning.asset_selection import AssetSelection
from upstream.runs import (
    ExecuteInProcessResult,
    ObserveExecutionResult,
    materialize,
    materialize_to_memory,
    observe,
)
from upstream.storage.base import StorageError
from upstream.transport.base import TransportError

__version__ = "0.1.0"

__all__ = [
    "AddDynamicPartitionsRequest",
    "AllPartitionMapping",
    "AssetDep",
    "AssetExecutionContext",
    "AssetIn",
    "AssetKey",
    "AssetMaterialization",
    "AssetOut",
    "AssetSelection",
    "AssetSpec",
    "AssetsDefinition",
    "BackfillPolicy",
    "CodeLocationError",
    "Config",
    "ConfigurableIOManager",
    "ConfigurableIOManagerFactory",
    "ConfigurableResource",
    "ConfigurableResourceFactory",
    "ConfigurationError",
    "DailyPartitionsDefinition",
    "DataVersion",
    "Definitions",
    "DefinitionsError",
    "DeleteDynamicPartitionsRequest",
    "DimensionPartitionMapping",
    "DynamicPartitionsDefinition",
    "EnvVar",
    "ExecuteInProcessResult",
    "FilesystemIOManager",
    "HourlyPartitionsDefinition",
    "IOManager",
    "IOManagerDefinition",
    "IdentityPartitionMapping",
    "InMemoryIOManager",
    "InitResourceContext",
    "InputContext",
    "InputLoadError",
    "InvocationError",
    "LastPartitionMapping",
    "MaterializeResult",
    "MetadataValue",
    "MissingValue",
    "MonthlyPartitionsDefinition",
    "MultiPartitionKey",
    "MultiPartitionMapping",
    "MultiPartitionsDefinition",
    "MultiToSingleDimensionPartitionMapping",
    "ObserveExecutionResult",
    "ObserveResult",
    "OpExecutionContext",
    "Output",
    "OutputContext",
    "PartitionKeyRange",
    "PartitionMapping",
    "PartitionsDefinition",
    "PermissiveConfig",
    "ResourceDefinition",
    "ResourceDependency",
    "ResourceParam",
    "RunConfig",
    "RunConfigError",
    "SelectionError",
    "SourceAsset",
    "SpecificPartitionsPartitionMapping",
    "StaticPartitionMapping",
    "StaticPartitionsDefinition",
    "StorageError",
    "TableColumn",
    "TableColumnConstraints",
    "TableConstraints",
    "TableRecord",
    "TableSchema",
    "TimeWindow",
    "TimeWindowPartitionMapping",
    "TimeWindowPartitionsDefinition",
    "TransportError",
    "UpstreamError",
    "WeeklyPartitionsDefinition",
    "__version__",
    "asset",
    "build_asset_context",
    "build_init_resource_context",
    "build_resources",
    "check_resources_config",
    "definitions",
    "fs_io_manager",
    "get_dagster_logger",
    "get_upstream_logger",
    "io_manager",
    "load_assets_from_current_module",
    "load_assets_from_modules",
    "load_assets_from_package_module",
    "load_assets_from_package_name",
    "load_from_defs_folder",
    "materialize",
    "materialize_to_memory",
    "mem_io_manager",
    "multi_asset",
    "observable_source_asset",
    "observe",
    "resource",
]
