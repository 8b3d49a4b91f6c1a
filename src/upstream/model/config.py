"""Run config, as Dagster's: `Config` classes asset functions take as `config`, and
`RunConfig` (or its plain-dict form) naming each asset's config by op name.

Pure: building the normalised dict form (JSON- and msgpack-safe) and a `Config` instance
from it, with errors that name the asset, the field and the fix.
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeAlias

import pydantic
from pydantic import BaseModel, ConfigDict

from upstream.model.errors import ConfigurationError
from upstream.model.keys import AssetKey

__all__ = [
    "CONFIG_PARAM",
    "Config",
    "PermissiveConfig",
    "RunConfig",
    "RunConfigError",
    "RunConfigInput",
    "build_config",
    "config_annotation",
    "normalize_run_config",
    "op_config",
    "op_name",
    "step_run_config",
]

# Dagster finds an asset's config by this parameter name (the annotation gives the schema).
CONFIG_PARAM = "config"
_TOP_LEVEL = ("ops", "resources")


class RunConfigError(ConfigurationError):
    """Run config that does not fit the assets: raised before anything runs, naming the
    asset (or resource), the field and the fix; also when a worker's own class rejects it."""


class Config(BaseModel):
    """Base class of an asset's config schema, a pydantic v2 model as in Dagster: fields
    with defaults, nested models, validators. Frozen, and unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class PermissiveConfig(Config):
    """A `Config` that also keeps fields it does not declare (`config.model_extra`)."""

    model_config = ConfigDict(extra="allow")


def op_name(key: AssetKey) -> str:
    """The name run config uses for an asset, as Dagster's op name: the key's parts joined
    by `__`, with `-` and `.` made `_` (`sales/raw-orders` is `sales__raw_orders`)."""
    return "__".join(key.path).replace("-", "_").replace(".", "_")


def config_annotation(
    asset: str, annotation: Any, namespace: Mapping[str, Any] | None = None
) -> type[Config] | None:
    """The `Config` class of a `config` parameter; None when it is unannotated or `dict`
    (the op config is then passed as it is). Any other type is a definitions error. A
    string annotation (another annotation of the function did not resolve) is looked up
    in `namespace`, the function's globals, as `typing.get_type_hints` would."""
    from upstream.model.errors import DefinitionsError

    if isinstance(annotation, str) and namespace is not None:
        with contextlib.suppress(Exception):  # left a string: reported below
            annotation = eval(annotation, dict(namespace))  # what get_type_hints does

    if annotation is inspect.Parameter.empty or annotation is Any:
        return None
    origin = typing.get_origin(annotation) or annotation
    if origin is dict or origin is Mapping:
        return None
    if isinstance(annotation, type) and issubclass(annotation, Config):
        return annotation
    if isinstance(annotation, str):
        raise DefinitionsError(
            f"asset {asset!r}: the annotation {annotation!r} of parameter 'config' cannot be "
            "resolved (a class defined inside a function, under `from __future__ import "
            "annotations`?); define the Config class at module level"
        )
    raise DefinitionsError(
        f"asset {asset!r}: parameter 'config' is annotated {annotation!r}; annotate it with "
        "a subclass of upstream.Config (or leave it unannotated for the raw dict)"
    )


def _plain(value: Any, where: str) -> Any:
    """`value` as JSON/msgpack-safe data: dicts with str keys, lists, scalars."""
    env = getattr(type(value), "env_var_name", None)
    if env is not None:  # an EnvVar: recorded by name, resolved only when the run starts
        return {"env": str(getattr(value, "env_var_name", value))}
    if isinstance(value, BaseModel):  # field by field, so an EnvVar inside stays one
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        return _plain({**fields, **(value.model_extra or {})}, where)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RunConfigError(f"run config: {where} has a non-text key {key!r}")
            out[key] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{n}]") for n, item in enumerate(value)]
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, str):  # a str subclass: its text
        return str(value)
    if isinstance(value, int | float):
        return value
    raise RunConfigError(
        f"run config: {where} is a {type(value).__name__}; use text, numbers, booleans, "
        "lists and mappings (or a Config instance)"
    )


def _entry(value: Any, where: str) -> dict[str, Any]:
    """One `ops` or `resources` entry: a Config/model instance becomes {"config": ...}."""
    if isinstance(value, BaseModel):
        return {"config": _plain(value, f"{where}.config")}
    if not isinstance(value, Mapping):
        raise RunConfigError(
            f"run config: {where} must be a mapping like {{'config': {{...}}}} or a Config "
            f"instance, got {type(value).__name__}"
        )
    entry: dict[str, Any] = _plain(value, where)
    return entry


class RunConfig:
    """Config for one run, as Dagster's: `ops` maps an asset's op name (`op_name`) to its
    `Config` instance or `{"config": {...}}`; `resources` maps a resource key to its config.
    `loggers` and `execution` are Dagster's too, but upstream has no use for them."""

    def __init__(
        self,
        ops: Mapping[str, Any] | None = None,
        resources: Mapping[str, Any] | None = None,
    ) -> None:
        self.ops = dict(ops or {})
        self.resources = dict(resources or {})

    def to_config_dict(self) -> dict[str, Any]:
        """The plain-dict form: `{"ops": {name: {"config": {...}}}, "resources": {...}}`."""
        out: dict[str, Any] = {}
        if self.ops:
            out["ops"] = {name: _entry(v, f"ops.{name}") for name, v in self.ops.items()}
        if self.resources:
            out["resources"] = {
                name: _entry(v, f"resources.{name}") for name, v in self.resources.items()
            }
        return out

    def __repr__(self) -> str:
        return f"RunConfig(ops={self.ops!r}, resources={self.resources!r})"


RunConfigInput: TypeAlias = "RunConfig | Mapping[str, Any] | None"


def normalize_run_config(run_config: RunConfigInput) -> dict[str, Any]:
    """`RunConfig` or the plain dict, as the plain dict (JSON- and msgpack-safe); {} for
    None. Checks the shape only; `planning.run_config` checks it against the assets."""
    if run_config is None:
        return {}
    if isinstance(run_config, RunConfig):
        return run_config.to_config_dict()
    if not isinstance(run_config, Mapping):
        raise RunConfigError(
            f"run_config must be a RunConfig or a mapping, got {type(run_config).__name__}"
            + (
                " (materialize's second argument is run_config, as in Dagster's; pass the "
                "selection by name: selection=...)"
                if isinstance(run_config, str | list | tuple)
                else ""
            )
        )
    unknown = [k for k in run_config if k not in _TOP_LEVEL]
    if unknown:
        raise RunConfigError(
            f"run config: unknown top-level key {unknown[0]!r}; upstream reads 'ops' and "
            "'resources' ('loggers' and 'execution' have no meaning here)"
        )
    out: dict[str, Any] = {}
    for section in _TOP_LEVEL:
        part = run_config.get(section)
        if part is None:
            continue
        if not isinstance(part, Mapping):
            raise RunConfigError(
                f"run config: {section!r} must map names to entries, got {type(part).__name__}"
            )
        if part:
            out[section] = {
                str(name): _entry(value, f"{section}.{name}") for name, value in part.items()
            }
    return out


def step_run_config(run_config: Mapping[str, Any], key: AssetKey) -> dict[str, Any]:
    """What one step needs of a normalised run config: its own op entry and the resources."""
    out: dict[str, Any] = {}
    name = op_name(key)
    ops = run_config.get("ops") or {}
    if name in ops:
        out["ops"] = {name: ops[name]}
    if run_config.get("resources"):
        out["resources"] = run_config["resources"]
    return out


def op_config(config: Any, run_config: Mapping[str, Any] | None, key: AssetKey) -> Any:
    """`context.op_config`, as Dagster's: the asset's Config as a dict, defaults included
    (`config` is what its `config` parameter got, None if it has none), else its raw op
    config from `run_config`, else None."""
    if isinstance(config, BaseModel):
        return config.model_dump()
    return build_config(None, run_config, key) if run_config else None


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(the whole config)"


def build_config(
    config_type: type[Config] | None, run_config: Mapping[str, Any] | None, key: AssetKey
) -> Any:
    """The value of the asset's `config` parameter: an instance of `config_type` built from
    its op entry in the normalised `run_config` (defaults where none), or the raw op config
    when the parameter has no Config class. Raises `RunConfigError` naming asset and field."""
    name = op_name(key)
    entry = ((run_config or {}).get("ops") or {}).get(name) or {}
    raw = entry.get("config") if isinstance(entry, Mapping) else None
    if config_type is None:
        return raw
    label, where = key.to_user_string(), f"ops.{name}.config"
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise RunConfigError(
            f"run config for asset {label!r} ({where}) must be a mapping of fields of "
            f"{config_type.__name__}, got {type(raw).__name__}"
        )
    try:
        return config_type.model_validate(_enum_names(config_type, raw))
    except pydantic.ValidationError as exc:
        raise RunConfigError(_describe(exc, label, where, config_type)) from None


def _enum_names(config_type: type[BaseModel], raw: Mapping[str, Any]) -> dict[str, Any]:
    """`raw` with an enum member's name taken for its value, as Dagster's run config names
    enum members (and `RunConfig` writes them so); nested Config mappings too."""
    out = dict(raw)
    for name, field in config_type.model_fields.items():
        key = field.alias or name
        value, kind = out.get(key), field.annotation
        if not isinstance(kind, type):
            continue
        if issubclass(kind, Enum) and isinstance(value, str) and value in kind.__members__:
            if value not in {member.value for member in kind}:
                out[key] = kind.__members__[value].value
        elif issubclass(kind, BaseModel) and isinstance(value, Mapping):
            out[key] = _enum_names(kind, value)
    return out


def _describe(
    exc: pydantic.ValidationError, label: str, where: str, config_type: type[Config]
) -> str:
    """pydantic's first error as one line: asset, field, what is wrong, and the fix."""
    errors = exc.errors()
    # A misspelt field shows up twice, as missing and as unknown: the unknown one can say
    # "did you mean", so it goes first.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    field = _field_path(tuple(error["loc"]))
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if error["type"] == "missing":
        fix = f"set it, e.g. -c {where}.{field}=VALUE"
        return f"run config for asset {label!r}: field {field!r} is required{more}; {fix}"
    if error["type"] == "extra_forbidden":
        from upstream.model.errors import did_you_mean

        known = list(config_type.model_fields)
        hint = did_you_mean(str(error["loc"][-1]), known) if error["loc"] else ""
        fields = ", ".join(known) or "none"
        return (
            f"run config for asset {label!r}: {config_type.__name__} has no field {field!r}"
            f"{more}; {hint or f'its fields: {fields}'}"
        )
    return (
        f"run config for asset {label!r}: field {field!r}: {error['msg']} "
        f"(got {error.get('input')!r}){more}; fix {where}.{field}"
    )
