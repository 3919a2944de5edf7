"""The bad-input corpus through the loaders: every file either loads as its manifest says, or raises an
InputError (never another exception) whose message names the file, and the row where it is about one."""

from __future__ import annotations

import csv
import importlib.util
import io as _io
import re
import zipfile

import pandas as pd
import pytest
from corpus import CASES, FILES, GENERATED, MANIFEST, Case, materialise, run_case
from openpyxl import load_workbook

from geo.errors import InputError
from geo.inputs import load_schools
from geo.inputs.tables import MAX_UPLOAD_BYTES
from geo.render import export
from geo.render.i18n import TEXT, t

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_corpus_is_big_enough_and_matches_its_manifest():
    files = {p.name for p in FILES.iterdir()}
    listed = {c.file for c in CASES}
    assert len(files) + len(GENERATED) >= 40
    assert files == listed - set(GENERATED), "every committed file is in the manifest and the other way round"
    assert {c.loader for c in CASES} >= {"schools", "compounds", "network", "inputs", "zoning"}
    for c in CASES:
        assert c.expect in ("ok", "ok-with-warning", "error"), c
        assert c.key or c.expect == "ok", c
        assert not c.key or c.key in TEXT, c


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, tmp_path):
    path = materialise(case, tmp_path)
    if case.expect == "error":
        with pytest.raises(InputError) as info:
            run_case(case, path)
        err = info.value
        assert err.key == case.key, (err.key, str(err))
        english, chinese = str(err), err.message("zh")
        assert case.file in english and case.file in chinese, english
        assert english != err.key and "{" not in english and "{" not in chinese
        if case.row is not None:
            assert err.params.get("row") == case.row, english
            assert f"row {case.row}" in english and f"第 {case.row} 行" in chinese
        return
    result, warnings = run_case(case, path)
    keys = [w[0] for w in warnings]
    if case.expect == "ok-with-warning":
        assert case.key in keys, keys
        for key, params in warnings:  # every warning is a real, complete message
            assert key in TEXT
            assert "{" not in t(key, "en", **params) and "{" not in t(key, "zh", **params)
    if case.loader in ("schools", "compounds"):
        assert len(result) > 0
    if case.loader == "zonelist":  # decoded, not garbage: the demo's streets are read
        assert {"南河街", "安熙街"} <= set(result.entries["street"]), result.entries["street"].tolist()


def test_the_big_upload_is_refused_before_it_is_read(tmp_path, monkeypatch):
    case = next(c for c in CASES if c.file in GENERATED)
    path = materialise(case, tmp_path)
    assert path.stat().st_size == MAX_UPLOAD_BYTES + 1
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read a file over the size limit"))
    with pytest.raises(InputError) as info:
        load_schools(path)
    assert info.value.key == "err.too_large" and case.file in str(info.value)


def test_the_corpus_generator_is_deterministic(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", FILES.parent / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(tmp_path / "files", tmp_path / "manifest.csv")
    assert (tmp_path / "manifest.csv").read_bytes() == MANIFEST.read_bytes()
    for p in sorted(FILES.iterdir()):
        again = (tmp_path / "files" / p.name).read_bytes()
        if p.suffix in (".gpkg",) or p.name.endswith("shp.zip") or p.name.startswith("shp_"):
            continue  # written by GDAL: byte-identical only for the same GDAL version
        assert again == p.read_bytes(), p.name


# --- exports cannot run as formulas ----------------------------------------------------------------------

def _hostile_schools():
    table, _ = load_schools(FILES / "formula_cells.csv")
    html, _ = load_schools(FILES / "html_names.csv")
    return table, html


def test_hostile_names_load_as_plain_text():
    table, html = _hostile_schools()
    assert table["name"].iloc[0].startswith("=HYPERLINK")
    assert table["note"].tolist()[:4] == ["=1+1", "+cmd|' /C calc'!A0", "-1", "@x"]
    assert html["name"].iloc[0] == "<script>alert('x')</script>九年一贯制学校"


def test_csv_export_cannot_run_as_formulas():
    table, html = _hostile_schools()
    for tab in (table, html):
        data = export.table_csv(tab.drop(columns="geometry"))
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(_io.StringIO(data.decode("utf-8-sig"), newline="")))
        cells = [c for r in rows for c in r]
        assert cells and not [c for c in cells if c.startswith(FORMULA_START)]
    text = export.table_csv(table.drop(columns="geometry")).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@x" in text and "'-1" in text


def test_csv_export_handles_string_dtypes_and_geodataframes():
    df = pd.DataFrame({"name": pd.array(["=1+2", "ok", None], dtype="string"), "n": [1, -2, 3]})
    rows = list(csv.reader(_io.StringIO(export.table_csv(df).decode("utf-8-sig"))))
    assert rows[1] == ["'=1+2", "1"] and rows[2] == ["ok", "-2"]  # numbers stay numbers
    table, _ = _hostile_schools()
    assert b"POINT" not in export.table_csv(table)  # the geometry column is not exported


def test_xlsx_export_has_no_formulas():
    table, html = _hostile_schools()
    for tab in (table, html):
        data = export.school_table_xlsx(tab)
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
            for n in sheets:
                assert not re.search(rb"<f[ >]", zf.read(n)), "a formula element in the sheet"
        ws = load_workbook(_io.BytesIO(data)).active
        values = [c for row in ws.iter_rows() for c in row]
        assert all(c.data_type != "f" for c in values)
        texts = [c.value for c in values if isinstance(c.value, str)]
        assert texts and not [v for v in texts if v.startswith(FORMULA_START)]
    ws = load_workbook(_io.BytesIO(export.school_table_xlsx(table))).active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["school_id", "name", "level"] and "geometry" not in header
    assert ws.cell(row=2, column=2).value.startswith("'=HYPERLINK")
    capacity = ws.cell(row=2, column=header.index("capacity") + 1).value
    assert capacity == table["capacity"].iloc[0] and isinstance(capacity, int)
