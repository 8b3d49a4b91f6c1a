"""Pure definitions: assets, keys, the asset graph, resources. No I/O, no imports from above."""

from upstream.definitions.asset import AssetIn, AssetsDefinition, MaterializeResult, asset
from upstream.definitions.context import AssetExecutionContext
from upstream.definitions.definitions import Definitions
from upstream.definitions.errors import DefinitionsError, SelectionError, UpstreamError
from upstream.definitions.graph import AssetGraph, AssetNode
from upstream.definitions.io_manager import InputContext, IOManager, OutputContext
from upstream.definitions.keys import AssetKey
from upstream.definitions.metadata import MetadataValue
from upstream.definitions.resources import ConfigurableResource, ResourceParam

__all__ = [
    "AssetExecutionContext",
    "AssetGraph",
    "AssetIn",
    "AssetKey",
    "AssetNode",
    "AssetsDefinition",
    "ConfigurableResource",
    "Definitions",
    "DefinitionsError",
    "IOManager",
    "InputContext",
    "MaterializeResult",
    "MetadataValue",
    "OutputContext",
    "ResourceParam",
    "SelectionError",
    "UpstreamError",
    "asset",
]
