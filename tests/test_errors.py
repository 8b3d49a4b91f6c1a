"""Every error upstream raises is an `UpstreamError`, so one `except` catches them all, as
Dagster users catch `DagsterError`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from tests.services import DEFS

import upstream
from upstream import UpstreamError


def _error_classes() -> list[type[BaseException]]:
    """Each exception class defined in an upstream module, found by walking the package."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(upstream.__path__, "upstream."):
        if info.name == "upstream.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == info.name
            ):
                found[f"{info.name}.{name}"] = value
    return [found[name] for name in sorted(found)]


ERRORS = _error_classes()


def test_the_walk_finds_the_errors_users_meet() -> None:
    names = {cls.__name__ for cls in ERRORS}
    assert {"InputLoadError", "MissingValue", "ProtocolError", "StorageError"} <= names
    assert {"TransportError", "CodeLocationError", "NotFound", "BadRequest"} <= names


@pytest.mark.parametrize("error", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_each_error_class_is_an_upstream_error(error: type[BaseException]) -> None:
    assert issubclass(error, UpstreamError)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (upstream.MissingValue, LookupError),
        (upstream.ConfigurationError, ValueError),
        (upstream.model.errors.InvalidAssetKey, ValueError),
        (upstream.model.errors.InvalidMetadata, TypeError),
    ],
)
def test_errors_keep_the_builtin_base_callers_catch(
    error: type[BaseException], builtin: type[BaseException]
) -> None:
    assert issubclass(error, builtin)


def test_the_errors_users_catch_are_exported() -> None:
    for name in ("InputLoadError", "MissingValue", "StorageError", "TransportError"):
        assert issubclass(getattr(upstream, name), UpstreamError), name
    assert {"CodeLocationError", "ConfigurationError"} <= set(upstream.__all__)


def test_except_upstream_error_catches_a_missing_value_in_materialize() -> None:
    """`b` alone: `a` was never stored in this process, so loading it fails."""
    with pytest.raises(UpstreamError, match="'a' has no stored value") as caught:
        upstream.materialize(DEFS, selection="b")
    assert isinstance(caught.value.__cause__, upstream.MissingValue)
