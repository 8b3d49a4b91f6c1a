"""Run tags checked as Dagster checks them: str keys; str values, or JSON values that read
back equal (stored as JSON text); anything else a ConfigurationError naming the key."""

from __future__ import annotations

import re
from typing import Any

import pytest

from upstream.model.errors import ConfigurationError
from upstream.model.run_tags import check_run_tags


def test_strings_pass_unchanged_and_none_is_no_tags() -> None:
    assert check_run_tags({"team": "sales", "": ""}) == {"team": "sales", "": ""}
    assert check_run_tags(None) == {}


def test_json_round_tripping_values_become_json_text() -> None:
    given = {"n": 1, "f": 1.5, "ok": True, "none": None, "list": [1, "a"], "d": {"k": [2]}}
    assert check_run_tags(given) == {
        "n": "1",
        "f": "1.5",
        "ok": "true",
        "none": "null",
        "list": '[1, "a"]',
        "d": '{"k": [2]}',
    }


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({1: "x"}, "run tag key 1 is a int; tag keys must be strings"),
        ({"t": (1, 2)}, "run tag 't' has value (1, 2)"),  # JSON gives a list back
        ({"s": {1, 2}}, "run tag 's' has value"),
        ({"k": {1: "a"}}, "run tag 'k' has value"),  # JSON makes the key "1"
        ({"nan": float("nan")}, "run tag 'nan' has value"),  # nan != nan
        ("team=sales", "run tags must be a dict"),
    ],
)
def test_bad_tags_name_the_key(tags: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match="^" + re.escape(message)):
        check_run_tags(tags)
