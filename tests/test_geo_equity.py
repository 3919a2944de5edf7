"""Resource equity: the 2017 audit's indicators and pass rule, student-weighted coefficients, Gini, Theil,
class sizes, the nine-year split, and the demo district's audit columns."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.equity import audit as equity
from geo.equity import inequality
from geo.errors import InputError
from geo.inputs import load_schools
from geo.inputs.demo import GROUPS_FILE, SEED, generate, groups_csv
from geo.render.i18n import TEXT

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

# One primary school of 1,000 students exactly at every 2017 standard.
AT_STANDARD = {"qualified_teachers": 42, "backbone_teachers": 10, "pe_art_teachers": 9, "floor_area_m2": 4500,
               "sports_ground_m2": 7500, "equipment_value_cny": 2_000_000, "multimedia_rooms": 23}


def school(sid="S1", level="primary", students=1000, classes=25, **raw) -> dict:
    """A school whose raw columns not given are those of AT_STANDARD scaled to its students."""
    scaled = {k: v * students / 1000 for k, v in AT_STANDARD.items()}
    return {"school_id": sid, "name": f"学校{sid}", "level": level, "students": students, "classes": classes,
            **scaled, **raw}


# --- coefficient of variation ------------------------------------------------------------------------------

def test_worked_example_of_the_audits_gives_0_52():
    """Five primary schools, books per student: the audits' own example (coefficient 0.52)."""
    students = np.array([45, 37, 89, 76, 55])
    books = np.array([279, 137, 935, 160, 402])
    x = books / students
    mean = (students * x).sum() / students.sum()
    assert round(mean, 2) == 6.33  # 1,913 books / 302 students
    deviations = students / students.sum() * (x - mean) ** 2
    assert round(deviations.sum(), 2) == 10.65
    cv = equity.weighted_cv(x, students)
    assert round(cv, 2) == 0.52
    assert cv == pytest.approx(math.sqrt(deviations.sum()) / mean)
    # the biggest school with the most books per student pulls the figure up most
    shares = equity.cv_shares(x, students)
    assert shares.sum() == pytest.approx(1.0)
    assert int(np.argmax(shares)) == 2


def test_cv_is_weighted_by_students():
    # 100 students at 1, 300 at 3: mean 2.5, variance (100*2.25 + 300*0.25)/400 = 0.75
    assert equity.weighted_cv([1, 3], [100, 300]) == pytest.approx(math.sqrt(0.75) / 2.5)
    assert equity.weighted_cv([1, 3], [100, 100]) == pytest.approx(0.5)  # unweighted case
    assert equity.cv_shares([1, 3], [100, 300]) == pytest.approx([0.75, 0.25])
    assert equity.weighted_cv([2, 2, 2], [5, 9, 1]) == 0
    assert math.isnan(equity.weighted_cv([0, 0], [1, 1]))


# --- Gini, Theil, Lorenz ---------------------------------------------------------------------------------

def test_gini_by_hand():
    assert inequality.gini([1, 3], [1, 1]) == pytest.approx(0.25)
    # weighted: sum_ij p_i p_j |x_i - x_j| / (2 P^2 xbar) = 2*1*3*2 / (2*16*2.5) = 0.15
    assert inequality.gini([1, 3], [1, 3]) == pytest.approx(0.15)
    assert inequality.gini([5, 5, 5], [1, 2, 3]) == pytest.approx(0.0)
    assert inequality.gini([0, 0, 10], [1, 1, 1]) == pytest.approx(2 / 3)


def test_theil_by_hand():
    t = inequality.theil([1, 3], [1, 1])
    assert t.total == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    t = inequality.theil([1, 3], [1, 3])  # xbar = 2.5
    assert t.total == pytest.approx(0.25 * 0.4 * math.log(0.4) + 0.75 * 1.2 * math.log(1.2))
    assert t.between == pytest.approx(0.0) and t.within == pytest.approx(t.total)
    # two groups, each internally equal: everything is between the groups
    t = inequality.theil([1, 1, 3, 3], [1, 1, 1, 1], ["a", "a", "b", "b"])
    assert t.within == pytest.approx(0.0)
    assert t.between == pytest.approx(t.total) and t.total > 0
    assert t.groups.loc["a", "theil"] == pytest.approx(0.0)
    assert t.groups["student_share"].sum() == pytest.approx(1.0)
    # two groups with equal means: everything is within
    t = inequality.theil([1, 3, 1, 3], [1, 1, 1, 1], ["a", "a", "b", "b"])
    assert t.between == pytest.approx(0.0) and t.within == pytest.approx(t.total)


def _pairwise_gini(x, p):
    x, p = np.asarray(x, float), np.asarray(p, float)
    mean = (p * x).sum() / p.sum()
    return (p[:, None] * p[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (2 * p.sum() ** 2 * mean)


schools_st = st.lists(st.tuples(st.floats(0.0, 50.0), st.integers(1, 3000), st.sampled_from(["a", "b", "c", None])),
                      min_size=1, max_size=25).filter(lambda r: sum(v * w for v, w, _ in r) > 1e-6)


@settings(max_examples=150, deadline=None)
@given(schools_st)
def test_theil_parts_sum_to_total_and_gini_matches_pairwise(rows):
    x, p, g = (list(c) for c in zip(*rows))
    t = inequality.theil(x, p, g)
    assert t.between + t.within == pytest.approx(t.total, abs=1e-9)
    assert t.between >= -1e-12 and t.within >= -1e-12
    assert t.total <= math.log(sum(p) / min(w for v, w, _ in rows if v > 0)) + 1e-9  # T <= ln(P / p_min)
    assert inequality.gini(x, p) == pytest.approx(_pairwise_gini(x, p), abs=1e-9)
    lz = inequality.lorenz(x, p)
    assert lz.iloc[0].tolist() == [0.0, 0.0] and lz.iloc[-1].tolist() == [1.0, 1.0]
    assert (np.diff(lz["student_share"]) >= 0).all() and (np.diff(lz["resource_share"]) >= -1e-12).all()
    assert (lz["resource_share"] <= lz["student_share"] + 1e-9).all()  # below the diagonal


def test_resource_inequality_by_group_column():
    df = pd.DataFrame([school("A", students=100, floor_area_m2=400, district="east"),
                       school("B", students=300, floor_area_m2=1800, district="east"),
                       school("C", students=200, floor_area_m2=1600, district="west")])
    r = inequality.resource_inequality(df, "floor_area_per_student", group="district")
    x, p = np.array([4.0, 6.0, 8.0]), np.array([100, 300, 200])
    assert r.gini == pytest.approx(_pairwise_gini(x, p))
    assert r.theil.total == pytest.approx(inequality.theil(x, p).total)
    assert r.theil.between + r.theil.within == pytest.approx(r.theil.total)
    assert r.theil.groups.loc["west", "mean"] == pytest.approx(8.0)
    assert len(r.lorenz) == 4
    with pytest.raises(InputError):
        inequality.resource_inequality(df, "floor_area_per_student", group="alliance")


# --- the 2017 audit per school ------------------------------------------------------------------------------

def audit_one(**raw) -> pd.Series:
    return equity.audit_schools(pd.DataFrame([school(**raw)])).iloc[0]


def test_exactly_at_every_standard_passes():
    a = audit_one()
    assert a["met"] == 7 and a["passes"]
    assert a["qualified_per100"] == pytest.approx(4.2)
    assert a["equipment_per_student"] == pytest.approx(2000)


def test_six_of_seven_and_the_85_percent_rule():
    a = audit_one(qualified_teachers=38)  # 3.8 / 4.2 = 90 %
    assert a["met"] == 6 and not a["qualified_per100_ok"] and a["passes"]
    a = audit_one(floor_area_m2=3825)  # 3.825 / 4.5 = exactly 85 %
    assert a["met"] == 6 and a["lowest_ratio"] == pytest.approx(0.85) and a["passes"]
    a = audit_one(floor_area_m2=3820)  # just under 85 %
    assert a["met"] == 6 and not a["passes"]
    a = audit_one(qualified_teachers=33)  # 79 %
    assert not a["passes"]
    a = audit_one(qualified_teachers=41, backbone_teachers=9)  # two indicators just short: only 5 of 7
    assert a["met"] == 5 and a["lowest_ratio"] > 0.85 and not a["passes"]


def test_junior_schools_are_judged_by_junior_standards():
    a = audit_one(level="junior")  # primary standards are below the junior ones for 5 indicators
    assert a["met"] == 2 and not a["passes"]
    assert a["qualified_per100_ratio"] == pytest.approx(4.2 / 5.3)
    assert a["backbone_per100_ok"] and a["pe_art_per100_ok"]


def test_nine_year_school_split_by_years_when_no_split_given():
    df = pd.DataFrame([school("N", level="nine_year", students=900, qualified_teachers=50, floor_area_m2=5000,
                              classes=21)])
    a = equity.audit_schools(df)
    assert a["level"].tolist() == ["junior", "primary"]
    assert a.set_index("level")["students"].to_dict() == {"primary": 600, "junior": 300}
    parts = equity.school_parts(df).set_index("level")
    assert parts.loc["primary", "qualified_teachers"] == pytest.approx(50 * 600 / 900)
    # per-student figures are the school's, each judged by its own level's standard
    a = a.set_index("level")
    assert a.loc["primary", "floor_area_per_student"] == pytest.approx(a.loc["junior", "floor_area_per_student"])
    assert a.loc["primary", "floor_area_per_student_ok"] and not a.loc["junior", "floor_area_per_student_ok"]
    assert (a["school_level"] == "nine_year").all()


def test_nine_year_school_split_columns_are_used():
    df = pd.DataFrame([school("N", level="nine_year", students=900, students_primary=800, students_junior="",
                              qualified_teachers=50, qualified_teachers_primary=30)])
    parts = equity.school_parts(df).set_index("level")
    assert parts.loc["primary", "students"] == 800 and parts.loc["junior", "students"] == 100
    assert parts.loc["primary", "qualified_teachers"] == 30 and parts.loc["junior", "qualified_teachers"] == 20
    # unsplit columns follow the students: 8:1
    assert parts.loc["junior", "floor_area_m2"] == pytest.approx(4050 / 9)  # 4,050 m2 for 900 students


def test_missing_column_names_the_column_and_the_file():
    df = pd.DataFrame([school()]).drop(columns="backbone_teachers")
    with pytest.raises(InputError) as info:
        equity.audit_schools(df, file="学校.csv")
    err = info.value
    assert err.key == "equity.missing_column" and err.key in TEXT
    assert "backbone_teachers" in str(err) and "学校.csv" in str(err) and "骨干教师数" in str(err)
    assert "骨干教师" in err.message("zh")


def test_chinese_column_names_are_accepted():
    row = school()
    df = pd.DataFrame([row]).rename(columns={"students": "在校生数", "backbone_teachers": "骨干教师数"})
    a = equity.audit_schools(df).iloc[0]
    assert a["students"] == 1000 and a["backbone_per100"] == pytest.approx(1.0)


def test_negative_or_blank_value_is_reported_with_its_row():
    df = pd.DataFrame([school("A"), school("B", sports_ground_m2=-5)])
    with pytest.raises(InputError) as info:
        equity.audit_schools(df)
    assert info.value.key == "err.bad_value" and info.value.params["row"] == 2
    df = pd.DataFrame([school("A", multimedia_rooms=None)])
    with pytest.raises(InputError):
        equity.audit_schools(df)


# --- balance between schools ---------------------------------------------------------------------------------

def test_balance_weights_by_students_and_judges_both_standards():
    # backbone per 100: 0.5 in a school of 100 and 2.0 in one of 300 -> weighted mean 1.625
    df = pd.DataFrame([school("A", students=100, backbone_teachers=0.5), school("B", students=300, backbone_teachers=6),
                       school("J", level="junior", students=500)])
    b = equity.balance(df, "primary")
    row = b.table.loc["backbone_per100"]
    assert row["mean"] == pytest.approx(1.625)
    cv = math.sqrt((100 * (0.5 - 1.625) ** 2 + 300 * (2 - 1.625) ** 2) / 400) / 1.625
    assert row["cv"] == pytest.approx(cv)
    assert row["passes_2017"] == (cv <= 0.5) and row["passes_2012"] == (cv <= 0.65)
    assert b.table.loc["floor_area_per_student", "cv"] == pytest.approx(0.0)
    assert cv == pytest.approx(0.39970, abs=1e-5) and b.passes_2017 and b.passes_2012
    assert b.composite_cv == pytest.approx(cv / 7)
    top = b.top("backbone_per100", 2)
    assert top["school_id"].tolist() == ["A", "B"] and top["share"].sum() == pytest.approx(1.0)
    assert not top["above_mean"].iloc[0]
    # the junior school is not part of the primary balance, and has its own limits
    assert len(b.shares) == 2
    assert equity.balance(df, "junior").table["limit_2017"].iloc[0] == 0.45


def test_between_the_two_standards():
    # CV = 0.55: fails 2017 (0.50), passes 2012 (0.65)
    df = pd.DataFrame([school("A", backbone_teachers=4.5), school("B", backbone_teachers=15.5)])
    b = equity.balance(df, "primary")
    assert b.table.loc["backbone_per100", "cv"] == pytest.approx(0.55)
    assert not b.table.loc["backbone_per100", "passes_2017"]
    assert b.table.loc["backbone_per100", "passes_2012"]


# --- class sizes ----------------------------------------------------------------------------------------------

def test_class_size_bands():
    df = pd.DataFrame([
        school("P1", students=450, classes=10), school("P2", students=451, classes=10),
        school("P3", students=560, classes=10), school("P4", students=650, classes=10),
        school("P5", students=651, classes=10), school("J1", level="junior", students=500, classes=10),
        school("J2", level="junior", students=2001, classes=40), school("N1", level="nine_year", students=2400,
                                                                      classes=48),
        school("N2", level="nine_year", students=2501, classes=50),
    ])
    c = equity.class_sizes(df)
    band = dict(zip(c["school_id"] + "/" + c["level"], c["band"]))
    assert band["P1/primary"] == "standard"
    assert band["P2/primary"] == "above_standard"  # 45.1 on average: some class has 46
    assert band["P3/primary"] == "large" and band["P4/primary"] == "large"
    assert band["P5/primary"] == "super_large"  # 65.1 on average: some class has 66
    assert band["J1/junior"] == "standard"  # 50 is the junior standard
    assert band["J2/junior"] == "above_standard"  # 50.025 on average: some class has 51
    c = c.set_index(["school_id", "level"])
    assert c.loc[("P3", "primary"), "large"] and not c.loc[("P3", "primary"), "super_large"]
    assert c.loc[("J2", "junior"), "oversized_school"]
    assert not c.loc[("N1", "primary"), "oversized_school"] and c.loc[("N2", "junior"), "oversized_school"]
    assert c.loc[("N1", "junior"), "school_size_limit"] == 2500
    assert c.loc[("P1", "primary"), "average_class_size"] == 45


def test_no_classes_is_an_error():
    with pytest.raises(InputError) as info:
        equity.class_sizes(pd.DataFrame([school(classes=0)]))
    assert info.value.key == "equity.no_classes"


# --- the demo district -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_schools():
    return load_schools(DEMO / "schools.csv")[0]


def test_demo_audit(demo_schools):
    a = equity.audit_schools(demo_schools)
    assert len(a) == len(demo_schools) + 2  # each nine-year school in two parts
    assert a["passes"].any() and not a["passes"].all()
    for key in equity.INDICATOR_KEYS:
        assert np.isfinite(a[key]).all()
    # every teacher indicator fails somewhere
    assert all((~a[f"{k}_ok"]).any() for k in ("qualified_per100", "backbone_per100", "pe_art_per100"))
    # nine-year schools use their own students per level
    nine = a[a["school_level"] == "nine_year"]
    raw = demo_schools[demo_schools["level"] == "nine_year"]
    assert set(nine.loc[nine["level"] == "primary", "students"]) == set(pd.to_numeric(raw["students_primary"]))


def test_demo_has_a_coefficient_near_its_limit(demo_schools):
    near = []
    for level in ("primary", "junior"):
        b = equity.balance(demo_schools, level)
        gap = (b.table["cv"] - b.table["limit_2017"]).abs()
        near += list(gap[gap < 0.06].index)
        assert b.table["cv"].notna().all()
    assert "backbone_per100" in near


def test_demo_groups_file(demo_schools):
    groups = pd.read_csv(DEMO / GROUPS_FILE)
    assert list(groups.columns) == ["group_id", "group_name", "school_id", "role"]
    assert groups["group_id"].nunique() == 2
    assert (groups.groupby("group_id")["role"].apply(lambda r: (r == "lead").sum()) == 1).all()
    assert set(groups["school_id"]) <= set(demo_schools["school_id"])
    assert not groups["school_id"].duplicated().any()
    assert (DEMO / GROUPS_FILE).read_text(encoding="utf-8") == groups_csv(generate(SEED))


# --- the page's rules, in geo: statistics, education groups, teacher moves -----------------------------------------

def _three_schools() -> pd.DataFrame:
    """A primary school exactly at standard, a weak one (half the teachers) and a nine-year school."""
    return pd.DataFrame([school("A"), school("B", qualified_teachers=21, backbone_teachers=2, pe_art_teachers=4),
                         school("N", level="nine_year", students=900, students_primary=600, backbone_teachers=30,
                                backbone_teachers_primary=6, backbone_teachers_junior=24)])


def _groups() -> pd.DataFrame:
    from geo.equity.groups import check_groups

    rows = pd.DataFrame({"group_id": ["G1", "G1", "G2"], "group_name": ["一集团", None, "二集团"],
                         "school_id": ["A", "B", "N"], "role": ["牵头", "", "lead"]})
    groups, problems = check_groups(rows, _three_schools())
    assert problems == []
    return groups


def test_groups_are_tidied_and_checked():
    from geo.equity.groups import check_groups, empty_groups

    g = _groups()
    assert list(g["role"]) == ["lead", "member", "lead"] and list(g["group_name"]) == ["一集团", "G1", "二集团"]
    bad = pd.DataFrame({"group_id": ["G", "G", None], "group_name": ["x"] * 3, "school_id": ["A", "Z", "B"],
                        "role": ["member", "boss", "member"]})
    _, problems = check_groups(bad, _three_schools())
    assert [k for k, _ in problems] == ["equity.groups.incomplete", "equity.groups.bad_role", "equity.groups.unknown",
                                        "equity.groups.lead_count"]
    assert all(k in TEXT for k, _ in problems)
    assert list(empty_groups().columns) == ["group_id", "group_name", "school_id", "role"] and len(empty_groups()) == 0


def test_a_lead_is_strong_when_it_passes_the_audit_or_its_figure_reaches_the_threshold():
    from geo.equity.groups import default_threshold, strength_columns, strength_values, strong_leads

    schools, groups = _three_schools(), _groups()
    a = equity.audit_schools(schools)
    # every part must pass: A does; N's junior part, at primary figures, fails the junior standards
    assert strong_leads(groups, a).to_dict() == {"G1": True, "G2": False}
    # an indicator is the lead's own level part where it has one: N's primary part has 1 backbone teacher per 100
    values = strength_values(schools, a, "backbone_per100", "primary")
    assert values["A"] == pytest.approx(1.0) and values["N"] == pytest.approx(1.0)
    assert strength_values(schools, a, "backbone_per100", "junior")["N"] == pytest.approx(8.0)
    assert strength_values(schools, a, "backbone_per100", "junior")["A"] == pytest.approx(1.0)  # its only part
    assert strong_leads(groups, a, values, 1.0).to_dict() == {"G1": True, "G2": True}
    junior = strength_values(schools, a, "backbone_per100", "junior")
    assert strong_leads(groups, a, junior, 5.0).to_dict() == {"G1": False, "G2": True}
    # ... or any numeric column, as it is; an unknown figure is never strong
    assert strong_leads(groups, a, strength_values(schools, a, "students", "primary"), 950).to_dict() == {
        "G1": True, "G2": False}
    assert strong_leads(groups, a, pd.Series({"A": np.nan, "N": 3.0}), 1.0).to_dict() == {"G1": False, "G2": True}
    assert default_threshold(values) == pytest.approx(1.0) and default_threshold(pd.Series([np.nan])) == 0.0
    cols = strength_columns(schools.assign(flag=True, capacity_estimated=1))
    assert cols[:7] == list(equity.INDICATOR_KEYS) and "students" in cols and "flag" not in cols
    assert "capacity_estimated" not in cols and "name" not in cols


def test_group_shares_count_the_children_of_each_group():
    from geo.equity.groups import group_shares, school_groups

    schools, groups = _three_schools(), _groups()
    a = equity.audit_schools(schools)
    children = pd.Series({"A": 300.0, "B": 100.0, "N": 500.0, "X": 100.0})  # X: a school in no group
    shares = group_shares(groups, schools, a, children, pd.Series({"G1": False, "G2": True}))
    t = shares.table.set_index("group_id")
    assert t.loc["G1", "children"] == 400 and t.loc["G1", "share"] == pytest.approx(40.0)
    assert t.loc["G1", "lead"] == "学校A" and t.loc["G1", "members"] == "学校B" and t.loc["G1", "schools"] == 2
    assert bool(t.loc["G1", "lead_passes"]) and not t.loc["G1", "strong"] and t.loc["G2", "strong"]
    assert shares.strong_share == pytest.approx(0.5) and shares.grouped_share == pytest.approx(0.9)
    none = group_shares(groups, schools, a, pd.Series({"A": 0.0}), pd.Series({"G1": True}))
    assert none.strong_share is None and none.grouped_share is None and (none.table["share"] == 0).all()
    assert school_groups(schools.assign(school_id=["A", "B", "Q"]), groups).tolist()[:2] == ["一集团", "G1"]
    assert school_groups(schools.assign(school_id=["A", "B", "Q"]), groups).isna().tolist() == [False, False, True]


def test_statistics_join_and_the_audit_columns():
    from geo.equity.stats import blank, has_audit_columns, join_statistics

    schools = _three_schools()
    assert has_audit_columns(schools) and not has_audit_columns(schools.drop(columns="multimedia_rooms"))
    assert has_audit_columns(schools.rename(columns={"students": "在校生数"}))
    stats = pd.DataFrame({"学校编号": ["A", "B"], "骨干教师数": [3, 4], "district": ["东", "西"]})
    joined, missing = join_statistics(schools, stats, "stats.csv")
    assert joined["backbone_teachers"].tolist()[:2] == [3, 4] and missing == ["学校N"]
    assert joined["district"].tolist()[:2] == ["东", "西"]
    with pytest.raises(InputError) as info:
        join_statistics(schools, stats.assign(学校编号=["A", "Z"]), "stats.csv")
    assert info.value.key == "equity.stats.unknown" and "Z" in str(info.value) and "1 row matches" in str(info.value)
    assert all(blank(v) for v in (None, np.nan, pd.NA, "  ", "nan", "None")) and not blank(0)


def test_balance_names_its_worst_indicator_and_group_columns_are_text_with_a_few_values():
    schools = pd.DataFrame([school("A"), school("B", floor_area_m2=1000), school("C")]).assign(
        district=["东", "西", "东"], kind=["x", "y", "z"], one=["同", "同", "同"], n=[1, 2, 3])
    b = equity.balance(schools, "primary")
    assert b.worst == "floor_area_per_student"
    assert inequality.group_columns(schools) == ["district"]
    assert inequality.group_columns(schools, ("district",)) == []


def test_typed_moves_and_the_schools_they_change():
    from geo.equity.exchange import MOVE_COLUMNS, exchange_effect, moved_schools, typed_moves

    typed = pd.DataFrame({"from_school": ["A", None, ""], "to_school": ["B", None, " "], "category": ["backbone", None, None],
                          "teachers": [2, None, np.nan], "level": [np.nan, None, None], "extra": [1, 2, 3]})
    moves = typed_moves(typed)
    assert list(moves.columns) == list(MOVE_COLUMNS) and len(moves) == 1 and moves.at[0, "level"] is None
    schools = pd.DataFrame([school("A", backbone_teachers=12), school("B"), school("C")])
    effect = exchange_effect(schools, moves.to_dict("records"))
    changed = moved_schools(equity.audit_schools(schools), equity.audit_schools(effect.schools))
    assert changed["school_id"].tolist() == ["A", "B"]
    assert changed["backbone_per100"].tolist() == [1.2, 1.0] and changed["backbone_per100_after"].tolist() == [1.0, 1.2]
