"""Charts and the offline street basemap in the page (AppTest): utilisation by school with the 100% line, walks per
school, the official view's listed-street agreement per school, and the streets drawn under the map offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _charts(at: AppTest) -> dict[str, dict]:
    """The page's Vega-Lite charts by title."""
    out = {}
    for c in at.get("vega_lite_chart"):
        spec = json.loads(c.proto.spec)
        spec["_data"] = [_arrow(d.data.data) for d in c.proto.datasets]
        title = spec.get("title")
        out[title if isinstance(title, str) else json.dumps(title, ensure_ascii=False)] = spec
    return out


def _arrow(data: bytes) -> pd.DataFrame:
    with pa.ipc.open_stream(data) as reader:
        return reader.read_all().to_pandas()


def _map_script(at: AppTest) -> str:
    maps = at.get("component_instance")
    assert maps, "no map in the page"
    script = json.loads(maps[0].proto.json_args)["script"]
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)


def test_zoning_view_charts_and_street_basemap():
    at = AppTest.from_file(APP, default_timeout=180).run()
    _ok(at)
    charts = _charts(at)
    util = charts["各校学位使用率"]
    layers = util["layer"]
    assert layers[0]["mark"]["type"] == "bar" and layers[0]["encoding"]["x"]["field"] == "u"
    rule = layers[1]
    assert rule["mark"]["type"] == "rule"
    bars, line = util["_data"][0], util["_data"][1]
    assert len(bars) == 20 and bars["u"].between(0, 300).all() and list(line["x"]) == [100.0]  # the 100% line
    box = charts["各校小区步行距离"]
    assert box["layer"][0]["mark"]["type"] == "boxplot"
    walks = box["_data"][0]
    assert len(walks) == 300 and walks["school"].nunique() == 20
    # offline (the default) the streets are the basemap, under the catchments; no tile server is asked
    assert at.sidebar.radio(key="basemap").value == "streets"
    script = _map_script(at)
    assert "xuequStreets" in script and "tile.openstreetmap" not in script
    assert script.index("xuequStreets") < script.index("fillOpacity")
    at.sidebar.radio(key="basemap").set_value("osm").run()
    _ok(at)
    assert "xuequStreets" not in _map_script(at)


def test_official_view_agreement_chart():
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="view").set_value("official").run()
    at.button(key="zone_use_nearest").click().run()
    _ok(at)
    chart = _charts(at)["各校名单街道落在其学区内的比例"]
    assert chart["mark"]["type"] == "bar" and chart["encoding"]["x"]["field"] == "share"
    data = chart["_data"][0]
    assert data["school"].nunique() == 20 and "官方方案：所列街道在本校学区内" in set(data["plan"])
    assert data["share"].between(0, 100).all() and data["share"].max() > 90
    assert "xuequStreets" in _map_script(at)
