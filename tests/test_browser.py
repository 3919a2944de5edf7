"""One real-browser smoke test: the app starts, the map renders with catchments, a screenshot is saved.

Playwright drives Debian's Chromium (/usr/bin/chromium, installed by `make test`); never `playwright install`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOT = ROOT / "build" / "screenshot.png"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    env = dict(os.environ, XUEQU_CACHE_DIR=str(tmp_path_factory.mktemp("cache")),
               XUEQU_DATA_DIR=str(tmp_path_factory.mktemp("data")))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_map_renders_with_catchments(server):
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make test`, which installs it"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1500, "height": 1250})
        page.goto(server, wait_until="domcontentloaded")
        frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
        frame.locator(".leaflet-container").wait_for(timeout=90_000)
        paths = frame.locator("path.leaflet-interactive")
        paths.first.wait_for(timeout=60_000)
        assert paths.count() >= 20 + 300  # catchments, compounds (and school markers)
        assert frame.locator(".xuequ-legend").count() == 1
        page.get_by_text("所学校").first.wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOT), full_page=False)
        browser.close()
    assert SHOT.stat().st_size > 10_000


def _cell(page, school_id: str, col: int) -> str:
    """A cell of the school table, read from the grid's accessible rows (school id first)."""
    row = page.locator('[data-testid="stDataFrame"]').first.locator('[role="row"]', has_text=school_id).first
    return row.locator('[role="gridcell"]').nth(col).inner_text().strip()


def test_click_a_compound_and_reassign_it(server):
    """Select a compound by clicking it on the map, move it to another school, see the table change."""
    import geopandas as gpd
    from playwright.sync_api import expect, sync_playwright

    compounds = gpd.read_file(ROOT / "data" / "demo" / "compounds.geojson")
    first = compounds.iloc[0]
    pt = first.geometry.representative_point()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        page.goto(f"{server}/?view=edit", wait_until="domcontentloaded")
        iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
        page.frame_locator('iframe[title="streamlit_folium.st_folium"]').first.locator(
            "path.leaflet-interactive").first.wait_for(timeout=90_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        before = int(_cell(page, "P05", 3))

        iframe.scroll_into_view_if_needed()
        frame = iframe.element_handle().content_frame()
        x, y = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]); "
                              "return [p.x, p.y]; }", [pt.y, pt.x])
        box = iframe.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        expect(page.get_by_text(f"1 个小区，{int(first['children_primary'])} 名学生")).to_be_visible(timeout=30_000)

        page.locator('[data-testid="stSelectbox"]', has_text="改划到").click()
        page.get_by_role("option", name="(P05)").click()
        page.get_by_role("button", name="改划", exact=True).click()
        expect(page.get_by_text("已生效 1 / 1 步编辑", exact=False)).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)
        after = int(_cell(page, "P05", 3))
        browser.close()
    assert after == before + int(first["children_primary"])
