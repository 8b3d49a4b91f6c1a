"""Pure definitions: assets, keys, the asset graph, resources. No I/O, no imports from above."""

from upstream.model.asset import AssetIn, AssetsDefinition, MaterializeResult, asset
from upstream.model.context import AssetExecutionContext
from upstream.model.definitions import Definitions
from upstream.model.errors import DefinitionsError, SelectionError, UpstreamError
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.io_manager import InputContext, IOManager, OutputContext
from upstream.model.keys import AssetKey
from upstream.model.metadata import MetadataValue
from upstream.model.resources import ConfigurableResource, ResourceParam

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
