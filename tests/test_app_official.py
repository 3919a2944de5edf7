"""The official zones view under AppTest: the demo with its own nearest-school plan as the zone list, pasted and
uploaded lists (with hostile names), bad paths, and central Chengdu with the Jinjiang list (when present)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from conftest import CHENGDU_OSM, SHARED_DATA, require_shared
from streamlit.testing.v1 import AppTest

from geo.official.parse import parse_zone_text

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "main.py")
JINJIANG = SHARED_DATA / "chengdu-zones-2025" / "2025_锦江区_小学划片.md"


def _official() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="view").set_value("official").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


TABLES = {"issues": "reason", "streets": "street", "schools": "table_name", "farther": "extra_m",
          "zones": "compounds"}


def _frame(at: AppTest, which: str) -> pd.DataFrame:
    """A table of the view, told apart by a column only it has."""
    found = [d.value for d in at.dataframe if TABLES[which] in d.value.columns]
    assert found, which
    return found[0]


def _map_script(at: AppTest) -> str:
    """The map's script as the browser runs it (folium writes non-ASCII and ``<`` as ``\\uXXXX``)."""
    maps = at.get("component_instance")
    assert maps, "no map in the page"
    script = json.loads(maps[0].proto.json_args)["script"]
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)


def test_demo_with_its_own_nearest_plan_as_the_list(downloads):
    at = _official()
    _ok(at)
    assert any("划片名单" in s.value for s in at.subheader)
    at.button(key="zone_use_nearest").click().run()
    _ok(at)
    assert at.radio(key="zone_source").value == "paste"
    pasted = at.text_area(key="zone_paste").value
    assert pasted.count("\n") == 20 and "口至" in pasted
    # every listed street and school is found, nothing is left unread
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["未匹配"] == "0" and int(metrics["已匹配"]) > 100 and metrics["学校对应到学校表"] == "20 / 20"
    assert any("每一处都已按街道读取" in c.value for c in at.caption)
    # the zones are on the map, listed streets included, and in the table
    script = _map_script(at)
    assert "名单所列街道" in script and "MultiLineString" in script
    zones = _frame(at, "zones")
    assert len(zones) == 20 and zones["children"].sum() == 20000
    # The comparison: the nearest plan read back is not quite the nearest plan. A listed street is cut only at
    # a named junction and unnamed streets cannot be written, so a compound by a zone border can sit nearer a
    # street of the neighbouring zone: a few (well under 15%) are sent farther, by little on average.
    compare = next(m.value for m in at.markdown if "个小区可对比" in m.value)
    assert compare.startswith("300/300")
    farther = _frame(at, "farther")
    assert 0 < len(farther) < 45 and (farther["extra_m"] > 0).all()
    assert farther["extra_m"].is_monotonic_decreasing
    # downloads: the official zones as GeoJSON, the reports, and the plan written back as a list
    catch = json.loads(downloads["official-catchments-primary.geojson"])
    assert len(catch["features"]) == 20 and "crs" not in catch
    assign = json.loads(downloads["official-assignments-primary.geojson"])
    assert len(assign["features"]) == 300
    assert downloads["street-matches.csv"].startswith(b"\xef\xbb\xbf")
    text = downloads["zones-nearest-primary.txt"].decode("utf-8")
    assert text == pasted
    at.radio(key="zone_write_format").set_value("markdown").run()
    _ok(at)
    md = downloads["zones-nearest-primary.md"].decode("utf-8")
    assert md.startswith("# 划片范围") and parse_zone_text(md).issues.empty
    at.radio(key="zone_write_plan").set_value("official").run()
    _ok(at)
    again = downloads["zones-official-primary.md"].decode("utf-8")
    assert parse_zone_text(again).entries["school"].nunique() == 20


def test_junior_level_and_english():
    at = _official()
    at.sidebar.radio(key="level").set_value("junior").run()
    at.button(key="zone_use_nearest").click().run()
    _ok(at)
    at.sidebar.radio(key="lang").set_value("en").run()
    _ok(at)
    assert any(s.value == "Against nearest-school zoning" for s in at.subheader)
    zones = _frame(at, "zones")
    assert zones["children"].sum() == 10000 and len(zones) == 8  # 8 schools admit junior pupils


def test_pasted_list_reports_issues_with_lines_and_escapes_names():
    at = _official()
    evil = "<script>alert(1)</script>小学"
    at.text_area(key="zone_paste").input(
        f"南河街\n{evil}：南河街、安熙街、不存在路、某某花园小区\n芳潼小学：宏星路（芳顺路口至南河街口）\n").run()
    assert not at.exception, [e.value for e in at.exception]
    issues = _frame(at, "issues")
    assert {(int(r.line), r.source) for r in issues.itertuples()} >= {(1, "粘贴的文字"), (2, "粘贴的文字")}
    assert "这一行之前没有学校名" in set(issues["reason"])  # reasons are translated
    streets = _frame(at, "streets").set_index("street")
    assert streets.loc["不存在路", "status"] == "未匹配" and streets.loc["南河街", "status"] == "已匹配"
    schools = _frame(at, "schools")
    assert evil in set(schools["name"])  # shown as text in a table, not rendered
    script = _map_script(at)
    assert "<script>alert" not in script and "&lt;script&gt;" in script
    for el in list(at.markdown) + list(at.caption) + list(at.info):
        assert "<script>" not in el.value


def test_uploaded_list_and_a_missing_path(tmp_path):
    at = _official()
    at.radio(key="zone_source").set_value("upload").run()
    at.file_uploader(key="zone_upload").set_value(
        ("list.csv", "学校名称,划片范围\n芳潼小学,南河街、安熙街\n".encode("gb18030"), "text/csv"))
    at.run()
    _ok(at)
    assert _frame(at, "schools")["name"].tolist() == ["芳潼小学"]
    at.radio(key="zone_source").set_value("path").run()
    at.text_input(key="zone_path").input(str(tmp_path / "nope.md")).run()
    assert not at.exception
    assert at.error and "nope.md" in at.error[0].value
    nothing = tmp_path / "other.txt"
    nothing.write_text("某小学：不存在路\n", encoding="utf-8")
    at.text_input(key="zone_path").input(str(nothing)).run()
    assert not at.exception
    assert at.error and ("路网" in at.error[0].value)  # nothing on the network: said so, report still shown
    assert _frame(at, "streets").shape[0] == 1


def test_chengdu_with_the_jinjiang_list_by_path():
    osm, zones = require_shared(CHENGDU_OSM), require_shared(JINJIANG)
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.sidebar.radio(key="view").set_value("official").run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(osm)).run()
    at.radio(key="zone_source").set_value("path").run()
    at.text_input(key="zone_path").input(str(zones)).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["已匹配"]) >= 100 and int(metrics["近似匹配"]) >= 10
    streets = _frame(at, "streets")
    assert (streets["status"] == "已匹配").sum() >= 100
    issues = _frame(at, "issues")
    assert len(issues) > 0 and (issues["line"] > 0).all() and issues["source"].str.endswith(".md").all()  # every unread piece has its line
    script = _map_script(at)
    assert "MultiLineString" in script
    # The OSM extract's schools are other schools than the list's (north and west of Jinjiang): the zones are
    # drawn, and the page says their walks cannot be compared.
    assert any("不在学校表中" in c.value for c in at.caption)


def test_pasted_text_over_the_limit_is_refused_in_the_page_and_brackets_do_not_hold_it():
    """Issue 10: 5 MB pasted is refused at once, in the page, with its size and the limit; 40,000 nested
    brackets are read, the piece named as too long, and the page carries on."""
    from geo.official.parse import MAX_ZONE_TEXT_BYTES

    at = _official()
    at.text_area(key="zone_paste").input("芳潼小学：" + "南河街、" * (5 * 2**20 // 12 + 1)).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    limit = f"{MAX_ZONE_TEXT_BYTES / 2**20:.0f} MB"
    assert any("粘贴的文字" in e and "5.00 MB" in e and limit in e for e in errors), errors
    at.text_area(key="zone_paste").input("芳潼小学：南河街、宏星路" + "（" * 20_000 + "）" * 20_000 + "、安熙街\n").run()
    _ok(at)
    issues = _frame(at, "issues")
    assert issues["reason"].tolist() == ["过长（超过 500 个字符），不可能是一条街道，未读取"]
    assert issues["text"].str.len().max() <= 201
    streets = _frame(at, "streets").set_index("street")
    assert streets.loc[["南河街", "安熙街"], "status"].eq("已匹配").all()
