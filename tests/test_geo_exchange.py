"""Teacher exchange: moves applied and recomputed; suggested moves verified and minimal against brute force."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.equity import audit as equity
from geo.equity import exchange
from geo.errors import InputError
from geo.inputs import load_schools
from geo.render.i18n import TEXT

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def table(students, backbone, levels=None, groups=None) -> pd.DataFrame:
    n = len(students)
    df = pd.DataFrame({"school_id": [f"S{i}" for i in range(n)], "name": [f"学校{i}" for i in range(n)],
                       "level": levels or ["primary"] * n, "students": students, "backbone_teachers": backbone,
                       "qualified_teachers": [0.05 * x for x in students],
                       "pe_art_teachers": [0.01 * x for x in students]})  # evenly spread: CV 0
    if groups is not None:
        df["alliance"] = groups
    return df


def cv_of(t, p) -> float:
    t, p = np.asarray(t, float), np.asarray(p, float)
    return equity.weighted_cv(100 * t / p, p)


def brute_force_min(t, p, limit, groups=None) -> int | None:
    """Fewest teachers moved over every net change (sum 0 per group, no school below 0), or None."""
    t = np.asarray(t, int)
    codes = np.zeros(len(t), int) if groups is None else pd.factorize(pd.Series(groups))[0]
    best = None
    ranges = [range(-t[i], int(t[codes == codes[i]].sum()) - t[i] + 1) for i in range(len(t))]
    for d in itertools.product(*ranges):
        d = np.array(d)
        if any(d[codes == g].sum() != 0 for g in set(codes)):
            continue
        moved = int(d[d > 0].sum())
        if best is not None and moved >= best:
            continue
        if cv_of(t + d, p) <= limit * (1 + 1e-9):
            best = moved
    return best


# --- applying moves ------------------------------------------------------------------------------------------

def test_apply_moves_changes_counts_and_keeps_the_total():
    df = table([100, 200, 300], [5, 1, 0])
    after = exchange.apply_moves(df, [{"from_school": "S0", "to_school": "S2", "category": "backbone",
                                       "teachers": 2}])
    assert after["backbone_teachers"].tolist() == [3, 1, 2]
    assert df["backbone_teachers"].tolist() == [5, 1, 0]  # the input is not changed
    assert after["qualified_teachers"].tolist() == df["qualified_teachers"].tolist()


def test_moves_into_a_nine_year_school_land_in_its_level():
    df = table([900, 300], [9, 3], levels=["nine_year", "junior"])
    before = equity.school_parts(df, ("students", "backbone_teachers")).set_index(["school_id", "level"])
    after_df = exchange.apply_moves(df, pd.DataFrame([{"from_school": "S1", "to_school": "S0",
                                                       "category": "backbone", "teachers": 2}]))
    after = equity.school_parts(after_df, ("students", "backbone_teachers")).set_index(["school_id", "level"])
    assert after.loc[("S0", "junior"), "backbone_teachers"] == before.loc[("S0", "junior"), "backbone_teachers"] + 2
    assert after.loc[("S0", "primary"), "backbone_teachers"] == pytest.approx(6.0)
    assert after.loc[("S1", "junior"), "backbone_teachers"] == 1
    assert after_df.loc[0, "backbone_teachers"] == 11


def test_bad_moves_are_explained():
    df = table([100, 200, 300], [5, 1, 0], levels=["primary", "nine_year", "nine_year"])
    cases = [
        ("exchange.unknown_school", {"from_school": "S0", "to_school": "X9", "category": "backbone", "teachers": 1}),
        ("exchange.unknown_category", {"from_school": "S0", "to_school": "S1", "category": "music", "teachers": 1}),
        ("exchange.not_enough", {"from_school": "S0", "to_school": "S1", "category": "backbone", "teachers": 6}),
        ("exchange.level_needed", {"from_school": "S1", "to_school": "S2", "category": "backbone", "teachers": 1}),
        ("err.bad_value", {"from_school": "S0", "to_school": "S1", "category": "backbone", "teachers": 1.5}),
    ]
    for key, move in cases:
        with pytest.raises(InputError) as info:
            exchange.apply_moves(df, [move])
        assert info.value.key == key and key in TEXT, (key, str(info.value))
        assert str(info.value) != key


def test_exchange_effect_recomputes_the_coefficients():
    df = load_schools(DEMO / "schools.csv")[0]
    moves = [{"from_school": "P08", "to_school": "P03", "category": "backbone", "teachers": 3}]
    effect = exchange.exchange_effect(df, moves)
    row = effect.table.set_index(["level", "indicator"]).loc[("primary", "backbone_per100")]
    assert row["cv_before"] == pytest.approx(equity.balance(df, "primary").table.loc["backbone_per100", "cv"])
    assert row["cv_after"] < row["cv_before"]
    parts = equity.school_parts(effect.schools)
    prim = parts[parts["level"] == "primary"]
    assert row["cv_after"] == pytest.approx(cv_of(prim["backbone_teachers"], prim["students"]))
    other = effect.table.set_index(["level", "indicator"]).loc[("junior", "backbone_per100")]
    assert other["cv_after"] == pytest.approx(other["cv_before"])


# --- suggested moves --------------------------------------------------------------------------------------------

def check_suggestion(df, sug, level):
    """The moves really bring every requested coefficient under the limit (recomputed from scratch)."""
    after = exchange.apply_moves(df, sug.moves)
    parts = equity.school_parts(after, ("students", "backbone_teachers", "qualified_teachers", "pe_art_teachers"))
    parts = parts[parts["level"] == level]
    for col in ("backbone_teachers", "qualified_teachers", "pe_art_teachers"):
        assert cv_of(parts[col], parts["students"]) <= sug.limit * (1 + 1e-9), col
    assert (sug.moves["teachers"] > 0).all()
    assert sug.teachers_moved == int(sug.moves["teachers"].sum())
    for col in ("backbone_teachers", "qualified_teachers", "pe_art_teachers"):
        assert after[col].sum() == pytest.approx(df[col].sum())


def test_demo_suggestions_bring_the_coefficients_under(tmp_path):
    df = load_schools(DEMO / "schools.csv")[0]
    groups = pd.read_csv(DEMO / "groups.csv").set_index("school_id")["group_id"]
    for level in ("primary", "junior"):
        before = equity.balance(df, level).table.loc["backbone_per100", "cv"]
        assert before > equity.CV_LIMITS["2017"][level]
        sug = exchange.suggest_moves(df, level)
        assert sug.feasible and sug.optimal and sug.teachers_moved >= 1
        check_suggestion(df, sug, level)
        assert sug.balance_after is not None and sug.balance_after.table.loc["backbone_per100", "passes_2017"]
        assert sug.table.loc["backbone", "cv_before"] == pytest.approx(before)
        # within the education groups only: every move stays inside one group
        sg = exchange.suggest_moves(df, level, group=groups)
        if sg.feasible:
            check_suggestion(df, sg, level)
            assert sg.teachers_moved >= sug.teachers_moved
            assert (sg.moves["from_school"].map(groups) == sg.moves["to_school"].map(groups)).all()
        else:
            assert sg.reasons
        # the 2012 limits are looser: nothing to do
        assert exchange.suggest_moves(df, level, standard="2012").teachers_moved == 0


def test_three_schools_no_smaller_set_of_explicit_moves():
    """Brute force over explicit moves (from, to), not just net changes."""
    p, t = [120, 300, 200], [6, 1, 0]
    df = table(p, t)
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",))
    assert sug.feasible and sug.optimal
    check = exchange.apply_moves(df, sug.moves)
    assert cv_of(check["backbone_teachers"], p) <= 0.5
    pairs = [(a, b) for a in range(3) for b in range(3) if a != b]
    found = None
    for k in range(7):
        for combo in itertools.combinations_with_replacement(pairs, k):
            new = np.array(t, float)
            for a, b in combo:
                new[a] -= 1
                new[b] += 1
            if (new >= 0).all() and cv_of(new, p) <= 0.5 * (1 + 1e-9):
                found = k
                break
        if found is not None:
            break
    assert found == sug.teachers_moved
    assert found >= 2  # a real case: one move is not enough


@pytest.mark.parametrize("p, t, groups", [
    ([100, 200, 150, 400], [7, 0, 1, 2], None),
    ([300, 300, 300, 300], [8, 0, 0, 0], None),
    ([100, 200, 150, 400], [7, 0, 1, 2], ["a", "a", "b", "b"]),
    ([250, 90, 400, 60], [0, 3, 9, 0], ["a", "b", "a", "b"]),
])
def test_four_schools_minimal_against_brute_force(p, t, groups):
    df = table(p, t, groups=groups)
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",),
                                 group="alliance" if groups else None)
    best = brute_force_min(t, p, 0.5, groups)
    if best is None:
        assert not sug.feasible and sug.reasons
    else:
        assert sug.feasible and sug.optimal and sug.teachers_moved == best
        check_suggestion(df, sug, "primary")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(30, 600), st.integers(0, 4)), min_size=2, max_size=4),
       st.sampled_from([0.3, 0.5, 0.65]))
def test_random_small_cases_against_brute_force(rows, limit):
    p, t = (list(c) for c in zip(*rows))
    if sum(t) == 0:
        return
    df = table(p, t)
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",), limit=limit)
    best = brute_force_min(t, p, limit)
    if best is None:
        assert not sug.feasible
        assert sug.reasons[0][0] == "exchange.too_few"
    else:
        assert sug.feasible and sug.teachers_moved == best
        after = exchange.apply_moves(df, sug.moves)
        assert cv_of(after["backbone_teachers"], p) <= limit * (1 + 1e-9)


def test_too_few_teachers_is_explained_with_the_best_reachable_coefficient():
    df = table([100] * 5, [2, 0, 0, 0, 0])
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",))
    assert not sug.feasible and sug.teachers_moved == 0
    key, params = sug.reasons[0]
    assert key == "exchange.too_few"
    # the most even spread of 2 teachers over 5 equal schools is 1,1,0,0,0
    assert params["best"] == pytest.approx(cv_of([1, 1, 0, 0, 0], [100] * 5), rel=1e-6)
    assert "1.225" in sug.messages("en")[0] and "1.225" in sug.messages("zh")[0]


def test_uneven_groups_are_explained():
    df = table([200, 200, 200, 200], [6, 6, 0, 0], groups=["a", "a", "b", "b"])
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",), group="alliance")
    assert not sug.feasible and sug.reasons[0][0] == "exchange.groups_uneven"
    assert sug.reasons[0][1]["best"] == pytest.approx(1.0)
    # without the groups two moves are enough (6,6,0,0 -> 4,4,2,2 has CV 1/3)
    free = exchange.suggest_moves(df, "primary", categories=("backbone",))
    assert free.feasible and free.teachers_moved == brute_force_min([6, 6, 0, 0], [200] * 4, 0.5)


def test_no_teachers_and_already_balanced():
    df = table([100, 200], [0, 0])
    sug = exchange.suggest_moves(df, "primary", categories=("backbone",))
    assert not sug.feasible and sug.reasons[0][0] == "exchange.no_teachers"
    df = table([100, 200], [1, 2])
    sug = exchange.suggest_moves(df, "primary")
    assert sug.feasible and sug.teachers_moved == 0 and len(sug.moves) == 0
