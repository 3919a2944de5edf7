"""The folium map: layers, legend, local Leaflet, and names escaped wherever they are shown."""

from __future__ import annotations

import json

import pytest

from geo.render.maps import utilisation_colour, zoning_map, zoom_for
from geo.zoning.scenario import Scenario, run_scenario

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def hostile_result(demo_inputs):
    schools = demo_inputs.schools.copy()
    schools.loc[schools.index[0], "name"] = EVIL
    compounds = demo_inputs.compounds.copy()
    compounds.loc[compounds.index[0], "name"] = EVIL
    from geo.inputs import Inputs

    inputs = Inputs(demo_inputs.network, schools, compounds, name="hostile")
    return run_scenario(inputs, Scenario("primary", "network"))


def test_names_are_escaped_in_tooltips(hostile_result):
    html = zoning_map(hostile_result, lang="en").get_root().render()
    assert "<script>alert(" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(" in html


def test_map_has_layers_legend_and_local_leaflet(demo_inputs):
    result = run_scenario(demo_inputs, Scenario("junior", "straight"))
    m = zoning_map(result, lang="zh", tiles=None, leaflet_js="/app/static/vendor/leaflet/leaflet.js",
                   leaflet_css="/app/static/vendor/leaflet/leaflet.css")
    html = m.get_root().render()
    assert "/app/static/vendor/leaflet/leaflet.js" in html and "cdn.jsdelivr.net/npm/leaflet" not in html
    assert "tile.openstreetmap.org" not in html  # no basemap: works offline
    for layer in ("学区", "小区", "学校"):  # written as they are or \u-escaped inside JavaScript
        assert layer in html or json.dumps(layer)[1:-1] in html
    assert "xuequ-legend" in html and "L.control.layers" in html
    online = zoning_map(result, lang="en").get_root().render()
    assert "tile.openstreetmap.org" in online


def test_utilisation_colours_and_zoom():
    assert utilisation_colour(0.5) != utilisation_colour(1.0) != utilisation_colour(1.3)
    assert zoom_for([104.0, 30.0, 104.07, 30.06]) == 13
    assert zoom_for([104.0, 30.0, 104.007, 30.006]) > 13
