"""The official zones view under AppTest: the demo with its own nearest-school plan as the zone list, pasted and
uploaded lists (with hostile names), bad paths, and central Chengdu with the Jinjiang list (when present)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import CHENGDU_OSM, SHARED_DATA, require_shared
from streamlit.testing.v1 import AppTest

from geo.official import ChoiceBook, load_zone_source, zone_digest
from geo.official.parse import parse_zone_text
from geo.plans.store import data_dir

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
          "zones": "compounds", "loose": "accepted", "agreement": "official_share"}


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
    assert "本名单覆盖 300/300 个小区" in next(m.value for m in at.markdown if "本名单覆盖" in m.value)
    assert _unlocated(at) == 0 and not at.warning
    _no_empty_cells(at)
    # the list's own zones keep nearly every listed street; nearest-school zoning keeps most (it is the list)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["官方方案：所列街道在本校学区内"].rstrip("%")) >= 95
    assert float(metrics["最近学校划片：所列街道在本校学区内"].rstrip("%")) >= 90
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


def test_demo_school_not_in_the_table_is_said_and_can_be_placed(demo_inputs):
    """A listed school no table has: the page says it is not located (no zeros), and once placed it is a school
    of the plan, with default seats, and the comparison counts its compounds."""
    at = _official()
    at.button(key="zone_use_nearest").click().run()
    listed = at.text_area(key="zone_paste").value
    at.text_area(key="zone_paste").input(listed + "新建<b>小学</b>：南河街、安熙街\n").run()
    _ok(at)
    assert _unlocated(at) == 1
    _no_empty_cells(at)
    zones = _frame(at, "zones").set_index("name")
    assert zones.loc["新建<b>小学</b>", "seats"] == "—" and zones.loc["新建<b>小学</b>", "utilisation"] == "—"
    assert "新建<b>小学</b>" not in _map_script(at)  # escaped in the map
    pt = demo_inputs.compounds.geometry.iloc[0].representative_point()
    assert "<b>新建&lt;b&gt;小学&lt;/b&gt;</b>" not in _map_script(at)  # no marker: it has no place yet
    at.selectbox(key="zone_place_school").set_value("新建<b>小学</b>").run()
    at.text_input(key="zone_place_lonlat").input(f"{pt.x:.6f}, {pt.y:.6f}").run()
    at.button(key="zone_place_go").click().run()
    _ok(at)
    assert _unlocated(at) == 0 and not at.warning
    assert _frame(at, "schools").set_index("name").loc["新建<b>小学</b>", "found"] == "手动定位"
    zones = _frame(at, "zones").set_index("name")
    assert zones.loc["新建<b>小学</b>", "seats"] == "1,620"  # the default seats of a primary school
    assert "<b>新建&lt;b&gt;小学&lt;/b&gt;</b>" in _map_script(at)  # its marker, escaped, in the map
    assert any("新建\\<b\\>小学\\</b\\>" in m.value for m in at.markdown)  # listed as placed, shown as text
    at.button(key="zone_unplace_0").click().run()
    _ok(at)
    assert _unlocated(at) == 1
    # a table of school locations does the same; one that cannot be read is said in the page
    at.file_uploader(key="zone_places_upload").set_value(
        ("places.csv", f"名称,经度,纬度,学位数\n新建<b>小学</b>,{pt.x:.6f},{pt.y:.6f},900\n".encode(), "text/csv"))
    at.run()
    _ok(at)
    assert _unlocated(at) == 0
    assert _frame(at, "zones").set_index("name").loc["新建<b>小学</b>", "seats"] == "900"
    # the distances are the planner's, and stated
    at.number_input(key="zone_reach").set_value(60.0).run()
    _ok(at)
    assert "60 米步行范围" in next(m.value for m in at.markdown if "本名单覆盖" in m.value)
    at.file_uploader(key="zone_places_upload").set_value(("places.csv", "名称,经度\n新建小学,104\n".encode(),
                                                          "text/csv"))
    at.run()
    assert not at.exception and at.error and "places.csv" in at.error[0].value
    assert _unlocated(at) == 1


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


def _chengdu_jinjiang() -> AppTest:
    osm, zones = require_shared(CHENGDU_OSM), require_shared(JINJIANG)
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.sidebar.radio(key="view").set_value("official").run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(osm)).run()
    at.radio(key="zone_source").set_value("path").run()
    at.text_input(key="zone_path").input(str(zones)).run()
    _ok(at)
    return at


def _no_empty_cells(at: AppTest) -> None:
    """No table of the page shows "None", "nan" or "<NA>" (a missing figure is a dash, a missing name empty)."""
    for d in at.dataframe:
        cells = d.value.astype(str).to_numpy()
        bad = [v for v in cells.ravel() if v in ("None", "nan", "NaN", "<NA>", "NaT") or "nan%" in v]
        assert not bad, (d.value.columns.tolist(), bad[:5])


def _no_zero_comparison(at: AppTest) -> None:
    """Nothing compared: no comparison sentence of zeros ("0 个小区…多走 0 米")."""
    for el in list(at.markdown) + list(at.caption):
        assert "个小区可对比" not in el.value and "多走 0 米" not in el.value, el.value


def _unlocated(at: AppTest) -> int:
    """The count in the plain notice of schools with no location (0 when there is none)."""
    found = [re.match(r"(\d+) 所学校没有位置：不对比这些学校", w.value) for w in at.warning]
    found = [m for m in found if m]
    return int(found[0].group(1)) if found else 0


def test_chengdu_with_the_jinjiang_list_by_path():
    at = _chengdu_jinjiang()
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["已匹配"]) >= 100 and int(metrics["近似匹配"]) >= 10
    streets = _frame(at, "streets")
    assert (streets["status"] == "已匹配").sum() >= 100
    issues = _frame(at, "issues")
    assert len(issues) > 0 and (issues["line"] > 0).all() and issues["source"].str.endswith(".md").all()  # every unread piece has its line
    script = _map_script(at)
    assert "MultiLineString" in script
    # The list's streets are in the south-centre of the extract: it covers those compounds near them, and says so;
    # the rest are grey on the map and never compared.
    summary = next(m.value for m in at.markdown if "本名单覆盖" in m.value)
    covered, compounds = map(int, re.search(r"本名单覆盖 (\d+)/(\d+) 个小区", summary).groups())
    assert compounds == 186 and 0 < covered < compounds / 4, summary
    assert re.search(rf"\*\*{compounds - covered}\*\* 个小区不在名单范围内", summary)
    assert "#bdbdbd" in script and "不在本名单范围内" in script and "dashArray" in script
    # The OSM extract's schools are other schools than the list's (north and west of Jinjiang): the page says
    # plainly that those schools are not located and compares nothing, instead of printing zeros.
    assert _unlocated(at) >= 12
    assert any("所学校没有位置" in i.value for i in at.info)  # in place of the comparison
    _no_zero_comparison(at)
    _no_empty_cells(at)
    # loose matches far from the school's other streets are not used, with their distance; the others are
    loose = _frame(at, "loose")
    assert (~loose["accepted"]).sum() >= 2 and loose["accepted"].sum() >= 10
    far = loose[~loose["accepted"]]
    assert (far["distance"].str.replace(",", "").astype(float) > 500).all() and (far["by"] == "按距离").all()
    # agreement: the list's own zones keep nearly all its streets; nearest-school zoning cannot be measured
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["官方方案：所列街道在本校学区内"].rstrip("%")) >= 95
    assert metrics["最近学校划片：所列街道在本校学区内"] == "—"
    assert len(_frame(at, "agreement")) == 16


def test_chengdu_loose_match_rejected_is_remembered():
    """A loose match the planner rejects is saved for the list at once, used at once, and still rejected when the
    page is opened again; the reset button gives the decision back to the distance rule."""
    at = _chengdu_jinjiang()
    zdigest = zone_digest(load_zone_source(require_shared(JINJIANG)))
    loose = _frame(at, "loose")
    row = int(np.flatnonzero(loose["accepted"].to_numpy() & (loose["street"] == "东大街紫东楼段").to_numpy())[0])
    at.session_state[f"zone_loose_{zdigest}_0"] = {"edited_rows": {row: {"accepted": False}}, "added_rows": [],
                                                  "deleted_rows": []}
    at.run()
    _ok(at)
    again = _frame(at, "loose")
    assert not again["accepted"].iloc[row] and again["by"].iloc[row] == "规划者"
    assert ChoiceBook(data_dir() / "zone-choices").get(zdigest) == {(loose["school"].iloc[row], "东大街紫东楼段"): False}
    streets = _frame(at, "streets").set_index("street")
    assert streets.loc["东大街紫东楼段", "status"] == "近似匹配未采用（离该校太远）"

    fresh = _chengdu_jinjiang()  # the page opened again: the choice is still there
    kept = _frame(fresh, "loose")
    assert not kept["accepted"].iloc[row] and kept["by"].iloc[row] == "规划者"
    assert (kept["by"] == "规划者").sum() == 1
    fresh.button(key="zone_loose_reset").click().run()
    _ok(fresh)
    back = _frame(fresh, "loose")
    assert back["accepted"].iloc[row] and back["by"].iloc[row] == "按距离"
    assert ChoiceBook(data_dir() / "zone-choices").get(zdigest) == {}


def test_chengdu_school_placed_by_coordinates_is_compared(chengdu_inputs):
    """A listed school no table has, placed (here by typing its coordinates: a click on the map does the same
    through st_folium's last click), is located: fewer schools unlocated, its compounds compared, its zone measured
    under nearest-school zoning too; removing the place undoes it."""
    from geo.official import official_plan

    zone = load_zone_source(require_shared(JINJIANG))
    _, report = official_plan(chengdu_inputs, zone, "primary")
    name = str(report.schools["name"].iloc[0])  # 成都市天涯石小学: a zone with compounds in reach
    compounds = chengdu_inputs.compounds
    where = compounds[report.comparison["zone_school"].to_numpy() == name].geometry.to_crs(4326).union_all()
    pt = where.representative_point()

    at = _chengdu_jinjiang()
    before = _unlocated(at)
    at.selectbox(key="zone_place_school").set_value(name).run()
    assert any(name in i.value and "点击" in i.value for i in at.info)
    at.text_input(key="zone_place_lonlat").input("999, 30").run()
    at.button(key="zone_place_go").click().run()
    assert at.error and "经度" in at.error[0].value  # outside the dataset: said, nothing placed
    at.text_input(key="zone_place_lonlat").input(f"{pt.y:.6f}, {pt.x:.6f}").run()  # latitude first is read too
    at.button(key="zone_place_go").click().run()
    _ok(at)
    assert _unlocated(at) == before - 1
    schools = _frame(at, "schools").set_index("name")
    assert schools.loc[name, "found"] == "手动定位"
    compare = next(m.value for m in at.markdown if "个小区可对比" in m.value)
    assert int(re.match(r"(\d+)/186", compare).group(1)) > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["最近学校划片：所列街道在本校学区内"].endswith("%")
    agree = _frame(at, "agreement").set_index("school")
    assert agree.loc[name, "nearest_share"].endswith("%")
    assert at.selectbox(key="zone_place_school").value is None
    _no_empty_cells(at)
    at.button(key="zone_unplace_0").click().run()
    _ok(at)
    assert _unlocated(at) == before


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


def test_another_plan_is_measured_against_the_list():
    """Optimal zoning started from the official zones, and a stored plan of the editing view, each scored against
    the list; the optimal plan says how many children it moves away from the official zones."""
    from geo.plans.store import Store

    sid = Store().create("对照方案", "demo", "primary", "demo")
    at = _official()
    at.button(key="zone_use_nearest").click().run()
    _ok(at)
    options = at.selectbox(key="zone_other_plan").options
    assert options[:2] == ["（不选）", "容量最优划片（以官方学区为起点）"] and "已保存方案：对照方案" in options
    assert "所选方案：所列街道在本校学区内" not in {m.label for m in at.metric}
    at.selectbox(key="zone_other_plan").set_value("optimal").run()
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    share = metrics["所选方案：所列街道在本校学区内"]
    assert share.endswith("%") and 0 < float(share[:-1]) <= 100
    assert int(metrics["相对官方学区调整的学生"].replace(",", "")) >= 0
    at.selectbox(key="zone_other_plan").set_value(f"s{sid}").run()
    _ok(at)
    stored = {m.label: m.value for m in at.metric}["所选方案：所列街道在本校学区内"]
    assert float(stored[:-1]) > 50  # the unedited stored plan is the nearest plan the list was written from
