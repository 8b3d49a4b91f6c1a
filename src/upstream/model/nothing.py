"""Dagster's rule for `-> None`: an asset annotated to return None stores nothing.

Its IO manager's `handle_output` is skipped (Dagster's `Nothing` output type). Returning
None without that annotation still stores None, as in Dagster.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any

__all__ = ["returns_nothing"]


@functools.cache
def returns_nothing(fn: Callable[..., Any]) -> bool:
    """True when `fn` is annotated `-> None` (also as the string "None"). Cached per
    function: asked once per step."""
    annotations = getattr(fn, "__annotations__", {})
    if "return" not in annotations:
        return False
    annotation = annotations["return"]
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            annotation = typing.get_type_hints(fn).get("return", annotation)
        except Exception:  # an unresolvable name elsewhere in the signature
            return bool(annotation.strip() == "None")
    return annotation is None or annotation is type(None)
