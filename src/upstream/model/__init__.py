"""Pure definitions: assets, keys, the asset graph, resources. No I/O, no imports from above."""

from upstream.model.asset import AssetIn, AssetsDefinition, MaterializeResult, asset
from upstream.model.context import AssetExecutionContext, OpExecutionContext
from upstream.model.definitions import Definitions
from upstream.model.errors import DefinitionsError, SelectionError, UpstreamError
from upstream.model.external import (
    DataVersion,
    ObserveResult,
    SourceAsset,
    observable_source_asset,
)
from upstream.model.graph import AssetGraph, AssetNode
from upstream.model.io_manager import InputContext, IOManager, OutputContext
from upstream.model.keys import AssetKey
from upstream.model.metadata import MetadataValue
from upstream.model.resources import ConfigurableResource, ResourceParam
from upstream.model.spec import AssetSpec

__all__ = [
    "AssetExecutionContext",
    "AssetGraph",
    "AssetIn",
    "AssetKey",
    "AssetNode",
    "AssetSpec",
    "AssetsDefinition",
    "ConfigurableResource",
    "DataVersion",
    "Definitions",
    "DefinitionsError",
    "IOManager",
    "InputContext",
    "MaterializeResult",
    "MetadataValue",
    "ObserveResult",
    "OpExecutionContext",
    "OutputContext",
    "ResourceParam",
    "SelectionError",
    "SourceAsset",
    "UpstreamError",
    "asset",
    "observable_source_asset",
]
