"""Load a code location (`-m module` or `-f file.py`) and find its `Definitions`.

Every way this can go wrong is a `CodeLocationError` with one line naming the problem.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from upstream.locations.module_assets import assets_in_module
from upstream.model.definitions import Definitions
from upstream.model.errors import DefinitionsError, UpstreamError
from upstream.model.lazy import LazyDefinitions
from upstream.storage.records import CodeLocationRecord

__all__ = [
    "CodeLocation",
    "CodeLocationError",
    "code_location_files",
    "forget_code_location",
    "load_code_location",
]


class CodeLocationError(UpstreamError):
    """The module or file could not be loaded, or holds no usable `Definitions`."""


@dataclass(frozen=True)
class CodeLocation:
    """A loaded module and the `Definitions` found in it."""

    name: str
    definitions: Definitions

    def record(self) -> CodeLocationRecord:
        """What a store keeps of it, so a coordinator or `upstream web` needs no import."""
        return CodeLocationRecord(
            name=self.name,
            definitions_hash=self.definitions.hash,
            snapshot=self.definitions.graph.to_snapshot(),
            updated_at=time.time(),
        )


def _import_module(name: str) -> ModuleType:
    if name.endswith(".py"):
        raise CodeLocationError(f"-m takes a module name, not a file; use -f {name}")
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # `-m my_pipeline` from the project root, as Dagster does
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise CodeLocationError(
                f"no module named {name!r}; run from the directory that contains it, "
                "or install its package"
            ) from exc
        raise CodeLocationError(
            f"module {name!r} failed to import: {type(exc).__name__}: {exc}; install it"
        ) from exc
    except DefinitionsError:
        raise
    except Exception as exc:
        raise CodeLocationError(
            f"module {name!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def _import_file(path: Path) -> ModuleType:
    if path.is_dir():
        raise CodeLocationError(f"{str(path)!r} is a directory, not a Python file")
    if not path.is_file():
        raise CodeLocationError(f"file {str(path)!r} does not exist")
    name = f"upstream_code_location_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CodeLocationError(f"file {str(path)!r} is not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    parent = str(path.parent.resolve())
    if parent not in sys.path:
        sys.path.insert(0, parent)  # sibling imports work, as when run as a script
    try:
        spec.loader.exec_module(module)
    except DefinitionsError:
        raise
    except Exception as exc:
        del sys.modules[name]
        raise CodeLocationError(
            f"file {str(path)!r} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _find_definitions(module: ModuleType, label: str) -> Definitions:
    """The module's `Definitions`: its one `Definitions` object (or the one named `defs`),
    else what its `@definitions` functions return (merged), else its bare assets, as
    Dagster loads a module with no `Definitions`."""
    found = {attr: value for attr, value in vars(module).items() if isinstance(value, Definitions)}
    lazy = {a: v for a, v in vars(module).items() if isinstance(v, LazyDefinitions)}
    if found and lazy:
        raise CodeLocationError(
            f"{label} has both a Definitions object ({', '.join(sorted(found))}) and "
            f"@definitions functions ({', '.join(sorted(lazy))}); keep one of them"
        )
    if len(found) > 1:
        if "defs" in found:
            return found["defs"]
        names = ", ".join(sorted(found))
        raise CodeLocationError(
            f"{label} has several Definitions objects ({names}); name the one to use `defs`"
        )
    if found:
        return next(iter(found.values()))
    if lazy:
        built = [fn() for _, fn in sorted(lazy.items())]
        return built[0] if len(built) == 1 else Definitions.merge(*built)
    assets = list({id(a): a for a in assets_in_module(module)}.values())  # specs: unhashable
    if not assets:
        raise CodeLocationError(
            f"{label} has no Definitions object, @definitions function or @asset; "
            "add `defs = Definitions(assets=[...])`"
        )
    return Definitions(assets=assets)


def load_code_location(module: str | None = None, file: str | None = None) -> CodeLocation:
    """Import the module or file and return its one `Definitions` (or the one named `defs`)."""
    if module is not None and file is None:
        definitions = _find_definitions(_import_module(module), f"module {module!r}")
        return CodeLocation(module, definitions)
    if file is not None and module is None:
        definitions = _find_definitions(_import_file(Path(file)), f"file {file!r}")
        return CodeLocation(str(Path(file).resolve()), definitions)  # same name from any cwd
    raise CodeLocationError("name the code location with -m MODULE or -f FILE (one of them)")


def _belongs(name: str, loaded: ModuleType, module: str | None, file: str | None) -> bool:
    """Is `loaded` part of the user's code location (not upstream, not an installed package)?"""
    if name == "upstream" or name.startswith("upstream."):
        return False
    if module is not None:
        top = module.split(".")[0]
        return name == top or name.startswith(top + ".")
    if file is None:
        return False
    if name == f"upstream_code_location_{Path(file).stem}":
        return True
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        return False
    path = Path(origin).resolve()
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix)}
    if any(path.is_relative_to(root) for root in installed):
        return False
    return path.is_relative_to(Path(file).resolve().parent)


def forget_code_location(module: str | None = None, file: str | None = None) -> None:
    """Drop the code location's modules from `sys.modules`, and their cached bytecode, so
    that loading it again re-imports edited files (what `upstream dev` does on reload).
    A `.pyc` is trusted by its source's size and mtime in whole seconds: a file edited
    twice within a second to the same size would otherwise load the older code."""
    for source in code_location_files(module, file):
        with contextlib.suppress(OSError, ValueError):
            Path(importlib.util.cache_from_source(str(source))).unlink(missing_ok=True)
    for name, loaded in list(sys.modules.items()):
        if _belongs(name, loaded, module, file):
            del sys.modules[name]
    importlib.invalidate_caches()


def code_location_files(module: str | None = None, file: str | None = None) -> set[Path]:
    """The source files of the code location that are imported now, plus its entry point:
    what to watch for changes."""
    files: set[Path] = set()
    for name, loaded in list(sys.modules.items()):
        origin = getattr(loaded, "__file__", None)
        if origin and _belongs(name, loaded, module, file):
            files.add(Path(origin).resolve())
    if file is not None:
        files.add(Path(file).resolve())
    elif module is not None:
        try:
            spec = importlib.util.find_spec(module)
        except Exception:  # its package fails to import: watch where it would come from
            spec = None
        if spec is not None and spec.origin and Path(spec.origin).exists():
            files.add(Path(spec.origin).resolve())
        top = Path.cwd() / module.split(".")[0]
        files.update(p.resolve() for p in (top.with_suffix(".py"), top / "__init__.py"))
    return files
