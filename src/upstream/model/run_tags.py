"""Run tags as Dagster takes them: string keys to string values, checked before a run is
recorded so a bad tag never reaches the store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from upstream.model.errors import ConfigurationError

__all__ = ["check_run_tags", "parse_tag_option"]


def check_run_tags(tags: Mapping[Any, Any] | None) -> dict[str, str]:
    """`tags` as a plain str -> str dict; `ConfigurationError` naming the bad key otherwise.

    As Dagster's: a key must be a string; a value is a string, or a JSON value that
    survives `json.loads(json.dumps(value)) == value` (then stored as that JSON text).
    """
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ConfigurationError(
            f"run tags must be a dict of str to str, got {type(tags).__name__}: {tags!r}"
        )
    checked: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str):
            raise ConfigurationError(
                f"run tag key {key!r} is a {type(key).__name__}; tag keys must be strings"
            )
        checked[key] = value if isinstance(value, str) else _as_json(key, value)
    return checked


def _as_json(key: str, value: Any) -> str:
    try:
        text = json.dumps(value)
        same = json.loads(text) == value
    except (TypeError, ValueError):
        same = False
    if not same:
        raise ConfigurationError(
            f"run tag {key!r} has value {value!r}; tag values must be strings (or JSON "
            "values that read back equal, stored as JSON text): pass str(value)"
        )
    return text


def parse_tag_option(option: str) -> tuple[str, str]:
    """A `--tag key=value` option as (key, value); the value may hold '=' and be empty."""
    key, sep, value = option.partition("=")
    if not sep or not key:
        raise ConfigurationError(f"--tag {option!r}: expected key=value, e.g. --tag team=sales")
    return key, value
