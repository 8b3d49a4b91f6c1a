"""Dagster's rule for `-> None`: an asset annotated to return None stores nothing.

Its IO manager's `handle_output` is skipped (Dagster's `Nothing` output type). Returning
None without that annotation still stores None, as in Dagster.
"""

from __future__ import annotations

import contextlib
import typing
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["returns_nothing"]

# Per function, weakly: `upstream dev` reloads code, and old functions must be able to go.
_KNOWN: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()


def returns_nothing(fn: Callable[..., Any]) -> bool:
    """True when `fn` is annotated `-> None` (also as the string "None"). Cached per
    function: asked once per step."""
    try:
        return _KNOWN[fn]
    except (KeyError, TypeError):  # TypeError: not weakly referenceable, so not cached
        pass
    found = _annotated_none(fn)
    with contextlib.suppress(TypeError):
        _KNOWN[fn] = found
    return found


def _annotated_none(fn: Callable[..., Any]) -> bool:
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
