"""Writes the bad-input corpus (tests/corpus/files/) and its manifest (tests/corpus/manifest.csv).

Deterministic: run it again and every file comes out byte for byte the same (zip and XLSX entries get a
fixed date, GeoPackages a fixed OGR_CURRENT_DATE, Shapefiles a fixed .dbf date). The one file not written
here is the 200 MB upload, which the test makes on the fly in a temporary folder (see ``GENERATED``).

    .venv/bin/python tests/corpus/make_corpus.py
"""

from __future__ import annotations

import csv
import io
import json
import random
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
MANIFEST = HERE / "manifest.csv"
COLUMNS = ("file", "loader", "coords", "expect", "key", "row", "note")
FIXED_DATE = (2020, 1, 1, 0, 0, 0)

# Eight schools of the demo district (id, name, level, capacity, lon, lat), WGS-84.
SCHOOLS = [
    ("N01", "安设九年一贯制学校", "nine_year", 1950, 104.2653012, 30.5705286),
    ("J01", "春林初级中学", "junior", 1800, 104.2265332, 30.5893982),
    ("P01", "芳潼小学", "primary", 810, 104.231983, 30.5561886),
    ("P02", "桂设小学", "primary", 1080, 104.2841595, 30.5990765),
    ("J02", "长荆初级中学", "junior", 1650, 104.2897844, 30.5598728),
    ("P03", "天河小学", "primary", 810, 104.2540273, 30.5950003),
    ("P04", "新天小学", "primary", 1080, 104.2883468, 30.5800875),
    ("N02", "蜀设九年一贯制学校", "nine_year", 1950, 104.2553523, 30.5523353),
]
HEADER = ("id", "name", "level", "capacity", "lon", "lat")
# Compound centres (lon, lat) inside the demo district, with names and children.
COMPOUNDS = [
    ("C001", "春华府邸", 53, 32, 104.2330, 30.5500),
    ("C002", "青顺嘉园", 31, 10, 104.2410, 30.5620),
    ("C003", "锦绣花园", 44, 20, 104.2560, 30.5710),
    ("C004", "天河苑", 25, 12, 104.2700, 30.5830),
    ("C005", "桂湖小区", 60, 28, 104.2820, 30.5950),
    ("C006", "长荆新村", 38, 18, 104.2880, 30.5640),
]
# Street corners of the demo network (WGS-84): school gates, which sit on the street.
GATES = [(104.232, 30.548), (104.2336353, 30.5716391), (104.2387244, 30.5701684), (104.2438228, 30.5717516),
         (104.2508291, 30.5700867), (104.2556836, 30.572743), (104.2613346, 30.5736393),
         (104.2663659, 30.5780928), (104.2733986, 30.574658), (104.2790555, 30.5738864),
         (104.2857358, 30.5733484), (104.2860023, 30.6023076)]
HALF = 0.0007  # half the side of a compound square, in degrees (about 70 m)

CASES: list[tuple] = []


def case(file: str, loader: str, expect: str, key: str = "", row: int | str = "", note: str = "",
         coords: str = "wgs84") -> None:
    CASES.append((file, loader, coords, expect, key, row, note))


def write(name: str, data: bytes | str, *, encoding: str = "utf-8") -> None:
    path = FILES / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def csv_text(rows, header=HEADER, sep: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n", quoting=quoting)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def schools(**changes) -> list[list]:
    """The base schools, with ``changes`` as {row index: {column index: value}}."""
    rows = [list(r) for r in SCHOOLS]
    for i, cols in changes.get("rows", {}).items():
        for j, v in cols.items():
            rows[i][j] = v
    return rows


def square(lon: float, lat: float, half: float = HALF) -> list:
    return [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]


def feature(props: dict, geometry) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def compounds_fc(geometry=None, props=None, extra: dict | None = None) -> dict:
    """The base compounds as a FeatureCollection; ``geometry``/``props`` override by row index."""
    feats = []
    for i, (cid, name, p, j, lon, lat) in enumerate(COMPOUNDS):
        pr = {"compound_id": cid, "name": name, "children_primary": p, "children_junior": j}
        pr.update((props or {}).get(i, {}))
        geom = (geometry or {}).get(i, {"type": "Polygon", "coordinates": [square(lon, lat)]})
        feats.append(feature(pr, geom))
    fc = {"type": "FeatureCollection", "features": feats}
    fc.update(extra or {})
    return fc


def geojson(name: str, obj) -> None:
    write(name, json.dumps(obj, ensure_ascii=False, allow_nan=True) + "\n")


def fixed_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in sorted(members):
            info = zipfile.ZipInfo(n, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, members[n])
    return buf.getvalue()


def refix_zip(data: bytes) -> bytes:
    """A zip (an XLSX) rewritten with fixed entry dates and order."""
    import re

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if "docProps/core.xml" in members:  # openpyxl stamps the time of saving
        members["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2020-01-01T00:00:00Z",
                                              members["docProps/core.xml"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for n, body in members.items():  # keep [Content_Types].xml first, as written
            info = zipfile.ZipInfo(n, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, body)
    return buf.getvalue()


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    import datetime

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    when = datetime.datetime(2020, 1, 1)
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    return refix_zip(buf.getvalue())


def vector_file(gdf, driver: str, **kwargs) -> dict[str, bytes]:
    """A GeoDataFrame written by pyogrio; returns the files written (name -> bytes), dates fixed."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2020-01-01T00:00:00.000Z"})
    with tempfile.TemporaryDirectory() as tmp:
        ext = {"GPKG": ".gpkg", "ESRI Shapefile": ".shp"}[driver]
        out = Path(tmp) / f"layer{ext}"
        pyogrio.write_dataframe(gdf, out, driver=driver, **kwargs)
        files = {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())}
    if "layer.dbf" in files:  # the .dbf header holds the date it was written
        dbf = bytearray(files["layer.dbf"])
        dbf[1:4] = bytes([120, 1, 1])
        files["layer.dbf"] = bytes(dbf)
    return files


def compounds_gdf(crs="EPSG:4326"):
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"compound_id": [c[0] for c in COMPOUNDS], "name": [c[1] for c in COMPOUNDS],
         "children_primary": [c[2] for c in COMPOUNDS], "children_junior": [c[3] for c in COMPOUNDS]},
        geometry=[shapely.Polygon(square(c[4], c[5])) for c in COMPOUNDS], crs=crs)


OSM_HEAD = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"xuequ corpus\">\n"


def osm(body: str) -> str:
    return OSM_HEAD + body + "</osm>\n"


def osm_nodes() -> str:
    return ('  <node id="1" lat="30.560" lon="104.230" version="1"/>\n'
            '  <node id="2" lat="30.561" lon="104.231" version="1"/>\n')


# --- the cases -----------------------------------------------------------------------------------------

def make_tables() -> None:
    base = csv_text(schools())
    write("schools_utf8.csv", base)
    case("schools_utf8.csv", "schools", "ok", note="baseline: UTF-8 without BOM")
    write("schools_utf8_bom.csv", base.encode("utf-8-sig"))
    case("schools_utf8_bom.csv", "schools", "ok", note="UTF-8 with BOM (Excel's 'CSV UTF-8')")
    write("schools_gbk.csv", base.replace("\n", "\r\n").encode("gbk"))
    case("schools_gbk.csv", "schools", "ok", note="GBK with CRLF (Excel's default CSV on Chinese Windows)")
    rare = csv_text(schools(rows={0: {1: "䶮𠀋九年一贯制学校"}}))  # characters GB18030 has and GBK lacks
    write("schools_gb18030.csv", rare.encode("gb18030"))
    case("schools_gb18030.csv", "schools", "ok", note="GB18030 with characters outside GBK")
    write("schools_utf16.csv", base.encode("utf-16"))
    case("schools_utf16.csv", "schools", "ok", note="UTF-16 with BOM (Excel's 'Unicode text')")
    latin = csv_text(schools(rows={i: {1: f"École Saint-Rémi n° {i} €"} for i in range(len(SCHOOLS))}))
    write("schools_cp1252.csv", latin.encode("cp1252"))
    case("schools_cp1252.csv", "schools", "ok-with-warning", "warn.encoding_guessed",
         note="wrong encoding: Windows-1252, neither UTF-8 nor GBK; read with a detected encoding and a warning")
    zh = csv_text([[r[0], r[1], {"primary": "小学", "junior": "初中", "nine_year": "九年一贯制"}[r[2]], r[3], r[4], r[5]]
                   for r in SCHOOLS], header=("学校编号", "学校名称", "学段", "学位数", "经度", "纬度"))
    write("schools_chinese_headers_gbk.csv", zh.replace("\n", "\r\n").encode("gbk"))
    case("schools_chinese_headers_gbk.csv", "schools", "ok", note="Chinese headers and levels, GBK")
    write("schools_semicolon.csv", csv_text(schools(), sep=";"))
    case("schools_semicolon.csv", "schools", "ok", note="semicolon-separated")
    write("schools_tab.csv", csv_text(schools(), sep="\t").encode("utf-8-sig"))
    case("schools_tab.csv", "schools", "ok", note="tab-separated with BOM")

    rnd = random.Random(4)
    write("binary_garbage.csv", bytes(rnd.randrange(256) for _ in range(4096)))
    case("binary_garbage.csv", "schools", "error", "err.not_text", note="random bytes named .csv")
    write("png_named.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rnd.randrange(256) for _ in range(512)))
    case("png_named.csv", "schools", "error", "err.not_text", note="a PNG image renamed .csv")
    write("zero_byte.csv", b"")
    case("zero_byte.csv", "schools", "error", "err.empty", note="zero-byte file")
    write("blank.csv", "  \n\n \t\n")
    case("blank.csv", "schools", "error", "err.empty", note="whitespace only")
    write("bom_only.csv", "\ufeff".encode())
    case("bom_only.csv", "schools", "error", "err.empty", note="a UTF-8 BOM and nothing else")
    write("header_only.csv", csv_text([]))
    case("header_only.csv", "schools", "error", "err.empty", note="a header and no rows")

    write("duplicate_ids.csv", csv_text(schools(rows={5: {0: "P01"}})))
    case("duplicate_ids.csv", "schools", "error", "err.duplicate_id", 6, "id P01 twice (rows 3 and 6)")
    write("zero_capacity.csv", csv_text(schools(rows={2: {3: 0}})))
    case("zero_capacity.csv", "schools", "error", "err.bad_value", 3, "a school with 0 seats")
    write("negative_capacity.csv", csv_text(schools(rows={3: {3: -120}})))
    case("negative_capacity.csv", "schools", "error", "err.bad_value", 4, "a school with -120 seats")
    write("bad_level.csv", csv_text(schools(rows={1: {2: "高中"}})))
    case("bad_level.csv", "schools", "error", "err.bad_value", 2, "a senior high school level")
    write("missing_lon.csv", csv_text([r[:4] + r[5:] for r in schools()], header=("id", "name", "level", "capacity", "lat")))
    case("missing_lon.csv", "schools", "error", "err.missing_column", note="no longitude column")
    write("missing_level.csv", csv_text([r[:2] + r[3:] for r in schools()], header=("id", "name", "capacity", "lon", "lat")))
    case("missing_level.csv", "schools", "error", "err.missing_column", note="no level column")
    write("ragged_rows.csv", base + "X9,多余小学,primary,900,104.25,30.57,extra,cells\n")
    case("ragged_rows.csv", "schools", "error", "err.file_unreadable", note="a row with more cells than the header")

    write("html_names.csv", csv_text(schools(rows={
        0: {1: "<script>alert('x')</script>九年一贯制学校"}, 2: {1: '<img src=x onerror="alert(1)">小学'},
        3: {1: "<b>粗体</b>小学 & <i>co</i>"}})))
    case("html_names.csv", "schools", "ok", note="HTML and script tags in names: load as text, escape on display")
    write("formula_cells.csv", csv_text(
        [r + [v] for r, v in zip(schools(rows={0: {1: "=HYPERLINK(\"http://x\",\"点击\")"}, 2: {1: "+1+1小学"},
                                                  3: {1: "-2+3小学"}, 5: {1: "@SUM(A1:A2)小学"}}),
                                 ["=1+1", "+cmd|' /C calc'!A0", "-1", "@x", "\t=1", "\r=2", "ok", "中文"])],
        header=HEADER + ("note",), quoting=csv.QUOTE_ALL))
    case("formula_cells.csv", "schools", "ok", note="cells starting with = + - @ tab CR: load as text; exports stay inert")
    write("very_long_name.csv", csv_text(schools(rows={2: {1: "长" * 20000 + "小学"}})))
    case("very_long_name.csv", "schools", "ok", note="a 20,000-character name")

    write("lonlat_swapped.csv", csv_text([r[:4] + [r[5], r[4]] for r in schools()]))
    case("lonlat_swapped.csv", "schools", "ok-with-warning", "warn.lonlat_swapped",
         note="lat column holds 104.x and lon 30.x: swapped back with a warning")
    rows = schools()
    rows[4][4], rows[4][5] = rows[4][5], rows[4][4]
    write("lonlat_swapped_one_row.csv", csv_text(rows))
    case("lonlat_swapped_one_row.csv", "schools", "error", "err.lonlat_swapped", 5,
         "only row 5 swapped: ambiguous, so an error")
    write("lonlat_out_of_range.csv", csv_text(schools(rows={1: {4: 204.2, 5: 30.5}})))
    case("lonlat_out_of_range.csv", "schools", "error", "err.bad_value", 2, "longitude 204.2")
    write("nan_coordinates.csv", csv_text(schools(rows={3: {4: "NaN"}})))
    case("nan_coordinates.csv", "schools", "error", "err.bad_value", 4, "longitude NaN")
    write("inf_coordinates.csv", csv_text(schools(rows={6: {5: "inf"}})))
    case("inf_coordinates.csv", "schools", "error", "err.bad_value", 7, "latitude inf")
    write("empty_coordinates.csv", csv_text(schools(rows={0: {4: "", 5: ""}})))
    case("empty_coordinates.csv", "schools", "error", "err.bad_value", 1, "no coordinates in row 1")
    write("text_coordinates.csv", csv_text(schools(rows={2: {5: "三十度"}})))
    case("text_coordinates.csv", "schools", "error", "err.bad_value", 3, "latitude written in words")
    write("projected_xy.csv", csv_text(schools(rows={2: {4: 400000.0, 5: 3380000.0}})))
    case("projected_xy.csv", "schools", "error", "err.bad_value", 3, "UTM metres in the lon/lat columns")

    from geo.inputs import coords

    gx, gy = coords.wgs84_to_gcj02([r[4] for r in SCHOOLS], [r[5] for r in SCHOOLS])
    gcj = [list(r[:4]) + [round(float(x), 7), round(float(y), 7)] for r, x, y in zip(SCHOOLS, gx, gy)]
    write("schools_gcj02.csv", csv_text(gcj))
    case("schools_gcj02.csv", "schools", "ok", coords="gcj02", note="GCJ-02 (AMap) coordinates, loaded as gcj02")
    gx, gy = coords.wgs84_to_gcj02([p[0] for p in GATES], [p[1] for p in GATES])
    write("school_gates_gcj02.csv", csv_text([[f"G{i + 1:02d}", f"校门{i + 1}小学", "primary", 900,
                                               round(float(x), 7), round(float(y), 7)]
                                              for i, (x, y) in enumerate(zip(gx, gy))]))
    case("school_gates_gcj02.csv", "inputs", "ok-with-warning", "warn.gcj_offset",
         note="school gates on the streets, copied from AMap (GCJ-02) and loaded as WGS-84: a warning")
    bx, by = coords.wgs84_to_bd09([r[4] for r in SCHOOLS], [r[5] for r in SCHOOLS])
    write("schools_bd09.csv", csv_text([list(r[:4]) + [round(float(x), 7), round(float(y), 7)]
                                        for r, x, y in zip(SCHOOLS, bx, by)]))
    case("schools_bd09.csv", "schools", "ok", coords="bd09", note="BD-09 (Baidu) coordinates, loaded as bd09")
    write("school_in_the_sea.csv", csv_text(schools(rows={2: {4: 122.9, 5: 29.9}})))
    case("school_in_the_sea.csv", "zoning", "error", "err.outside_network", 3,
         "a primary school in the East China Sea: loads, but the zoning names it as outside the network")

    write("compounds_points.csv", csv_text([[c[0], c[1], c[2], c[3], c[4], c[5]] for c in COMPOUNDS],
                                           header=("compound_id", "name", "children_primary", "children_junior",
                                                   "lon", "lat")))
    case("compounds_points.csv", "compounds", "ok", note="compounds as points in a CSV")
    write("compounds_no_children.csv", csv_text([[c[0], c[1], c[4], c[5]] for c in COMPOUNDS],
                                                header=("compound_id", "name", "lon", "lat")))
    case("compounds_no_children.csv", "compounds", "error", "err.missing_column", note="no children columns")

    write("schools.xlsx", xlsx({"学校": [list(HEADER)] + schools()}))
    case("schools.xlsx", "schools", "ok", note="XLSX")
    write("schools_two_sheets.xlsx", xlsx({"学校": [list(HEADER)] + schools(), "说明": [["备注"], ["第二张表"]]}))
    case("schools_two_sheets.xlsx", "schools", "ok-with-warning", "warn.first_layer", note="two sheets: the first is read")
    write("empty_sheet.xlsx", xlsx({"Sheet1": []}))
    case("empty_sheet.xlsx", "schools", "error", "err.empty", note="a workbook whose only sheet is empty")
    write("xlsx_no_workbook.xlsx", fixed_zip({"hello.txt": b"not a workbook"}))
    case("xlsx_no_workbook.xlsx", "schools", "error", "err.file_unreadable", note="a zip with no workbook, named .xlsx")
    write("text_named.xlsx", base)
    case("text_named.xlsx", "schools", "error", "err.file_unreadable", note="a CSV renamed .xlsx")

    write("schools.docx", b"PK\x03\x04 not a table")
    case("schools.docx", "schools", "error", "err.format", note="unsupported extension")
    write("schools.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    case("schools.xls", "schools", "error", "err.format", note="old Excel .xls: not supported, save as .xlsx")


def make_vectors() -> None:
    import geopandas as gpd
    import shapely

    geojson("compounds.geojson", compounds_fc())
    case("compounds.geojson", "compounds", "ok", note="baseline GeoJSON")
    write("truncated.geojson", json.dumps(compounds_fc(), ensure_ascii=False)[:700])
    case("truncated.geojson", "compounds", "error", "err.file_unreadable", note="cut off mid-file")
    write("not_json.geojson", "这不是 JSON\n<html><body>404</body></html>\n")
    case("not_json.geojson", "compounds", "error", "err.file_unreadable", note="not JSON at all")
    geojson("json_not_geojson.json", {"schools": [1, 2, 3], "type": "Nothing"})
    case("json_not_geojson.json", "compounds", "error", "err.file_unreadable", note="JSON, but not GeoJSON")
    geojson("empty_collection.geojson", {"type": "FeatureCollection", "features": []})
    case("empty_collection.geojson", "compounds", "error", "err.empty", note="a FeatureCollection with no features")
    geojson("null_geometry.geojson", compounds_fc(geometry={3: None}))
    case("null_geometry.geojson", "compounds", "error", "err.bad_value", 4, "a feature with a null geometry")
    geojson("line_geometry.geojson", compounds_fc(geometry={1: {"type": "LineString",
                                                                "coordinates": [[104.24, 30.56], [104.25, 30.57]]}}))
    case("line_geometry.geojson", "compounds", "error", "err.bad_value", 2, "a compound drawn as a line")
    geojson("nan_coordinates.geojson", compounds_fc(geometry={2: {"type": "Point", "coordinates": [float("nan"), 30.57]}}))
    case("nan_coordinates.geojson", "compounds", "error", "err.bad_value", 3, "a NaN coordinate (non-standard JSON)")
    geojson("duplicate_ids.geojson", compounds_fc(props={4: {"compound_id": "C002"}}))
    case("duplicate_ids.geojson", "compounds", "error", "err.duplicate_id", 5, "compound id C002 twice")
    geojson("negative_children.geojson", compounds_fc(props={0: {"children_primary": -5}}))
    case("negative_children.geojson", "compounds", "error", "err.bad_value", 1, "-5 children")
    geojson("text_children.geojson", compounds_fc(props={2: {"children_junior": "很多"}}))
    case("text_children.geojson", "compounds", "error", "err.bad_value", 3, "children written in words")
    bowtie = [[104.2550, 30.5700], [104.2570, 30.5720], [104.2570, 30.5700], [104.2550, 30.5720], [104.2550, 30.5700]]
    geojson("self_intersecting.geojson", compounds_fc(geometry={2: {"type": "Polygon", "coordinates": [bowtie]}}))
    case("self_intersecting.geojson", "compounds", "ok-with-warning", "warn.geometry_repaired",
         note="a bow-tie polygon in row 3: repaired by make_valid, with a warning naming the row")
    flat = [[104.2550, 30.5700], [104.2560, 30.5710], [104.2570, 30.5720], [104.2550, 30.5700]]
    geojson("unrepairable.geojson", compounds_fc(geometry={4: {"type": "Polygon", "coordinates": [flat]}}))
    case("unrepairable.geojson", "compounds", "error", "err.geometry_invalid", 5,
         "a polygon with all its corners on one line: no area to repair")
    geojson("projected_as_wgs84.geojson", compounds_fc(geometry={
        i: {"type": "Polygon", "coordinates": [square(411_000 + 500 * i, 3_382_000, 70)]} for i in range(6)}))
    case("projected_as_wgs84.geojson", "compounds", "error", "err.projected_as_wgs84", 1,
         "UTM metres in a GeoJSON (which is WGS-84 by definition)")
    utm_crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32648"}}
    g = compounds_gdf().to_crs("EPSG:32648")
    fc = json.loads(g.to_json(drop_id=True))
    fc["crs"] = utm_crs
    geojson("old_style_crs_utm.geojson", fc)
    case("old_style_crs_utm.geojson", "compounds", "ok", note="a pre-RFC 7946 'crs' member (UTM 48N): reprojected")
    geojson("swapped_points.geojson", compounds_fc(geometry={
        i: {"type": "Point", "coordinates": [c[5], c[4]]} for i, c in enumerate(COMPOUNDS)}))
    case("swapped_points.geojson", "compounds", "ok-with-warning", "warn.lonlat_swapped",
         note="points written [lat, lon]: swapped back with a warning")
    far = compounds_fc(geometry={3: {"type": "Polygon", "coordinates": [square(COMPOUNDS[3][4] - 0.6, COMPOUNDS[3][5])]}})
    geojson("compound_far_outside.geojson", far)
    case("compound_far_outside.geojson", "zoning", "error", "err.outside_network", 4,
         "a compound 60 km west of the network: loads, the zoning names it")

    for name, files in (("compounds.gpkg", vector_file(compounds_gdf(), "GPKG", layer="compounds")),):
        write(name, files["layer.gpkg"])
    case("compounds.gpkg", "compounds", "ok", note="GeoPackage")
    write("compounds_no_crs.gpkg", vector_file(compounds_gdf().set_crs(None, allow_override=True), "GPKG")["layer.gpkg"])
    case("compounds_no_crs.gpkg", "compounds", "ok-with-warning", "warn.crs_assumed",
         note="no CRS, coordinates in lon/lat range: WGS-84 assumed with a warning")
    utm_nocrs = compounds_gdf().to_crs("EPSG:32648").set_crs(None, allow_override=True)
    write("projected_no_crs.gpkg", vector_file(utm_nocrs, "GPKG")["layer.gpkg"])
    case("projected_no_crs.gpkg", "compounds", "error", "err.no_crs", 1, "no CRS and metres: an error")

    shp = vector_file(compounds_gdf(), "ESRI Shapefile", encoding="UTF-8")
    write("compounds_shp.zip", fixed_zip({f"compounds.{n.split('.')[-1]}": b for n, b in shp.items()}))
    case("compounds_shp.zip", "compounds", "ok", note="zipped Shapefile (UTF-8, with .cpg and .prj)")
    gbk = vector_file(compounds_gdf(), "ESRI Shapefile", encoding="GBK")
    write("compounds_gbk_shp.zip", fixed_zip({f"小区/compounds.{n.split('.')[-1]}": b for n, b in gbk.items()
                                              if not n.endswith(".cpg")}))
    case("compounds_gbk_shp.zip", "compounds", "ok", note="zipped Shapefile in a folder, GBK attributes, no .cpg")
    utm = vector_file(compounds_gdf().to_crs("EPSG:32648"), "ESRI Shapefile", encoding="UTF-8")
    write("compounds_utm_shp.zip", fixed_zip({f"c.{n.split('.')[-1]}": b for n, b in utm.items()}))
    case("compounds_utm_shp.zip", "compounds", "ok", note="zipped Shapefile in UTM 48N with .prj: reprojected")
    write("shp_no_prj_projected.zip", fixed_zip({f"c.{n.split('.')[-1]}": b for n, b in utm.items()
                                                 if not n.endswith(".prj")}))
    case("shp_no_prj_projected.zip", "compounds", "error", "err.no_crs", 1, "UTM metres and no .prj")
    write("zip_without_shp.zip", fixed_zip({"readme.txt": "只有说明".encode(), "compounds.dbf": shp["layer.dbf"]}))
    case("zip_without_shp.zip", "compounds", "error", "err.zip_no_shp", note="a zip with no .shp inside")
    write("corrupt.zip", b"PK\x03\x04" + bytes(random.Random(7).randrange(256) for _ in range(300)))
    case("corrupt.zip", "compounds", "error", "err.file_unreadable", note="a broken zip archive")

    placemarks = "".join(
        f"<Placemark><name>{n}</name><ExtendedData>"
        f"<Data name=\"school_id\"><value>{i}</value></Data><Data name=\"level\"><value>{lv}</value></Data>"
        f"<Data name=\"capacity\"><value>{cap}</value></Data></ExtendedData>"
        f"<Point><coordinates>{x},{y}</coordinates></Point></Placemark>\n"
        for i, n, lv, cap, x, y in SCHOOLS)
    kml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>"
           "<name>学校</name>\n{}</Document></kml>\n")
    write("schools.kml", kml.format(placemarks))
    case("schools.kml", "schools", "ok", note="KML placemarks with ExtendedData")
    write("no_placemarks.kml", kml.format("<Folder><name>空</name></Folder>\n"))
    case("no_placemarks.kml", "schools", "error", "err.empty", note="a KML with no placemarks")
    write("broken.kml", kml.format(placemarks)[:400])
    case("broken.kml", "schools", "error", "err.file_unreadable", note="a truncated KML")
    del gpd, shapely


def make_networks() -> None:
    write("no_roads.osm", osm(osm_nodes()))
    case("no_roads.osm", "network", "error", "err.no_roads", note="nodes only")
    write("river_only.osm", osm(osm_nodes() + '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/>'
                                              '<tag k="waterway" v="river"/></way>\n'))
    case("river_only.osm", "network", "error", "err.no_roads", note="a river and no streets")
    write("zero_byte.osm", b"")
    case("zero_byte.osm", "network", "error", "err.empty", note="zero-byte OSM file")
    write("truncated.osm", osm(osm_nodes() + '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/>'
                                             '<tag k="highway" v="residential"/></way>\n')[:260])
    case("truncated.osm", "network", "error", "err.file_unreadable", note="cut off mid-file")
    write("binary.osm", bytes(random.Random(11).randrange(256) for _ in range(2048)))
    case("binary.osm", "network", "error", "err.file_unreadable", note="random bytes named .osm")
    write("html_page.osm", "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n")
    case("html_page.osm", "network", "error", "err.file_unreadable", note="an HTML error page saved as .osm")


def tiny_district(clip: bool = False, extra: str = "") -> str:
    """A small OSM district: an 8 x 8 street grid (200 m apart), three schools and four residential
    compounds. With ``clip`` it is cut as an extract cuts it: even rows run on to nodes east of the file,
    row 3 crosses a node the file lacks, and a compound's outline is missing a corner."""
    def nid(i: int, j: int) -> int:
        return 1000 + 10 * j + i

    body = "".join(f'  <node id="{nid(i, j)}" lat="{30.560 + 0.002 * j:.3f}" lon="{104.240 + 0.002 * i:.3f}" '
                   'version="1"/>\n' for j in range(8) for i in range(8))
    for k, (name, lon, lat) in enumerate((("东光小学", 104.243, 30.5635), ("西光小学", 104.2515, 30.571),
                                           ("光华初级中学", 104.247, 30.5675))):
        body += (f'  <node id="{5001 + k}" lat="{lat}" lon="{lon}" version="1"><tag k="amenity" v="school"/>'
                 f'<tag k="name" v="{name}"/></node>\n')
    corners = []
    for k, (lon, lat) in enumerate(((104.241, 30.561), (104.249, 30.565), (104.245, 30.571), (104.253, 30.5695))):
        ids = [6001 + 4 * k + c for c in range(4)]
        for c, (dx, dy) in zip(ids, ((0, 0), (0.0014, 0), (0.0014, 0.0014), (0, 0.0014))):
            body += f'  <node id="{c}" lat="{lat + dy:.4f}" lon="{lon + dx:.4f}" version="1"/>\n'
        corners.append(ids)

    def way(wid: int, refs: list[int], tags: dict[str, str]) -> str:
        return (f'  <way id="{wid}" version="1">' + "".join(f'<nd ref="{r}"/>' for r in refs)
                + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>\n")

    for j in range(8):
        refs = [nid(i, j) for i in range(8)]
        if clip and j % 2 == 0:
            refs += [nid(8, j), nid(9, j)]  # runs on east of the extract
        if clip and j == 3:
            refs.insert(4, 99999)  # crosses a node the extract lost: split in two
        body += way(1 + j, refs, {"highway": "residential", "name": f"横{j + 1}路"})
    for i in range(8):
        body += way(11 + i, [nid(i, j) for j in range(8)], {"highway": "residential", "name": f"纵{i + 1}街"})
    for k, ids in enumerate(corners):
        refs = ids + [ids[0]]
        if clip and k == 3:
            refs[2] = 88888  # a compound cut by the extract's edge: left out
        body += way(101 + k, refs, {"landuse": "residential", "name": f"{'甲乙丙丁'[k]}小区"})
    return osm(body + extra)


def clipped_demo(cut_lon: float = 104.291) -> str:
    """The demo district as an extract tool clips it: the nodes east of ``cut_lon`` left out, the ways
    and outlines that run there kept, referring to them (``figures_demo_clipped.osm``, made by the test:
    ``corpus.materialise``)."""
    import re

    text = (HERE.parents[1] / "data" / "demo" / "district.osm").read_text(encoding="utf-8")
    node = re.compile(r'\s*<node id="\d+" lat="[^"]*" lon="([0-9.]+)"[^>]*/>\s*')
    return "".join(line for line in text.splitlines(keepends=True)
                   if not ((m := node.fullmatch(line)) and float(m.group(1)) > cut_lon))


def make_figures() -> None:
    """Wrong figures must never be silent (issue 10): implausible counts, formulas without values, ids as
    written, broken OSM nodes and clipped extracts, wide text encodings, NaN heights."""
    comp_header = ("compound_id", "name", "children_primary", "children_junior", "lon", "lat")
    rows = [list(c) for c in COMPOUNDS]
    rows[2][2] = 10**19
    write("figures_children_1e19.csv", csv_text(rows, header=comp_header))
    case("figures_children_1e19.csv", "compounds", "error", "err.too_many_children", 3,
         "10^19 children: was -9,223,372,036,854,757,376 in the totals; refused, naming the row and the limit")
    geojson("figures_children_1e12.geojson", compounds_fc(props={1: {"children_junior": 10**12}}))
    case("figures_children_1e12.geojson", "compounds", "error", "err.too_many_children", 2,
         "10^12 children (a meaningless shortage before): refused")
    write("figures_capacity_1e20.csv", csv_text(schools(rows={2: {3: "1e20"}})))
    case("figures_capacity_1e20.csv", "schools", "error", "err.too_many_seats", 3,
         "capacity 1e20: a named message, not a numpy cast error")
    write("figures_capacity_primary_1e20.xlsx", xlsx({"学校": [list(HEADER) + ["capacity_primary"]]
                                                     + [r + [1e20 if i == 7 else None] for i, r in enumerate(schools())]}))
    case("figures_capacity_primary_1e20.xlsx", "schools", "error", "err.too_many_seats", 8,
         "a nine-year school's capacity_primary of 1e20")

    numeric = [[i + 1] + r[1:] for i, r in enumerate(schools())]
    write("figures_blank_id.csv", csv_text([r if i != 2 else [""] + r[1:] for i, r in enumerate(numeric)]))
    case("figures_blank_id.csv", "schools", "error", "err.blank_id", 3, "numeric ids with a blank one (null in exports)")
    write("figures_zero_padded_ids.csv", csv_text([[f"{r[0]:03d}"] + r[1:] for r in numeric]))
    case("figures_zero_padded_ids.csv", "schools", "ok", note="ids 001..008 stay '001', not 1")
    blank_cap = [r if i not in (2, 5) else r[:3] + [None] + r[4:] for i, r in enumerate(numeric)]
    write("figures_blank_capacity.xlsx", xlsx({"学校": [list(HEADER)] + blank_cap}))
    case("figures_blank_capacity.xlsx", "schools", "ok-with-warning", "warn.capacity_estimated_rows",
         note="numeric ids (read '1', not '1.0') and blank capacities in rows 3 and 6: estimated, rows named")
    formulas = [list(r) for r in numeric]
    formulas[0][3] = "=300*3"
    formulas[3][3] = "=D2+1"
    formulas[1][1] = '=CONCAT("春林","初级中学")'
    write("figures_formulas.xlsx", xlsx({"学校": [list(HEADER)] + formulas}))
    case("figures_formulas.xlsx", "schools", "error", "err.xlsx_formulas",
         note="formulas written by a script, no saved values (cells D2, B3, D5): named, not default seats")

    base = csv_text(schools())
    for name, enc, note in (("figures_utf16le_nobom.csv", "utf-16-le", "UTF-16 little-endian without BOM"),
                            ("figures_utf16be_nobom.csv", "utf-16-be", "UTF-16 big-endian without BOM"),
                            ("figures_utf32_bom.csv", "utf-32", "UTF-32 with BOM"),
                            ("figures_utf32le_nobom.csv", "utf-32-le", "UTF-32 little-endian without BOM")):
        write(name, base.encode(enc))
        case(name, "schools", "ok", note=note + ": decoded (was 'binary')")

    feats = [feature({"id": i, "name": n, "level": lv, "capacity": cap}, {"type": "Point", "coordinates": [x, y, float("nan")]})
             for i, n, lv, cap, x, y in SCHOOLS]
    geojson("figures_schools_nan_z.geojson", {"type": "FeatureCollection", "features": feats})
    case("figures_schools_nan_z.geojson", "schools", "ok", note="3D points with NaN heights: heights dropped")
    lon, lat = COMPOUNDS[2][4], COMPOUNDS[2][5]
    geojson("figures_compounds_nan_z.geojson", compounds_fc(geometry={2: {
        "type": "Polygon", "coordinates": [[[x, y, float("nan")] for x, y in square(lon, lat)]]}}))
    case("figures_compounds_nan_z.geojson", "zoning", "ok", note="a 3D polygon with NaN heights: zoned like a 2D one")

    district = tiny_district()
    write("figures_duplicate_node.osm", district.replace(
        "</osm>", '  <node id="1033" lat="30.566" lon="104.846" version="2"/>\n</osm>'))
    case("figures_duplicate_node.osm", "network", "error", "err.osm_duplicate_node",
         note="node 1033 twice, 58 km apart (the last won: a 58 km street)")
    write("figures_lon500.osm", district.replace('lat="30.566" lon="104.246"', 'lat="30.566" lon="500"'))
    case("figures_lon500.osm", "network", "error", "err.osm_bad_node",
         note="a node at lon 500 (was wrapped round the globe, 87 s)")
    write("figures_nan_node.osm", district.replace('lat="30.566" lon="104.246"', 'lat="NaN" lon="104.246"'))
    case("figures_nan_node.osm", "network", "error", "err.osm_bad_node", note="a node at lat NaN")


def _store_bytes(legacy: bool = False, scenarios: int = 2, edits: int = 3) -> bytes:
    """A scenario store as SQLite writes it, deterministic: fixed times, rollback journal, and the header's
    SQLite version number fixed (it is only informational)."""
    import sqlite3

    from geo.plans.store import SCHEMA

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.sqlite"
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=DELETE")
        schema = SCHEMA.replace(",\n    version INTEGER NOT NULL DEFAULT 0", "") if legacy else SCHEMA
        assert legacy == ("version" not in schema)
        con.executescript(schema)
        for k in range(scenarios):
            con.execute("INSERT INTO scenario (name, dataset, dataset_label, level, cursor, created, updated) "
                        "VALUES (?, 'demo', '示范区（生成）', 'primary', ?, 1577836800, ?)",
                        (f"方案 {k + 1}", edits, 1577836800 + k))
            for i in range(edits):
                pairs = [[f"C{j:03d}", f"P{(i + j) % 20 + 1:02d}"] for j in range(40)]
                body = json.dumps({"kind": "reassign", "level": "primary", "pairs": pairs}, sort_keys=True)
                con.execute("INSERT INTO edit (scenario_id, seq, body) VALUES (?, ?, ?)", (k + 1, i, body))
        con.close()
        data = bytearray(path.read_bytes())
    data[96:100] = (3_040_000).to_bytes(4, "big")
    return bytes(data)


def make_store() -> None:
    """Scenario stores users break (issue 10): loader ``store`` opens the data folder the case makes (see
    ``corpus.materialise``) and lists its scenarios."""
    write("store_garbage.sqlite", b"PK\x03\x04" + "这不是方案库，是一个被改名的压缩包。\n".encode() * 40)
    case("store_garbage.sqlite", "store", "error", "err.store_corrupt",
         note="a file that is not a database where the store should be: named, with a fresh store on offer")
    whole = _store_bytes(scenarios=6, edits=12)
    write("store_truncated.sqlite", whole[: len(whole) // 2])
    case("store_truncated.sqlite", "store", "error", "err.store_corrupt",
         note="a store cut to half its pages (a full disk, a copy broken off): named when opened, not mid-edit")
    write("store_readonly.sqlite", _store_bytes())
    case("store_readonly.sqlite", "store", "error", "err.store_readonly",
         note="a good store whose file is read-only (made so when the test copies it): named, no edit lost silently")
    write("store_legacy.sqlite", _store_bytes(legacy=True))
    case("store_legacy.sqlite", "store", "ok",
         note="a store written before versions (no version column): opens, gains the column, keeps its scenarios")
    write("store_empty.sqlite", b"")
    case("store_empty.sqlite", "store", "ok", note="a zero-byte store file (SQLite's empty database): opens empty")
    write("store_folder_is_a_file", "XUEQU_DATA_DIR points at this file, not at a folder.\n")
    case("store_folder_is_a_file", "store", "error", "err.store_folder",
         note="the data folder is a file: named, with a fresh store on offer (the file kept aside)")


# Markdown a page would render (issue 10): an image the browser would fetch, a link, bold, LaTeX, coloured text.
MD_IMAGE = "![t](http://127.0.0.1:9/x.png)"
MD_NAMES = [MD_IMAGE + "小学", "**粗体**$x$小学", "[链接](http://evil.example/)小学", ":red[红] _斜_ `c` www.evil.example小学"]


def make_display() -> None:
    """Names and cells written in Markdown (issue 10): they load as text, and the page shows them as written —
    never an image fetched from elsewhere, a link, bold or LaTeX. Two primary schools share a street corner,
    so the page names both in a warning."""
    rows = schools(rows={2: {1: MD_NAMES[0]}, 3: {1: MD_NAMES[1]}, 5: {1: MD_NAMES[2]}, 6: {1: MD_NAMES[3]}})
    rows[3][4:6] = rows[2][4:6]  # P02 on P01's corner: the page names both (warn.shared_node)
    write("display_markdown_names.csv", csv_text(rows))
    case("display_markdown_names.csv", "schools", "ok",
         note="Markdown image, link, bold, LaTeX and coloured text in names: load as text, shown inert")
    write("display_markdown_level.csv", csv_text(schools(rows={1: {2: MD_IMAGE}})))
    case("display_markdown_level.csv", "schools", "error", "err.bad_value", 2,
         note="a Markdown image as a level: the error quotes the cell, inert")
    geojson("display_markdown_names.geojson", compounds_fc(props={0: {"name": MD_NAMES[0]}, 1: {"name": MD_NAMES[1]},
                                                                 2: {"name": MD_NAMES[2]}}))
    case("display_markdown_names.geojson", "compounds", "ok", note="compounds named in Markdown: shown inert")


# --- zone lists (issue 10: one input must never freeze the server; zone lists decoded properly) ----------

ZONE_LIST = "芳潼小学：南河街、安熙街（芳顺路口至南河街口）\n桂设小学：宏星路单号\n"  # streets of the demo district
MB = 2**20


def make_zonelists() -> None:
    """Zone lists as they come: UTF-16 / UTF-32 (Excel's "Unicode text"), GB18030, bytes that are no text.
    The hostile ones, megabytes of text or brackets, are made on the fly (:func:`zonelist_bytes`)."""
    write("zonelist_utf16.txt", ZONE_LIST, encoding="utf-16")
    case("zonelist_utf16.txt", "zonelist", "ok", note="UTF-16 with BOM (Excel's 'Unicode text')")
    write("zonelist_utf32.txt", ZONE_LIST, encoding="utf-32")
    case("zonelist_utf32.txt", "zonelist", "ok", note="UTF-32 with BOM")
    write("zonelist_utf16le_nobom.txt", ZONE_LIST, encoding="utf-16-le")
    case("zonelist_utf16le_nobom.txt", "zonelist", "ok", note="UTF-16 LE without BOM")
    write("zonelist_gb18030.csv", "学校名称,划片范围\n芳潼小学,南河街、安熙街\n桂设小学,宏星路单号\n", encoding="gb18030")
    case("zonelist_gb18030.csv", "zonelist", "ok", note="a CSV list in GB18030")
    rnd = random.Random(12)
    write("zonelist_binary.txt", bytes(rnd.randrange(256) for _ in range(2048)))
    case("zonelist_binary.txt", "zonelist", "error", "err.not_text", note="random bytes named .txt: not decoded as garbage")


def zonelist_bytes(name: str) -> bytes:
    """The generated zone lists (``ZONELIST_GENERATED``), written by the test into a temporary folder."""
    if name == "zonelist_5mb_lines.txt":
        return (ZONE_LIST * (5 * MB // len(ZONE_LIST.encode()) + 1)).encode()
    if name == "zonelist_5mb_line.txt":
        return ("芳潼小学：" + "南河街、" * (5 * MB // 12 + 1) + "\n").encode()
    if name == "zonelist_nested_40k.txt":
        return ("芳潼小学：南河街、宏星路" + "(" * 20 * 1024 + ")" * 20 * 1024 + "、安熙街\n").encode()
    if name == "zonelist_unclosed_40k.txt":
        return ("芳潼小学：南河街、安熙街、宏星路" + "(" * 40 * 1024 + "\n").encode()
    if name == "zonelist_labels.txt":
        return ("芳潼小学：南河街、安熙街\n桂设小学：" + "包括：" * 10_000 + "宏星路\n").encode()
    if name == "zonelist_pieces.txt":
        return ("芳潼小学：" + "南河街、" * 60_000 + "\n").encode()
    if name == "zonelist_open_quote.csv":
        return ('学校名称,划片范围\n芳潼小学,"南河街、' + "安熙街、" * 40_000 + "\n桂设小学,宏星路\n").encode()
    raise KeyError(name)


ZONELIST_GENERATED = {
    "zonelist_5mb_lines.txt": ("zonelist", "error", "err.zone_too_large",
                               "5 MB of list lines: refused by its size (parse.MAX_ZONE_TEXT_BYTES), not parsed"),
    "zonelist_5mb_line.txt": ("zonelist", "error", "err.zone_too_large", "one 5 MB line: refused by its size"),
    "zonelist_nested_40k.txt": ("zonelist", "ok-with-warning", "zone.reason.too_long",
                                "40 KB of nested brackets after a street: that piece is too long, the others read"),
    "zonelist_unclosed_40k.txt": ("zonelist", "ok-with-warning", "zone.reason.too_long",
                                  "40 KB of unclosed brackets: that piece is too long, the others read"),
    "zonelist_labels.txt": ("zonelist", "ok-with-warning", "zone.reason.too_many_labels",
                            "10,000 labels (包括：) in one clause: an issue, not a stack overflow"),
    "zonelist_pieces.txt": ("zonelist", "error", "err.zone_too_many",
                            "60,000 streets on one line (0.7 MB): refused by their number (MAX_ZONE_PIECES)"),
    "zonelist_open_quote.csv": ("zonelist", "error", "err.zone_csv_field",
                                "a CSV quote never closed: a cell over the csv module's limit, named by its row"),
}
ZONELIST_ROWS = {"zonelist_pieces.txt": 1, "zonelist_open_quote.csv": 2}


# Files the test makes itself (too big to commit): name -> (loader, expect, key, note).
GENERATED = {
    "huge_upload.csv": ("schools", "error", "err.too_large",
                        "MAX_UPLOAD_BYTES + 1 bytes (sparse): refused by its size before it is read"),
    "figures_demo_clipped.osm": ("network", "ok-with-warning", "warn.osm_clipped",
                                 "the demo district clipped east of lon 104.291 (ways refer to nodes outside it): "
                                 "the parts inside are kept, with a warning (clipped_demo)"),
}


GENERATED.update(ZONELIST_GENERATED)


def main(out: Path = FILES, manifest: Path = MANIFEST) -> list[tuple]:
    """Write every file into ``out`` (emptied first) and the manifest; returns the cases."""
    import warnings

    global FILES
    FILES = Path(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's notes on laundered Shapefile field names and missing CRSs
        FILES.mkdir(parents=True, exist_ok=True)
        for old in FILES.iterdir():
            old.unlink()
        CASES.clear()
        make_tables()
        make_vectors()
        make_networks()
        make_figures()
        make_store()
        make_display()
        make_zonelists()
    for name, (loader, expect, key, note) in GENERATED.items():
        case(name, loader, expect, key, ZONELIST_ROWS.get(name, ""), note=note)
    with Path(manifest).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(CASES)
    print(f"{len(list(FILES.iterdir()))} files, {len(CASES)} cases -> {FILES}")
    return list(CASES)


if __name__ == "__main__":
    main()
