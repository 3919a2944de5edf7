"""``xuequ forecast``: seat warnings year by year on the demo district, and bad rows named."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import box
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
runner = CliRunner()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(path.read_bytes().decode("utf-8-sig")))


def test_forecast_writes_ten_years_per_school_with_levels(tmp_path):
    res = runner.invoke(cli, ["forecast", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
                              "--demand", str(DEMO / "compounds.geojson"), "--ages", str(DEMO / "ages.csv"),
                              "--housing", str(DEMO / "housing.csv"), "--history", str(DEMO / "enrolment_history.csv"),
                              "--years", "10", "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    f = read_csv(tmp_path / "forecast.csv")
    assert list(f.columns[:7]) == ["school", "year", "intake", "enrolment", "seats", "surplus", "level"]
    assert f["year"].min() == 2026 and f["year"].max() == 2035
    assert f.groupby("school").size().eq(10).all()
    assert set(f["level"]) <= {"red", "orange", "yellow", "green", "blue"}
    assert ((f["surplus"] - (f["seats"] - f["enrolment"])).abs() <= 1).all()  # numbers as a table shows them
    red = f["enrolment"] > f["seats"]
    assert (f.loc[red, "level"] == "red").all()
    w = read_csv(tmp_path / "warnings.csv")
    assert len(w) == (f["level"] != "green").sum() and "green" not in set(w["level"])
    d = read_csv(tmp_path / "district.csv")
    assert abs(d["enrolment"].iloc[0] - f.loc[f["year"] == 2026, "enrolment"].sum()) < 5
    assert "progression ratios" in res.output and "red school-years" in res.output
    assert "Base year calibrated per school" in res.output
    # Calibrated on the history's 2025 enrolment, each school's first year follows on from its own recorded
    # figure (one year of ageing apart: within 10 %); uncalibrated, the demo's generated ages gave 0.26-3.3 times.
    h = read_csv(DEMO / "enrolment_history.csv")
    recorded = h[(h["年份"] == 2025) & (h["年级"] <= 6)].groupby("school_id")["在校生数"].sum()
    ratio = (f[f["year"] == 2026].set_index("school")["enrolment"] / recorded).dropna()
    assert len(ratio) == 20 and ratio.between(0.9, 1.1).all(), ratio.describe()
    gj = json.loads((tmp_path / "forecast.geojson").read_text("utf-8"))
    years = [ft["properties"]["year"] for ft in gj["features"]]
    assert sorted(set(years)) == list(range(2026, 2036)) and len(years) == 10 * len(set(f["school"]))


def test_forecast_junior_straight_line_from_births(tmp_path):
    births = tmp_path / "births.csv"
    comp = pd.read_csv(DEMO / "ages.csv")
    rows = [(c, 2025 - a, int(n)) for c, *counts in comp[["compound_id"] + [f"{a}岁" for a in range(15)]].itertuples(
        index=False) for a, n in enumerate(counts)]
    pd.DataFrame(rows, columns=["compound_id", "year", "births"]).to_csv(births, index=False, encoding="gbk")
    res = runner.invoke(cli, ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand",
                              str(DEMO / "compounds.geojson"), "--births", str(births), "--base-year", "2025",
                              "--level", "junior", "--years", "3", "--out", str(tmp_path), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    f = read_csv(tmp_path / "forecast.csv")
    assert sorted(f["year"].unique()) == [2026, 2027, 2028] and f["school"].str.match("[JN]").all()
    assert "红色预警" in res.output


def test_forecast_per_community_joined_by_boundary_and_ratios_by_age(tmp_path):
    import geopandas as gpd

    # Two communities split at the demo's middle longitude; 100 children of every age in 东, 50 in 西. Counted on
    # the cut-off, survival 1: the 2026 intake is the 5-year-olds (150 in all), the 2026 enrolment ages 5-10 (900).
    comp = gpd.read_file(DEMO / "compounds.geojson")
    x0, y0, x1, y1 = comp.total_bounds
    mid = float(comp.geometry.representative_point().x.median())
    bounds = gpd.GeoDataFrame({"社区": ["西社区", "东社区"]}, geometry=[
        box(x0 - 0.01, y0 - 0.01, mid, y1 + 0.01), box(mid, y0 - 0.01, x1 + 0.01, y1 + 0.01)], crs="EPSG:4326")
    bounds.to_file(tmp_path / "communities.geojson", driver="GeoJSON")
    ages = tmp_path / "ages.csv"
    ages.write_text("社区,年份," + ",".join(f"{a}岁" for a in range(15)) + "\n东社区,2025," + ",".join(["100"] * 15)
                    + "\n西社区,2025," + ",".join(["50"] * 15) + "\n", encoding="gbk")
    res = runner.invoke(cli, ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand",
                              str(DEMO / "compounds.geojson"), "--ages", str(ages), "--communities",
                              str(tmp_path / "communities.geojson"), "--cutoff", "08-31", "--count-date", "08-31",
                              "--years", "2", "--out", str(tmp_path), "--lang", "en"])
    assert res.exit_code == 0, res.output
    d = read_csv(tmp_path / "district.csv")
    assert d["intake"].iloc[0] == pytest.approx(150, abs=0.5) and d["enrolment"].iloc[0] == pytest.approx(900, abs=1)
    # A retention ratio of 0.5 reaching age 6: 2026's six-year-olds are 75, grades 2-6 (ages 7-11) 5 x 150.
    (tmp_path / "ratios.csv").write_text("age,survival\n6,0.5\n", encoding="utf-8")
    res = runner.invoke(cli, ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand",
                              str(DEMO / "compounds.geojson"), "--ages", str(ages), "--communities",
                              str(tmp_path / "communities.geojson"), "--ratios", str(tmp_path / "ratios.csv"),
                              "--cutoff", "08-31", "--count-date", "08-31", "--years", "2", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    d = read_csv(tmp_path / "district.csv")
    assert d["intake"].iloc[0] == pytest.approx(75, abs=0.5) and d["enrolment"].iloc[0] == pytest.approx(825, abs=1)
    res = runner.invoke(cli, ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand",
                              str(DEMO / "compounds.geojson"), "--ages", str(ages), "--out", str(tmp_path)])
    assert res.exit_code != 0 and "社区" in res.output  # per community without boundaries or a column: said


def test_forecast_names_the_bad_row(tmp_path):
    ages = tmp_path / "ages.csv"
    text = (DEMO / "ages.csv").read_text(encoding="utf-8").splitlines()
    text[3] = "C999," + text[3].split(",", 1)[1]
    ages.write_text("\n".join(text), encoding="utf-8")
    res = runner.invoke(cli, ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand",
                              str(DEMO / "compounds.geojson"), "--ages", str(ages), "--out", str(tmp_path),
                              "--lang", "en"])
    assert res.exit_code == 2
    assert "ages.csv row 3" in res.output and "C999" in res.output
    assert not (tmp_path / "forecast.csv").exists()


def test_forecast_under_a_stored_plan_compared_with_the_zoning(tmp_path):
    from geo.inputs import load_inputs
    from geo.plans.edits import REASSIGN, Edit, History
    from geo.plans.store import Store
    from geo.zoning.scenario import Scenario, run_scenario

    inputs = load_inputs(None, DEMO / "schools.csv", DEMO / "compounds.geojson")
    base = run_scenario(inputs, Scenario("primary", "straight"))
    a = base.assignments
    target = base.table["school_id"].iloc[0]
    moved = a.loc[a["school_id"] != target, "compound_id"].iloc[:15].tolist()
    store = Store()
    sid = store.create("cli plan", "demo", "primary",
                       history=History().push(Edit(REASSIGN, level="primary", pairs=tuple((c, target) for c in moved))))
    args = ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand", str(DEMO / "compounds.geojson"),
            "--ages", str(DEMO / "ages.csv"), "--years", "4", "--lang", "en"]
    res = runner.invoke(cli, [*args, "--plan", str(sid), "--compare-plan", "0", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    c = read_csv(tmp_path / "compare.csv")
    assert list(c["year"]) == [2026, 2027, 2028, 2029, 0]
    assert (c["moved"].iloc[:-1] > 0).all()
    plan_f = read_csv(tmp_path / "forecast.csv")
    res = runner.invoke(cli, [*args, "--out", str(tmp_path / "base")])
    base_f = read_csv(tmp_path / "base" / "forecast.csv")
    at = lambda f: f.loc[(f["school"] == target) & (f["year"] == 2026), "enrolment"].iloc[0]  # noqa: E731
    assert at(plan_f) > at(base_f)  # the compounds moved to it bring their pupils
    junior = store.create("junior plan", "demo", "junior")
    res = runner.invoke(cli, [*args, "--plan", str(junior), "--out", str(tmp_path / "bad")])
    assert res.exit_code == 2 and f"Scenario {junior} is for Junior secondary" in res.output


def test_forecast_reads_columns_under_other_names_with_map(tmp_path):
    ages = tmp_path / "ages.csv"
    text = (DEMO / "ages.csv").read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace("compound_id,小区名称,", "编号X,楼盘X,", 1)
    ages.write_text("\n".join(text), encoding="utf-8")
    base = ["forecast", "--schools", str(DEMO / "schools.csv"), "--demand", str(DEMO / "compounds.geojson"),
            "--ages", str(ages), "--lang", "en"]
    res = runner.invoke(cli, [*base, "--out", str(tmp_path / "plain")])
    assert res.exit_code == 2 and "ages.csv" in res.output  # no key column it knows: named, not guessed
    res = runner.invoke(cli, [*base, "--map", "ages.compound_id=编号X", "--out", str(tmp_path / "mapped")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mapped" / "forecast.csv").exists()
    res = runner.invoke(cli, [*base, "--map", "compound_id=编号X", "--out", str(tmp_path / "bad")])
    assert res.exit_code == 2 and "table.field=column" in res.output
