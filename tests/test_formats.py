"""Network sources beyond plain .osm: PBF (through pyosmium) and place names (online only)."""

from __future__ import annotations

from pathlib import Path

import osmium
import pytest
import requests

from geo import io
from geo.errors import InputError, OfflineError

ROOT = Path(__file__).resolve().parents[1]
DEMO_OSM = ROOT / "data" / "demo" / "district.osm"


def test_pbf_loads_like_the_xml(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path / "cache"))
    pbf = tmp_path / "district.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(DEMO_OSM)):
            writer.add(obj)
    a = io.load_network(DEMO_OSM, use_cache=False)
    b = io.load_network(pbf, use_cache=False)
    assert b.n_nodes == a.n_nodes and b.n_edges == a.n_edges
    assert abs(b.edge_length.sum() - a.edge_length.sum()) < 1e-3 * a.edge_length.sum()
    schools, _ = io.load_schools(pbf)
    assert len(schools) == 26


def test_corrupt_pbf_is_named(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError) as err:
        io.load_network(bad, use_cache=False)
    assert "broken.osm.pbf" in str(err.value)


def test_place_name_offline_gives_a_clear_message(monkeypatch):
    def offline(*args, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(io.ox, "graph_from_place", offline)
    with pytest.raises(OfflineError) as err:
        io.network_from_place("成都市锦江区")
    assert err.value.key == "err.offline"
    assert "成都市锦江区" in err.value.message("zh") and "OSM" in err.value.message("zh")
    assert "internet" in str(err.value)


def test_unknown_place_is_not_called_offline(monkeypatch):
    def nothing(*args, **kwargs):
        raise io.InsufficientResponseError("Nominatim geocoder returned 0 results")

    monkeypatch.setattr(io.ox, "graph_from_place", nothing)
    with pytest.raises(InputError) as err:
        io.network_from_place("Atlantis")
    assert err.value.key == "err.place_not_found"
