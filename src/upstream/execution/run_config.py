"""A run's config checked whole before anything runs: the assets' op config against their
Config classes (`planning.run_config`), the resources part against the resources."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from upstream.execution.resources import check_resources_config
from upstream.model.config import RunConfigInput
from upstream.model.definitions import Definitions
from upstream.planning.run_config import validate_run_config

__all__ = ["check_run_config"]


def check_run_config(
    definitions: Definitions, run_config: RunConfigInput, steps: Iterable[str] | None = None
) -> dict[str, Any]:
    """The normalised run config, once its ops fit the assets of `steps` (all if None) and
    its resources part fits the resources; else `RunConfigError` / `ConfigurationError`
    naming what and the fix. Reads no environment variable and sets nothing up."""
    normalized = validate_run_config(definitions, run_config, steps)
    check_resources_config(definitions.resources, normalized.get("resources"))
    return normalized
