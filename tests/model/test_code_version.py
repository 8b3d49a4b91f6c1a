"""code_version: the definitions hash changes when an asset's code does, so a worker never
runs other code than the run was planned against."""

from __future__ import annotations

from typing import Any

from upstream import Definitions, asset


def _defs(source: str) -> Definitions:
    namespace: dict[str, Any] = {"asset": asset}
    exec(source, namespace)  # no source file: the bytecode fingerprint applies
    return Definitions([namespace["a"]])


def test_a_changed_body_changes_the_hash() -> None:
    """Same graph, different code: different hashes."""
    one = _defs("@asset\ndef a():\n    return 1\n")
    two = _defs("@asset\ndef a():\n    return 2\n")
    assert one.hash != two.hash
    assert one.hash == _defs("@asset\ndef a():\n    return 1\n").hash


def test_an_explicit_code_version_wins() -> None:
    """As in Dagster: with code_version set, only it versions the code."""
    one = _defs("@asset(code_version='v1')\ndef a():\n    return 1\n")
    two = _defs("@asset(code_version='v1')\ndef a():\n    return 2\n")
    assert one.hash == two.hash
    assert one.graph.nodes[0].code_version == "v1"


def test_source_fingerprints_are_stable_for_file_defined_assets() -> None:
    """A function with source is fingerprinted by its text: the same across processes."""

    @asset
    def sourced() -> int:
        return 1

    assert len(sourced.code_version) == 16
    assert Definitions([sourced]).hash == Definitions([sourced]).hash
