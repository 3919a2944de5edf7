"""Schools and demand tables: levels from Chinese names, seats per level, children from residential area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.demand import DemandParams, compounds_from_osm, estimate_children, normalise_compounds
from geo.schools import (
    DEFAULT_CAPACITY,
    classify_level,
    is_compulsory_candidate,
    normalise_schools,
    parse_level,
    schools_for_level,
    schools_from_osm,
)


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
    from geo import io

    csv = tmp_path / "schools.csv"
    csv.write_text("id,name,level,capacity,capacity_primary,lon,lat\n"
                   "N1,丙九年一贯制学校,九年一贯制,2700,1350,104.02,30.6\n"
                   "P1,甲小学,小学,,,104.0,30.6\n", encoding="utf-8")
    s, warnings = io.load_schools(csv)
    assert warnings == []
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
