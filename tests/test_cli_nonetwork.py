"""``xuequ zones`` without a street network, with column mappings, user ids, a radius and default seats."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from typer.testing import CliRunner

from app.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
runner = CliRunner()


def zones(*args: str):
    return runner.invoke(cli, ["zones", "--lang", "en", *args])


def blocks_csv(tmp_path) -> tuple[Path, list[str]]:
    """The demo's compounds as census-block points: GEOID20 ids with leading zeros, children as 'enrollment'."""
    c = gpd.read_file(DEMO / "compounds.geojson")
    pts = c.geometry.representative_point()
    ids = [f"06001400{i:04d}" for i in range(len(c))]
    path = tmp_path / "blocks.csv"
    pd.DataFrame({"GEOID20": ids, "NAME20": c["name"], "lon": pts.x, "lat": pts.y,
                  "enrollment": c["children_primary"]}).to_csv(path, index=False)
    return path, ids


def test_zones_without_a_network_default_to_straight_lines(tmp_path):
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(DEMO / "compounds.geojson"),
                "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert "straight line" in res.output and "walking distance is unknown" in res.output
    assert "500 m (GB 50180 default, a Chinese standard)" in res.output
    assign = gpd.read_file(tmp_path / "assignments.geojson")
    catch = gpd.read_file(tmp_path / "catchments.geojson")
    assert len(assign) == 300 and assign["compound_id"].is_unique and set(assign["school_id"]) <= set(catch["school_id"])
    assert (assign["distance_m"] - assign["straight_m"]).abs().max() < 1e-6
    table = pd.read_csv(tmp_path / "schools.csv", encoding="utf-8-sig")
    assert table["children"].sum() == 20000 and table["mean_m"].notna().all()


def test_optimal_zones_without_a_network_hold_capacity(tmp_path):
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(DEMO / "compounds.geojson"),
                "--method", "optimal", "--solver", "exact", "--tolerance", "0.05", "--radius", "800",
                "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "schools.csv", encoding="utf-8-sig")
    assert (table["children"] <= table["seats"] * 1.05).all() and table["children"].sum() == 20000
    assert "800 m (as set)" in res.output and "GB 50180" not in res.output


def test_walk_zoning_without_a_network_is_refused(tmp_path):
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(DEMO / "compounds.geojson"),
                "--method", "network", "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert "Without a street network" in res.output and "straight" in res.output
    assert not (tmp_path / "o").exists()


def test_no_network_and_one_table_is_refused(tmp_path):
    res = zones("--schools", str(DEMO / "schools.csv"), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "compounds table" in res.output


def test_map_and_id_column_keep_the_census_ids(tmp_path):
    path, ids = blocks_csv(tmp_path)
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(path), "--map", "children_primary=enrollment",
                "--map", "compounds.name=NAME20", "--id-column", "GEOID20", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    assign = gpd.read_file(tmp_path / "o" / "assignments.geojson")
    assert sorted(assign["compound_id"].astype(str)) == sorted(ids)  # as written, leading zeros and all
    assert assign["children"].sum() == 20000
    assert set(assign["name"]) == set(gpd.read_file(DEMO / "compounds.geojson")["name"])


def test_a_mapping_to_a_missing_column_names_it_and_the_columns(tmp_path):
    path, _ = blocks_csv(tmp_path)
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(path), "--map", "children_primary=enrolment",
                "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert "enrolment" in res.output and "blocks.csv" in res.output and "GEOID20, NAME20" in res.output
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(path), "--map", "pupils=enrollment",
                "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "pupils" in res.output and "children_primary" in res.output
    res = zones("--schools", str(DEMO / "schools.csv"), "--demand", str(path), "--map", "name=NAME20",
                "--out", str(tmp_path / "o"))
    assert res.exit_code == 2 and "--map-compounds" in res.output


def test_default_seats_and_english_levels(tmp_path):
    s = pd.read_csv(DEMO / "schools.csv").drop(columns=["capacity", "capacity_primary", "capacity_junior"])
    words = {"primary": "Elementary School", "junior": "Middle School", "nine_year": "K-8 School"}
    s["name"] = [f"School {i} {words[lv]}" for i, lv in enumerate(s["level"])]
    s["band"] = s["level"].map({"primary": "Elementary", "junior": "Middle", "nine_year": "K-8"})
    s = s.drop(columns=["level"])
    path = tmp_path / "schools.csv"
    s.to_csv(path, index=False)
    res = zones("--schools", str(path), "--demand", str(DEMO / "compounds.geojson"), "--map-schools", "level=band",
                "--default-seats", "700", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "o" / "schools.csv", encoding="utf-8-sig")
    assert len(table) == 20 and set(table["seats"]) <= {700, 467}  # a K-8 school's 700 split 6:3 for primary
    assert "China's standard seats" not in res.output
    res = zones("--schools", str(path), "--demand", str(DEMO / "compounds.geojson"), "--map-schools", "level=band",
                "--out", str(tmp_path / "o2"))
    assert res.exit_code == 0 and "China's standard seats" in res.output
