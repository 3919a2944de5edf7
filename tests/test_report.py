"""The PDF report (geo.render.report, ``xuequ report``): A4 pages, a Chinese font embedded, the school names, the
changes, the warnings and the balanced-development summary; the map rendered; a clear error without a CJK font."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CHENGDU_OSM, DEMO, require_shared
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.cli import cli
from geo.equity.audit import balance
from geo.equity.stats import has_audit_columns
from geo.errors import InputError
from geo.render import report
from geo.render.report import cjk_font, report_pdf
from geo.zoning.scenario import Scenario, run_scenario

runner = CliRunner()
A4 = (595.3, 841.9)


def _text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _fonts(path) -> set[str]:
    """Names of the embedded TrueType fonts of every page."""
    out = set()
    for page in PdfReader(path).pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            desc = f.get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                out.add(str(f["/BaseFont"]))
    return out


@pytest.fixture(scope="module")
def demo_pdf(demo_inputs, tmp_path_factory):
    optimal = run_scenario(demo_inputs, Scenario("primary", "optimal"))
    nearest = run_scenario(demo_inputs, Scenario("primary", "network"))
    assert has_audit_columns(demo_inputs.schools)
    pdf = report_pdf(optimal, network=demo_inputs.network, other=nearest, other_label="最近学校划片",
                     balance=balance(demo_inputs.schools, "primary"),
                     warnings=[("warn.straight_line", {})] * 3, title="演示城区", base_schools=demo_inputs.schools)
    path = tmp_path_factory.mktemp("report") / "demo.pdf"
    path.write_bytes(pdf)
    return path, optimal


def test_demo_report_pages_text_and_font(demo_pdf):
    path, plan = demo_pdf
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    assert all(abs(float(p.mediabox.width) - A4[0]) < 1 and abs(float(p.mediabox.height) - A4[1]) < 1
               for p in reader.pages)
    text = _text(path)
    assert "演示城区 · 小学划片方案" in text and "容量约束最优划片" in text
    for name in plan.table["name"]:
        assert name in text, name  # every school, in Chinese
    assert "与“最近学校划片”相比的变化" in text and "个小区" in text
    assert "优质均衡" in text and "综合差异系数" in text
    assert "提示（3 条）" in text
    assert any("WenQuanYi" in f or "Hei" in f for f in _fonts(path)), _fonts(path)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
def test_demo_report_first_page_renders(demo_pdf, tmp_path):
    path, _ = demo_pdf
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")], check=True)
    png = next(tmp_path.glob("p*.png"))
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colours = len(img.resize((100, 140)).getcolors(maxcolors=100_000) or ())
    assert img.size[0] < img.size[1] and colours > 50  # a page with a coloured map, not a blank one


def test_missing_cjk_font_names_what_to_install(monkeypatch):
    monkeypatch.delenv(report.FONT_ENV, raising=False)
    monkeypatch.setattr(report, "FONT_CANDIDATES", ("/nonexistent/wqy-microhei.ttc",))
    with pytest.raises(InputError) as err:
        cjk_font()
    assert err.value.key == "err.report_font"
    assert "fonts-wqy-microhei" in err.value.message("zh") and "XUEQU_CJK_FONT" in err.value.message("en")
    monkeypatch.setenv(report.FONT_ENV, "/nonexistent/font.ttf")
    with pytest.raises(InputError, match="font.ttf"):
        cjk_font()


def test_cli_report_on_the_demo(tmp_path):
    out = tmp_path / "r.pdf"
    res = runner.invoke(cli, ["report", "--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
                              "--demand", str(DEMO / "compounds.geojson"), "--method", "optimal", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = _text(out)
    assert "最近学校划片" in text and "优质均衡" in text


def test_cli_report_on_chengdu(tmp_path):
    osm = require_shared(CHENGDU_OSM)
    out = tmp_path / "chengdu.pdf"
    res = runner.invoke(cli, ["report", "--network", str(osm), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = _text(out)
    assert "chengdu.osm · 小学划片方案" in text and "最近学校（路网步行距离）" in text
    assert "小学" in text and "OSM 学校" in text  # school names and the warnings, in Chinese
    assert len(PdfReader(out).pages) >= 2


def test_page_makes_the_report_on_a_click(downloads, tmp_path):
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app" / "main.py"), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.get("download_button") if b.proto.label == "下载 PDF 报告"]  # nothing made unasked
    at.button(key="make_report").click().run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    pdf = downloads["report-primary-network.pdf"]
    assert bytes(pdf[:5]) == b"%PDF-"
    (tmp_path / "page.pdf").write_bytes(pdf)
    assert "20 所学校" in _text(tmp_path / "page.pdf")


def test_cli_report_against_an_official_list(tmp_path):
    args = ["--network", str(DEMO / "district.osm"), "--schools", str(DEMO / "schools.csv"),
            "--demand", str(DEMO / "compounds.geojson")]
    zones = tmp_path / "zones.md"
    res = runner.invoke(cli, ["zonetext", "write", *args, "--method", "network", "--format", "markdown",
                              "--out", str(zones)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "r.pdf"
    res = runner.invoke(cli, ["report", *args, "--method", "optimal", "--zones", str(zones), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = _text(out)
    assert "与“zones.md”相比的变化" in text and "名学生换了学校" in text
