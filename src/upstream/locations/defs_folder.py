"""`load_from_defs_folder`: the `dg` project layout. Every module under the project's
`defs` package contributes its definitions; together they make one `Definitions`."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

from upstream.locations.loading import CodeLocationError
from upstream.locations.module_assets import Loaded, assets_in_module, modules_in_package
from upstream.model.definitions import Definitions
from upstream.model.errors import DefinitionsError
from upstream.model.lazy import LazyDefinitions

__all__ = ["load_from_defs_folder"]


def _project_config(start: Path) -> tuple[Path, dict[str, Any]]:
    """The nearest directory at or above `start` whose `dg.toml` (`[project]`) or
    `pyproject.toml` (`[tool.dg.project]`) configures a dg project, and that table."""
    here = start.resolve()
    for folder in [here, *here.parents] if here.is_dir() else list(here.parents):
        dg = folder / "dg.toml"
        if dg.is_file():
            table = tomllib.loads(dg.read_text()).get("project")
            if isinstance(table, dict):
                return folder, table
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("dg", {})
            if isinstance(table, dict) and isinstance(table.get("project"), dict):
                return folder, table["project"]
    raise CodeLocationError(
        f"no dg project at or above {str(start)!r}: add to its pyproject.toml "
        '[tool.dg.project] root_module = "<your package>"'
    )


def _defs_package(root: Path, config: dict[str, Any]) -> ModuleType:
    root_module = config.get("root_module")
    if not isinstance(root_module, str) or not root_module:
        raise CodeLocationError(
            f"the dg project at {str(root)!r} names no root_module; set "
            '[tool.dg.project] root_module = "<your package>"'
        )
    name = config.get("defs_module") or f"{root_module}.defs"
    for folder in (root / "src", root):  # dg's src/ layout, or the package at the root
        if (folder / root_module.split(".")[0]).is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
            break
    try:
        return importlib.import_module(str(name))
    except ModuleNotFoundError as exc:
        raise CodeLocationError(
            f"the defs module {name!r} of the dg project at {str(root)!r} cannot be imported "
            f"({exc}); create {name.replace('.', '/')}/__init__.py or set defs_module"
        ) from exc


def _module_parts(module: ModuleType) -> tuple[list[Loaded], dict[str, Any]]:
    """One module's assets and resources, by Dagster's rule for a file in `defs/`: its one
    `Definitions` object, else its `@definitions` functions' results, else its bare assets."""
    label = f"module {module.__name__!r}"
    found = [v for v in vars(module).values() if isinstance(v, Definitions)]
    lazy = [v for v in vars(module).values() if isinstance(v, LazyDefinitions)]
    if found and lazy:
        raise CodeLocationError(
            f"{label} has both @definitions functions and a Definitions object; "
            "at most one of them may be in one module"
        )
    if len(found) > 1:
        raise CodeLocationError(
            f"{label} has several Definitions objects; at most one may be in one module"
        )
    built = found or [fn() for fn in lazy]
    if not built:
        return list(assets_in_module(module)), {}
    merged = built[0] if len(built) == 1 else Definitions.merge(*built)
    return merged.all_assets, merged.resources


def load_from_defs_folder(
    *, path_within_project: Path | str | None = None, project_root: Path | str | None = None
) -> Definitions:
    """The `Definitions` of a dg project: each module of its defs package (`<root_module>.defs`
    unless `defs_module` says otherwise) by Dagster's rule for one file, all merged. A
    resource key bound to two different objects, or one asset key defined twice, is an
    error. `project_root` is Dagster's older name for `path_within_project`."""
    start = path_within_project if path_within_project is not None else project_root
    if start is None:
        raise CodeLocationError("load_from_defs_folder needs path_within_project=Path(...)")
    root, config = _project_config(Path(start))
    package = _defs_package(root, config)
    assets: dict[int, Loaded] = {}
    resources: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for module in modules_in_package(package):
        module_assets, module_resources = _module_parts(module)
        for item in module_assets:
            assets.setdefault(id(item), item)
        for key, value in module_resources.items():
            if key in resources and resources[key] is not value:
                raise DefinitionsError(
                    f"modules {owner[key]} and {module.__name__} bind different resources to "
                    f"the key {key!r}; define it once (e.g. in defs/resources.py)"
                )
            resources[key] = value
            owner[key] = module.__name__
    return Definitions(assets=list(assets.values()), resources=resources)
