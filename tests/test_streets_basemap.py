"""The offline street basemap: the loaded network drawn under the catchments when there is no tile server."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import shapely

from geo.render.maps import zoning_map
from geo.render.streets import street_basemap, street_lines, streets_geojson, streets_packed, unpack_streets
from geo.zoning.scenario import Scenario, run_scenario

EVIL = '<script>alert("x")</script>'


def _features(html: str) -> list[dict]:
    start = html.index('{"s":')
    packed, _ = json.JSONDecoder().raw_decode(html[start:])
    return unpack_streets(json.dumps(packed))


@pytest.fixture(scope="module")
def demo_result(demo_inputs):
    return run_scenario(demo_inputs, Scenario("primary", "network"))


def test_demo_map_offline_draws_the_streets_with_escaped_names(demo_inputs, demo_result):
    net = demo_inputs.network
    names = net.edge_name.copy()
    names[names != ""] = EVIL  # every named street carries a hostile name
    hostile = dataclasses.replace(net, edge_name=names)
    layer = street_basemap(hostile, demo_inputs.compounds.to_crs(net.crs).union_all().convex_hull)
    html = zoning_map(demo_result, tiles=None, streets=layer).get_root().render()
    assert "xuequStreets" in html and "<script>alert(" not in html
    feats = _features(html)
    named = [f for f in feats if f["properties"]["n"]]
    assert named and all(f["properties"]["n"] == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" for f in named)
    assert [f for f in feats if f["properties"]["r"] == -1], "the district boundary is drawn"
    # the streets are drawn before (under) the catchments
    assert html.index("xuequStreets") < html.index("fillOpacity")
    # the lines cover the network: every street node lies near a drawn line
    lines = street_lines(net).to_crs(net.crs)
    near = shapely.distance(shapely.points(net.xy), lines.union_all())
    assert float(np.nanmax(near)) < 5.0  # the 4 m simplification tolerance, and a margin


def test_online_map_has_no_street_layer(demo_inputs, demo_result):
    layer = street_basemap(demo_inputs.network)
    html = zoning_map(demo_result, tiles="OpenStreetMap", streets=layer).get_root().render()
    assert "xuequStreets" not in html


def test_chengdu_street_layer_is_small_and_named(chengdu_inputs):
    lines = street_lines(chengdu_inputs.network)
    text = streets_geojson(lines)
    packed = streets_packed(lines)
    size = len(packed.encode())
    print(f"Chengdu street basemap: {len(lines)} merged lines, {size / 1024:.0f} KiB packed "
          f"({len(text.encode()) / 1024:.0f} KiB as GeoJSON; from {chengdu_inputs.network.n_edges} directed edges)")
    assert size < 200_000 and size < len(text.encode()) / 2
    # packing loses nothing but the rounding
    plain, back = json.loads(text)["features"], unpack_streets(packed)
    assert [f["properties"] for f in plain] == [f["properties"] for f in back]
    a = np.concatenate([np.asarray(c) for f in plain for c in f["geometry"]["coordinates"]])
    b = np.concatenate([np.asarray(c) for f in back for c in f["geometry"]["coordinates"]])
    assert a.shape == b.shape and np.abs(a - b).max() < 1e-9
    assert len(lines) < chengdu_inputs.network.n_edges / 10  # merged, not one feature per edge
    names = {f["properties"]["n"] for f in json.loads(text)["features"]}
    assert "东御街" in names and "解放路一段" in names
    assert set(lines["rank"]) >= {0, 1, 2}


def test_chengdu_water_is_drawn_under_the_streets_and_kept_by_the_cache(chengdu_inputs):
    """Issue 15: rivers and water areas of the OSM file on the offline basemap (the Fu and Nan rivers ring the
    centre of Chengdu), read in the same pass as the streets and kept in the network cache."""
    from geo.network.graph import Network

    net = chengdu_inputs.network
    assert net.water is not None
    kinds = set(shapely.get_type_id(net.water).tolist())
    assert 1 in kinds and 6 in kinds  # rivers and canals as lines, lakes and riverbanks as (multi)polygons
    back = Network.from_arrays(net.to_arrays()).water
    assert back is not None and len(back) == len(net.water) and all(shapely.equals(back, net.water))
    layer = street_basemap(net, chengdu_inputs.boundary)
    packed = json.loads(layer.data)
    assert {k for k, _ in packed["w"]} == {0, 1}
    html = zoning_map(run_scenario(chengdu_inputs, Scenario("primary", "network")), tiles=None,
                      streets=layer).get_root().render()
    assert html.index("packed.w") < html.index("L.geoJSON(data")  # drawn first: under the streets
    # Rivers cross the centre: a river line passes within 1 km of the middle of the streets.
    xy = net.xy.mean(axis=0)
    import geopandas as gpd

    rivers = gpd.GeoSeries(net.water, crs="EPSG:4326").to_crs(net.crs)
    assert rivers[rivers.geom_type == "LineString"].distance(shapely.Point(xy)).min() < 1000


def test_the_demo_river_is_on_its_basemap(demo_inputs):
    """The generated district's meandering river (mapped as natural=water) is drawn; a network without water
    (made from arrays) has no water part."""
    packed = json.loads(street_basemap(demo_inputs.network).data)
    assert [k for k, _ in packed["w"]] == [0]
    assert "w" not in json.loads(street_basemap(dataclasses.replace(demo_inputs.network, water=None)).data)
