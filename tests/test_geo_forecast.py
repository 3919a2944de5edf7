"""The school-age forecast (geo.forecast): the cohort arithmetic computed by hand, events, housing, plan comparison,
and invariants checked with hypothesis."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.forecast import Event, ForecastParams, compare_plans, entry_mix, forecast, warning_level
from geo.forecast.cohort import classes_needed, enrolment, per_age, progression_ratios, project

ON_CUTOFF = {"cutoff": "08-31", "count_date": "08-31"}  # ages counted on the cut-off: the intake is age 6 alone


def ages_with(**counts: float) -> np.ndarray:
    a = np.zeros((1, 15))
    for k, v in counts.items():
        a[0, int(k.removeprefix("a"))] = v
    return a


def one_school(ages, seats=100, **kw):
    params = ForecastParams(2025, **({"survival_spread": 0.0, "birth_spread": 0.0} | ON_CUTOFF | kw))
    return forecast(["c1"] * len(ages) if len(ages) == 1 else [f"c{i}" for i in range(len(ages))], ages,
                    ["S1"] * len(ages), pd.DataFrame({"school_id": ["S1"], "seats": [seats]}), params)


def test_entry_mix_is_the_share_of_a_year_from_cutoff_to_count():
    assert entry_mix("08-31", "08-31") == 0.0
    assert entry_mix("08-31", "12-31") == pytest.approx(122 / 365)
    assert entry_mix("09-01", "01-01") == pytest.approx((1 - 244 + 365) / 365)
    with pytest.raises(ValueError, match="MM-DD"):
        entry_mix("31/08", "12-31")


def test_cohorts_age_with_their_survival_ratio_and_births_follow_the_trend():
    pop = project(ages_with(a0=200, a3=100), 2, survival=0.9, birth_trend=[0.5, 0.5])
    assert pop.shape == (3, 1, 16)
    assert pop[2, 0, 5] == pytest.approx(81.0)  # 100 x 0.9 x 0.9
    assert pop[2, 0, 0] == pytest.approx(50.0)  # 200 x 0.5 x 0.5
    assert pop[1, 0, 1] == pytest.approx(180.0)  # the base year's births, a year on
    assert pop[2, 0, 3] == pytest.approx(0.0)


def test_per_age_ratios_accept_one_or_one_per_age_and_refuse_negatives():
    assert per_age(0.9).shape == (16,)
    r = per_age(np.arange(1, 15) / 100)
    assert r[1] == pytest.approx(0.01) and r[14] == r[15] == pytest.approx(0.14)
    with pytest.raises(ValueError):
        per_age([-1.0] * 14)
    with pytest.raises(ValueError):
        per_age([1.0] * 5)


def test_intake_by_hand_on_the_cutoff_and_a_third_of_a_year_after_it():
    # Counted on the cut-off: next year's grade 1 is this year's 5-year-olds, times survival and the share.
    f = one_school(ages_with(a5=100, a4=60), survival=0.9, share=0.8)
    assert f.school_intake["central"][0, :2] == pytest.approx([72.0, 0.8 * 60 * 0.81])
    # Counted on 31 December: the intake is 2/3 of those aged 6 then and 1/3 of those aged 7.
    g = entry_mix("08-31", "12-31")
    f = one_school(ages_with(a5=90, a6=30), count_date="12-31")
    assert f.school_intake["central"][0, 0] == pytest.approx((1 - g) * 90 + g * 30)


def test_enrolment_is_grades_moved_up_by_progression_ratios():
    # Base ages 6..11 are grades 1..6 now; next year grade j+1 = grade j x ratio j, grade 1 = the 5-year-olds.
    ages = ages_with(a5=10, a6=100, a7=100, a8=100, a9=100, a10=100, a11=100)
    pop = project(ages, 2)
    grades = enrolment(pop, "primary", 0.0, 1.0, progression=[0.5, 1, 1, 1, 1])
    assert grades[0, 0].tolist() == [100] * 6
    assert grades[1, 0].tolist() == pytest.approx([10, 50, 100, 100, 100, 100])
    assert grades[2, 0].tolist() == pytest.approx([0, 5, 50, 100, 100, 100])


def test_a_school_year_by_hand_classes_seats_surplus_and_level():
    # 46 five-year-olds and 90 in each of ages 6-10: next year grade 1 = 46 (2 classes of 45), grades 2-6 = 90
    # (2 classes each) -> 496 pupils, 12 classes; 500 seats -> surplus 4, 99 % full: orange.
    ages = ages_with(a5=46, a6=90, a7=90, a8=90, a9=90, a10=90)
    f = one_school(ages, seats=500)
    row = f.schools.iloc[0]
    assert (row["year"], row["intake"], row["enrolment"], row["classes"]) == (2026, 46, 496, 12)
    assert (row["seats"], row["surplus"], row["level"]) == (500, 4, "orange")
    assert f.schools.iloc[1]["enrolment"] == pytest.approx(406)  # the 46 move up, no one enters
    assert f.schools.iloc[1]["level"] == "green"  # 81 %
    assert f.schools.iloc[5]["enrolment"] == 46  # 2031: the 46 in grade 6
    assert f.schools.iloc[6]["enrolment"] == 0 and f.schools.iloc[6]["level"] == "blue"


def test_junior_enters_at_twelve_in_classes_of_fifty():
    f = one_school(ages_with(a11=120, a12=110, a13=100), seats=300, level="junior")
    row = f.schools.iloc[0]
    assert (row["intake"], row["enrolment"], row["classes"]) == (120, 330, 3 + 3 + 2)
    assert row["level"] == "red" and row["surplus"] == -30


def test_warning_levels_at_their_bounds():
    demand = np.array([101, 100, 96, 95, 91, 90, 60, 59, 5, 0])
    seats = np.array([100] * 8 + [0, 0])
    assert warning_level(demand, seats).tolist() == ["red", "orange", "orange", "yellow", "yellow", "green",
                                                     "green", "blue", "red", "green"]


def test_classes_round_up_per_grade():
    assert classes_needed(np.array([[45.0, 46.0, 0.0, 1.0, 90.0, 44.9]]), "primary").tolist() == [1 + 2 + 0 + 1 + 2 + 1]


def test_progression_ratios_average_the_year_pairs():
    rows = []
    for year, g1, g2 in ((2021, 100, 90), (2022, 110, 95), (2023, 120, 99)):
        rows += [("A", year, 1, g1), ("A", year, 2, g2)]
        rows += [("A", year, grade, 50) for grade in range(3, 7)]
    hist = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students"])
    mean, spread, pairs = progression_ratios(hist, "primary", window=5)
    assert pairs == 2
    assert mean[0] == pytest.approx((95 / 100 + 99 / 110) / 2)  # grade 1 -> 2 over 2021-22 and 2022-23
    assert mean[1] == pytest.approx((50 / 90 + 50 / 95) / 2)
    assert spread[0] == pytest.approx(np.std([0.95, 0.9], ddof=1))
    _, _, pairs = progression_ratios(hist, "primary", window=1)
    assert pairs == 1


def test_history_ratios_drive_the_forecast():
    hist = pd.DataFrame([("S1", y, grade, 100 if grade == 1 else 80) for y in (2023, 2024) for grade in range(1, 7)],
                        columns=["school_id", "year", "grade", "students"])
    f = forecast(["c"], ages_with(a5=100, a6=100), ["S1"], pd.DataFrame({"school_id": ["S1"], "seats": [600]}),
                 ForecastParams(2025, survival_spread=0.0, birth_spread=0.0, **ON_CUTOFF), history=hist)
    assert f.progression[0] == pytest.approx(0.8) and f.progression[1] == pytest.approx(1.0)
    assert f.school_pupils["central"][0, 0] == pytest.approx(100 + 80)  # grade 1: 100; grade 2: 100 x 0.8
    assert any(k == "forecast.note.progression" for k, _ in f.notes)


def test_base_year_is_calibrated_per_school_from_the_history():
    # Two compounds of 10 children at every age, one per school; counted on the cut-off, survival 1, share 1.
    # S1's grades 1-6 hold 6 x 10 = 60 children of ages 6-11; the history records 30 pupils in 2025 (5 a grade):
    # factor 30 / 60 = 0.5 on S1's compounds. S2 is not in the history: factor 1.
    hist = pd.DataFrame([("S1", 2025, grade, 5) for grade in range(1, 7)],
                        columns=["school_id", "year", "grade", "students"])
    schools = pd.DataFrame({"school_id": ["S1", "S2"], "seats": [600, 600]})
    ages = np.full((2, 15), 10.0)
    params = ForecastParams(2025, survival_spread=0.0, birth_spread=0.0, **ON_CUTOFF)
    f = forecast(["c0", "c1"], ages, ["S1", "S2"], schools, params, history=hist)
    assert f.school_intake["central"][:, 0].tolist() == pytest.approx([5.0, 10.0])  # the 5-year-olds x 0.5 / x 1
    assert f.school_pupils["central"][:, 0].tolist() == pytest.approx([30.0, 60.0])  # ages 5-10 a year on
    assert ("forecast.note.calibrated", {"schools": 1, "year": 2025, "low": 0.5, "high": 0.5}) in f.notes
    off = forecast(["c0", "c1"], ages, ["S1", "S2"], schools, replace(params, calibrate=False), history=hist)
    assert off.school_intake["central"][:, 0].tolist() == pytest.approx([10.0, 10.0])
    older = hist.assign(year=2024)  # no base year in the history: nothing calibrated, and said
    f = forecast(["c0", "c1"], ages, ["S1", "S2"], schools, params, history=older)
    assert f.school_intake["central"][0, 0] == pytest.approx(10.0)
    assert ("forecast.note.not_calibrated", {"year": 2025}) in f.notes


def test_new_housing_brings_its_yield_from_its_delivery_year():
    housing = pd.DataFrame({"housing_id": ["H1"], "households": [1000], "year": [2027], "school_id": ["S1"],
                            "yield_per_100": [18.0]})
    f = forecast(["c"], np.zeros((1, 15)), ["S1"], pd.DataFrame({"school_id": ["S1"], "seats": [1000]}),
                 ForecastParams(2025, survival_spread=0.0, birth_spread=0.0, **ON_CUTOFF), housing=housing)
    # 1000 households x 18 / 100 = 180 primary pupils: 30 per grade, from 2027 (not in 2026).
    assert f.school_pupils["central"][0, :3].tolist() == pytest.approx([0, 180, 180])
    assert f.school_intake["central"][0, :3].tolist() == pytest.approx([0, 30, 30])
    assert f.compound_ids.tolist() == ["c", "H1"]


def test_events_open_change_merge_and_close_schools_from_their_year():
    ages = np.tile(ages_with(a0=10, a1=10, a2=10, a3=10, a4=10, a5=10, a6=10, a7=10, a8=10, a9=10, a10=10), (3, 1))
    schools = pd.DataFrame({"school_id": ["A", "B"], "seats": [100, 100]})
    params = ForecastParams(2025, horizon=6, survival_spread=0.0, birth_spread=0.0, **ON_CUTOFF)
    events = [Event(2027, "open", "N", seats=70, compounds=("c2",), name="新校"), Event(2028, "capacity", "A", seats=80),
              Event(2029, "merge", "B", target="A"), Event(2030, "close", "N", target="A")]
    f = forecast(["c0", "c1", "c2"], ages, ["A", "B", "B"], schools, params, events=events)
    seats = dict(zip(f.school_ids, f.seats.tolist()))
    assert seats["A"] == [100, 100, 80, 180, 180, 180]
    assert seats["B"] == [100, 100, 100, 0, 0, 0]
    assert seats["N"] == [0, 70, 70, 70, 0, 0]
    pupils = dict(zip(f.school_ids, f.school_pupils["central"].tolist()))
    assert pupils["B"] == [120, 60, 60, 0, 0, 0]  # 60 pupils a compound; c2 leaves in 2027, c1 with the merger
    assert pupils["N"] == [0, 60, 60, 60, 0, 0]
    assert pupils["A"] == [60, 60, 60, 120, 180, 180]
    assert f.schools.set_index(["school_id", "year"]).loc[("N", 2027), "name"] == "新校"
    with pytest.raises(ValueError, match="unknown school"):
        forecast(["c0"], ages[:1], ["A"], schools, params, events=[Event(2027, "merge", "A", target="Z")])


def test_zones_sum_their_schools():
    ages = np.tile(ages_with(a5=50, a6=50), (2, 1))
    f = forecast(["c0", "c1"], ages, ["A", "B"], pd.DataFrame({"school_id": ["A", "B"], "seats": [40, 200]}),
                 ForecastParams(2025, **ON_CUTOFF), zones={"A": "东片", "B": "东片"})
    z = f.zones.iloc[0]
    assert (z["zone"], z["seats"], z["enrolment"]) == ("东片", 240, pytest.approx(f.school_pupils["central"][:, 0].sum()))
    assert len(f.zones) == 10


def test_compare_plans_counts_shortages_moves_and_idle_seats():
    ages = np.tile(ages_with(a5=60, a6=60), (2, 1))
    schools = pd.DataFrame({"school_id": ["A", "B"], "seats": [100, 200]})
    params = ForecastParams(2025, horizon=3, survival_spread=0.0, birth_spread=0.0, **ON_CUTOFF)
    both_a = forecast(["c0", "c1"], ages, ["A", "A"], schools, params)
    split = forecast(["c0", "c1"], ages, {"c0": "A", "c1": "B"}, schools, params)
    c = compare_plans(both_a, split)
    first = c.iloc[0]
    assert (first["short_schools_a"], first["shortage_a"], first["idle_a"]) == (1, 140, 200)  # 240 in A's 100
    assert (first["short_schools_b"], first["shortage_b"], first["idle_b"]) == (1, 20, 80)
    assert first["moved"] == 120
    assert c.iloc[-1]["year"] == 0 and c.iloc[-1]["short_schools_a"] == 3


def test_variants_bracket_the_central_forecast():
    rng = np.random.default_rng(1)
    ages = rng.integers(0, 30, (20, 15))
    f = forecast([f"c{i}" for i in range(20)], ages, ["A"] * 20, pd.DataFrame({"school_id": ["A"], "seats": [500]}),
                 ForecastParams(2025))
    low, mid, high = (f.school_pupils[v][0] for v in ("low", "central", "high"))
    assert (low <= mid + 1e-9).all() and (mid <= high + 1e-9).all() and (high > low).any()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 500), min_size=15, max_size=15), min_size=1, max_size=8),
       st.floats(0.0, 1.2), st.sampled_from(["primary", "junior"]), st.sampled_from(["08-31", "12-31", "03-01"]))
def test_linear_response_matches_the_direct_projection(rows, survival, level, count):
    """The school sums (a per-age response times the summed counts) equal projecting every compound directly."""
    ages = np.array(rows, dtype=float)
    n = len(ages)
    labels = ["A" if i % 2 else "B" for i in range(n)]
    p = ForecastParams(2025, level=level, survival=survival, count_date=count, survival_spread=0.0,
                       birth_spread=0.0, birth_trend=0.9)
    f = forecast([f"c{i}" for i in range(n)], ages, labels, pd.DataFrame({"school_id": ["A", "B"], "seats": [1, 1]}),
                 p)
    direct = enrolment(project(ages, 10, survival, 0.9), level, entry_mix(count_date=count), 1.0,
                       survival=survival)[1:]  # (K, n, G)
    assert np.allclose(f.pupils["central"], direct.sum(axis=2).T)
    assert np.allclose(f.intake["central"], direct[:, :, 0].T)
    mask_a = np.array(labels) == "A"
    assert np.allclose(f.school_pupils["central"][0], direct[:, mask_a].sum(axis=(1, 2)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=15, max_size=15), st.sampled_from(["primary", "junior"]))
def test_zero_ratios_give_zero_intake(row, level):
    f = one_school(np.array([row], dtype=float), survival=0.0, share=1.0, level=level, birth_trend=0.0)
    assert (f.school_intake["central"] == 0).all()
    f = one_school(np.array([row], dtype=float), share=0.0, level=level)
    assert (f.school_pupils["central"] == 0).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 300), min_size=15, max_size=15), min_size=1, max_size=6),
       st.sampled_from(["primary", "junior"]))
def test_enrolment_is_the_sum_of_grades_and_of_compounds(rows, level):
    ages = np.array(rows, dtype=float)
    n = len(ages)
    f = forecast([f"c{i}" for i in range(n)], ages, ["A"] * n, pd.DataFrame({"school_id": ["A"], "seats": [100]}),
                 ForecastParams(2025, level=level))
    pop = project(ages, 10, per_age(1.0))
    grades = enrolment(pop, level, entry_mix(), 1.0)[1:]
    assert np.allclose(grades.sum(axis=2), grades[..., 0] + grades[..., 1:].sum(axis=2))
    assert np.allclose(f.school_pupils["central"][0], f.pupils["central"].sum(axis=0))
    assert np.allclose(f.district["enrolment"], f.pupils["central"].sum(axis=0))


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 5000), st.floats(0, 5000), st.integers(1, 3000))
def test_levels_are_monotone_in_demand_over_seats(d1, d2, seats):
    order = ["blue", "green", "yellow", "orange", "red"]
    lo, hi = sorted((d1, d2))
    a, b = warning_level(np.array([lo, hi]), np.array([seats, seats]))
    assert order.index(a) <= order.index(b)


# --- loaders ---------------------------------------------------------------------------------------------

from geo.errors import InputError  # noqa: E402
from geo.forecast.load import (  # noqa: E402
    age_columns,
    load_forecast_inputs,
    place_housing,
    read_ages,
    read_births,
    read_history,
    read_housing,
)

COMPOUNDS = pd.DataFrame({"compound_id": ["C1", "C2", "C3"], "name": ["锦苑", "华府", "东城"],
                          "children_primary": [30, 10, 0], "children_junior": [0, 0, 0]})


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_age_columns_accept_the_common_headers():
    assert age_columns(["小区", "0岁", "1岁", "14岁", "15岁"]) == {0: "0岁", 1: "1岁", 14: "14岁"}
    assert age_columns(["age_0", "age3", "a4", "5"]) == {0: "age_0", 3: "age3", 4: "a4", 5: "5"}


def test_ages_per_compound_by_name_in_gbk(tmp_path):
    header = "小区名称," + ",".join(f"{a}岁" for a in range(15)) + ",年份\n"
    rows = "华府," + ",".join(str(a) for a in range(15)) + ",2025\n锦苑," + ",".join("1" * 15) + ",2025\n"
    ages, year = read_ages(write(tmp_path, "ages.csv", header + rows, "gbk"), COMPOUNDS)
    assert year == 2025
    assert ages[1].tolist() == list(range(15)) and ages[0].sum() == 15 and ages[2].sum() == 0


def test_ages_per_community_are_shared_by_children(tmp_path):
    text = "社区," + ",".join(map(str, range(15))) + "\n东社区," + ",".join(["40"] * 15) + "\n西社区," + ",".join(["9"] * 15)
    communities = pd.Series(["东社区", "东社区", "西社区"])
    ages, _ = read_ages(write(tmp_path, "ages.csv", text), COMPOUNDS, communities=communities)
    assert ages[:, 0].tolist() == [30, 10, 9]  # 40 split 30:10 by the compounds' children; 西 has one compound
    with pytest.raises(InputError) as err:
        read_ages(write(tmp_path, "ages.csv", text), COMPOUNDS)
    assert err.value.key == "err.forecast.no_community"


def test_communities_joined_by_polygon_and_by_name(tmp_path):
    import json

    import geopandas as gpd
    from shapely.geometry import box

    from geo.forecast.load import communities_in_polygons, join_communities

    def square(x0, y0, x1, y1):
        return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]

    # 东社区 covers lon 104.00-104.01, 西社区 104.01-104.02 (lat 30.00-30.01).
    feats = [{"type": "Feature", "properties": {"社区": n}, "geometry": {"type": "Polygon", "coordinates": square(*b)}}
             for n, b in (("东社区", (104.0, 30.0, 104.01, 30.01)), ("西社区", (104.01, 30.0, 104.02, 30.01)))]
    path = write(tmp_path, "communities.geojson", json.dumps({"type": "FeatureCollection", "features": feats}))
    gdf = gpd.GeoDataFrame(COMPOUNDS.copy(), geometry=[  # C1, C2 in 东; C3 in 西
        box(104.001, 30.001, 104.002, 30.002), box(104.008, 30.005, 104.009, 30.006),
        box(104.015, 30.005, 104.016, 30.006)], crs="EPSG:4326")
    by_polygon = communities_in_polygons(gdf, path)
    assert by_polygon.tolist() == ["东社区", "东社区", "西社区"]
    outside = gdf.iloc[:1].copy()
    outside.geometry = [box(105.0, 31.0, 105.001, 31.001)]
    assert communities_in_polygons(outside, path).tolist() == [""]
    text = "社区," + ",".join(map(str, range(15))) + "\n东社区," + ",".join(["40"] * 15) + "\n西社区," + ",".join(["9"] * 15)
    ages, _ = read_ages(write(tmp_path, "ages.csv", text), COMPOUNDS, communities=by_polygon)
    assert ages[:, 0].tolist() == [30, 10, 9]  # 东 40 split 30:10 by the compounds' children
    # The compounds table's own community column wins where it names one: C2 is in 西 by name.
    joined = join_communities(pd.Series(["", "西社区", None]), by_polygon)
    assert joined.tolist() == ["东社区", "西社区", "西社区"]
    ages, _ = read_ages(write(tmp_path, "ages.csv", text), COMPOUNDS, communities=joined)
    assert ages[:, 0].tolist() == [40, 9, 0]  # 西 9 split 10:0 between C2 and C3
    points = write(tmp_path, "points.csv", "社区,lon,lat\n东社区,104.005,30.005\n")
    with pytest.raises(InputError) as err:
        communities_in_polygons(gdf, points)
    assert err.value.key == "err.forecast.no_polygons"


def test_ages_name_the_bad_row(tmp_path):
    header = "compound_id," + ",".join(map(str, range(15))) + "\n"
    bad = header + "C1," + ",".join(["1"] * 15) + "\nC9," + ",".join(["1"] * 15) + "\n"
    with pytest.raises(InputError) as err:
        read_ages(write(tmp_path, "a.csv", bad), COMPOUNDS)
    assert (err.value.key, err.value.params["row"], err.value.params["value"]) == ("err.forecast.unknown_place", 2, "C9")
    neg = header + "C1," + ",".join(["1"] * 14) + ",-3\n"
    with pytest.raises(InputError) as err:
        read_ages(write(tmp_path, "a.csv", neg), COMPOUNDS)
    assert (err.value.key, err.value.params["row"], err.value.params["field"]) == ("err.bad_value", 1, "14")
    assert "a.csv" in err.value.message("zh") and "row 1" in err.value.message("en")
    with pytest.raises(InputError) as err:
        read_ages(write(tmp_path, "a.csv", "compound_id,children\nC1,3\n"), COMPOUNDS)
    assert err.value.key == "err.forecast.no_ages"


def test_births_become_ages(tmp_path):
    text = "compound_id,year,births\nC1,2025,10\nC1,2019,7\nC2,2010,99\nC2,2024,4\n"
    ages = read_births(write(tmp_path, "b.csv", text), COMPOUNDS, 2025)
    assert ages[0, 0] == 10 and ages[0, 6] == 7 and ages[1, 1] == 4 and ages[1, 14] == 0  # 2010: age 15, out
    with pytest.raises(InputError) as err:
        read_births(write(tmp_path, "b.csv", "compound_id,year,births\nC1,二〇二五,10\n"), COMPOUNDS, 2025)
    assert err.value.params["hint"] == "@hint.year" and err.value.params["row"] == 1


def test_history_long_and_wide(tmp_path):
    long = "school_id,year,grade,students\nS1,2024,一年级,90\nS1,2025,2,85\nS1,2025,初一,40\n"
    h = read_history(write(tmp_path, "h.csv", long))
    assert h["grade"].tolist() == [1, 2, 7] and h["students"].tolist() == [90, 85, 40]
    wide = "学校名称,年份,一年级,二年级\n春林小学,2024,90,80\n春林小学,2025,95,88\n"
    h = read_history(write(tmp_path, "w.xlsx.csv", wide, "gbk"),
                     schools=pd.DataFrame({"school_id": ["P1"], "name": ["春林小学"]}))
    assert set(h["school_id"]) == {"P1"} and len(h) == 4
    with pytest.raises(InputError) as err:
        read_history(write(tmp_path, "h.csv", "school_id,year,grade,students\nS1,2024,十年级,3\n"))
    assert (err.value.params["row"], err.value.params["hint"]) == (1, "@hint.grade")


def test_history_in_xlsx(tmp_path):
    p = tmp_path / "h.xlsx"
    pd.DataFrame({"school_id": ["S1", "S1"], "year": [2024, 2025], "grade": [1, 2], "students": [50, 48]}).to_excel(
        p, index=False)
    assert read_history(p)["students"].tolist() == [50, 48]


def test_housing_read_and_placed(tmp_path):
    text = ("项目名称,户数,交付年份,每百户学生数,lon,lat,小区编号\n新城一期,800,2028,20,104.10,30.60,\n"
            "新城二期,500,2030,,,,C2\n")
    h = read_housing(write(tmp_path, "housing.csv", text, "gbk"))
    assert h["households"].tolist() == [800, 500] and np.isnan(h["yield_per_100"].iloc[1])
    placed = place_housing(h, np.array(["C1", "C2"]), np.array([[104.0, 30.0], [104.1, 30.6]]),
                           {"C1": "S1", "C2": "S2"})
    assert placed["school_id"].tolist() == ["S2", "S2"]
    with pytest.raises(InputError) as err:
        place_housing(h.assign(lon=np.nan, compound_id=np.nan), np.array(["C1"]), None, {"C1": "S1"})
    assert err.value.key == "err.forecast.housing_unplaced" and err.value.params["row"] == 1
    with pytest.raises(InputError) as err:
        read_housing(write(tmp_path, "housing.csv", "户数,交付年份\n0,2028\n"))
    assert err.value.params["hint"] == "@hint.positive_int"


def test_housing_drawn_as_polygons_is_placed_at_its_point(tmp_path):
    import json

    ring = [[104.099, 30.599], [104.101, 30.599], [104.101, 30.601], [104.099, 30.601], [104.099, 30.599]]
    gj = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon",
          "coordinates": [ring]}, "properties": {"项目名称": "新城一期", "户数": 800, "交付年份": 2028, "经度": 1}}]}
    h = read_housing(write(tmp_path, "housing.geojson", json.dumps(gj, ensure_ascii=False)))
    assert h["lon"].iloc[0] == pytest.approx(104.1, abs=0.001) and h["lat"].iloc[0] == pytest.approx(30.6, abs=0.001)
    assert h["households"].tolist() == [800] and h["year"].tolist() == [2028]
    placed = place_housing(h, np.array(["C1", "C2"]), np.array([[104.0, 30.0], [104.1, 30.6]]),
                           {"C1": "S1", "C2": "S2"})
    assert placed["school_id"].tolist() == ["S2"]  # the compound nearest the polygon's point


def test_housing_yield_as_per_thousand_residents(tmp_path):
    # 千人指标 50 pupils per 1,000 residents at 2.62 persons a household: 50 x 2.62 / 10 = 13.1 per 100 households;
    # a row with 每百户学生数 keeps it; a row with neither takes the default (NaN here).
    text = "项目名称,户数,交付年份,千人指标,每百户学生数,小区编号\n甲,100,2028,50,,C1\n乙,100,2028,50,20,C1\n丙,100,2028,,,C1\n"
    h = read_housing(write(tmp_path, "housing.csv", text, "gbk"))
    assert h["yield_per_100"].iloc[:2].tolist() == pytest.approx([13.1, 20.0]) and np.isnan(h["yield_per_100"].iloc[2])
    with pytest.raises(InputError) as err:
        read_housing(write(tmp_path, "housing.csv", "户数,交付年份,千人指标\n100,2028,900\n"))
    assert err.value.params["hint"] == "@hint.yield" and err.value.params["row"] == 1


def test_retention_ratios_per_age_from_a_table(tmp_path):
    from geo.forecast.load import ForecastInputs, read_ratios
    from geo.forecast.run import forecast_zoning

    r = read_ratios(write(tmp_path, "ratios.csv", "年龄,留存率\n6岁,0.5\n7,0.9\n", "gbk"))
    assert r.shape == (15,) and r[6] == 0.5 and r[7] == 0.9 and r[[1, 5, 8, 14]].tolist() == [1, 1, 1, 1]
    for bad, field in (("年龄,留存率\n15,0.9\n", "年龄"), ("年龄,留存率\n6,0.9\n6,0.8\n", "年龄"),
                       ("年龄,留存率\n6,3\n", "留存率")):
        with pytest.raises(InputError) as err:
            read_ratios(write(tmp_path, "ratios.csv", bad))
        assert err.value.params["field"] == field
    # 100 five-year-olds, counted on the cut-off: a year on, 100 x 0.5 = 50 reach 6 and start grade 1; a second
    # --survival 0.8 multiplies the table: 100 x 0.5 x 0.8 = 40.
    result = SimpleNamespace(assignments=pd.DataFrame({"compound_id": ["c"], "school_id": ["S1"]}),
                             scenario=SimpleNamespace(level="primary"),
                             schools=pd.DataFrame({"school_id": ["S1"], "name": ["S1"], "seats": [600]}))
    data = ForecastInputs(np.array(["c"]), ages_with(a5=100), 2025, survival=r)
    flat = {"survival_spread": 0.0, "birth_spread": 0.0} | ON_CUTOFF
    f = forecast_zoning(SimpleNamespace(compounds=None), result, data, horizon=2, **flat)
    assert f.school_intake["central"][0, 0] == pytest.approx(50.0)
    assert f.school_pupils["central"][0, 1] == pytest.approx(50.0 * 0.9)  # grade 2 in 2027: age 7's ratio
    f = forecast_zoning(SimpleNamespace(compounds=None), result, data, horizon=2, survival=0.8, **flat)
    assert f.school_intake["central"][0, 0] == pytest.approx(40.0)


def test_enrolment_share_per_compound_from_the_ages_table(tmp_path):
    from geo.forecast.load import read_shares
    from geo.forecast.run import forecast_zoning

    header = "compound_id," + ",".join(map(str, range(15))) + ",公办就读比例\n"
    tens = ",".join(["10"] * 15)
    path = write(tmp_path, "ages.csv", header + f"C1,{tens},0.5\nC2,{tens},\n", "gbk")
    share = read_shares(path, COMPOUNDS)
    assert share[0] == 0.5 and np.isnan(share[1]) and np.isnan(share[2])
    with pytest.raises(InputError) as err:
        read_shares(write(tmp_path, "bad.csv", header + f"C1,{tens},90%\n"), COMPOUNDS)
    assert err.value.params["hint"] == "@hint.share" and err.value.params["row"] == 1
    data = load_forecast_inputs(COMPOUNDS, ages=path, base_year=2025)
    # 10 five-year-olds in each of C1 and C2, counted on the cut-off; C1 attends at 0.5, C2 at the setting 0.8:
    # a year on, S1 (C1) takes 10 x 0.5 = 5 and S2 (C2) 10 x 0.8 = 8.
    result = SimpleNamespace(assignments=pd.DataFrame({"compound_id": ["C1", "C2"], "school_id": ["S1", "S2"]}),
                             scenario=SimpleNamespace(level="primary"),
                             schools=pd.DataFrame({"school_id": ["S1", "S2"], "name": ["S1", "S2"], "seats": [600, 600]}))
    f = forecast_zoning(SimpleNamespace(compounds=None), result, data, horizon=1, share=0.8,
                        **({"survival_spread": 0.0, "birth_spread": 0.0} | ON_CUTOFF))
    assert f.school_intake["central"][:, 0].tolist() == pytest.approx([5.0, 8.0])


def test_load_forecast_inputs_needs_children_and_takes_the_year(tmp_path):
    with pytest.raises(InputError) as err:
        load_forecast_inputs(COMPOUNDS)
    assert err.value.key == "err.forecast.no_children"
    header = "compound_id," + ",".join(map(str, range(15))) + "\n"
    f = load_forecast_inputs(COMPOUNDS, ages=write(tmp_path, "a.csv", header + "C1," + ",".join(["2"] * 15)))
    assert f.ages.shape == (3, 15) and f.warnings[0][0] == "forecast.warn.base_year"
    up = {"births": ("b.csv", b"compound_id,year,births\nC3,2020,5\n")}
    f = load_forecast_inputs(COMPOUNDS, base_year=2025, uploads=up)
    assert f.ages[2, 5] == 5 and f.base_year == 2025


# --- backtest ----------------------------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from geo.forecast.backtest import backtest_intake, read_series  # noqa: E402

SERIES = Path(__file__).parent / "data" / "china_births_primary_intake.csv"


def test_backtest_by_hand():
    births = {2000: 100.0, 2001: 110.0, 2002: 120.0, 2003: 90.0}
    intake = {2006: 105.0, 2007: 110.0, 2008: 132.0, 2009: 108.0}
    r = backtest_intake(births, intake, horizon=3)
    first = r.table[r.table["origin"] == 2006]
    # share at 2006: 105 / 100; forecasts 1.05 x 110, 1.05 x 120, 1.05 x 90 against 110, 132, 108
    assert first["forecast"].tolist() == pytest.approx([115.5, 126.0, 94.5])
    assert first["ape"].tolist() == pytest.approx([5.0, 100 * 6 / 132, 12.5])
    assert r.mape == pytest.approx(r.table["ape"].mean())
    assert set(r.table["origin"]) == {2006, 2007, 2008}
    # Unknown births six years before a target leave it out
    r = backtest_intake({2000: 100.0, 2002: 120.0}, intake, horizon=3)
    assert r.table["year"].tolist() == [2008]


def test_series_file_cites_every_figure_and_leaves_unconfirmed_out():
    df = pd.read_csv(SERIES)
    assert set(df["status"]) <= {"confirmed", "derived", "unconfirmed"}
    assert df["source"].notna().all()
    assert df.loc[df["status"] != "unconfirmed", "found_at"].str.startswith("http").all()
    assert df.loc[df["status"] == "unconfirmed", "value_10k"].isna().all()
    births, intake = read_series(SERIES)
    assert births[2016] == 1786 and intake[2023] == 1877.88 and 2018 not in intake and 2010 not in births
    assert births[2014] == 1687 and births[2020] == 1200


def test_backtest_on_china_births_and_primary_intake():
    births, intake = read_series(SERIES)
    r = backtest_intake(births, intake, horizon=5)
    assert len(r.table) == 22 and set(r.table["origin"]) == {2015, 2017, 2019, 2020, 2021, 2022, 2023}
    t = r.table.set_index(["origin", "year"])
    assert t.loc[(2021, 2024), "forecast"] == pytest.approx(1782.58 / 1655 * 1523)
    # 2014's births (1687) make 2020 an origin: share 1808.09 / 1687, times 2015's births 1655 for 2021.
    assert t.loc[(2020, 2021), "forecast"] == pytest.approx(1808.09 / 1687 * 1655)
    assert t.loc[(2020, 2021), "ape"] == pytest.approx(abs(1808.09 / 1687 * 1655 - 1782.58) / 1782.58 * 100)
    assert r.mape == pytest.approx(6.07, abs=0.01)  # the README's figure
    assert backtest_intake(births, intake, window=3).mape == pytest.approx(4.95, abs=0.01)


def test_a_mapping_is_remembered_for_the_layout(tmp_path):
    text = "楼盘," + ",".join(map(str, range(15))) + "\n华府," + ",".join(["3"] * 15) + "\n"
    p = write(tmp_path, "ages_map.csv", text)
    with pytest.raises(InputError) as err:
        read_ages(p, COMPOUNDS)
    assert err.value.key == "err.missing_column"
    ages, _ = read_ages(p, COMPOUNDS, mapping={"name": "楼盘"})
    assert ages[1].sum() == 45
    again, _ = read_ages(write(tmp_path, "another.csv", text.replace("华府", "锦苑")), COMPOUNDS)  # same header
    assert again[0].sum() == 45
    f = load_forecast_inputs(COMPOUNDS, ages=p, mappings={"ages": {"name": "楼盘"}}, base_year=2025)
    assert f.ages[1, 0] == 3


# --- the map and the files ---------------------------------------------------------------------------------

def test_forecast_map_escapes_names_and_geojson_carries_the_year():
    import json

    from geo.forecast.load import load_forecast_inputs as load_fc
    from geo.forecast.run import forecast_zoning
    from geo.inputs import load_inputs
    from geo.render.forecast_map import forecast_geojson, forecast_map
    from geo.zoning.scenario import Scenario, run_scenario

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    inputs = load_inputs(None, demo / "schools.csv", demo / "compounds.geojson")
    inputs.schools.loc[inputs.schools["level"] == "primary", "name"] = "<img src=x onerror=alert(1)>小学"
    result = run_scenario(inputs, Scenario("primary", "straight"))
    data = load_fc(inputs.compounds, ages=demo / "ages.csv")
    fc = forecast_zoning(inputs, result, data, horizon=3)
    html = forecast_map(result, fc, 2027, lang="en", tiles=None).get_root().render()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    gj = json.loads(forecast_geojson(result, fc, 2027))
    props = [f["properties"] for f in gj["features"]]
    assert {p["year"] for p in props} == {2027} and len(props) == len(result.catchments)
    assert {p["level"] for p in props} <= {"red", "orange", "yellow", "green", "blue"}
    by_school = fc.schools[fc.schools["year"] == 2027].set_index("school_id")
    for p in props:
        assert p["seats"] == by_school.at[p["school_id"], "seats"]
    every = [f["properties"] for f in json.loads(forecast_geojson(result, fc))["features"]]  # all years, one file
    assert len(every) == 3 * len(result.catchments)  # horizon 3: each catchment once a year
    assert [p["year"] for p in every] == sorted(p["year"] for p in every)
    assert {p["year"] for p in every} == {2026, 2027, 2028}
    table = fc.schools.set_index(["school_id", "year"])
    for p in every:
        assert p["enrolment"] == table.at[(p["school_id"], p["year"]), "enrolment"]
        assert p["level"] == table.at[(p["school_id"], p["year"]), "level"]


def test_compounds_without_a_school_are_left_out_and_said():
    ages = np.tile(ages_with(a5=10, a6=10), (3, 1))
    f = forecast(["c0", "c1", "c2"], ages, {"c0": "A", "c1": "Z"}, pd.DataFrame({"school_id": ["A"], "seats": [50]}),
                 ForecastParams(2025, **ON_CUTOFF))
    assert f.school_pupils["central"][0, 0] == pytest.approx(f.pupils["central"][0, 0])  # c0 only
    assert ("forecast.note.unzoned", {"count": 2}) in f.notes
    assert f.district["enrolment"].iloc[0] == pytest.approx(f.pupils["central"][0, 0])


def test_demo_tables_are_regenerated_exactly_and_say_they_are_generated(tmp_path):
    from geo.inputs.demo import FORECAST_FILES, GENERATED, write_forecast_demo

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    written = write_forecast_demo(tmp_path)
    assert [p.name for p in written] == list(FORECAST_FILES)
    for p in written:
        assert p.read_bytes() == (demo / p.name).read_bytes(), p.name
        table = pd.read_csv(p)
        assert (table["数据来源"] == GENERATED).all()
    ages = pd.read_csv(demo / "ages.csv")
    assert len(ages) == 300 and ages["年份"].eq(2025).all()
