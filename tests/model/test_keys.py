"""`AssetKey`: parsing, equality, ordering, and a hash that is safe to cache and to pickle."""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import subprocess
import sys

import pytest

from upstream import AssetKey
from upstream.model.errors import InvalidAssetKey


def test_every_spelling_of_a_key_is_one_key() -> None:
    """A string, a list of parts and a user string give equal keys with equal hashes."""
    spellings = [
        AssetKey(["sales", "orders"]),
        AssetKey(("sales", "orders")),
        AssetKey.from_user_string("sales/orders"),
        AssetKey.from_coercible("sales/orders"),
    ]
    assert len(set(spellings)) == 1
    assert {hash(key) for key in spellings} == {hash(spellings[0])}
    assert AssetKey("orders") == AssetKey(["orders"])
    assert AssetKey("orders") != AssetKey(["sales", "orders"])


def test_keys_order_by_path_and_print_as_user_strings() -> None:
    """Ordering and printing ignore the cached hash."""
    keys = [AssetKey("b"), AssetKey(["a", "z"]), AssetKey("a")]
    assert sorted(keys) == [AssetKey("a"), AssetKey(["a", "z"]), AssetKey("b")]
    assert str(AssetKey(["sales", "orders"])) == "sales/orders"
    assert repr(AssetKey(["sales", "orders"])) == "AssetKey(['sales', 'orders'])"


@pytest.mark.parametrize("path", [[], [""], ["a b"], ["sales", "-x"], "a/b", [1]])
def test_invalid_parts_are_refused(path: object) -> None:
    with pytest.raises(InvalidAssetKey):
        AssetKey(path)  # type: ignore[arg-type]


def test_a_key_is_immutable() -> None:
    key = AssetKey("orders")
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.path = ("other",)  # type: ignore[misc]


def test_copies_and_replacements_are_equal_keys() -> None:
    """copy, deepcopy, pickle and dataclasses.replace all yield working, hashable keys."""
    key = AssetKey(["sales", "orders"])
    for other in (copy.copy(key), copy.deepcopy(key), pickle.loads(pickle.dumps(key))):
        assert other == key
        assert hash(other) == hash(key)
    renamed = dataclasses.replace(key, path=("sales", "returns"))
    assert renamed == AssetKey(["sales", "returns"])
    assert hash(renamed) == hash(AssetKey(["sales", "returns"]))


def test_a_key_pickled_by_another_process_finds_its_dict_entry() -> None:
    """String hashes are salted per process: a pickle carries the path, not the cached hash."""
    code = (
        "import pickle, sys; from upstream import AssetKey; "
        "sys.stdout.buffer.write(pickle.dumps(AssetKey(['sales', 'orders'])))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, env=env)
    loaded = pickle.loads(done.stdout)
    assert loaded in {AssetKey(["sales", "orders"]): 1}
    assert hash(loaded) == hash(AssetKey(["sales", "orders"]))
