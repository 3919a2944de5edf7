"""A big plan still draws: catchments simplified together to the screen's resolution (shared borders stay shared),
compounds as dots past a few thousand (issue 14)."""

from __future__ import annotations

import numpy as np
import shapely

import geo.render.maps as maps
from geo.zoning.scenario import Scenario, run_scenario


def test_catchments_are_simplified_to_a_pixel_and_still_partition(demo_inputs):
    result = run_scenario(demo_inputs, Scenario("primary", "network"))
    detail = maps.map_detail(result)
    x0, y0, x1, y1 = shapely.total_bounds(result.catchments.geometry.to_numpy())
    assert detail["tolerance_m"] == max(x1 - x0, y1 - y0) / maps.SCREEN_PX
    assert 0 < detail["vertices_drawn"] < detail["vertices"]
    drawn = maps._screen_catchments(result.catchments.geometry.to_numpy())
    areas = shapely.area(drawn)
    # Still a partition of (nearly) the same area: simplified together, neighbours share their new border.
    assert abs(shapely.union_all(drawn).area - areas.sum()) <= 1e-6 * areas.sum()
    assert abs(areas.sum() - shapely.area(result.catchments.geometry.to_numpy()).sum()) <= 1e-3 * areas.sum()
    assert detail["compound_points"] == 0


def test_many_compounds_are_drawn_as_points(demo_inputs, monkeypatch):
    result = run_scenario(demo_inputs, Scenario("primary", "network"))
    outlines = maps.zoning_map(result, tiles=None).get_root().render()
    monkeypatch.setattr(maps, "POINTS_OVER", 10)
    assert maps.map_detail(result)["compound_points"] == len(result.assignments)
    dots = maps.zoning_map(result, tiles=None).get_root().render()
    assert "L.circleMarker" in dots and "L.canvas" in dots
    assert len(dots) < len(outlines)  # a dot per compound is smaller than its outline
    names = result.assignments["name"].astype(str)
    assert all(n in dots for n in names.head(20))  # tooltips in UTF-8, escaped as HTML
    assert np.isfinite(maps.map_detail(result)["tolerance_m"])


def test_the_page_says_how_it_lightened_a_big_map(monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(maps, "POINTS_OVER", 10)  # the demo's 300 compounds stand in for a city's 50,000
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=120).run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "以点显示" in captions and "300" in captions


def test_dot_tooltips_escape_names(demo_inputs, monkeypatch):
    result = run_scenario(demo_inputs, Scenario("junior", "network"))
    result.assignments.loc[0, "name"] = "<script>alert(1)</script>"
    monkeypatch.setattr(maps, "POINTS_OVER", 10)
    html = maps.zoning_map(result, tiles=None).get_root().render()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
