"""Chinese data as it comes: encodings, XLSX, Shapefiles with GBK names, KML, column mapping and the layout
store, the upload size cap."""

from __future__ import annotations

import random
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from corpus import FILES
from corpus.make_corpus import SCHOOLS

from geo.errors import InputError
from geo.inputs import (
    decode_text,
    layout_key,
    load_compounds,
    load_schools,
    mapping_fields,
    propose_mapping,
    read_table,
    recall_mapping,
    remember_mapping,
    table_columns,
    tables,
)
from geo.render import export

ROOT = Path(__file__).resolve().parents[1]
NAMES = [r[1] for r in SCHOOLS]
COMPOUND_NAMES = ["春华府邸", "青顺嘉园", "锦绣花园", "天河苑", "桂湖小区", "长荆新村"]


@pytest.mark.parametrize("file", ["schools_utf8.csv", "schools_utf8_bom.csv", "schools_gbk.csv", "schools_utf16.csv",
                                  "schools_chinese_headers_gbk.csv", "schools_tab.csv", "schools_semicolon.csv",
                                  "schools.xlsx", "schools.kml"])
def test_chinese_names_survive_every_encoding_and_format(file):
    s, warnings = load_schools(FILES / file)
    assert s["name"].tolist() == NAMES
    assert s["school_id"].tolist() == [r[0] for r in SCHOOLS]
    assert s["capacity"].tolist() == [r[3] for r in SCHOOLS]
    assert s["level"].tolist() == [r[2] for r in SCHOOLS]
    assert warnings == []


def test_gb18030_characters_outside_gbk():
    s, _ = load_schools(FILES / "schools_gb18030.csv")
    assert s["name"].iloc[0] == "䶮𠀋九年一贯制学校"


def test_gbk_is_never_read_as_latin1():
    text = "学校名称,经度\n成都市第一小学,104.1\n"
    for enc in ("gbk", "gb18030", "gb2312"):
        assert decode_text(text.encode(enc), "x.csv") == text
    warns: list = []
    assert decode_text("Café €\n".encode("cp1252"), "x.csv", warns).startswith("Caf")
    assert warns and warns[0][0] == "warn.encoding_guessed"


@pytest.mark.parametrize("file", ["compounds.geojson", "compounds.gpkg", "compounds_shp.zip", "compounds_gbk_shp.zip",
                                  "compounds_utm_shp.zip", "old_style_crs_utm.geojson", "compounds_points.csv"])
def test_compounds_in_every_vector_format(file):
    c, _ = load_compounds(FILES / file)
    assert c["name"].tolist() == COMPOUND_NAMES  # GBK .dbf without .cpg too
    assert c["children_primary"].tolist() == [53, 31, 44, 25, 60, 38]
    assert c.crs.to_epsg() == 4326
    b = c.total_bounds
    assert 104.2 < b[0] < b[2] < 104.3 and 30.5 < b[1] < b[3] < 30.65


def test_uploads_read_from_memory_by_name():
    data = (FILES / "schools.xlsx").read_bytes()
    s, _ = load_schools("ignored", name="我的学校.xlsx", data=data)
    assert s["name"].tolist() == NAMES
    with pytest.raises(InputError) as err:
        load_schools("ignored", name="我的学校.csv", data=b"\x00\x01\x02garbage")
    assert err.value.key == "err.not_text" and "我的学校.csv" in str(err.value)


def test_size_cap_matches_the_app_and_applies_to_uploads(monkeypatch):
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert tables.MAX_UPLOAD_BYTES == config["server"]["maxUploadSize"] * 1024 * 1024
    monkeypatch.setattr(tables, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(InputError) as err:
        read_table("x", name="big.csv", data=b"a" * 1001)
    assert err.value.key == "err.too_large" and "big.csv" in str(err.value)


def test_zip_bombs_are_refused_by_their_unpacked_size(monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(InputError) as err:
        load_compounds(FILES / "compounds_shp.zip")
    assert err.value.key == "err.too_large"


def test_read_table_reports_warnings_in_attrs():
    gdf = read_table(FILES / "lonlat_swapped.csv")
    assert [w[0] for w in gdf.attrs["warnings"]] == ["warn.lonlat_swapped"]
    assert 104 < gdf.geometry.x.min() and gdf.geometry.y.max() < 31


# --- column mapping --------------------------------------------------------------------------------------

def test_propose_mapping_from_chinese_and_odd_headers():
    cols = ["序号", "学校名称（全称）", "学段", "核定学位数", "经度", "纬度", "备注"]
    m = propose_mapping(cols, "schools")
    assert m["name"] == "学校名称（全称）" and m["level"] == "学段" and m["capacity"] == "核定学位数"
    assert m["lon"] == "经度" and m["lat"] == "纬度" and m["school_id"] is None
    assert set(m) == set(mapping_fields("schools"))
    m = propose_mapping(["compound_i", "name", "children_p", "children_j", "x", "y"], "compounds")
    assert m == {"compound_id": "compound_i", "name": "name", "children_primary": "children_p",
                 "children_junior": "children_j", "lon": "x", "lat": "y"}
    with pytest.raises(ValueError):
        propose_mapping(cols, "teachers")


def test_a_user_mapping_is_applied_by_the_loaders(tmp_path):
    df = pd.DataFrame({"代码": [r[0] for r in SCHOOLS], "单位": NAMES, "类别": [r[2] for r in SCHOOLS],
                       "规模": [r[3] for r in SCHOOLS], "东经": [r[4] for r in SCHOOLS],
                       "北纬": [r[5] for r in SCHOOLS], "name": "旧名称"})
    path = tmp_path / "odd.csv"
    df.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(InputError):
        load_schools(path)
    mapping = {"school_id": "代码", "name": "单位", "level": "类别", "capacity": "规模", "lon": "东经", "lat": "北纬"}
    s, _ = load_schools(path, mapping=mapping)
    assert s["name"].tolist() == NAMES and s["capacity"].tolist() == [r[3] for r in SCHOOLS]
    assert s["name_original"].tolist() == ["旧名称"] * len(SCHOOLS)  # the clashing column is kept aside
    with pytest.raises(InputError) as err:
        load_schools(path, mapping=mapping | {"capacity": "学位"})
    assert err.value.key == "err.mapping_column" and "学位" in str(err.value)
    assert table_columns(path) == list(df.columns)


def test_layout_key_and_store(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path))
    cols = ["代码", "单位", "类别"]
    key = layout_key(cols)
    assert key == layout_key([" 代码", "单位 ", "类别"]) and key != layout_key(cols[::-1])
    assert recall_mapping(key) is None
    remember_mapping(key, {"school_id": "代码", "name": "单位", "capacity": None}, kind="schools")
    remember_mapping(layout_key(["a"]), {"name": "a"})
    assert recall_mapping(key) == {"school_id": "代码", "name": "单位", "capacity": None}
    (tmp_path / "layouts.json").write_text("{broken", encoding="utf-8")
    assert recall_mapping(key) is None  # a damaged store is an empty one


def test_xlsx_export_reads_back_as_a_table(tmp_path):
    s, _ = load_schools(FILES / "schools_utf8.csv")
    table = s.drop(columns="geometry").assign(lon=s.geometry.x, lat=s.geometry.y)
    path = tmp_path / "export.xlsx"
    path.write_bytes(export.school_table_xlsx(table))
    again, _ = load_schools(path)
    assert again["name"].tolist() == NAMES and again["capacity"].tolist() == s["capacity"].tolist()


def test_a_plain_shapefile_on_disk_finds_its_sidecars_and_gbk_names(tmp_path):
    with zipfile.ZipFile(FILES / "compounds_gbk_shp.zip") as zf:
        zf.extractall(tmp_path)
    c, warnings = load_compounds(tmp_path / "小区" / "compounds.shp")
    assert c["name"].tolist() == COMPOUND_NAMES and warnings == []


# --- UTF-16 and UTF-32 are text, with or without BOM (issue 10) -------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_wide_encodings_are_decoded_with_or_without_bom(encoding):
    table = (FILES / "schools_utf8.csv").read_text(encoding="utf-8")
    s, warnings = load_schools("schools.csv", name="schools.csv", data=table.encode(encoding))
    assert s["name"].tolist() == NAMES and warnings == []
    # A zone list (mostly Chinese, with 一 = U+4E00, whose UTF-16 has a NUL on the "wrong" side).
    zones = "## 1. 成都市泡桐树小学\n一环路北一段（单号）、一心桥街、建设路\n## 2. 一号小学\n一品天下大街\n"
    assert decode_text(zones.encode(encoding), "zones.txt") == zones


def test_binary_data_with_nul_bytes_is_still_not_text():
    for seed in range(200):
        rnd = random.Random(seed)
        data = bytes(rnd.randrange(256) for _ in range(rnd.choice([64, 530, 4096])))
        with pytest.raises(InputError) as info:
            decode_text(data, "junk.csv")
        assert info.value.key == "err.not_text", seed
    for name in ("binary_garbage.csv", "png_named.csv"):
        with pytest.raises(InputError) as info:
            decode_text((FILES / name).read_bytes(), name)
        assert info.value.key == "err.not_text"
