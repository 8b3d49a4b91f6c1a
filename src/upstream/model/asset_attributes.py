"""Validation of the `@asset` labels Dagster users pass: `kinds`, `compute_kind`, `owners`,
`tags`. Each rule follows Dagster's; every error names the asset and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from upstream.model.errors import DefinitionsError

__all__ = ["KIND_TAG_PREFIX", "MAX_KINDS", "check_owners", "check_tags", "resolve_kinds"]

MAX_KINDS = 3  # Dagster: "Assets can have at most three kinds currently."
KIND_TAG_PREFIX = "dagster/kind/"  # Dagster stores kinds as tags under this prefix
_SEGMENT = re.compile(r"^[A-Za-z0-9_.\-]{1,63}$")
_VALUE = re.compile(r"^[A-Za-z0-9_.\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_TAG_RULE = (
    "a tag key is 'name' or 'prefix/name', each part at most 63 letters, digits, '-', '_' "
    "or '.'; a value is a string of at most 63 such characters (may be empty)"
)


def check_tags(label: str, tags: Mapping[str, str] | None) -> dict[str, str]:
    """Dagster's strict definition-tag rules: keys and values are strings, keys one optional
    prefix and a name, both of at most 63 characters `[A-Za-z0-9_.-]`."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise DefinitionsError(
            f"asset {label!r}: tags must be a dict of strings, e.g. {{'domain': 'sales'}}, "
            f"not {type(tags).__name__}"
        )
    bad_keys = [k for k in tags if not _valid_tag_key(k)]
    if bad_keys:
        raise DefinitionsError(f"asset {label!r}: found invalid tag keys {bad_keys!r}; {_TAG_RULE}")
    bad_values = {k: v for k, v in tags.items() if not isinstance(v, str) or not _VALUE.match(v)}
    if bad_values:
        raise DefinitionsError(
            f"asset {label!r}: found invalid tag values {bad_values!r}; {_TAG_RULE} "
            "(put richer values in metadata=)"
        )
    return dict(tags)


def _valid_tag_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    if key.startswith(KIND_TAG_PREFIX):
        return bool(_SEGMENT.match(key[len(KIND_TAG_PREFIX) :]))
    parts = key.split("/")
    return len(parts) <= 2 and all(_SEGMENT.match(p) for p in parts)


def resolve_kinds(
    label: str, kinds: Iterable[str] | None, compute_kind: str | None, tags: dict[str, str]
) -> tuple[str, ...]:
    """The asset's kinds, sorted: `kinds`, plus `dagster/kind/x` tags (moved out of `tags`),
    or `compute_kind` (Dagster's older name for one kind). Both at once is an error."""
    if isinstance(kinds, str):
        raise DefinitionsError(
            f"asset {label!r}: kinds takes a set of strings, e.g. {{{kinds!r}}}, not a string"
        )
    if compute_kind is not None and kinds:
        raise DefinitionsError(
            f"asset {label!r}: cannot specify compute_kind and kinds on the @asset decorator; "
            f"use kinds={{{compute_kind!r}, ...}} alone"
        )
    found = set(kinds or ())
    for key in [k for k in tags if k.startswith(KIND_TAG_PREFIX)]:
        found.add(key[len(KIND_TAG_PREFIX) :])
        del tags[key]
    if compute_kind is not None:
        if not isinstance(compute_kind, str) or not compute_kind:
            raise DefinitionsError(f"asset {label!r}: compute_kind must be a non-empty string")
        found.add(compute_kind)
    bad = sorted(repr(k) for k in found if not isinstance(k, str) or not _SEGMENT.match(k))
    if bad:
        raise DefinitionsError(
            f"asset {label!r}: invalid kinds {', '.join(bad)}; a kind is at most 63 letters, "
            "digits, '-', '_' or '.'"
        )
    if len(found) > MAX_KINDS:
        raise DefinitionsError(
            f"asset {label!r}: assets can have at most three kinds currently, got "
            f"{sorted(found)}; keep the three that matter most"
        )
    return tuple(sorted(found))


def check_owners(label: str, owners: Iterable[str] | None) -> tuple[str, ...]:
    """Each owner is an email address or a team, `team:<name>`, as Dagster requires."""
    if owners is None:
        return ()
    if isinstance(owners, str):
        raise DefinitionsError(
            f"asset {label!r}: owners takes a list, e.g. owners=[{owners!r}], not a string"
        )
    out = list(owners)
    for owner in out:
        ok = isinstance(owner, str) and (
            (owner.startswith("team:") and len(owner) > len("team:")) or _EMAIL.match(owner)
        )
        if not ok:
            raise DefinitionsError(
                f"asset {label!r}: invalid owner {owner!r}; owner must be an email address or "
                "a team name prefixed with 'team:', e.g. 'ana@example.com' or 'team:data'"
            )
    return tuple(out)
