"""`EnvVar`: a field value read from the environment when a run starts, never earlier.

Pure: the variable's value is read by `execution.resources` in the process that runs the
steps; here it is only a name, and that name is all a repr, a log or a snapshot shows.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["EnvVar", "IntEnvVar", "is_env_var"]


class EnvVar(str):
    """Dagster's `EnvVar("NAME")`: a `str` whose text is the variable's *name*.

    Pass it as a resource field's value; the field holds the variable's value once the run
    starts. `str(env_var)` raises (as in Dagster), so a secret's name is never mistaken for it;
    `get_value()` reads it now.
    """

    @classmethod
    def int(cls, name: str) -> IntEnvVar:
        """An environment variable for an `int` field."""
        return IntEnvVar.create(name)

    @property
    def env_var_name(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:
        raise RuntimeError(
            f"EnvVar({self.env_var_name!r}) has no value until a run starts: use it as a "
            "resource field's value, or call .get_value() to read the variable now"
        )

    def __repr__(self) -> str:
        return f"EnvVar({self.env_var_name!r})"

    def get_value(self, default: str | None = None) -> str | None:
        """The variable's value now, or `default` when it is not set."""
        return os.environ.get(self.env_var_name, default)


class IntEnvVar(int):
    """`EnvVar.int("NAME")`: an `int` field's environment variable (0 until resolved)."""

    name: str

    @classmethod
    def create(cls, name: str) -> IntEnvVar:
        var = cls(0)
        var.name = name
        return var

    @property
    def env_var_name(self) -> str:
        return self.name

    def __int__(self) -> int:
        raise RuntimeError(
            f"EnvVar.int({self.name!r}) has no value until a run starts; call .get_value()"
        )

    def __str__(self) -> str:
        return repr(self)

    def __repr__(self) -> str:
        return f"EnvVar.int({self.name!r})"

    def get_value(self, default: int | None = None) -> int | None:
        value = os.environ.get(self.name)
        return default if value is None else int(value)


def is_env_var(value: Any) -> bool:
    return isinstance(value, EnvVar | IntEnvVar)
