"""`@definitions`: a function that builds a `Definitions` when the code location loads,
as Dagster's `dg` projects write them."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from upstream.model.definitions import Definitions
from upstream.model.errors import DefinitionsError

__all__ = ["LazyDefinitions", "definitions"]


class LazyDefinitions:
    """What `@definitions` returns: call it (no arguments) to get its `Definitions`.

    The loaders (`upstream materialize -m/-f`, `load_from_defs_folder`) call it once per
    load; calling it yourself in a test is the same."""

    def __init__(self, fn: Callable[[], Definitions]) -> None:
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        ]
        name = getattr(fn, "__qualname__", repr(fn))
        if params:
            raise DefinitionsError(
                f"@definitions function {name!r} takes parameters "
                f"({', '.join(p.name for p in params)}); upstream calls it with none "
                "(Dagster's DefinitionsLoadContext is not supported): remove them"
            )
        self.fn = fn
        functools.update_wrapper(self, fn)

    @property
    def origin(self) -> str:
        return f"{getattr(self.fn, '__module__', '?')}.{getattr(self.fn, '__qualname__', '?')}"

    def __call__(self) -> Definitions:
        result = self.fn()
        if not isinstance(result, Definitions):
            raise DefinitionsError(
                f"@definitions function {self.origin!r} returned {type(result).__name__}, "
                "not a Definitions; return Definitions(assets=[...], resources={...})"
            )
        return result

    def __repr__(self) -> str:
        return f"<@definitions {self.origin}>"


def definitions(fn: Callable[[], Definitions]) -> LazyDefinitions:
    """Mark a function that returns the `Definitions` of a module (Dagster's `@definitions`).

    ```
    @definitions
    def defs():
        return Definitions(assets=[orders], resources={"db": Db(url=...)})
    ```
    """
    return LazyDefinitions(fn)
