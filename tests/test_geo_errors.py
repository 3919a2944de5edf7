"""Bad input: every problem is an InputError with the right key, naming the file (and the row)."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import osmium
import pandas as pd
import pytest
from corpus.make_corpus import tiny_district

from geo.errors import InputError
from geo.inputs import check_osm, load_compounds, load_inputs, load_network, load_network_checked, load_schools
from geo.render.i18n import TEXT
from geo.zoning.scenario import Scenario, run_scenario

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
OSM, SCHOOLS, COMPOUNDS = DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson"


def raises(key: str, fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kwargs)
    err = info.value
    assert err.key == key, (err.key, str(err))
    assert err.key in TEXT  # a real message, not the bare key
    assert str(err) == err.message("en") and str(err) != err.key
    return err


def schools_df() -> pd.DataFrame:
    return pd.read_csv(SCHOOLS, dtype={"capacity_primary": "string", "capacity_junior": "string"},
                       keep_default_na=False)


def write_schools(tmp_path: Path, df: pd.DataFrame, name: str = "schools.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def all_the_rest(file: Path):
    return load_inputs(OSM, file, COMPOUNDS)


def test_missing_file(tmp_path):
    for fn in (load_network, load_schools, load_compounds):
        err = raises("err.file_missing", fn, tmp_path / "nope.osm" if fn is load_network else tmp_path / "nope.csv")
        assert "nope." in str(err)
    err = raises("err.file_missing", load_inputs, tmp_path / "gone.osm")
    assert "gone.osm" in str(err)


def test_unsupported_extension(tmp_path):
    doc = tmp_path / "district.docx"
    doc.write_bytes(b"PK\x03\x04 not what we want")
    err = raises("err.format", load_network, doc)
    assert "district.docx" in str(err) and ".osm" in str(err)
    err = raises("err.format", load_schools, tmp_path / "schools.xls")
    assert "schools.xls" in str(err) and ".csv" in str(err)


def test_osm_without_roads(tmp_path):
    path = tmp_path / "nodes_only.osm"
    path.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
                    '  <node id="1" lat="30.60" lon="104.10" version="1"/>\n'
                    '  <node id="2" lat="30.61" lon="104.11" version="1"/>\n</osm>\n', encoding="utf-8")
    err = raises("err.no_roads", load_network, path, use_cache=False)
    assert "nodes_only.osm" in str(err)
    # A way that is not a street (a river) is no road either.
    path2 = tmp_path / "river_only.osm"
    path2.write_text(path.read_text().replace(
        "</osm>", '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="waterway" v="river"/></way>\n</osm>'))
    err = raises("err.no_roads", load_network, path2, use_cache=False)
    assert "river_only.osm" in str(err)
    # A footway only: usable on foot, not by car.
    path3 = tmp_path / "footway.osm"
    path3.write_text(path.read_text().replace(
        "</osm>", '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>\n</osm>'))
    assert load_network(path3, "walk", use_cache=False).n_nodes == 2
    err = raises("err.no_roads", load_network, path3, "drive", use_cache=False)
    assert "footway.osm" in str(err) and err.params["mode"] == "@mode.drive"


@pytest.mark.parametrize("content", [
    OSM.read_bytes()[:5000],  # truncated mid-file
    b"this is not XML at all\n",
    b"\x00\x01\x02\x03 binary junk",
])
def test_unreadable_osm(tmp_path, content):
    path = tmp_path / "broken.osm"
    path.write_bytes(content)
    err = raises("err.file_unreadable", load_network, path, use_cache=False)
    assert "broken.osm" in str(err)


def test_bad_level_names_the_row(tmp_path):
    df = schools_df()
    df.loc[1, "level"] = "高中"  # the second data row
    err = raises("err.bad_value", all_the_rest, write_schools(tmp_path, df))
    assert err.params["row"] == 2 and err.params["field"] == "level"
    assert "schools.csv" in str(err) and "row 2" in str(err) and "高中" in str(err)


def test_negative_capacity(tmp_path):
    df = schools_df()
    df.loc[4, "capacity"] = -30
    err = raises("err.bad_value", all_the_rest, write_schools(tmp_path, df))
    assert err.params["row"] == 5 and err.params["field"] == "capacity"
    assert "schools.csv" in str(err) and "row 5" in str(err)


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
def test_non_numeric_children(tmp_path):
    gj = json.loads(COMPOUNDS.read_text(encoding="utf-8"))
    gj["features"][2]["properties"]["children_primary"] = "many"
    bad = tmp_path / "compounds.geojson"
    bad.write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    err = raises("err.bad_value", load_inputs, OSM, SCHOOLS, bad)
    assert err.params["row"] == 3
    assert "compounds.geojson" in str(err) and "row 3" in str(err)


def test_duplicate_ids(tmp_path):
    df = schools_df()
    df.loc[6, "id"] = df.loc[2, "id"]
    err = raises("err.duplicate_id", all_the_rest, write_schools(tmp_path, df))
    assert err.params["row"] == 7
    assert "schools.csv" in str(err) and "row 7" in str(err) and str(df.loc[2, "id"]) in str(err)


def test_missing_lon_column(tmp_path):
    df = schools_df().drop(columns=["lon"])
    err = raises("err.missing_column", all_the_rest, write_schools(tmp_path, df))
    assert "schools.csv" in str(err) and "lon" in str(err)


def test_missing_level_column(tmp_path):
    df = schools_df().drop(columns=["level"])
    err = raises("err.missing_column", all_the_rest, write_schools(tmp_path, df))
    assert "schools.csv" in str(err) and "level" in str(err)


def test_projected_coordinates_labelled_lonlat(tmp_path):
    df = schools_df()
    df["lon"] = df["lon"].astype(object)
    df.loc[2, "lon"] = 400000.0
    df.loc[2, "lat"] = 3380000.0
    err = raises("err.bad_value", all_the_rest, write_schools(tmp_path, df))
    assert err.params["row"] == 3
    assert "schools.csv" in str(err) and "row 3" in str(err) and "WGS-84" in str(err)


def test_unparseable_coordinate(tmp_path):
    df = schools_df()
    df["lat"] = df["lat"].astype(object)
    df.loc[3, "lat"] = "三十度"
    err = raises("err.bad_value", all_the_rest, write_schools(tmp_path, df))
    assert err.params["row"] == 4 and "row 4" in str(err)


def test_empty_files(tmp_path):
    empty = tmp_path / "schools.csv"
    empty.write_bytes(b"")
    err = raises("err.empty", all_the_rest, empty)
    assert "schools.csv" in str(err)
    blank = tmp_path / "compounds.geojson"
    blank.write_text("  \n", encoding="utf-8")
    err = raises("err.empty", load_inputs, OSM, SCHOOLS, blank)
    assert "compounds.geojson" in str(err)
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,name,level,capacity,lon,lat\n", encoding="utf-8")
    err = raises("err.empty", all_the_rest, header_only)
    assert "header.csv" in str(err)


def test_unreadable_geojson(tmp_path):
    bad = tmp_path / "compounds.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    err = raises("err.file_unreadable", load_inputs, OSM, SCHOOLS, bad)
    assert "compounds.geojson" in str(err)


def test_school_outside_the_network_names_its_row_in_the_file(tmp_path):
    df = schools_df()
    assert df.loc[5, "level"] == "primary" and df.loc[:4, "level"].ne("primary").any()
    df.loc[5, "lon"] = df.loc[5, "lon"] + 0.52  # about 50 km east
    inputs = all_the_rest(write_schools(tmp_path, df))  # loading is fine: the error is about the network
    err = raises("err.outside_network", run_scenario, inputs, Scenario("primary", "network"))
    name = df.loc[5, "name"]
    assert err.params["row"] == 6  # its row in the file, not its place among the primary schools
    assert "schools.csv" in str(err) and "row 6" in str(err) and name in str(err)
    assert err.params["dist"] > 40_000
    # The junior zoning does not involve that school and runs.
    assert len(run_scenario(inputs, Scenario("junior", "network")).catchments) == 8


def test_compound_outside_the_network(tmp_path):
    gj = json.loads(COMPOUNDS.read_text(encoding="utf-8"))
    ring = gj["features"][9]["geometry"]["coordinates"][0]
    gj["features"][9]["geometry"]["coordinates"][0] = [[x - 0.6, y] for x, y in ring]
    bad = tmp_path / "my_compounds.geojson"
    bad.write_text(json.dumps(gj, ensure_ascii=False), encoding="utf-8")
    inputs = load_inputs(OSM, SCHOOLS, bad)
    err = raises("err.outside_network", run_scenario, inputs, Scenario("primary", "straight"))
    assert err.params["row"] == 10 and "my_compounds.geojson" in str(err) and "row 10" in str(err)


def test_level_with_no_schools(tmp_path):
    df = schools_df()
    df = df[df["level"] == "primary"]
    inputs = all_the_rest(write_schools(tmp_path, df))
    assert len(run_scenario(inputs, Scenario("primary", "straight")).catchments) == len(df)
    err = raises("err.no_schools_level", run_scenario, inputs, Scenario("junior", "network"))
    assert "Junior secondary" in str(err)
    zh = err.message("zh")
    assert "初中" in zh and "没有" in zh


def test_messages_in_chinese(tmp_path):
    df = schools_df()
    df.loc[1, "level"] = "高中"
    err = raises("err.bad_value", all_the_rest, write_schools(tmp_path, df))
    zh = err.message("zh")
    assert "schools.csv" in zh and "第 2 行" in zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.replace("高中", ""))
    assert zh != str(err)
    missing = raises("err.file_missing", load_network, tmp_path / "nope.osm")
    assert missing.message("zh").startswith("找不到文件")


def test_scenario_rejects_unknown_level_and_method():
    with pytest.raises(ValueError):
        Scenario("senior", "network")
    with pytest.raises(ValueError):
        Scenario("primary", "teleport")


# --- broken OSM files: every node and way named, a clipped extract kept (issue 10) ------------------------

def _tiny(clip: bool = False, extra: str = "") -> str:
    return tiny_district(clip, extra)


def test_osm_duplicate_node_at_another_position_is_named(tmp_path):
    path = tmp_path / "merged.osm"
    path.write_text(_tiny().replace("</osm>", '  <node id="1033" lat="30.566" lon="104.846" version="2"/>\n</osm>'))
    err = raises("err.osm_duplicate_node", load_network, path, use_cache=False)
    assert err.params["node"] == 1033 and "merged.osm" in str(err) and "node 1033" in str(err)
    assert "104.846" in str(err) and "104.246" in str(err)
    # The same node twice at the same place (two overlapping extracts concatenated) is harmless.
    same = tmp_path / "same.osm"
    same.write_text(_tiny().replace("</osm>", '  <node id="1033" lat="30.566" lon="104.246" version="1"/>\n</osm>'))
    assert load_network(same, use_cache=False).n_nodes == 64


@pytest.mark.parametrize("attrs, shown", [
    ('lat="30.566" lon="500"', "lon 500"),
    ('lat="NaN" lon="104.246"', "lat NaN"),
    ('lat="95" lon="104.246"', "lat 95"),
    ('lat="30.566" lon="inf"', "lon inf"),
    ('lat="三十" lon="104.246"', "lat 三十"),
    ('lon="104.246"', "lat -"),
])
def test_osm_node_with_an_invalid_position_is_named(tmp_path, attrs, shown):
    path = tmp_path / "bad.osm"
    path.write_text(_tiny().replace('lat="30.566" lon="104.246"', attrs), encoding="utf-8")
    for fn in (lambda: load_network(path, use_cache=False), lambda: load_schools(path)):
        err = raises("err.osm_bad_node", fn)
        assert err.params["node"] == 1033 and shown in str(err) and "bad.osm" in str(err)


def test_osm_ids_that_are_not_numbers_are_named(tmp_path):
    path = tmp_path / "ids.osm"
    path.write_text(_tiny().replace('<nd ref="1033"/>', '<nd ref="x1033"/>', 1))
    err = raises("err.osm_bad_id", load_network, path, use_cache=False)
    assert "x1033" in str(err) and "ids.osm" in str(err)


def test_a_clipped_extract_keeps_its_parts_inside(tmp_path):
    full, clipped = tmp_path / "full.osm", tmp_path / "clipped.osm"
    full.write_text(_tiny())
    clipped.write_text(_tiny(clip=True))
    a = load_network(full, use_cache=False)
    b, warnings = load_network_checked(clipped, use_cache=False)
    # Rows 1, 3, 5, 7 run east of the file and row 4 crosses a missing node: only row 4's segment across
    # the gap is lost (one of 112 street segments, each 4 directed edges here).
    assert b.n_nodes == a.n_nodes == 64 and b.n_edges == a.n_edges - 4
    assert warnings == [("warn.osm_clipped", {"file": "clipped.osm", "count": 6, "way": 1})]
    # The compound whose outline lost a corner is left out; schools and the others load; one warning each.
    inputs = load_inputs(clipped)
    assert inputs.compounds["name"].tolist() == ["甲小区", "乙小区", "丙小区"] and len(inputs.schools) == 3
    assert [k for k, _ in inputs.warnings].count("warn.osm_clipped") == 1
    zoned = run_scenario(inputs, Scenario("primary", "network"))
    assert zoned.table["children"].sum() == inputs.compounds["children_primary"].sum()


def test_clipped_warning_is_kept_with_the_cached_network(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "clipped.osm"
    path.write_text(_tiny(clip=True))
    first = load_network_checked(path)
    again = tmp_path / "same_bytes.osm"
    again.write_bytes(path.read_bytes())
    net, warnings = load_network_checked(again)  # from the cache
    assert net.n_edges == first[0].n_edges
    assert warnings == [("warn.osm_clipped", {"file": "same_bytes.osm", "count": 6, "way": 1})]


def test_clipped_bz2_and_pbf_extracts_load_like_the_xml(tmp_path):
    xml = tmp_path / "clipped.osm"
    xml.write_text(_tiny(clip=True))
    packed = tmp_path / "clipped.osm.bz2"
    packed.write_bytes(bz2.compress(xml.read_bytes()))
    pbf = tmp_path / "clipped.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as w:
        for obj in osmium.FileProcessor(str(xml)):
            w.add(obj)
    a, wa = load_network_checked(xml, use_cache=False)
    for other in (packed, pbf):
        b, wb = load_network_checked(other, use_cache=False)
        assert (b.n_nodes, b.n_edges) == (a.n_nodes, a.n_edges)
        assert [k for k, _ in wb] == [k for k, _ in wa] == ["warn.osm_clipped"]


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE osm [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',  # billion laughs
    '<!DOCTYPE osm [<!ENTITY x SYSTEM "file:///etc/passwd">]>',  # XXE
])
def test_osm_entity_declarations_are_refused(tmp_path, doctype):
    path = tmp_path / "entities.osm"
    text = _tiny().replace("<osm ", doctype + "\n<osm ", 1).replace('v="东光小学"', 'v="&b;东光小学"' if "ENTITY a" in doctype
                                                                   else 'v="&x;东光小学"')
    path.write_text(text, encoding="utf-8")
    err = raises("err.file_unreadable", check_osm, path)
    assert "entities.osm" in str(err) and "entit" in str(err).lower()


def test_3d_points_with_nan_heights_load_in_2d(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "P1", "name": "甲小学", "level": "primary", "capacity": 900},
         "geometry": {"type": "Point", "coordinates": [104.25, 30.57, float("nan")]}},
        {"type": "Feature", "properties": {"id": "P2", "name": "乙小学", "level": "primary", "capacity": "1e20"},
         "geometry": {"type": "Point", "coordinates": [104.26, 30.58, 12.5]}}]}
    path = tmp_path / "schools_3d.geojson"
    path.write_text(json.dumps(fc, allow_nan=True))
    err = raises("err.too_many_seats", load_schools, path)
    assert err.params["row"] == 2 and "schools_3d.geojson row 2" in str(err)
    fc["features"][1]["properties"]["capacity"] = 800
    path.write_text(json.dumps(fc, allow_nan=True))
    s, _ = load_schools(path)
    assert not s.geometry.has_z.any()
    assert s.geometry.x.round(6).tolist() == [104.25, 104.26] and s.geometry.y.round(6).tolist() == [30.57, 30.58]
