"""upstream: assets as plain functions, dependencies from their parameters, run anywhere.

The public API; everything a code location or a test needs is importable from here.
"""

from upstream.definitions import (
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
from upstream.execution import FilesystemIOManager, InMemoryIOManager
from upstream.runs import ExecuteInProcessResult, materialize

__version__ = "0.1.0"

__all__ = [
    "AssetExecutionContext",
    "AssetIn",
    "AssetKey",
    "AssetsDefinition",
    "ConfigurableResource",
    "Definitions",
    "DefinitionsError",
    "ExecuteInProcessResult",
    "FilesystemIOManager",
    "IOManager",
    "InMemoryIOManager",
    "InputContext",
    "MaterializeResult",
    "MetadataValue",
    "OutputContext",
    "ResourceParam",
    "SelectionError",
    "UpstreamError",
    "__version__",
    "asset",
    "materialize",
]
