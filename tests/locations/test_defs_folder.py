"""`load_from_defs_folder` on a `dg` project (Dagster's defs-folder tests): every module of
`<root_module>.defs` contributes, by the one-file rule; all of it makes one Definitions."""

from __future__ import annotations

import pytest
from tests.locations.conftest import WriteTree

from upstream import (
    CodeLocationError,
    Definitions,
    DefinitionsError,
    load_from_defs_folder,
    materialize,
)

PYPROJECT = """
    [project]
    name = "proj"

    [tool.dg.project]
    root_module = "proj"
"""

PROJECT = {
    "pyproject.toml": PYPROJECT,
    "src/proj/__init__.py": "",
    "src/proj/definitions.py": """
        from pathlib import Path
        from upstream import definitions, load_from_defs_folder

        @definitions
        def defs():
            return load_from_defs_folder(path_within_project=Path(__file__).parent)
    """,
    "src/proj/defs/__init__.py": "",
    "src/proj/defs/raw.py": """
        from upstream import asset

        @asset
        def orders() -> list[int]:
            return [1, 2]
    """,
    "src/proj/defs/reports/__init__.py": "",
    "src/proj/defs/reports/daily.py": """
        from upstream import asset

        @asset
        def total(orders: list[int], factor: int) -> int:  # an asset of another file
            return sum(orders) * factor
    """,
    "src/proj/defs/resources.py": """
        from upstream import Definitions, definitions

        @definitions
        def resources():
            return Definitions(resources={"factor": 10})
    """,
}


def test_a_dg_project_loads_as_one_definitions(write_tree: WriteTree) -> None:
    root = write_tree(PROJECT)
    defs = load_from_defs_folder(path_within_project=root / "src" / "proj")
    assert [k.to_user_string() for k in defs.graph.keys] == ["orders", "total"]
    assert materialize(defs).asset_value("total") == 30


def test_project_root_is_the_older_name(write_tree: WriteTree) -> None:
    root = write_tree(PROJECT)
    assert len(load_from_defs_folder(project_root=root).assets) == 2


def test_a_definitions_function_in_the_project_loads_it(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dg`'s `definitions.py` (an @definitions calling load_from_defs_folder)."""
    root = write_tree(PROJECT)
    monkeypatch.syspath_prepend(str(root / "src"))  # as when the project is installed
    from upstream.locations import load_code_location

    location = load_code_location(module="proj.definitions")
    assert isinstance(location.definitions, Definitions)
    assert len(location.definitions.assets) == 2


def test_a_module_with_a_definitions_object_and_a_function_is_refused(
    write_tree: WriteTree,
) -> None:
    root = write_tree(
        {
            **PROJECT,
            "src/proj/defs/mixed.py": """
                from upstream import Definitions, definitions

                defs = Definitions()

                @definitions
                def more():
                    return Definitions()
            """,
        }
    )
    with pytest.raises(CodeLocationError, match=r"proj.defs.mixed.*both @definitions"):
        load_from_defs_folder(path_within_project=root)


def test_two_definitions_objects_in_one_module_are_refused(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            **PROJECT,
            "src/proj/defs/two.py": """
                from upstream import Definitions
                one = Definitions()
                two = Definitions()
            """,
        }
    )
    with pytest.raises(CodeLocationError, match=r"proj.defs.two.*several Definitions"):
        load_from_defs_folder(path_within_project=root)


def test_two_modules_binding_one_resource_key_differently(write_tree: WriteTree) -> None:
    root = write_tree(
        {
            **PROJECT,
            "src/proj/defs/other.py": """
                from upstream import Definitions
                defs = Definitions(resources={"factor": 2})
            """,
        }
    )
    with pytest.raises(DefinitionsError, match=r"different resources to the key 'factor'"):
        load_from_defs_folder(path_within_project=root)


def test_a_folder_without_dg_configuration_says_what_to_add(write_tree: WriteTree) -> None:
    root = write_tree({"pyproject.toml": '[project]\nname = "x"\n'})
    with pytest.raises(CodeLocationError, match=r"\[tool.dg.project\] root_module"):
        load_from_defs_folder(path_within_project=root)


def test_a_missing_defs_package_is_named(write_tree: WriteTree) -> None:
    root = write_tree({"pyproject.toml": PYPROJECT, "proj/__init__.py": ""})
    with pytest.raises(CodeLocationError, match=r"defs module 'proj.defs'"):
        load_from_defs_folder(path_within_project=root)


def test_dg_toml_works_too(write_tree: WriteTree) -> None:
    files = {k: v for k, v in PROJECT.items() if k != "pyproject.toml"}
    root = write_tree({**files, "dg.toml": '[project]\nroot_module = "proj"\n'})
    assert len(load_from_defs_folder(path_within_project=root).assets) == 2
