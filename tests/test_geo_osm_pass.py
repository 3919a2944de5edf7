"""The one-pass OSM reader (geo.inputs.osm_pass): a generated city written as PBF and as XML by pyosmium loads to
the same network, schools and compounds as osmnx's reading of the XML; loading time grows with the file's size;
the Chengdu file loads to the same network as osmnx's graph of it."""

from __future__ import annotations

import time

import numpy as np
import osmnx as ox
import pytest

from geo.inputs.load import load_inputs
from geo.inputs.osm import load_osm, read_osm_features, read_osm_graph
from geo.inputs.osm_pass import features_from_pass, network_from_pass, read_osm_pass
from geo.network.graph import network_from_graph
from tests.conftest import CHENGDU_OSM, require_shared


def write_city(path, n: int, seed: int = 0, schools: int = 20, compounds: int = 200) -> None:
    """An n x n street grid (some one-way rows and columns, some footways), schools as tagged nodes named with
    their level, residential compounds as closed ways, every tenth one a multipolygon relation."""
    import osmium

    rng = np.random.default_rng(seed)
    lon0, lat0, step = 104.0, 30.6, 0.0008

    def nid(i: int, j: int) -> int:
        return 1 + i * n + j

    with osmium.SimpleWriter(str(path)) as w:
        for i in range(n):
            for j in range(n):
                w.add_node(osmium.osm.mutable.Node(id=nid(i, j), location=(lon0 + j * step, lat0 + i * step)))
        base = n * n + 10
        for k in range(schools):
            i, j = rng.integers(0, n - 1, 2)
            w.add_node(osmium.osm.mutable.Node(
                id=base + k, location=(lon0 + (j + .5) * step, lat0 + (i + .5) * step),
                tags={"amenity": "school", "name": f"第{k}{'小学' if k % 2 == 0 else '初级中学'}",
                      "capacity": str(1000 + k)}))
        corner = base + schools + 10
        rings = []
        for _ in range(compounds):
            i, j = rng.integers(0, n - 1, 2)
            ids = []
            for dx, dy in ((0, 0), (.6, 0), (.6, .6), (0, .6)):
                w.add_node(osmium.osm.mutable.Node(
                    id=corner, location=(lon0 + (j + .2 + dx) * step, lat0 + (i + .2 + dy) * step)))
                ids.append(corner)
                corner += 1
            rings.append([*ids, ids[0]])
        for i in range(n):
            tags = {"highway": "residential", "name": f"row {i}"} | ({"oneway": "yes"} if i % 7 == 3 else {})
            w.add_way(osmium.osm.mutable.Way(id=1 + i, nodes=[nid(i, j) for j in range(n)],
                                             tags={"highway": "footway"} if i % 11 == 5 else tags))
        for j in range(n):
            tags = {"highway": "tertiary", "name": f"col {j}"} | ({"oneway": "-1"} if j % 13 == 4 else {})
            w.add_way(osmium.osm.mutable.Way(id=1 + n + j, nodes=[nid(i, j) for i in range(n)], tags=tags))
        for k, ring in enumerate(rings):
            tags = ({"landuse": "residential"} if k % 10 else {}) | ({"name": f"小区{k}"} if k % 3 == 0 else {})
            w.add_way(osmium.osm.mutable.Way(id=10 * n + k, nodes=ring, tags=tags))
        for k in range(0, len(rings), 10):
            w.add_relation(osmium.osm.mutable.Relation(
                id=1 + k, members=[("w", 10 * n + k, "outer")],
                tags={"type": "multipolygon", "landuse": "residential", "name": f"花园{k}"}))


def _edges(net):
    return sorted(zip(net.node_id[net.edge_u].tolist(), net.node_id[net.edge_v].tolist(),
                      np.round(net.edge_length, 6).tolist(), net.edge_name.tolist(), net.edge_highway.tolist()))


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    for suffix in ("osm", "osm.pbf"):
        write_city(folder / f"city.{suffix}", 40)
    return folder


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_pbf_pass_gives_the_network_osmnx_gives(city, mode):
    found = read_osm_pass(city / "city.osm.pbf")
    ours = network_from_pass(found, mode)
    theirs = network_from_graph(read_osm_graph(city / "city.osm"), mode)
    assert ours.n_nodes == theirs.n_nodes > 0 and ours.n_edges == theirs.n_edges
    assert np.array_equal(ours.node_id, theirs.node_id)
    assert _edges(ours) == _edges(theirs)
    assert ours.crs == theirs.crs and np.allclose(ours.x, theirs.x) and np.allclose(ours.y, theirs.y)


def test_pbf_pass_gives_the_features_osmnx_gives(city):
    found = read_osm_pass(city / "city.osm.pbf")
    for items, tags in ((found.schools, {"amenity": "school"}), (found.compounds, {"landuse": "residential"})):
        ours = features_from_pass(items)
        theirs = ox.features_from_xml(city / "city.osm", tags=tags)  # osmnx's reading of the XML
        assert sorted(read_osm_features(city / "city.osm", tags).index) == sorted(ours.index)
        assert sorted(ours.index) == sorted(theirs.index) and len(ours) > 0
        theirs = theirs.loc[ours.index]
        assert ours.geometry.normalize().geom_equals_exact(theirs.geometry.normalize(), 1e-9).all()
        assert (ours["name"].fillna("") == theirs["name"].fillna("")).all()
    assert any(kind == "relation" for kind, *_ in found.compounds)


def test_pbf_and_xml_load_the_same_inputs_with_progress(city):
    seen: list[float] = []
    a = load_inputs(city / "city.osm.pbf", progress=lambda f, n: seen.append(f))
    b = load_inputs(city / "city.osm")
    assert seen and seen[-1] == 1.0
    assert _edges(a.network) == _edges(b.network)
    assert list(a.schools["school_id"]) == list(b.schools["school_id"]) and len(a.schools) > 0
    assert sorted(a.compounds["compound_id"]) == sorted(b.compounds["compound_id"]) and len(a.compounds) > 0
    # the network cache stays: a second load reads the features only and gives the same network
    net, _, schools, compounds = load_osm(city / "city.osm.pbf")
    assert _edges(net) == _edges(a.network) and len(schools) == 20 and len(compounds) == len(a.compounds)


def test_loading_time_grows_with_the_file(tmp_path):
    """A city-sized grid (300 x 300 streets) and one a quarter its size: the times are printed (no assertion
    on them); both load to the whole grid."""
    times = {}
    for n in (150, 300):
        path = tmp_path / f"grid{n}.osm.pbf"
        write_city(path, n, schools=100, compounds=2000)
        start = time.perf_counter()
        net, _, schools, compounds = load_osm(path, use_cache=False)
        times[n] = time.perf_counter() - start
        assert net.n_nodes == n * n and len(schools) == 100
        print(f"grid {n} x {n}: {path.stat().st_size / 1e3:.0f} kB, {net.n_nodes} nodes, {times[n]:.2f} s")
    print(f"time ratio {times[300] / times[150]:.2f} for 4x the nodes")


def test_chengdu_loads_to_the_network_osmnx_gives(tmp_path):
    import osmium

    path = require_shared(CHENGDU_OSM)
    theirs = network_from_graph(read_osm_graph(path), "walk")
    net, _, schools, compounds = load_osm(path, use_cache=False)
    assert net.n_nodes == theirs.n_nodes and np.array_equal(net.node_id, theirs.node_id)
    ours_e, theirs_e = _edges(net), _edges(theirs)
    assert [e[:2] + e[3:] for e in ours_e] == [e[:2] + e[3:] for e in theirs_e]
    assert np.allclose([e[2] for e in ours_e], [e[2] for e in theirs_e], rtol=1e-9, atol=1e-6)
    pbf = tmp_path / "chengdu.osm.pbf"  # the same data as PBF: the same network and features
    with osmium.SimpleWriter(str(pbf)) as w:
        for obj in osmium.FileProcessor(str(path)):
            w.add(obj)
    net2, _, schools2, compounds2 = load_osm(pbf, use_cache=False)
    assert _edges(net2) == ours_e
    assert sorted(schools2.index) == sorted(schools.index) and sorted(compounds2.index) == sorted(compounds.index)


def test_a_clipped_extract_keeps_the_parts_inside(tmp_path):
    """A street whose middle nodes are not in the file (a clipped extract) is split where they are missing, as
    the XML reader's check does (geo.inputs.osm._unclip), with the same warning."""
    import osmium

    for suffix in ("osm", "osm.pbf"):
        with osmium.SimpleWriter(str(tmp_path / f"clipped.{suffix}")) as w:
            for k in range(8):
                w.add_node(osmium.osm.mutable.Node(id=k + 1, location=(104.0 + k * 0.001, 30.6)))
                w.add_node(osmium.osm.mutable.Node(id=k + 101, location=(104.0 + k * 0.001, 30.601)))
            w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2, 3, 50, 51, 4, 5, 6, 7, 8, 60],
                                             tags={"highway": "residential"}))
            w.add_way(osmium.osm.mutable.Way(id=2, nodes=list(range(101, 109)), tags={"highway": "residential"}))
            for k in range(8):
                w.add_way(osmium.osm.mutable.Way(id=10 + k, nodes=[k + 1, k + 101], tags={"highway": "footway"}))
    found = read_osm_pass(tmp_path / "clipped.osm.pbf")
    assert [key for key, _ in found.warnings] == ["warn.osm_clipped"] and found.warnings[0][1]["way"] == 1
    assert list(found.way_id[:2]) == [1, 1]  # the street, in two parts
    warns: list = []
    theirs = network_from_graph(read_osm_graph(tmp_path / "clipped.osm", warns), "walk")
    assert [key for key, _ in warns] == ["warn.osm_clipped"]
    assert _edges(network_from_pass(found, "walk")) == _edges(theirs) and theirs.n_nodes == 16
