"""Shared fixtures: a private network cache for the whole run, and the demo and Chengdu inputs loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHENGDU_OSM = SHARED_DATA / "chengdu-central" / "chengdu.osm"
SHANGHAI_OSM = SHARED_DATA / "shanghai-huangpu" / "shanghai.osm"


@pytest.fixture(scope="session", autouse=True)
def xuequ_cache_dir(tmp_path_factory):
    """Every compiled network and stored scenario of the run goes to temporary folders, never to ~."""
    path = tmp_path_factory.mktemp("xuequ-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("XUEQU_CACHE_DIR", str(path))
    mp.setenv("XUEQU_DATA_DIR", str(tmp_path_factory.mktemp("xuequ-data")))
    mp.setenv("XUEQU_STRICT_TEXT", "1")  # a text key missing from geo/render/text.toml raises (geo.render.i18n)
    # Paths typed in the page are read only inside the data roots (geo.inputs.paths): the checkout, the real data,
    # and this run's temporary folders (tests give the page files they write there).
    mp.setenv("XUEQU_DATA_ROOT", os.pathsep.join(str(p) for p in (ROOT, SHARED_DATA, tmp_path_factory.getbasetemp())))
    yield path
    mp.undo()


def require_shared(path: Path) -> Path:
    """The real-data file at ``path``; a skip on a developer's machine without ../shared, a failure in CI.

    CI lays ../shared beside the checkout, so under ``CI=true`` a missing file means the test would prove
    nothing: it fails instead of skipping silently.
    """
    if not path.exists():
        message = f"real data not present: {path} (see ../shared/data/README.md)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " -- required under CI=true", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def demo_inputs():
    from geo.inputs import load_inputs

    return load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")


@pytest.fixture(scope="session")
def chengdu_inputs():
    from geo.inputs import load_inputs

    return load_inputs(require_shared(CHENGDU_OSM))


@pytest.fixture(scope="session")
def chengdu_primary(chengdu_inputs):
    from geo.zoning.scenario import Scenario, run_scenario

    return run_scenario(chengdu_inputs, Scenario("primary", "network"))


@pytest.fixture
def downloads(monkeypatch):
    """Everything the page hands to download buttons, by file name (files made on click are made here)."""
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    captured: dict[str, object] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        captured[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    def deferred(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        out = data_callable()  # what a click on the button would download
        captured[file_name] = out.encode() if isinstance(out, str) else out
        return original_deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kw)

    original_deferred = MediaFileManager.add_deferred
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    monkeypatch.setattr(MediaFileManager, "add_deferred", deferred)
    return captured


def same_result(a, b, polygons: bool = True) -> None:
    """Two results of the same plan agree on every figure and, with ``polygons``, every catchment (up to float
    noise): the editor, a scenario and an imported official plan all end in one result builder."""
    import numpy as np
    import shapely

    x, y = a.assignments, b.assignments
    assert x["compound_id"].tolist() == y["compound_id"].tolist()
    assert x["school_id"].tolist() == y["school_id"].tolist()
    np.testing.assert_allclose(x["distance_m"], y["distance_m"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(x["straight_m"], y["straight_m"], rtol=1e-9, atol=1e-6)
    cols = ["school_id", "children", "seats", "compounds", "over_capacity"]
    assert a.table[cols].values.tolist() == b.table[cols].values.tolist()
    np.testing.assert_allclose(a.table[["mean_m", "p90_m"]], b.table[["mean_m", "p90_m"]], rtol=1e-9, atol=1e-6)
    for key in ("children", "mean_m", "within_radius", "over_capacity", "islands"):
        assert a.summary[key] == pytest.approx(b.summary[key], rel=1e-9), key
    if not polygons:
        return
    np.testing.assert_allclose(a.table["compactness"], b.table["compactness"], rtol=1e-9, atol=1e-6)
    pa, pb = a.catchments.geometry.to_numpy(), b.catchments.geometry.to_numpy()
    total = shapely.area(pa).sum()
    assert shapely.area(shapely.symmetric_difference(pa, pb)).sum() <= 1e-9 * total
