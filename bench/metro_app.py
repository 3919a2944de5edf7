"""The metro case in the page (issue 14): a 500k-node generated city written as a PBF file (50,000 compound
polygons, 1,000 schools) is typed into the sidebar's OSM path box of a running app, and the seconds until the map is
drawn on its street basemap are measured in Chromium (Playwright), first with an empty cache (the file parsed) and
then in a second browser session (the network from the cache). Target: first map < 15 s.

The PBF is generated once into ``build/bench/`` (about 25 s, not timed) with the same writer as the PBF tests.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
METRO_SIDE, METRO_SCHOOLS, METRO_COMPOUNDS = 707, 1_000, 50_000
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
TARGET_S = 15.0


def metro_pbf() -> Path:
    """The metro city as a PBF file (written once)."""
    path = ROOT / "build" / "bench" / f"metro-{METRO_SIDE}-{METRO_SCHOOLS}-{METRO_COMPOUNDS}.osm.pbf"
    if not path.is_file():
        from tests.test_geo_osm_pass import write_city

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.pbf")
        tmp.unlink(missing_ok=True)
        write_city(tmp, METRO_SIDE, schools=METRO_SCHOOLS, compounds=METRO_COMPOUNDS)
        tmp.rename(path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(cache_dir: str | Path, data_dir: str | Path, timeout_s: float = 60.0) -> Iterator[str]:
    """The app served by ``streamlit run`` on a free local port with its own cache and data folders; yields its
    URL once it answers, and stops it afterwards. Raises RuntimeError when it does not start in time."""
    port = _free_port()
    env = dict(os.environ, XUEQU_CACHE_DIR=str(cache_dir), XUEQU_DATA_DIR=str(data_dir))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "main.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _first_map(browser, url: str, pbf: Path) -> dict:
    """Open the page, wait for the demo's map, type the PBF's path, and time until its map is drawn."""
    page = browser.new_page(viewport={"width": 1500, "height": 1250})
    page.goto(url, wait_until="domcontentloaded")
    page.frame_locator(MAP_IFRAME).first.locator(".leaflet-xuequStreets-pane canvas").first.wait_for(
        state="attached", timeout=180_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("OSM 文件路径", exact=True).click(timeout=60_000)
    box = sidebar.get_by_label("OSM 文件（.osm / .osm.bz2 / .osm.pbf）", exact=True)
    box.fill(str(pbf))
    t = time.perf_counter()
    box.press("Enter")
    page.get_by_text(re.compile(r"50,?000 个小区")).first.wait_for(timeout=600_000)
    counted = time.perf_counter() - t
    frame = page.frame_locator(MAP_IFRAME).first
    frame.locator(".leaflet-xuequStreets-pane canvas").first.wait_for(state="attached", timeout=600_000)
    frame.locator(".xuequ-legend").first.wait_for(state="attached", timeout=600_000)
    drawn = time.perf_counter() - t
    page.screenshot(path=str(ROOT / "build" / "bench" / "metro-app.png"))
    page.close()
    return {"counted": counted, "drawn": drawn}


def metro_app_case() -> dict:
    """Both timings (cold and from the network cache), each in its own browser session on one server."""
    from playwright.sync_api import sync_playwright

    pbf = metro_pbf()
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as data, \
            running_app(cache, data) as url, sync_playwright() as p:
        results = {}
        for name in ("cold", "warm"):  # each in a browser of its own; the server keeps its caches
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            results[name] = _first_map(browser, url, pbf)
            browser.close()
    cold, warm = results["cold"], results["warm"]
    return {"cold": cold, "warm": warm}


def metro_app_section() -> tuple[list[str], list[str]]:
    """The metro city's first map in the page, in Chromium."""
    if not Path(CHROMIUM).exists():
        return [], [f"metro in the page: skipped ({CHROMIUM} missing: `make chromium`)"]
    r = metro_app_case()
    lines = ["", "### Metro scale in the page: first map of a 500k-node city (seconds)", "",
             f"A generated PBF ({METRO_SIDE}x{METRO_SIDE} street grid, {METRO_SCHOOLS:,} schools, "
             f"{METRO_COMPOUNDS:,} compound polygons) typed into the OSM path box of a running app; Chromium "
             "(Playwright). Cold: an empty cache (the file parsed); warm: a new browser session, the same file.", "",
             "| run | compounds counted | map drawn |", "|---|---:|---:|"]
    for name in ("cold", "warm"):
        lines.append(f"| {name} | {r[name]['counted']:.1f} | {r[name]['drawn']:.1f} |")
    print("\n".join(lines[-2:]), flush=True)
    ok = r["cold"]["drawn"] < TARGET_S
    return lines, [f"metro first map in the page: {r['cold']['drawn']:.1f} s cold, {r['warm']['drawn']:.1f} s warm "
                   f"(target < {TARGET_S:.0f} s: {'PASS' if ok else 'FAIL'})"]
