"""upstream: assets as plain functions, dependencies from their parameters, run anywhere.

The public API; everything a code location or a test needs is importable from here.
"""

from upstream.execution import FilesystemIOManager, InMemoryIOManager
from upstream.execution.io_managers import MissingValue
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
from upstream.model.config import Config, PermissiveConfig, RunConfig, RunConfigError
from upstream.model.errors import ConfigurationError
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
    "Config",
    "ConfigurableResource",
    "ConfigurationError",
    "Definitions",
    "DefinitionsError",
    "ExecuteInProcessResult",
    "FilesystemIOManager",
    "IOManager",
    "InMemoryIOManager",
    "InputContext",
    "InputLoadError",
    "MaterializeResult",
    "MetadataValue",
    "MissingValue",
    "OutputContext",
    "PermissiveConfig",
    "ResourceParam",
    "RunConfig",
    "RunConfigError",
    "SelectionError",
    "StorageError",
    "TransportError",
    "UpstreamError",
    "__version__",
    "asset",
    "materialize",
]
