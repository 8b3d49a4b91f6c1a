"""Dagster's `-> None` rule, as a pure question about a function's annotation."""

from __future__ import annotations

from typing import Any

from upstream.model.nothing import returns_nothing


def test_only_an_explicit_none_annotation_counts() -> None:
    def annotated() -> None: ...

    def bare():  # type: ignore[no-untyped-def]
        return None

    def other() -> int:
        return 1

    def optional() -> int | None:
        return None

    assert returns_nothing(annotated)
    assert not returns_nothing(bare)
    assert not returns_nothing(other)
    assert not returns_nothing(optional)


def test_string_annotations_and_unresolvable_names() -> None:
    def stringly() -> None: ...

    def unresolvable(x: NoSuchType) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    def callable_object(*_: Any) -> None: ...

    assert returns_nothing(stringly)
    assert returns_nothing(unresolvable)
    assert returns_nothing(callable_object)
