"""Run config from the command line, as Dagster's: `--config run.yaml` files (YAML or JSON,
merged, the first listed winning) or `--config-json TEXT`; then upstream's own
`-c ops.revenue.config.rate=2` overrides on top."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from upstream.model.config import RunConfigError

__all__ = ["merge", "read_run_config", "run_config_options"]

F = TypeVar("F", bound=Callable[..., Any])


def run_config_options(fn: F) -> F:
    """--config FILE (repeatable), --config-json TEXT, -c KEY=VALUE (repeatable)."""
    fn = click.option(
        "-c",
        "overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="Set one run config value by dotted path, e.g. -c ops.revenue.config.rate=2"
        " (the value read as YAML: 2 is a number, true a boolean, [a, b] a list).",
    )(fn)
    fn = click.option(
        "--config-json", "config_json", help="Run config as JSON text (not with --config)."
    )(fn)
    return click.option(
        "--config",
        "config_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Run config file, YAML or JSON; several are merged, the first listed winning.",
    )(fn)


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in: mappings key by key, anything else replaced."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise RunConfigError(f"{where} is not valid YAML or JSON{at}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RunConfigError(f"{where} must hold a mapping (ops:, resources:), not a {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    return "list" if isinstance(value, list) else type(value).__name__


def _override(config: dict[str, Any], item: str) -> dict[str, Any]:
    """`config` with one `a.b.c=value` applied."""
    path, sep, text = item.partition("=")
    parts = path.strip().split(".")
    if not sep or not all(parts):
        raise RunConfigError(
            f"-c {item!r}: give a dotted path and a value, e.g. -c ops.revenue.config.rate=2"
            " (a run config file goes in --config FILE)"
        )
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError:
        value = text  # not YAML: the text as it is
    nested: Any = value
    for part in reversed(parts):
        nested = {part: nested}
    return merge(config, nested)


def read_run_config(
    files: Iterable[Path], json_text: str | None, overrides: Iterable[str]
) -> dict[str, Any] | None:
    """The run config the options give, None when they give none. Raises `RunConfigError`
    (exit 2) naming the file or option that is wrong."""
    files, overrides = list(files), list(overrides)
    if not files and json_text is None and not overrides:
        return None
    if files and json_text is not None:
        raise RunConfigError("give --config FILE or --config-json TEXT, not both (as in Dagster)")
    config: dict[str, Any] = {}
    for path in reversed(files):  # Dagster's rule: files listed first take precedence
        try:
            text = path.read_text()
        except OSError as exc:
            raise RunConfigError(f"cannot read run config {path}: {exc.strerror}") from None
        config = merge(config, _parse(text, f"run config {path}"))
    if json_text is not None:
        config = _parse(json_text, "--config-json")
    for item in overrides:
        config = _override(config, item)
    return config
