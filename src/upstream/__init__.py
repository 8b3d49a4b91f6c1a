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
from upstream.model.errors import ConfigurationError
from upstream.runs import ExecuteInProcessResult, ObserveExecutionResult, materialize, observe
from upstream.storage.base import StorageError
from upstream.transport.base import TransportError

__version__ = "0.1.0"

__all__ = [
    "AssetExecutionContext",
    "AssetIn",
    "AssetKey",
    "AssetSpec",
    "AssetsDefinition",
    "CodeLocationError",
    "ConfigurableResource",
    "ConfigurationError",
    "DataVersion",
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
    "ObserveExecutionResult",
    "ObserveResult",
    "OpExecutionContext",
    "OutputContext",
    "ResourceParam",
    "SelectionError",
    "SourceAsset",
    "StorageError",
    "TransportError",
    "UpstreamError",
    "__version__",
    "asset",
    "materialize",
    "observable_source_asset",
    "observe",
]
