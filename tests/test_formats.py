"""Formats: network sources beyond plain .osm (PBF through pyosmium, place names online only), and every
CSV / XLSX the project writes is formula-safe (one neutraliser, geo.render.export.safe_cell)."""

from __future__ import annotations

import csv
import io as _io
from pathlib import Path
from types import SimpleNamespace

import osmium
import pandas as pd
import pytest
import requests

from geo.errors import InputError, OfflineError
from geo.inputs import load_network, load_schools, network_from_place, osm

ROOT = Path(__file__).resolve().parents[1]
DEMO_OSM = ROOT / "data" / "demo" / "district.osm"


def test_pbf_loads_like_the_xml(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEQU_CACHE_DIR", str(tmp_path / "cache"))
    pbf = tmp_path / "district.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(DEMO_OSM)):
            writer.add(obj)
    a = load_network(DEMO_OSM, use_cache=False)
    b = load_network(pbf, use_cache=False)
    assert b.n_nodes == a.n_nodes and b.n_edges == a.n_edges
    assert abs(b.edge_length.sum() - a.edge_length.sum()) < 1e-3 * a.edge_length.sum()
    schools, _ = load_schools(pbf)
    assert len(schools) == 26


def test_corrupt_pbf_is_named(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x00\x00\x0dnot a pbf at all")
    with pytest.raises(InputError) as err:
        load_network(bad, use_cache=False)
    assert "broken.osm.pbf" in str(err.value)


def test_place_name_offline_gives_a_clear_message(monkeypatch):
    def offline(*args, **kwargs):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(osm.ox, "graph_from_place", offline)
    with pytest.raises(OfflineError) as err:
        network_from_place("成都市锦江区")
    assert err.value.key == "err.offline"
    assert "成都市锦江区" in err.value.message("zh") and "OSM" in err.value.message("zh")
    assert "internet" in str(err.value)


def test_unknown_place_is_not_called_offline(monkeypatch):
    def nothing(*args, **kwargs):
        raise osm.InsufficientResponseError("Nominatim geocoder returned 0 results")

    monkeypatch.setattr(osm.ox, "graph_from_place", nothing)
    with pytest.raises(InputError) as err:
        network_from_place("Atlantis")
    assert err.value.key == "err.place_not_found"


# --- every CSV / XLSX writer is formula-safe -----------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://x","点击")小学', "+cmd|' /C calc'!A0", "-2+3小学", "@SUM(A1:A2)", "\t=1+1小学",
           "\r=2小学"]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _live(cells) -> list[str]:
    """Text cells a spreadsheet would run as a formula (numbers such as -5 are numbers, not formulas)."""
    return [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_START) and not _number(c)]


def _csv_cells(data: bytes | str) -> list[str]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return [c for row in csv.reader(_io.StringIO(text, newline="")) for c in row]


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame({"school_id": HOSTILE, "name": [h + "校" for h in HOSTILE],
                         "names": [(h, "ok") for h in HOSTILE], "seats": [-5, 0, 1620, 45, 7, 1],
                         "share": [-0.25, 0.5, 1.0, 2.0, 0.0, 3.5]})


def test_each_writer_neutralises_formulas_and_keeps_numbers():
    from openpyxl import load_workbook

    from geo.inputs import demo
    from geo.official.report import report_csv
    from geo.render import export

    df = _hostile_frame()
    written = {
        "table_csv": export.table_csv(df.drop(columns="names")),
        "report_csv": report_csv(df),
        "unit_csv": export.unit_csv(SimpleNamespace(assignments=df.rename(columns={"school_id": "compound_id",
                                                                                   "name": "school_id"}))),
        "csv_text": export.csv_text([["学校名称", "=x"]] + [[h, "、".join(HOSTILE)] for h in HOSTILE]),
        "safe_frame": export.safe_frame(df).to_csv(index=False),
        "groups_csv": demo.groups_csv(SimpleNamespace(groups=df.rename(columns={"school_id": "group_id"}))),
    }
    for writer, data in written.items():
        cells = _csv_cells(data)
        assert len(cells) > 12 and not _live(cells), (writer, _live(cells))
        assert any(c.startswith("'=HYPERLINK") for c in cells), writer  # neutralised, not dropped
    table = list(csv.reader(_io.StringIO(written["table_csv"].decode("utf-8-sig"))))
    assert [r[2] for r in table[1:]] == ["-5", "0", "1620", "45", "7", "1"]  # numbers stay numbers
    assert table[1][3] == "-0.25"
    ws = load_workbook(_io.BytesIO(export.school_table_xlsx(df))).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert not _live([c.value for c in cells]) and ws.cell(row=2, column=4).value == -5


@pytest.fixture(scope="module")
def hostile_schools(tmp_path_factory) -> Path:
    """The demo's schools, every name one a spreadsheet would run as a formula."""
    schools = pd.read_csv(ROOT / "data" / "demo" / "schools.csv", dtype=str, keep_default_na=False)
    schools["name"] = [f"{HOSTILE[i % len(HOSTILE)]}{i:02d}" for i in range(len(schools))]
    path = tmp_path_factory.mktemp("hostile") / "hostile_schools.csv"
    schools.to_csv(path, index=False, quoting=csv.QUOTE_ALL)  # a bare CR in a name is quoted
    return path


def test_cli_writes_formula_safe_csv(hostile_schools, tmp_path):
    """`xuequ zones` (schools.csv) and `xuequ zonetext write --format csv` with names that are formulas."""
    from typer.testing import CliRunner

    from app.cli import cli

    demo = ROOT / "data" / "demo"
    args = ["--network", str(demo / "district.osm"), "--schools", str(hostile_schools),
            "--demand", str(demo / "compounds.geojson"), "--level", "primary", "--lang", "en"]
    runner = CliRunner()
    res = runner.invoke(cli, ["zonetext", "write", *args, "--format", "csv", "--out", str(tmp_path / "zones.csv")])
    assert res.exit_code == 0, res.output
    cells = _csv_cells((tmp_path / "zones.csv").read_bytes())
    assert len(cells) >= 2 * 20 and not _live(cells), _live(cells)
    assert sum(c.startswith("'=HYPERLINK") for c in cells) >= 2
    res = runner.invoke(cli, ["zones", *args, "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    cells = _csv_cells((tmp_path / "out" / "schools.csv").read_bytes())
    assert len(cells) > 20 * 10 and not _live(cells), _live(cells)


def test_official_view_zone_list_download_is_formula_safe(hostile_schools, downloads):
    from streamlit.testing.v1 import AppTest

    demo = ROOT / "data" / "demo"
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=180).run()
    at.sidebar.radio(key="view").set_value("official").run()
    at.sidebar.radio(key="dataset").set_value("path").run()
    at.sidebar.text_input(key="osm_path").input(str(demo / "district.osm"))
    at.sidebar.text_input(key="schools_path").input(str(hostile_schools))
    at.sidebar.text_input(key="compounds_path").input(str(demo / "compounds.geojson"))
    at.run()
    at.radio(key="zone_write_format").set_value("csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    cells = _csv_cells(downloads["zones-nearest-primary.csv"])
    assert len(cells) >= 2 * 20 and not _live(cells), _live(cells)
    assert sum(c.startswith("'=HYPERLINK") for c in cells) >= 2
