"""The exception family: every error upstream raises on purpose names the problem and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence

__all__ = [
    "AmbiguousUpstream",
    "AssetCycle",
    "ConfigurationError",
    "DefinitionsError",
    "DuplicateAssetKey",
    "InvalidAssetKey",
    "InvalidMetadata",
    "MissingResource",
    "MissingUpstream",
    "SelectionError",
    "UpstreamError",
    "did_you_mean",
]


def did_you_mean(word: str, known: Collection[str]) -> str:
    """Return `did you mean 'x'?` for the closest known words, or '' when none is close."""
    close = difflib.get_close_matches(word, sorted(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


class UpstreamError(Exception):
    """Root of every error upstream raises on purpose."""


class ConfigurationError(UpstreamError, ValueError):
    """A setting or argument that cannot work (a malformed URL, a bad name or size); raised
    before anything connects or runs. Also a ValueError, as these always were."""


class DefinitionsError(UpstreamError):
    """Bad definitions; raised when `Definitions` is built, before anything runs."""


class MissingUpstream(DefinitionsError):
    """A parameter names neither an asset nor a resource, or maps to a key nothing produces.

    `candidates` maps each way the asset could name another asset (its bare name where the
    name rule reaches it, else its full key) to that key; only those are suggested.
    """

    def __init__(
        self,
        asset: str,
        parameter: str,
        candidates: Mapping[str, str],
        resources: Collection[str] = (),
        *,
        key: str | None = None,
    ) -> None:
        if key is not None:
            hint = did_you_mean(key, set(candidates.values()))
            fix = hint or "define an @asset with that key or correct the AssetIn"
            message = (
                f"asset {asset!r}: parameter {parameter!r} maps to {key!r} (AssetIn), "
                f"which no asset produces; {fix}"
            )
        else:
            hint = did_you_mean(parameter, {*candidates, *resources})
            far = [
                c for c in difflib.get_close_matches(parameter, list(candidates), n=3) if "/" in c
            ]
            if hint and far:
                hint += (
                    f" (an asset outside this group or prefix is mapped with "
                    f"ins={{{parameter!r}: AssetIn(key={far[0]!r})}})"
                )
            fix = hint or (
                "define an @asset with that name, provide a resource of that name in "
                "Definitions(resources=...), or map it with ins={...: AssetIn(key=...)}"
            )
            message = (
                f"asset {asset!r}: parameter {parameter!r} names no asset and no resource; {fix}"
            )
        super().__init__(message)
        self.asset, self.parameter, self.key = asset, parameter, key


class InvalidAssetKey(DefinitionsError, ValueError):
    """A key part with characters keys may not hold (also a ValueError, as it always was)."""


class MissingResource(DefinitionsError):
    """An asset needs a resource (or IO manager) that `Definitions` does not provide."""

    def __init__(self, asset: str, resource: str, known: Collection[str], *, what: str) -> None:
        hint = did_you_mean(resource, known)
        fix = hint or f"add it: Definitions(resources={{{resource!r}: ...}})"
        super().__init__(f"asset {asset!r} needs {what} {resource!r}, which is not provided; {fix}")
        self.asset, self.resource = asset, resource


class AmbiguousUpstream(DefinitionsError):
    """A parameter's name matches several assets and none exactly."""

    def __init__(self, asset: str, parameter: str, candidates: Sequence[str]) -> None:
        names = ", ".join(repr(c) for c in candidates)
        super().__init__(
            f"asset {asset!r}: parameter {parameter!r} could be any of {names}; "
            f"say which with ins={{{parameter!r}: AssetIn(key=...)}}"
        )
        self.asset, self.parameter = asset, parameter


class AssetCycle(DefinitionsError):
    """The assets depend on each other in a circle."""

    def __init__(self, cycle: Sequence[str]) -> None:
        path = " -> ".join([*cycle, cycle[0]])
        super().__init__(
            f"assets form a cycle: {path}; remove one of these dependencies to break it"
        )
        self.cycle = list(cycle)


class DuplicateAssetKey(DefinitionsError):
    """Two asset definitions produce the same key."""

    def __init__(self, key: str, first: str, second: str) -> None:
        super().__init__(
            f"asset key {key!r} is defined twice: by {first} and by {second}; "
            "rename one (name=...) or give it a key_prefix"
        )
        self.key = key


class SelectionError(UpstreamError):
    """A selection string that cannot be parsed or matches nothing."""


class InvalidMetadata(UpstreamError, TypeError):
    """Metadata an asset returned that cannot be recorded (also a TypeError, as it was)."""
