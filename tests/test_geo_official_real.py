"""Official zone lists read faithfully on real data (issue 12): the four 2025 Chengdu district lists against the
central Chengdu OSM file. Zones stay within reach of their listed streets, loose matches far from their school are
rejected, the schools that exist in the file are linked, and the list's own catchments hold its streets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SHARED_DATA, require_shared

from geo.errors import InputError
from geo.official import (
    LOOSE_MAX_M,
    REACH_M,
    ChoiceBook,
    agreement,
    listed_agreement,
    official_plan,
    places_frame,
    read_choices,
    read_zone_file,
    with_listed_schools,
    zone_digest,
)
from geo.official.check import edge_lines
from geo.zoning.scenario import Scenario, run_scenario

ZONES = SHARED_DATA / "chengdu-zones-2025"
DISTRICTS = ("成华", "金牛", "锦江", "武侯")


def _list(district: str):
    return read_zone_file(require_shared(ZONES / f"2025_{district}区_小学划片.md"))


@pytest.fixture(scope="module")
def plans(chengdu_inputs):
    """Each district's list read against the Chengdu file: (result, report)."""
    return {d: official_plan(chengdu_inputs, _list(d), "primary") for d in DISTRICTS}


@pytest.mark.parametrize("district", DISTRICTS)
def test_no_compound_is_zoned_beyond_the_reach_of_its_schools_listed_streets(plans, chengdu_inputs, district):
    """A compound in a zone has its entrance (its street node) within the reach of a street listed for that zone's
    school: the walk is at least the straight line, so the straight line from the entrance to the nearest street
    listed for its zone is within 150 m."""
    result, report = plans[district]
    net = chengdu_inputs.network
    node, _ = chengdu_inputs.compound_snap
    zone_of = {z: i for i, z in enumerate(report.zone_ids)}
    a = result.assignments
    zoned = np.flatnonzero(a["school_id"].to_numpy() != "")
    assert zoned.size == report.summary["listed_compounds"]
    for i in zoned:
        z = zone_of[a["school_id"].iloc[i]]
        streets = edge_lines(net, np.flatnonzero(report.edges.edge_school == z))
        assert shapely.distance(shapely.Point(net.xy[node[i]]), streets) <= REACH_M + 1e-6, a["name"].iloc[i]


def test_a_list_zones_only_the_compounds_its_streets_reach(plans, chengdu_inputs):
    """The Jinjiang list names streets of the south-centre: it used to zone all 186 compounds of the extract; now the
    compounds kilometres from any of its streets (the north of the file) are not covered by it."""
    result, report = plans["锦江"]
    s = report.summary
    assert s["compounds"] == 186 and 0 < s["listed_compounds"] < 40
    assert s["unlisted_compounds"] == 186 - s["listed_compounds"]
    net = chengdu_inputs.network
    listed = edge_lines(net, np.flatnonzero(report.edges.edge_school >= 0))
    far = shapely.distance(shapely.points(chengdu_inputs.compound_xy), listed) > 1000
    assert far.sum() > 100
    assert (result.assignments["school_id"].to_numpy()[far] == "").all()
    assert not report.comparison["listed"].to_numpy()[far].any()


@pytest.mark.parametrize("district", DISTRICTS)
def test_a_lists_catchments_cover_only_the_reach_of_its_streets(plans, chengdu_inputs, district):
    """Each catchment lies within the reach of its own listed streets, or on the compounds it holds: no hull of the
    city. Together the catchments are a small part of the study area."""
    result, report = plans[district]
    net = chengdu_inputs.network
    cat = result.catchments.set_index("school_id")
    compounds = result.assignments
    total = 0.0
    for z, sid in enumerate(report.zone_ids):
        poly = cat.geometry.get(sid)
        if poly is None or poly.is_empty:
            continue
        reach = shapely.buffer(edge_lines(net, np.flatnonzero(report.edges.edge_school == z)), REACH_M + 1)
        own = shapely.union_all(compounds.geometry[compounds["school_id"] == sid].to_numpy())
        outside = shapely.difference(poly, shapely.union(reach, own))
        assert shapely.area(outside) <= 1e-6 * max(shapely.area(poly), 1), sid
        total += shapely.area(poly)
    assert total < 0.8 * shapely.area(chengdu_inputs.area)


@pytest.mark.parametrize("district", DISTRICTS)
def test_every_accepted_loose_match_lies_within_the_stated_distance(plans, district):
    _, report = plans[district]
    loose = report.loose
    assert {"distance_m", "accepted", "by"} <= set(loose.columns)
    auto = loose[loose["by"] == "auto"]
    assert (auto.loc[auto["accepted"], "distance_m"] <= LOOSE_MAX_M).all()
    assert not (auto.loc[~auto["accepted"], "distance_m"] <= LOOSE_MAX_M).any()
    rejected = set(zip(loose.loc[~loose["accepted"], "school"], loose.loc[~loose["accepted"], "street"], strict=True))
    used = report.entries[report.entries["status"].isin(["matched", "loose"])]
    assert not rejected & set(zip(used["school"], used["street"], strict=True))  # a rejected match is never used


def test_a_loose_match_kilometres_from_its_school_is_rejected_with_its_distance(plans):
    """Jinniu: 交通巷 (石笋街小学) read loosely as 交通路, 2.7 km from the school's other streets."""
    loose = plans["金牛"][1].loose.set_index(["school", "street"])
    row = loose.loc[("成都市石笋街小学校", "交通巷")]
    assert not row["accepted"] and row["distance_m"] > 1500


@pytest.mark.parametrize("district", DISTRICTS)
def test_a_lists_own_catchments_hold_the_streets_listed_by_one_school(plans, chengdu_inputs, district):
    """Self-consistency: of the streets listed by exactly one school, at least 95% of the length lies in that
    school's catchment of the list's own plan."""
    result, report = plans[district]
    e = report.entries[report.entries["status"].isin(["matched", "loose"])]
    once = e.groupby("street")["school"].nunique()
    names = {n for s in once[once == 1].index for n in e.loc[e["street"] == s, "names"].iloc[0]}
    net = chengdu_inputs.network
    keep = np.isin(net.edge_name.astype(str), list(names))
    if not keep.any():
        pytest.skip("no listed street of this list is on the network")
    only = np.where(keep, report.edges.edge_school, -1)
    table = listed_agreement(net, only, report.zone_ids, report.edges.schools, result)
    total = table.iloc[-1]
    assert total["school"] == "*" and total["share"] >= 0.95, table


def test_schools_that_exist_in_the_osm_file_are_linked(plans):
    """Listed schools written with 成都市 … 小学校, and nine-year or 学校 names the file's names do not give a level
    for (the list says primary), link to the file's school."""
    expected = {
        "成华": {"成都市成华小学校": "成都市成华小学", "成都市建设路小学": "成都市建设路小学",
                 "成都双语实验学校": "成都双语实验学校", "成都市列五书池学校": "列五书池学校",
                 "成都市培华小学校": "培华小学", "成都市北新实验小学": "成都市北新实验小学"},
        "金牛": {"成都市马鞍小学校": "马鞍小学", "成都市沙湾路小学校": "沙湾路小学", "成都市北站小学校": "北站小学",
                 "成都市荷花池小学校": "荷花池小学"},
    }
    for district, pairs in expected.items():
        links = plans[district][1].schools.set_index("name")
        for listed, osm in pairs.items():
            assert links.loc[listed, "linked"] and links.loc[listed, "table_name"] == osm, (listed, links.loc[listed])
    links = plans["成华"][1].schools.set_index("name")
    assert links.loc["成都双语实验学校", "found"] == "unleveled"


def test_a_campus_written_as_a_branch_is_not_the_main_school(plans):
    links = plans["锦江"][1].schools.set_index("name")
    assert links.loc["成都市天涯石小学昭忠祠分校", "table_name"] != "成都市天涯石小学"


def test_unlocated_schools_are_counted_not_shown_as_zeros(plans):
    """Jinjiang's schools are not in the 2018 file: the report says how many are not located, and none is compared
    (NaN, not a 0 m walk)."""
    result, report = plans["锦江"]
    s = report.summary
    assert s["linked_schools"] == 0 and s["unlocated_schools"] == s["zones"] > 0
    assert s["covered"] == 0
    assert not result.table["located"].any()
    assert result.table["mean_m"].isna().all()


def test_a_school_placed_by_the_planner_is_located_and_compared(chengdu_inputs):
    """Placing the Jinjiang school whose zone holds the most compounds (by a click among its listed streets, here as a
    frame) links it, makes its compounds comparable, and the nearest plan of the same inputs with the listed schools
    includes it."""
    zone = _list("锦江")
    _, first = official_plan(chengdu_inputs, zone, "primary")
    name = first.comparison.loc[first.comparison["listed"], "zone_school"].value_counts().index[0]
    z = first.edges.schools.index(name)
    net = chengdu_inputs.network
    lon, lat = net.lonlat()[net.edge_u[first.edges.edge_school == z]].mean(axis=0)
    places = places_frame({name: (lon, lat)})
    result, report = official_plan(chengdu_inputs, zone, "primary", places=places)
    links = report.schools.set_index("name")
    assert links.loc[name, "linked"] and links.loc[name, "found"] == "placed"
    assert report.summary["unlocated_schools"] == report.summary["zones"] - 1
    assert result.table["located"].sum() == 1
    assert report.summary["covered"] > 0
    both = with_listed_schools(chengdu_inputs, report)
    assert len(both.schools) == len(chengdu_inputs.schools) + 1
    nearest = run_scenario(both, Scenario("primary", "network"))
    table = agreement(chengdu_inputs.network, report, nearest)
    sid = links.loc[name, "school_id"]
    assert table.set_index("school_id").loc[sid, "compared"]


def test_the_planners_choice_overrides_the_distance_rule(chengdu_inputs):
    zone = _list("金牛")
    key = ("成都市石笋街小学校", "交通巷")
    _, before = official_plan(chengdu_inputs, zone, "primary")
    assert not before.loose.set_index(["school", "street"]).loc[key, "accepted"]
    _, after = official_plan(chengdu_inputs, zone, "primary", choices={key: True,
                                                                       ("成都市马鞍小学校", "马鞍南街"): False})
    loose = after.loose.set_index(["school", "street"])
    assert loose.loc[key, "accepted"] and loose.loc[key, "by"] == "planner"
    assert not loose.loc[("成都市马鞍小学校", "马鞍南街"), "accepted"]
    assert after.edges.edge_school.tolist() != before.edges.edge_school.tolist()


def test_choices_are_remembered_per_list_and_read_from_a_table(tmp_path):
    zone = _list("金牛")
    digest = zone_digest(zone)
    assert digest == zone_digest(read_zone_file(ZONES / "2025_金牛区_小学划片.md"))
    assert digest != zone_digest(_list("锦江"))
    book = ChoiceBook(tmp_path / "choices")
    assert book.get(digest) == {}
    book.set(digest, "成都市石笋街小学校", "交通巷", True)
    book.set(digest, "成都市马鞍小学校", "马鞍南街", False)
    assert ChoiceBook(tmp_path / "choices").get(digest) == {("成都市石笋街小学校", "交通巷"): True,
                                                             ("成都市马鞍小学校", "马鞍南街"): False}
    book.set(digest, "成都市马鞍小学校", "马鞍南街", None)
    assert book.get(digest) == {("成都市石笋街小学校", "交通巷"): True}
    book.place(digest, "成都市金建小学校", (104.06, 30.70))
    assert ChoiceBook(tmp_path / "choices").places(digest) == {"成都市金建小学校": (104.06, 30.70)}
    assert book.get(digest) == {("成都市石笋街小学校", "交通巷"): True}  # places and choices kept side by side
    book.place(digest, "成都市金建小学校", None)
    assert book.places(digest) == {}
    csv = tmp_path / "loose.csv"
    pd.DataFrame({"school": ["甲小学", "乙小学"], "street": ["一路", "二路"], "accepted": ["是", "false"]}).to_csv(
        csv, index=False)
    assert read_choices(csv) == {("甲小学", "一路"): True, ("乙小学", "二路"): False}
    csv.write_text("school,street,accepted\n甲小学,一路,也许\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_choices(csv)
    assert "loose.csv" in e.value.message("en") and "1" in e.value.message("en")


def test_the_official_plan_can_start_capacity_optimal_zoning(plans, chengdu_inputs):
    """Started from the official zones, moves count away from them: a network plan measured against the official
    start moves the compounds whose nearest school differs from their official one, and a heavy stability weight keeps
    an optimal plan closer to the official zones than no weight."""
    result, report = plans["成华"]
    both = with_listed_schools(chengdu_inputs, report)
    a = result.assignments
    located = set(result.table.loc[result.table["located"], "school_id"])
    start = {c: s for c, s in zip(a["compound_id"], a["school_id"], strict=True) if s in located}
    nearest = run_scenario(both, Scenario("primary", "network"))
    against = run_scenario(both, Scenario("primary", "network"), start=start)
    assert against.summary["moved_compounds"] != nearest.summary["moved_compounds"]
    na = nearest.assignments.set_index("compound_id")["school_id"]
    differs = sum(na[c] != s for c, s in start.items())
    assert against.summary["moved_compounds"] == differs
    free = run_scenario(both, Scenario("primary", "optimal", contiguous=False), start=start)
    held = run_scenario(both, Scenario("primary", "optimal", contiguous=False, stability=5000), start=start)
    assert held.summary["moved_children"] <= free.summary["moved_children"]


def test_agreement_measures_any_plan_against_the_list(plans, chengdu_inputs):
    """The list's own plan scores near 1; the nearest-school plan of the same schools scores lower; a plan's table has
    one row per zone and the totals."""
    result, report = plans["成华"]
    own = agreement(chengdu_inputs.network, report, result)
    both = with_listed_schools(chengdu_inputs, report)
    nearest = agreement(chengdu_inputs.network, report, run_scenario(both, Scenario("primary", "network")))
    assert len(own) == len(report.zone_ids) + 1 and own.iloc[-1]["school"] == "*"
    located = own.iloc[:-1][result.table.set_index("school_id")["located"].reindex(own["school_id"].iloc[:-1]).fillna(
        False).to_numpy(bool)]
    assert located["compared"].all()
    assert nearest.iloc[-1]["share"] < own.iloc[-1]["share"]
    assert nearest["compared"].iloc[:-1].sum() == report.summary["zones"] - report.summary["unlocated_schools"]
    assert ((nearest["share"].dropna() >= 0) & (nearest["share"].dropna() <= 1)).all()


def test_an_exact_name_found_only_kilometres_away_is_another_street(plans, chengdu_inputs):
    """The Jinjiang list gives 和平街 to 和平街小学; the file's only 和平街 is in the north, ~6 km from the school's other
    streets: it is rejected and listed, and the school's zone has no part there."""
    result, report = plans["锦江"]
    far = report.far_parts.set_index(["school", "street"])
    row = far.loc[("成都市和平街小学", "和平街")]
    assert row["kept"] == 0 and row["distance_m"] > 1500
    used = report.entries[report.entries["status"].isin(["matched", "loose"])]
    assert not ((used["school"] == "成都市和平街小学") & (used["street"] == "和平街")).any()
    z = report.zone_ids[report.edges.schools.index("成都市和平街小学")]
    poly = result.catchments.set_index("school_id").geometry[z]
    north = chengdu_inputs.network.lonlat()[:, 1] > 30.715
    assert not shapely.intersects(poly, shapely.multipoints(chengdu_inputs.network.xy[north]))


def test_two_exact_streets_far_apart_keep_what_lies_near_the_school(demo_inputs):
    """A school listing two exact streets far apart: the one near the school is kept (never both rejected); with no
    school location nothing tells which is wrong, and both are kept."""
    _, rep = official_plan(demo_inputs, "桂设小学：宏星路、府江路", "primary")
    used = rep.entries[rep.entries["status"].isin(["matched", "loose"])]
    assert len(used) >= 1 and rep.summary["listed_m"] > 0
    _, nowhere = official_plan(demo_inputs, "某某小学：宏星路、府江路", "primary")
    assert (nowhere.entries["status"] == "matched").sum() == 2 and nowhere.far_parts.empty


def test_choices_tables_as_planners_fill_them(tmp_path):
    """The choice column of loose-matches.csv (blank: no choice), numbers and Excel's TRUE/FALSE; a bad word is named
    by row."""
    csv = tmp_path / "loose-matches.csv"
    pd.DataFrame({"school": ["甲", "乙", "丙", "丁"], "street": ["一路", "二路", "三路", "四路"],
                  "accepted": [True, False, True, False], "by": ["auto"] * 4,
                  "choice": ["", "accept", "否", None]}).to_csv(csv, index=False)
    assert read_choices(csv) == {("乙", "二路"): True, ("丙", "三路"): False}
    pd.DataFrame({"school": ["甲", "乙", "丙"], "street": ["一路", "二路", "三路"],
                  "accepted": [1.0, None, 0.0]}).to_csv(csv, index=False)
    assert read_choices(csv) == {("甲", "一路"): True, ("丙", "三路"): False}
    pd.DataFrame({"school": ["甲", "乙"], "street": ["一路", "二路"], "accepted": ["TRUE", "maybe"]}).to_csv(
        csv, index=False)
    with pytest.raises(InputError) as e:
        read_choices(csv)
    assert "row 2" in e.value.message("en") and "maybe" in e.value.message("en")


def test_a_damaged_choice_book_is_read_as_far_as_it_can_be(tmp_path):
    book = ChoiceBook(tmp_path)
    (tmp_path / "abc.json").write_text(
        '{"choices": [{"school": "甲", "street": "一路", "accepted": "false"}, {"school": "乙"}],'
        ' "places": [{"name": "甲", "lon": NaN, "lat": 30}, {"name": "乙", "lon": 104.1, "lat": 30.6},'
        ' {"name": "", "lon": 104, "lat": 30}, {"name": "丙", "lon": 500, "lat": 30}]}', encoding="utf-8")
    assert book.get("abc") == {("甲", "一路"): False}
    assert book.places("abc") == {"乙": (104.1, 30.6)}
    with pytest.raises(ValueError):
        book.place("abc", "丁", (float("inf"), 30.0))
    with pytest.raises(ValueError):
        book.set("../x", "甲", "一路", True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abc.json"]  # no stray temporary file
