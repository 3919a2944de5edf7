"""Schools and demand tables: levels from Chinese names, seats per level, children from residential area."""

from __future__ import annotations

import re
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from openpyxl import Workbook

from geo.errors import InputError
from geo.inputs import load_compounds, load_schools, read_plain_table, table_columns
from geo.inputs.demand import MAX_CHILDREN, DemandParams, compounds_from_osm, estimate_children, normalise_compounds
from geo.inputs.schools import (
    DEFAULT_CAPACITY,
    MAX_SEATS,
    classify_level,
    estimated_capacity_warning,
    is_compulsory_candidate,
    normalise_schools,
    parse_level,
    schools_for_level,
    schools_from_osm,
)
from geo.inputs.tables import CSV_SEPARATORS, _parse_csv, _sniff_sep
from geo.render.i18n import t


@pytest.mark.parametrize("name, level", [
    ("东城根街小学", "primary"),
    ("成都市泡桐树小学（西区）", "primary"),
    ("石室初中青龙校区", "junior"),
    ("成都市第十一初级中学", "junior"),
    ("成都石室中学初中学校（东区）", "junior"),
    ("成都市双林九年一贯制学校", "nine_year"),
    ("华阳九年制学校", "nine_year"),
    ("石室中学", None),
    ("成都双语实验学校", None),
    ("树德中学", None),
    ("", None),
    (None, None),
])
def test_classify_level(name, level):
    assert classify_level(name) == level


def test_not_compulsory_names():
    assert not is_compulsory_candidate("四川大学")
    assert not is_compulsory_candidate("成都七中高中部")
    assert not is_compulsory_candidate("小天鹅幼儿园")
    assert not is_compulsory_candidate("")
    assert is_compulsory_candidate("少城小学")


@pytest.mark.parametrize("value, level", [
    ("primary", "primary"), (" Primary ", "primary"), ("小学", "primary"), ("初中", "junior"),
    ("初级中学", "junior"), ("junior", "junior"), ("九年一贯制", "nine_year"), ("nine_year", "nine_year"),
    ("大学", None), ("senior", None), (np.nan, None),
])
def test_parse_level(value, level):
    assert parse_level(value) == level


def schools_table(**extra) -> gpd.GeoDataFrame:
    data = {
        "school_id": ["P1", "J1", "N1", "N2"],
        "name": ["甲小学", "乙初中", "丙九年一贯制学校", "丁九年一贯制学校"],
        "level": ["primary", "junior", "nine_year", "nine_year"],
        "capacity": [1620, 1500, 2700, 1800],
    } | extra
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy([104.0, 104.01, 104.02, 104.03], [30.6] * 4),
                            crs="EPSG:4326")


def test_nine_year_capacity_is_split_six_to_three():
    s = schools_table()
    p = schools_for_level(s, "primary")
    j = schools_for_level(s, "junior")
    assert p["school_id"].tolist() == ["P1", "N1", "N2"]
    assert p["seats"].tolist() == [1620, 1800, 1200]
    assert j["school_id"].tolist() == ["J1", "N1", "N2"]
    assert j["seats"].tolist() == [1500, 900, 600]


def test_capacity_per_level_wins_over_the_split():
    s = schools_table(capacity_primary=[np.nan, np.nan, 2000, np.nan], capacity_junior=[np.nan, np.nan, 700, np.nan])
    assert schools_for_level(s, "primary")["seats"].tolist() == [1620, 2000, 1200]
    assert schools_for_level(s, "junior")["seats"].tolist() == [1500, 700, 600]


def test_capacity_per_level_from_a_csv_through_normalise(tmp_path):
    csv = tmp_path / "schools.csv"
    csv.write_text("id,name,level,capacity,capacity_primary,lon,lat\n"
                   "N1,丙九年一贯制学校,九年一贯制,2700,1350,104.02,30.6\n"
                   "P1,甲小学,小学,,,104.0,30.6\n", encoding="utf-8")
    s, warnings = load_schools(csv)
    assert [(k, p["rows"]) for k, p in warnings] == [("warn.capacity_estimated_rows", "2")]  # the blank is named
    assert s["level"].tolist() == ["nine_year", "primary"]
    assert s["capacity_estimated"].tolist() == [False, True]
    assert s["capacity"].tolist() == [2700, DEFAULT_CAPACITY["primary"]]
    assert schools_for_level(s, "primary")["seats"].tolist() == [1350, DEFAULT_CAPACITY["primary"]]
    assert schools_for_level(s, "junior")["seats"].tolist() == [900]


def test_schools_for_level_rejects_nine_year_as_a_level():
    with pytest.raises(ValueError):
        schools_for_level(schools_table(), "nine_year")


def test_schools_from_osm_reads_levels_and_reports_ambiguous_names():
    f = gpd.GeoDataFrame({"name": ["少城小学", "石室中学", "四川大学", None, "石室初中青龙校区"]},
                         geometry=[shapely.Point(104.05 + i / 100, 30.66) for i in range(5)], crs="EPSG:4326")
    s, warnings = schools_from_osm(f)
    assert s["name"].tolist() == ["少城小学", "石室初中青龙校区"]
    assert s["level"].tolist() == ["primary", "junior"]
    assert s["capacity"].tolist() == [DEFAULT_CAPACITY["primary"], DEFAULT_CAPACITY["junior"]]
    assert ("warn.ambiguous_school", {"name": "石室中学"}) in warnings
    assert all(w[1].get("name") != "四川大学" for w in warnings)  # plainly not compulsory: skipped silently


def test_estimate_children_by_hand():
    # 1 ha at 600 residents/ha = 600 residents; 1.1% per year of age: 6.6 per year -> 39.6 primary, 19.8 junior.
    assert estimate_children(np.array([10_000.0]), "primary").tolist() == [40]
    assert estimate_children(np.array([10_000.0]), "junior").tolist() == [20]
    p = DemandParams(residents_per_ha=500, cohort_share=0.01)
    # 5 ha x 500 = 2500 residents, 25 per year: 150 primary, 75 junior.
    assert estimate_children(np.array([50_000.0, 0.0]), "primary", p).tolist() == [150, 0]
    assert estimate_children(np.array([50_000.0]), "junior", p).tolist() == [75]


def test_compounds_from_osm_estimates_from_area():
    # A square of about 100 m x 100 m near Chengdu, in degrees.
    dlat = 100 / 111_000
    dlon = 100 / (111_000 * np.cos(np.radians(30.66)))
    square = shapely.box(104.06, 30.66, 104.06 + dlon, 30.66 + dlat)
    f = gpd.GeoDataFrame({"name": ["某小区", None]}, geometry=[square, shapely.Point(104.07, 30.67)], crs="EPSG:4326")
    c, warnings = compounds_from_osm(f)
    assert len(c) == 1 and c["name"].iloc[0] == "某小区"
    assert c["children_primary"].iloc[0] == pytest.approx(40, abs=1)
    assert c["children_junior"].iloc[0] == pytest.approx(20, abs=1)
    assert warnings[0][0] == "warn.children_estimated"


def test_normalise_compounds_fills_a_missing_level_with_zero():
    g = gpd.GeoDataFrame({"小区名称": ["甲", "乙"], "小学生数": [10, 20]},
                         geometry=[shapely.Point(104.0, 30.6), shapely.Point(104.01, 30.6)], crs="EPSG:4326")
    c = normalise_compounds(g, "c.geojson")
    assert c["name"].tolist() == ["甲", "乙"]
    assert c["children_primary"].tolist() == [10, 20]
    assert c["children_junior"].tolist() == [0, 0]
    assert c["compound_id"].tolist() == ["C1", "C2"]


def test_normalise_schools_keeps_resource_columns():
    s = normalise_schools(schools_table(teachers=[10, 20, 30, 40]), "s.geojson")
    assert s["teachers"].tolist() == [10, 20, 30, 40]
    assert s.crs.to_epsg() == 4326


# --- wrong figures are never silent (issue 10) -----------------------------------------------------------

def _raises(key: str, fn, *args, **kwargs):
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    assert info.value.key == key, (info.value.key, str(info.value))
    return info.value


def test_children_above_the_limit_are_refused_naming_row_and_limit():
    def table(children):
        return gpd.GeoDataFrame({"compound_id": ["a", "b", "c"], "children_primary": children},
                                geometry=gpd.points_from_xy([104.0, 104.01, 104.02], [30.6] * 3), crs="EPSG:4326")

    ok = normalise_compounds(table([1, MAX_CHILDREN, 0]), "c.geojson")
    assert ok["children_primary"].tolist() == [1, MAX_CHILDREN, 0]
    for value in (MAX_CHILDREN + 1, 10**12, 10**19, 1e30):
        err = _raises("err.too_many_children", normalise_compounds, table([5, 7, value]), "c.geojson")
        assert err.params["row"] == 3 and "c.geojson row 3" in str(err)
        assert "100,000" in str(err) and "100,000" in err.message("zh")
    assert _raises("err.bad_value", normalise_compounds, table([5, float("inf"), 7]), "c.geojson").params["row"] == 2
    # Below the limit nothing overflows: the totals of the largest plausible counts stay exact.
    big = normalise_compounds(table([MAX_CHILDREN] * 3), "c.geojson")
    assert big["children_primary"].sum() == 3 * MAX_CHILDREN and big["children_primary"].dtype == np.int64


def test_seats_above_the_limit_are_refused_naming_row_and_limit():
    assert normalise_schools(schools_table(capacity=[MAX_SEATS, 1, 2, 3]), "s.csv")["capacity"].iloc[0] == MAX_SEATS
    err = _raises("err.too_many_seats", normalise_schools, schools_table(capacity=[1620, 1500, 1e20, 1800]), "s.csv")
    assert err.params["row"] == 3 and "20,000" in str(err) and "1e+20" in str(err)
    err = _raises("err.too_many_seats", normalise_schools,
                  schools_table(capacity_primary=[None, None, None, 10**19]), "s.csv")
    assert err.params["row"] == 4 and err.params["field"] == "capacity_primary"


def test_implausible_osm_capacity_is_estimated_and_named():
    f = gpd.GeoDataFrame({"name": ["甲小学", "乙小学"], "capacity": ["1e20", "900"]},
                         geometry=[shapely.Point(104.0, 30.6), shapely.Point(104.01, 30.6)], crs="EPSG:4326")
    s, warnings = schools_from_osm(f)
    assert s["capacity"].tolist() == [DEFAULT_CAPACITY["primary"], 900]
    assert s["capacity_estimated"].tolist() == [True, False]
    assert ("warn.osm_capacity_implausible", {"name": "甲小学", "value": "1e20", "limit": 20_000}) in warnings


def test_ids_are_read_as_the_text_written(tmp_path):
    csv = tmp_path / "schools.csv"
    csv.write_text("id,name,level,capacity,lon,lat\n001,甲小学,primary,900,104.0,30.6\n"
                   "2,乙小学,primary,,104.01,30.6\n 3.50 ,丙小学,primary,900,104.02,30.6\n", encoding="utf-8")
    s, warnings = load_schools(csv)
    assert s["school_id"].tolist() == ["001", "2", "3.50"]
    assert [w[0] for w in warnings] == ["warn.capacity_estimated_rows"]
    # XLSX numbers are "1", not "1.0", even in a column with a blank (which pandas reads as float).
    wb = Workbook()
    ws = wb.active
    ws.append(["compound_id", "name", "children_primary", "lon", "lat"])
    for i, cid in enumerate([1, 2, None, 4]):
        ws.append([cid, f"小区{i}", 10, 104.0 + i / 100, 30.6])
    xlsx = tmp_path / "compounds.xlsx"
    wb.save(xlsx)
    err = _raises("err.blank_id", load_compounds, xlsx)
    assert err.params["row"] == 3 and "compounds.xlsx row 3" in str(err) and "compound_id" in str(err)
    ws["A4"] = 3
    wb.save(xlsx)
    c, _ = load_compounds(xlsx)
    assert c["compound_id"].tolist() == ["1", "2", "3", "4"]
    # The plain tables (plans, statistics) keep ids as written too.
    plan = tmp_path / "plan.csv"
    plan.write_text("compound_id,school_id\n007,01\n8,2\n", encoding="utf-8")
    assert read_plain_table(plan)[["compound_id", "school_id"]].values.tolist() == [["007", "01"], ["8", "2"]]


def test_a_mapped_id_column_is_read_as_text(tmp_path):
    csv = tmp_path / "schools.csv"
    csv.write_text("代码,name,level,capacity,lon,lat\n0101,甲小学,primary,900,104.0,30.6\n", encoding="utf-8")
    s, _ = load_schools(csv, mapping={"school_id": "代码"})
    assert s["school_id"].tolist() == ["0101"]


def test_blank_capacities_are_estimated_with_the_rows_named():
    s = normalise_schools(schools_table(capacity=[None, 1500, None, None],
                                        capacity_primary=[None, None, 1000, None],
                                        capacity_junior=[None, None, 500, None]), "s.csv")
    assert s["capacity_estimated"].tolist() == [True, False, True, True]
    key, params = estimated_capacity_warning(s, "s.csv")
    # Row 3 is a nine-year school with both levels' seats given: nothing of it is estimated.
    assert key == "warn.capacity_estimated_rows" and params["rows"] == "1, 4" and params["count"] == 2
    assert "rows 1, 4" in t(key, "en", **params) and "第 1, 4 行" in t(key, "zh", **params)
    assert estimated_capacity_warning(normalise_schools(schools_table(), "s.csv"), "s.csv") is None


def test_xlsx_formulas_without_saved_values_name_their_cells(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "level", "capacity", "lon", "lat"])
    for i in range(5):
        ws.append([f"P{i}", f"{i}小学", "primary", 900, 104.0 + i / 100, 30.6])
    ws["D2"] = "=B2*3"
    ws["D5"] = "=100*3"
    path = tmp_path / "schools.xlsx"
    wb.save(path)
    err = _raises("err.xlsx_formulas", load_schools, path)
    assert err.params["cells"] == "D2, D5" and "schools.xlsx" in str(err) and "Excel" in str(err)
    assert "D2, D5" in err.message("zh") and "WPS" in err.message("zh")
    # The same formulas with values saved (as Excel saves them) load with those values.
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = re.sub(rb"(<f>[^<]*</f>)(<v\s*/>|<v></v>)?", rb"\g<1><v>300</v>", members[sheet])
    cached = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(cached, "w") as zf:
        for n, body in members.items():
            zf.writestr(n, body)
    s, _ = load_schools(cached)
    assert s["capacity"].tolist()[:4] == [300, 900, 900, 300]


def test_a_quoted_header_with_commas_in_a_semicolon_file_keeps_its_columns(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text('id;"名称,全称";level;capacity;lon;lat\n'
                    'P1;"一小,成都市第一小学";primary;900;104.06;30.66\n'
                    'P2;二小;primary;800;104.07;30.67\n', encoding="gb18030")
    assert table_columns(path) == ["id", "名称,全称", "level", "capacity", "lon", "lat"]
    s, _ = load_schools(path, mapping={"name": "名称,全称"})
    assert s["school_id"].tolist() == ["P1", "P2"]
    assert s["name"].tolist() == ["一小,成都市第一小学", "二小"]
    assert s["capacity"].tolist() == [900, 800]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_found_when_every_other_one_is_quoted_in_the_cells(sep):
    others = "".join(c for c in CSV_SEPARATORS if c != sep)
    header = sep.join(["id", f'"名{others}称"', "lon", "lat"])
    rows = [sep.join([f"P{i}", f'"{i}{others}小学"', f"104.0{i}", "30.6"]) for i in range(4)]
    df = _parse_csv("\n".join([header, *rows]) + "\n", "t.csv")
    assert list(df.columns) == ["id", f"名{others}称", "lon", "lat"]
    assert df[f"名{others}称"].tolist() == [f"{i}{others}小学" for i in range(4)]


@pytest.mark.parametrize("text, sep", [
    ("id;name;lon;lat\n" + "".join(f"{i};甲{i};104,0{i};30,6{i}\n" for i in range(12)), ";"),  # decimal commas
    ("id\tname\tcapacity\n" + "".join(f"{i}\t甲{i}\t1,000\n" for i in range(5)), "\t"),  # thousands commas
    ("name\n甲\n乙\n", ","),  # one column
    ("id,name,lon\n1,St Mary's,104\n2,O'Brien's,105\n", ","),  # apostrophes are not quotes
    ("id|name|lon\n1|甲|104\n", "|"),
])
def test_separator_sniffing(text, sep):
    assert _sniff_sep(text) == sep
