"""`upstream init NAME`: write a new project that runs and passes its own test at once.

A new user's first minutes decide whether they keep going, so the scaffold is a working
code location rather than a set of TODOs: two assets (one feeding the other by parameter
name), a resource with fields and a Config (what real projects use), tests that
materialize them, and a README with the commands to use it.
Templates use `string.Template` (`$pkg`), because pyproject.toml and Python code are
full of braces that `str.format` would trip over.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from pathlib import Path
from string import Template

from upstream.model.errors import ConfigurationError

__all__ = ["package_name", "scaffold_project"]

_PYPROJECT = Template("""\
[build-system]
requires = ["hatchling>=1.21"]
build-backend = "hatchling.build"

[project]
name = "$name"
version = "0.1.0"
description = "An upstream code location."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["upstream"]

[project.optional-dependencies]
dev = ["pytest>=8"]

[tool.hatch.build.targets.wheel]
packages = ["$pkg"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
""")

_PACKAGE = Template('''\
"""The assets of $name. Materialize them with `upstream materialize -m $pkg`."""

from upstream import AssetExecutionContext, Config, ConfigurableResource, Definitions, asset


class NumberSource(ConfigurableResource):
    """Where the numbers come from: a resource with fields, as in Dagster. Set them in
    `Definitions` below, from the environment (`values=EnvVar("NUMBERS")` for a string
    field), or per run with run config."""

    values: list[int] = [3, 1, 4, 1, 5, 9, 2, 6]

    def read(self) -> list[int]:
        return list(self.values)


class TotalConfig(Config):
    """Run config of `total`: `upstream materialize -m $pkg -c ops.total.config.scale=2`."""

    scale: int = 1


@asset
def numbers(context: AssetExecutionContext, source: NumberSource) -> list[int]:
    """Some raw data; `source` is the resource, given by its annotation."""
    values = source.read()
    context.log.info("loaded %d numbers", len(values))
    return values


@asset
def total(config: TotalConfig, numbers: list[int]) -> int:
    """The sum of `numbers` (its parameter's name makes it an upstream), times the scale."""
    return sum(numbers) * config.scale


defs = Definitions(assets=[numbers, total], resources={"source": NumberSource()})
''')

_TEST = Template("""\
from upstream import RunConfig, materialize

from $pkg import NumberSource, TotalConfig, defs, total


def test_materializes() -> None:
    result = materialize(defs)
    assert result.success
    assert result.asset_value("total") == 31


def test_run_config_and_resources_change_a_run() -> None:
    run_config = RunConfig(ops={"total": TotalConfig(scale=2)})
    result = materialize(defs, run_config, resources={"source": NumberSource(values=[1, 2])})
    assert result.asset_value("total") == 6


def test_asset_is_a_plain_function() -> None:
    assert total(config=TotalConfig(scale=10), numbers=[1, 2, 3]) == 60
""")

_README = Template("""\
# $name

An upstream code location: the assets live in
`$pkg/__init__.py`, their test in `tests/test_assets.py`.

```sh
pip install -e '.[dev]'                                   # install the project and pytest
upstream materialize -m $pkg                              # materialize every asset
upstream materialize -m $pkg -c ops.total.config.scale=2  # with run config
pytest                                                    # run the tests
```
""")

_NAME = re.compile(r"[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?")
_TAKEN = frozenset({*sys.stdlib_module_names, "upstream", "tests", "test"})

_GITIGNORE = """\
__pycache__/
*.egg-info/
.venv/
.upstream/
"""


def package_name(name: str) -> str:
    """The Python package for project `name`: `my-project` -> `my_project`.

    Raises `ConfigurationError` (a ValueError) saying why, and suggesting a name that
    works, when there is none.
    """
    pkg = re.sub(r"[-.]+", "_", name).lower()
    if not _NAME.fullmatch(name):
        why = (
            "must start with a letter, end with a letter or digit, "
            "and use only letters, digits, '-', '_' and '.'"
        )
    elif keyword.iskeyword(pkg):
        why = f"would make the package {pkg!r}, a Python keyword"
    elif pkg in _TAKEN:
        why = f"would make the package {pkg!r}, which shadows an existing module"
    else:
        return pkg
    words = re.findall(
        r"[a-z0-9]+", unicodedata.normalize("NFKD", pkg).encode("ascii", "ignore").decode()
    )
    suggestion = "_".join(words) or "project"
    if not suggestion[0].isalpha() or keyword.iskeyword(suggestion) or suggestion in _TAKEN:
        suggestion = f"my_{suggestion}"
    raise ConfigurationError(f"project name {name!r} {why}; try {suggestion!r}")


def scaffold_project(name: str, parent: Path) -> Path:
    """Create `parent/name/` with a package, a passing test, pyproject.toml and a README.

    Returns the project directory. Raises `FileExistsError` if it exists and is not empty,
    `ConfigurationError` if `name` cannot become a Python package name.
    """
    pkg = package_name(name)
    root = Path(parent) / name
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(f"{root} already exists and is not empty; choose another name")
    files = {
        "pyproject.toml": _PYPROJECT.substitute(name=name, pkg=pkg),
        f"{pkg}/__init__.py": _PACKAGE.substitute(name=name, pkg=pkg),
        "tests/test_assets.py": _TEST.substitute(name=name, pkg=pkg),
        "README.md": _README.substitute(name=name, pkg=pkg),
        ".gitignore": _GITIGNORE,
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
