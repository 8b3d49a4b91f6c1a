"""upstream: assets as plain functions, dependencies from their parameters, run anywhere.

The public API; everything a code location or a test needs is importable from here.
"""

from upstream.execution import FilesystemIOManager, InMemoryIOManager
from upstream.execution.io_managers import MissingValue, fs_io_manager, mem_io_manager
from upstream.execution.resources import build_resources, check_resources_config
from upstream.execution.step import InputLoadError
from upstream.locations import CodeLocationError
from upstream.model import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    ConfigurableResource,
    Definitions,
    DefinitionsError,
    InputContext,
    IOManager,
    MaterializeResult,
    MetadataValue,
    OutputContext,
    ResourceParam,
    SelectionError,
    UpstreamError,
    asset,
)
from upstream.model.configurable import (
    ConfigurableIOManager,
    ConfigurableIOManagerFactory,
    ConfigurableResourceFactory,
    ResourceDependency,
)
from upstream.model.env import EnvVar
from upstream.model.errors import ConfigurationError
from upstream.model.resource_definition import (
    InitResourceContext,
    IOManagerDefinition,
    ResourceDefinition,
    build_init_resource_context,
    io_manager,
    resource,
)
from upstream.runs import ExecuteInProcessResult, materialize
from upstream.storage.base import StorageError
from upstream.transport.base import TransportError

__version__ = "0.1.0"

__all__ = [
    "AssetExecutionContext",
    "AssetIn",
    "AssetKey",
    "AssetsDefinition",
    "CodeLocationError",
    "ConfigurableIOManager",
    "ConfigurableIOManagerFactory",
    "ConfigurableResource",
    "ConfigurableResourceFactory",
    "ConfigurationError",
    "Definitions",
    "DefinitionsError",
    "EnvVar",
    "ExecuteInProcessResult",
    "FilesystemIOManager",
    "IOManager",
    "IOManagerDefinition",
    "InMemoryIOManager",
    "InitResourceContext",
    "InputContext",
    "InputLoadError",
    "MaterializeResult",
    "MetadataValue",
    "MissingValue",
    "OutputContext",
    "ResourceDefinition",
    "ResourceDependency",
    "ResourceParam",
    "SelectionError",
    "StorageError",
    "TransportError",
    "UpstreamError",
    "__version__",
    "asset",
    "build_init_resource_context",
    "build_resources",
    "check_resources_config",
    "fs_io_manager",
    "io_manager",
    "materialize",
    "mem_io_manager",
    "resource",
]
