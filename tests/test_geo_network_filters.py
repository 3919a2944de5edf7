"""Our walk and drive way filters keep exactly the ways osmnx's own ``network_type`` keeps.

osmnx applies its "walk" and "drive" filters only to Overpass downloads (``graph_from_xml`` keeps every way)
and builds them in a private function, so geo/network/graph.py holds a copy. These tests read osmnx's filter
string (the one private osmnx name the tests use, on purpose: an osmnx upgrade that changes it fails here)
and apply it as Overpass does with a tiny interpreter of exactly its clause kinds, then compare: on every
tag combination the filters name, on a synthetic file, and on the real central-Chengdu extract.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import chain
from pathlib import Path

import osmnx as ox
import pytest
from conftest import CHENGDU_OSM, require_shared

from geo.inputs import load_network, read_osm_graph
from geo.network import graph as network
from geo.network.graph import DRIVE, MODES, WALK

# One Overpass tag clause: ["key"], ["key"~"regex"] or ["key"!~"regex"].
CLAUSE = re.compile(r'\["([^"\]]+)"(?:(!~|~)"([^"]*)")?\]')


def osmnx_clauses(mode: str) -> list[tuple[str, str | None, re.Pattern | None]]:
    """osmnx's Overpass way filter for ``mode`` as (key, operator, regex) clauses; fails on anything else."""
    text = ox._overpass._get_network_filter(mode)
    clauses = list(CLAUSE.finditer(text))
    assert "".join(m.group(0) for m in clauses) == text, f"osmnx's {mode} filter has a clause kind we do not read"
    return [(m[1], m[2], None if m[3] is None else re.compile(m[3])) for m in clauses]


def osmnx_keeps(tags: dict[str, str], clauses) -> bool:
    """Whether Overpass keeps a way with these tags: ``!~`` also holds when the key is absent."""
    for key, op, rx in clauses:
        value = tags.get(key)
        if op is None:
            ok = value is not None
        elif op == "~":
            ok = value is not None and rx.search(value) is not None
        else:
            ok = value is None or rx.search(value) is None
        if not ok:
            return False
    return True


@pytest.fixture(scope="module")
def clauses() -> dict[str, list]:
    return {mode: osmnx_clauses(mode) for mode in MODES}


def test_the_interpreter_reads_osmnx_filters(clauses):
    # Guards against a vacuous comparison: both filters require a highway and refuse private access.
    for mode in MODES:
        assert ("highway", None, None) in clauses[mode]
        assert any(k == "access" and op == "!~" and rx.search("private") for k, op, rx in clauses[mode])
    assert osmnx_keeps({"highway": "footway"}, clauses[WALK])
    assert not osmnx_keeps({"highway": "footway"}, clauses[DRIVE])
    assert not osmnx_keeps({"building": "yes"}, clauses[WALK])


def tag_cases(clauses) -> list[dict[str, str]]:
    """A residential street with one tag changed to every value any filter (osmnx's or ours) names, and
    a few neutral ones; plus ways with no highway."""
    alternatives: dict[str, set[str]] = {}
    rules = chain(((k, rx.pattern) for cl in clauses.values() for k, op, rx in cl if rx is not None),
                  ((k, v) for rules in network._EXCLUDE.values() for k, v in rules.items()))
    for key, pattern in rules:
        alternatives.setdefault(key, set()).update(pattern.split("|"))
    neutral = {"yes", "no", "both", "separate", "private", "designated", "permissive", "residential", "unknown"}
    cases = [{"building": "yes"}, {"area": "no"}, {"highway": "residential"}]
    for key, values in sorted(alternatives.items()):
        for value in sorted(values | neutral):
            cases.append({"highway": "residential", key: value})
    return cases


@pytest.mark.parametrize("mode", MODES)
def test_our_filter_agrees_with_osmnx_on_every_named_tag(clauses, mode):
    cases = tag_cases(clauses)
    assert len(cases) > 100
    differ = [tags for tags in cases if (not network._excluded(tags, mode)) != osmnx_keeps(tags, clauses[mode])]
    assert not differ, f"{mode}: ours and osmnx's keep different ways for {differ[:5]}"


def test_every_tag_a_filter_reads_is_kept_on_the_edges(clauses):
    # A tag osmnx's graph does not copy onto edges would never filter anything.
    read = {k for cl in clauses.values() for k, _, _ in cl}
    assert read <= set(ox.settings.useful_tags_way), read - set(ox.settings.useful_tags_way)


SIDEWALK_KEYS = ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")


def synthetic_osm() -> tuple[str, dict[str, dict[str, str]]]:
    """A ring of four residential streets, a primary road per sidewalk key mapped with separate sidewalks
    (each from one ring corner to another through its own middle node), two control roads and a footway;
    returns the XML and each way's tags by name."""
    corners = {1: (104.060, 30.660), 2: (104.064, 30.660), 3: (104.064, 30.664), 4: (104.060, 30.664)}
    ways: list[tuple[list[int], dict[str, str]]] = [
        ([1, 2], {"highway": "residential", "name": "南街"}),
        ([2, 3], {"highway": "residential", "name": "东街"}),
        ([3, 4], {"highway": "residential", "name": "北街"}),
        ([4, 1], {"highway": "residential", "name": "西街"}),
    ]
    nodes = dict(corners)
    ends = [(1, 3), (2, 4), (1, 3), (2, 4), (1, 3), (2, 4)]
    extra = [({key: "separate"}, f"分离人行道路{i}") for i, key in enumerate(SIDEWALK_KEYS)]
    extra += [({"sidewalk": "both"}, "两侧人行道路"), ({"sidewalk": "no"}, "无人行道路")]
    for i, ((a, b), (tags, name)) in enumerate(zip(ends, extra)):
        mid = 10 + i
        nodes[mid] = (104.061 + i * 0.0003, 30.661 + i * 0.0003)
        ways.append(([a, mid, b], {"highway": "primary", "name": name, **tags}))
    nodes[20] = (104.062, 30.6595)
    ways.append(([1, 20, 2], {"highway": "footway", "name": "人行小道"}))
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    lines += [f'  <node id="{n}" lat="{lat}" lon="{lon}" version="1"/>' for n, (lon, lat) in nodes.items()]
    for wid, (refs, tags) in enumerate(ways, start=100):
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        lines.append(f'  <way id="{wid}" version="1">{body}</way>')
    lines.append("</osm>")
    return "\n".join(lines) + "\n", {tags["name"]: tags for _, tags in ways}


def test_roads_with_separately_mapped_sidewalks_are_not_walked_as_osmnx_does(tmp_path, clauses):
    for key in SIDEWALK_KEYS:  # the installed osmnx drops them (2.1 does)
        assert any(k == key and op == "!~" and rx.search("separate") for k, op, rx in clauses[WALK]), key
    text, tags_by_name = synthetic_osm()
    path = tmp_path / "sidewalks.osm"
    path.write_text(text, encoding="utf-8")
    separate = {f"分离人行道路{i}" for i in range(len(SIDEWALK_KEYS))}
    for mode in MODES:
        names = set(load_network(path, mode, use_cache=False).edge_name)
        expected = {name for name, tags in tags_by_name.items() if osmnx_keeps(tags, clauses[mode])}
        assert names == expected, mode
    walk = set(load_network(path, WALK, use_cache=False).edge_name)
    drive = set(load_network(path, DRIVE, use_cache=False).edge_name)
    assert not walk & separate and separate <= drive
    assert {"两侧人行道路", "无人行道路", "人行小道"} <= walk and "人行小道" not in drive


def raw_way_tags(path: Path) -> dict[int, dict[str, str]]:
    """Every way's full tags, read straight from the XML (not through osmnx's kept tags)."""
    ways: dict[int, dict[str, str]] = {}
    for _, elem in ET.iterparse(path, events=("end",)):
        if elem.tag == "way":
            ways[int(elem.get("id"))] = {t.get("k"): t.get("v") for t in elem.iter("tag")}
            elem.clear()
        elif elem.tag == "node":
            elem.clear()
    return ways


@pytest.fixture(scope="module")
def chengdu_graph():
    path = require_shared(CHENGDU_OSM)
    return read_osm_graph(path), raw_way_tags(path)


@pytest.mark.parametrize("mode", MODES)
def test_on_chengdu_our_filter_keeps_exactly_the_ways_osmnx_keeps(chengdu_graph, clauses, mode):
    G, raw = chengdu_graph
    verdicts: dict[int, set[bool]] = {}
    for _, _, d in G.edges(data=True):
        verdicts.setdefault(d["osmid"], set()).add(not network._excluded(d, mode))
    assert all(len(v) == 1 for v in verdicts.values()), "edges of one way judged differently"
    ours = {w for w, v in verdicts.items() if True in v}
    assert set(verdicts) <= set(raw)
    theirs = {w for w in verdicts if osmnx_keeps(raw[w], clauses[mode])}
    assert ours == theirs, (f"{mode}: only ours {sorted(ours - theirs)[:10]}, "
                            f"only osmnx's {sorted(theirs - ours)[:10]}")
    # The comparison is not vacuous: many ways kept, many (buildings, and per mode some streets) left out.
    highways = {w for w in verdicts if "highway" in raw[w]}
    assert len(ours) > 500 and ours < highways
