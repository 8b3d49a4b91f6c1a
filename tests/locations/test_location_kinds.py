"""What a code location module may hold, as Dagster loads it: one `Definitions`, or
`@definitions` functions, or bare assets; a mix is an error that says what to keep."""

from __future__ import annotations

import pytest
from tests.locations.conftest import WriteTree

from upstream.locations import CodeLocationError, load_code_location

BARE = """
    from upstream import asset

    @asset
    def a() -> int:
        return 1

    @asset
    def b(a: int) -> int:
        return a + 1
"""

LAZY = """
    from upstream import Definitions, asset, definitions

    @asset
    def a() -> int:
        return 1

    @definitions
    def defs():
        return Definitions(assets=[a])
"""

TWO_LAZY = """
    from upstream import Definitions, asset, definitions

    @asset
    def a() -> int:
        return 1

    @definitions
    def assets():
        return Definitions(assets=[a])

    @definitions
    def resources():
        return Definitions(resources={"db": "sqlite"})
"""

MIXED = """
    from upstream import Definitions, definitions

    defs = Definitions()

    @definitions
    def more():
        return Definitions()
"""


def _keys(module: str) -> list[str]:
    location = load_code_location(module=module)
    return [k.to_user_string() for k in location.definitions.graph.keys]


def test_a_module_of_bare_assets_is_a_code_location(write_tree: WriteTree) -> None:
    write_tree({"bare.py": BARE})
    assert _keys("bare") == ["a", "b"]


def test_a_file_of_bare_assets_is_a_code_location(write_tree: WriteTree) -> None:
    root = write_tree({"bare_file.py": BARE})
    location = load_code_location(file=str(root / "bare_file.py"))
    assert len(location.definitions.assets) == 2


def test_a_definitions_function_is_called(write_tree: WriteTree) -> None:
    write_tree({"lazy.py": LAZY})
    assert _keys("lazy") == ["a"]


def test_several_definitions_functions_are_merged(write_tree: WriteTree) -> None:
    write_tree({"two_lazy.py": TWO_LAZY})
    location = load_code_location(module="two_lazy")
    assert location.definitions.resources == {"db": "sqlite"}
    assert len(location.definitions.assets) == 1


def test_a_definitions_object_beside_a_function_is_refused(write_tree: WriteTree) -> None:
    write_tree({"mixed.py": MIXED})
    with pytest.raises(CodeLocationError, match=r"both a Definitions object \(defs\).*keep one"):
        load_code_location(module="mixed")


def test_nothing_to_load_says_what_to_add(write_tree: WriteTree) -> None:
    write_tree({"empty_mod.py": "x = 1\n"})
    with pytest.raises(CodeLocationError, match="no Definitions object, @definitions function"):
        load_code_location(module="empty_mod")


def test_a_module_of_bare_assets_includes_its_external_assets(write_tree: WriteTree) -> None:
    """An `AssetSpec` beside bare assets is part of the location, as Dagster loads it: an
    asset may depend on it by name."""
    write_tree(
        {
            "bare_ext.py": """
                from upstream import AssetSpec, asset

                raw = AssetSpec("raw")

                @asset(deps=[raw])
                def clean() -> int:
                    return 1
            """
        }
    )
    graph = load_code_location(module="bare_ext").definitions.graph
    assert [k.to_user_string() for k in graph.keys] == ["raw", "clean"]
    assert graph.node(graph.keys[0]).is_external
