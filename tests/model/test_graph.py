"""`AssetGraph`: order, traversal, cycles and the snapshot the coordinator plans from."""

import json

import pytest

from upstream import AssetIn, AssetKey, Definitions, DefinitionsError, MetadataValue, asset
from upstream.model import AssetGraph, AssetNode
from upstream.model.errors import AssetCycle, InvalidAssetKey


def _k(text: str) -> AssetKey:
    return AssetKey.from_user_string(text)


def _graph(edges: dict[str, list[str]], groups: dict[str, str] | None = None) -> AssetGraph:
    """Build a graph from `child: [parents]`; every parent must also be a key."""
    groups = groups or {}
    return AssetGraph(
        AssetNode(
            key=_k(child),
            parents=tuple(_k(p) for p in parents),
            group=groups.get(child, "default"),
        )
        for child, parents in edges.items()
    )


# raw -> clean -> (daily, weekly) -> report -> export, plus an unrelated `lookup`.
DIAMOND = {
    "export": ["report"],
    "report": ["daily", "weekly"],
    "weekly": ["clean"],
    "daily": ["clean"],
    "clean": ["raw"],
    "raw": [],
    "lookup": [],
}


def _names(keys: object) -> set[str]:
    return {str(k) for k in keys}  # type: ignore[attr-defined]


# -- order and neighbours ---------------------------------------------------------------------


def test_keys_are_in_topological_order() -> None:
    """Every parent comes before each of its children, and every key appears once."""
    graph = _graph(DIAMOND)
    order = [str(k) for k in graph.keys]
    assert sorted(order) == sorted(DIAMOND)
    for child, parents in DIAMOND.items():
        for parent in parents:
            assert order.index(parent) < order.index(child), (parent, child)
    assert [n.key for n in graph.nodes] == graph.keys
    assert len(graph) == len(DIAMOND)


@pytest.mark.parametrize(
    ("key", "parents", "children"),
    [
        ("raw", set(), {"clean"}),
        ("clean", {"raw"}, {"daily", "weekly"}),
        ("report", {"daily", "weekly"}, {"export"}),
        ("export", {"report"}, set()),
        ("lookup", set(), set()),
    ],
)
def test_parents_and_children(key: str, parents: set[str], children: set[str]) -> None:
    """Parents are a node's upstreams and children its direct downstreams."""
    graph = _graph(DIAMOND)
    assert _names(graph.parents(_k(key))) == parents
    assert _names(graph.children(_k(key))) == children


def test_parents_keep_their_declared_order() -> None:
    """`parents` is the node's own tuple, in the order the asset declared them."""
    graph = _graph(DIAMOND)
    assert graph.parents(_k("report")) == (_k("daily"), _k("weekly"))


@pytest.mark.parametrize(
    ("start", "depth", "expected"),
    [
        (["export"], None, {"report", "daily", "weekly", "clean", "raw"}),
        (["export"], 1, {"report"}),
        (["export"], 2, {"report", "daily", "weekly"}),
        (["export"], 0, set()),
        (["raw"], None, set()),
        (["daily", "weekly"], 1, {"clean"}),
        (["report", "daily"], 1, {"weekly", "clean"}),
        (["lookup", "clean"], None, {"raw"}),
    ],
)
def test_ancestors_up_to_a_depth(start: list[str], depth: int | None, expected: set[str]) -> None:
    """Ancestors within `depth` hops (None: all), never including the starting keys."""
    graph = _graph(DIAMOND)
    assert _names(graph.ancestors([_k(s) for s in start], depth=depth)) == expected


@pytest.mark.parametrize(
    ("start", "depth", "expected"),
    [
        (["raw"], None, {"clean", "daily", "weekly", "report", "export"}),
        (["raw"], 1, {"clean"}),
        (["raw"], 2, {"clean", "daily", "weekly"}),
        (["raw"], 0, set()),
        (["export"], None, set()),
        (["clean", "daily"], 1, {"weekly", "report"}),
        (["daily"], 2, {"report", "export"}),
    ],
)
def test_descendants_up_to_a_depth(start: list[str], depth: int | None, expected: set[str]) -> None:
    """Descendants within `depth` hops (None: all), never including the starting keys."""
    graph = _graph(DIAMOND)
    assert _names(graph.descendants([_k(s) for s in start], depth=depth)) == expected


def test_groups_list_their_keys_in_topological_order() -> None:
    """`groups()` maps each group name to its keys, parents first."""
    graph = _graph(
        DIAMOND,
        groups={"raw": "ingest", "clean": "ingest", "daily": "reports", "report": "reports"},
    )
    groups = graph.groups()
    assert set(groups) == {"ingest", "reports", "default"}
    assert groups["ingest"] == [_k("raw"), _k("clean")]
    assert _names(groups["reports"]) == {"daily", "report"}
    assert groups["reports"].index(_k("daily")) < groups["reports"].index(_k("report"))
    assert _names(groups["default"]) == {"weekly", "export", "lookup"}


def test_membership_and_node_lookup() -> None:
    """`key in graph` and `graph.node(key)` find nodes; unknown keys are not members."""
    graph = _graph(DIAMOND)
    assert _k("clean") in graph
    assert _k("missing") not in graph
    assert "clean" not in graph
    assert graph.node(_k("clean")).parents == (_k("raw"),)


# -- refused graphs -------------------------------------------------------------------------------


def test_a_parent_outside_the_graph_is_refused() -> None:
    """Every parent must be a node: the error names both the asset and the missing parent."""
    with pytest.raises(DefinitionsError, match="'report' depends on 'raw', which is not in"):
        AssetGraph([AssetNode(key=_k("report"), parents=(_k("raw"),))])


def test_a_key_twice_is_refused() -> None:
    """Two nodes with one key cannot make a graph."""
    with pytest.raises(DefinitionsError, match="'raw' appears twice"):
        AssetGraph([AssetNode(key=_k("raw")), AssetNode(key=_k("raw"))])


@pytest.mark.parametrize(
    ("edges", "cycle", "off_cycle"),
    [
        (
            {
                "alpha": ["gamma", "feeder"],
                "beta": ["alpha"],
                "gamma": ["beta"],
                "feeder": [],
                "sink": ["gamma"],
            },
            ["alpha", "beta", "gamma"],
            ["feeder", "sink"],
        ),
        (
            # The smallest stuck key is downstream of the cycle, through another stuck key.
            {
                "aaa_sink": ["zz_mid", "zeta"],
                "zz_mid": ["zeta"],
                "zeta": ["yotta"],
                "yotta": ["zeta", "feeder"],
                "feeder": [],
            },
            ["yotta", "zeta"],
            ["aaa_sink", "zz_mid", "feeder"],
        ),
        (
            {"loop": ["loop", "feeder"], "feeder": [], "sink": ["loop"]},
            ["loop"],
            ["feeder", "sink"],
        ),
        (
            {
                "sales/one": ["sales/four"],
                "sales/two": ["sales/one"],
                "ops/three": ["sales/two"],
                "ops/four_x": [],
                "sales/four": ["ops/three", "ops/four_x"],
            },
            ["sales/one", "sales/two", "ops/three", "sales/four"],
            ["ops/four_x"],
        ),
    ],
    ids=["three-with-feeder-and-sink", "downstream-sorts-first", "self-loop", "prefixed-four"],
)
def test_a_cycle_is_reported_in_dependency_order_naming_only_its_members(
    edges: dict[str, list[str]], cycle: list[str], off_cycle: list[str]
) -> None:
    """The error is `a -> b -> ... -> a` along real edges, a rotation of the cycle, and no more."""
    with pytest.raises(AssetCycle) as raised:
        _graph(edges)
    found = raised.value.cycle
    assert len(found) == len(cycle)
    assert any(found == cycle[i:] + cycle[:i] for i in range(len(cycle))), found
    for upstream_key, downstream_key in zip(found, [*found[1:], found[0]], strict=True):
        assert upstream_key in edges[downstream_key], (upstream_key, downstream_key)
    message = str(raised.value)
    assert " -> ".join([*found, found[0]]) in message
    for name in off_cycle:
        assert name not in message


def test_a_graph_with_two_cycles_reports_one_real_cycle() -> None:
    """With several cycles, the one reported is still a true cycle along real edges."""
    edges = {
        "alpha": ["beta"],
        "beta": ["alpha"],
        "gamma": ["delta", "beta"],
        "delta": ["gamma"],
    }
    with pytest.raises(AssetCycle) as raised:
        _graph(edges)
    found = raised.value.cycle
    assert len(set(found)) == len(found) >= 2
    for upstream_key, downstream_key in zip(found, [*found[1:], found[0]], strict=True):
        assert upstream_key in edges[downstream_key]


# -- snapshots and hashes --------------------------------------------------------------------------


def _definitions(
    *, report_reads_clean: bool = True, shuffled: bool = False, note: str = "daily report"
) -> Definitions:
    """A fresh, independently built code location; arguments change one thing about it."""

    @asset(key_prefix="sales", group_name="sales", metadata={"rows": 3, "ratio": float("nan")})
    def raw() -> list[int]:
        return [1]

    @asset(
        group_name="sales",
        ins={"raw": AssetIn(key_prefix="sales")},
        tags={"tier": "silver"},
        metadata={"link": "https://example.com", "doc": MetadataValue.md("# clean")},
    )
    def clean(raw: list[int]) -> list[int]:
        return raw

    if report_reads_clean:

        @asset(description=note, deps=["warehouse/exports"], queue="reports")
        def report(clean: list[int]) -> int:
            return len(clean)

    else:

        @asset(description=note, deps=["warehouse/exports"], queue="reports")
        def report() -> int:
            return 0

    assets = [report, clean, raw] if shuffled else [raw, clean, report]
    return Definitions(assets)


def test_snapshot_round_trips() -> None:
    """`from_snapshot(to_snapshot())` rebuilds a graph with an equal snapshot and hash."""
    graph = _definitions().graph
    snapshot = graph.to_snapshot()
    rebuilt = AssetGraph.from_snapshot(snapshot)
    assert rebuilt.to_snapshot() == snapshot
    assert rebuilt.snapshot_hash() == graph.snapshot_hash()
    assert set(rebuilt.keys) == set(graph.keys)
    for key in graph.keys:
        assert rebuilt.node(key) == graph.node(key)
        assert rebuilt.parents(key) == graph.parents(key)
        assert set(rebuilt.children(key)) == set(graph.children(key))


def test_snapshot_is_json_and_survives_a_json_round_trip() -> None:
    """The snapshot is strict JSON (no NaN), and a JSON copy rebuilds the same graph."""
    graph = _definitions().graph
    text = json.dumps(graph.to_snapshot(), allow_nan=False)
    rebuilt = AssetGraph.from_snapshot(json.loads(text))
    assert rebuilt.to_snapshot() == graph.to_snapshot()
    assert rebuilt.snapshot_hash() == graph.snapshot_hash()


def test_snapshot_carries_what_the_catalog_and_planner_need() -> None:
    """Group, description, normalised metadata, tags, external deps and queue are in the node."""
    graph = _definitions().graph
    report = graph.node(_k("report"))
    assert report.external_deps == (_k("warehouse/exports"),)
    assert report.queue == "reports"
    assert report.description == "daily report"
    clean = graph.node(_k("clean"))
    assert clean.group == "sales"
    assert clean.tags == {"tier": "silver"}
    assert clean.metadata == {
        "link": {"type": "url", "value": "https://example.com"},
        "doc": {"type": "md", "value": "# clean"},
    }
    assert graph.node(_k("sales/raw")).metadata["ratio"] == {"type": "float", "value": "nan"}


def test_a_node_from_a_minimal_dict_takes_the_defaults() -> None:
    """`AssetNode.from_dict` needs only a key; the rest defaults as in the dataclass."""
    assert AssetNode.from_dict({"key": "sales/orders"}) == AssetNode(key=_k("sales/orders"))


def test_the_hash_is_stable_across_builds_and_asset_order() -> None:
    """Two independent builds of the same code give one hash, whatever the asset list order."""
    first = _definitions()
    second = _definitions()
    shuffled = _definitions(shuffled=True)
    assert first.hash == second.hash == shuffled.hash
    assert first.graph.to_snapshot() == shuffled.graph.to_snapshot()


@pytest.mark.parametrize(
    "changed",
    [{"report_reads_clean": False}, {"note": "weekly report"}],
    ids=["edge-removed", "description-changed"],
)
def test_the_hash_changes_with_the_graph(changed: dict[str, object]) -> None:
    """Removing an edge (or changing what the catalog shows) changes the hash."""
    assert _definitions(**changed).hash != _definitions().hash  # type: ignore[arg-type]


def test_an_edge_change_between_direct_graphs_changes_the_hash() -> None:
    """Re-pointing one parent gives a different hash, even with the same nodes."""
    one = _graph({"a": [], "b": [], "c": ["a"]})
    other = _graph({"a": [], "b": [], "c": ["b"]})
    assert one.snapshot_hash() != other.snapshot_hash()
    assert one.snapshot_hash() == _graph({"b": [], "a": [], "c": ["a"]}).snapshot_hash()


def test_from_snapshot_shares_one_key_object_per_key() -> None:
    """Each key string is parsed once: a parent reference is the parent node's own key."""
    snapshot = _graph({"a": [], "b": ["a"], "c": ["a", "b"]}).to_snapshot()
    graph = AssetGraph.from_snapshot(json.loads(json.dumps(snapshot)))
    a, b, c = (graph.node(_k(name)) for name in "abc")
    assert b.parents[0] is a.key
    assert c.parents[0] is a.key
    assert c.parents[1] is b.key


def test_from_snapshot_still_validates_every_key() -> None:
    """A malformed key string is refused, whether it names an asset or a parent."""
    with pytest.raises(InvalidAssetKey, match="'bad key'"):
        AssetGraph.from_snapshot({"assets": [{"key": "a", "parents": ["bad key"]}]})
    with pytest.raises(InvalidAssetKey, match="'bad key'"):
        AssetGraph.from_snapshot({"assets": [{"key": "bad key"}]})
