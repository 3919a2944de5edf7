"""Real OpenStreetMap files (../shared/data): central Chengdu end to end, Shanghai's drive-only extract,
compressed .osm.bz2 input and the on-disk network cache."""

from __future__ import annotations

import bz2
from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import SHARED_DATA, require_shared

from geo.errors import InputError
from geo.inputs import cache_dir, load_inputs, load_network
from geo.zoning.scenario import Scenario, run_scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO_OSM = ROOT / "data" / "demo" / "district.osm"
SHANGHAI = SHARED_DATA / "shanghai-huangpu" / "shanghai.osm"

NAMED_PRIMARY = ("东城根街小学", "少城小学", "泡桐树小学")


def test_chengdu_loads_schools_and_compounds_from_the_osm_file(chengdu_inputs):
    inp = chengdu_inputs
    assert inp.network.n_nodes > 3000 and inp.network.mode == "walk"
    assert inp.network.crs == "EPSG:32648"  # UTM 48N for Chengdu
    assert len(inp.compounds) == 186  # every landuse=residential polygon (data README)
    primary = inp.schools.loc[inp.schools["level"] == "primary", "name"].tolist()
    for name in NAMED_PRIMARY:
        assert name in primary
    names = set(inp.schools["name"])
    assert not any("大学" in n or "学院" in n for n in names)
    lon, lat = inp.schools.geometry.x, inp.schools.geometry.y
    assert lon.between(104.0, 104.2).all() and lat.between(30.6, 30.8).all()


def test_chengdu_ambiguous_names_are_reported_not_guessed(chengdu_inputs):
    ambiguous = {p["name"] for key, p in chengdu_inputs.warnings if key == "warn.ambiguous_school"}
    assert "石室中学" in ambiguous
    assert "树德中学" in ambiguous
    assert not ambiguous & set(chengdu_inputs.schools["name"])
    keys = {key for key, _ in chengdu_inputs.warnings}
    assert {"warn.capacity_estimated", "warn.children_estimated"} <= keys


def test_chengdu_primary_zoning(chengdu_inputs, chengdu_primary):
    res = chengdu_primary
    a = res.assignments
    assert len(a) == 186
    assert a["school_id"].notna().all() and a["school_name"].notna().all()
    assert np.isfinite(a["distance_m"]).all()
    cat = res.catchments
    for name in NAMED_PRIMARY:
        polys = cat.loc[cat["school_name"] == name].geometry
        assert len(polys) >= 1
        for p in polys:
            assert p.is_valid and not p.is_empty and p.area > 10_000, name
    # The catchments partition the study area.
    area = chengdu_inputs.area
    assert abs(cat.area.sum() - area.area) <= 1e-6 * area.area
    assert abs(shapely.union_all(cat.geometry.to_numpy()).area - area.area) <= 1e-6 * area.area
    assert res.table["children"].sum() == chengdu_inputs.compounds["children_primary"].sum()
    # 20 primary schools over ~70 km2 of city centre: a walk of a kilometre or two, not tens.
    assert 500 < res.summary["mean_m"] < 2500
    assert a["distance_m"].max() < 6000


def test_chengdu_junior_and_straight_line(chengdu_inputs):
    junior = run_scenario(chengdu_inputs, Scenario("junior", "network"))
    assert len(junior.catchments) == (chengdu_inputs.schools["level"] != "primary").sum()
    assert junior.assignments["school_id"].notna().all()
    straight = run_scenario(chengdu_inputs, Scenario("primary", "straight"))
    assert straight.assignments["school_id"].notna().all()


def test_shanghai_drive_network_loads_but_has_no_schools():
    path = require_shared(SHANGHAI)
    net = load_network(path, "drive")
    assert net.mode == "drive" and net.n_nodes > 500
    assert net.crs == "EPSG:32651"  # UTM 51N for Shanghai
    # Driving keeps one-way streets: some edge has no reverse.
    fwd = set(zip(net.edge_u.tolist(), net.edge_v.tolist()))
    assert any((v, u) not in fwd for u, v in fwd)
    walk = load_network(path, "walk")
    wset = set(zip(walk.edge_u.tolist(), walk.edge_v.tolist()))
    assert all((v, u) in wset for u, v in wset)
    with pytest.raises(InputError) as err:
        load_inputs(path, mode="drive")
    assert err.value.key == "err.empty"
    assert "shanghai.osm" in str(err.value)


def test_osm_bz2_loads_like_the_xml(tmp_path):
    packed = tmp_path / "district.osm.bz2"
    packed.write_bytes(bz2.compress(DEMO_OSM.read_bytes()))
    a = load_network(DEMO_OSM, use_cache=False)
    b = load_network(packed, use_cache=False)
    assert b.n_nodes == a.n_nodes and b.n_edges == a.n_edges
    np.testing.assert_allclose(np.sort(b.edge_length), np.sort(a.edge_length))


def test_network_cache_round_trip(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(cache))
    assert cache_dir() == cache
    first = load_network(DEMO_OSM)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"
    stamp = files[0].stat().st_mtime_ns
    second = load_network(DEMO_OSM)
    assert list(cache.iterdir()) == files and files[0].stat().st_mtime_ns == stamp  # read, not rewritten
    a, b = first.to_arrays(), second.to_arrays()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert a[k].dtype == b[k].dtype, k
    # Another mode is another cache entry; a damaged entry is rebuilt, not fatal.
    load_network(DEMO_OSM, "drive")
    assert len(list(cache.iterdir())) == 2
    files[0].write_bytes(b"not an npz")
    third = load_network(DEMO_OSM)
    assert third.n_nodes == first.n_nodes
    np.testing.assert_array_equal(third.edge_length, first.edge_length)


def test_use_cache_false_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path / "cache"))
    load_network(DEMO_OSM, use_cache=False)
    assert not (tmp_path / "cache").exists()
