"""GCJ-02 / BD-09 transforms against published reference pairs, their exact inverses, swapped lon/lat, and
the GCJ-offset warning against the demo street network."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.inputs import coords, gcj_offset_warning, load_inputs, load_network, load_schools

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

# (WGS-84 lon, lat) -> (GCJ-02 lon, lat): the test vectors published with eviltransform (Shanghai, Shenzhen,
# Beijing), coordtransform's README example, and geoChina's Beijing pair (rounded to 8 decimals there).
WGS_GCJ = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((116.39089, 39.90734), (116.39713094, 39.90874107)),
]


@pytest.mark.parametrize("wgs, gcj", WGS_GCJ)
def test_wgs84_to_gcj02_matches_reference_pairs(wgs, gcj):
    x, y = coords.wgs84_to_gcj02(*wgs)
    assert x == pytest.approx(gcj[0], abs=1e-8) and y == pytest.approx(gcj[1], abs=1e-8)


@pytest.mark.parametrize("wgs, gcj", WGS_GCJ)
def test_gcj02_to_wgs84_is_the_exact_inverse(wgs, gcj):
    x, y = coords.gcj02_to_wgs84(*gcj)
    assert x == pytest.approx(wgs[0], abs=1e-8) and y == pytest.approx(wgs[1], abs=1e-8)


def test_gcj02_to_bd09_reference_pair():
    # coordtransform's published example: gcj02tobd09(116.404, 39.915).
    x, y = coords.gcj02_to_bd09(116.404, 39.915)
    assert x == pytest.approx(116.41036949371029, abs=1e-10) and y == pytest.approx(39.92133699351021, abs=1e-10)
    # Its bd09togcj02(116.404, 39.915) is the one-step approximation; ours is exact and within 5 cm of it.
    x, y = coords.bd09_to_gcj02(116.404, 39.915)
    assert x == pytest.approx(116.39762729119315, abs=5e-7) and y == pytest.approx(39.90865673957631, abs=5e-7)
    fx, fy = coords.gcj02_to_bd09(x, y)
    assert fx == pytest.approx(116.404, abs=1e-9) and fy == pytest.approx(39.915, abs=1e-9)


def test_round_trips_across_china_are_exact():
    rng = np.random.default_rng(5)
    lon = rng.uniform(74, 134, 2000)
    lat = rng.uniform(19, 53, 2000)
    for fwd, inv in ((coords.wgs84_to_gcj02, coords.gcj02_to_wgs84), (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
                     (coords.gcj02_to_bd09, coords.bd09_to_gcj02)):
        x, y = inv(*fwd(lon, lat))
        assert np.abs(x - lon).max() < 1e-9 and np.abs(y - lat).max() < 1e-9
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((gx - lon) * 111_000 * np.cos(np.radians(lat)), (gy - lat) * 111_000)
    assert 0 < shift_m.min() and shift_m.max() < 1000  # the offset is hundreds of metres, never kilometres


def test_gcj02_leaves_points_outside_china_alone_and_keeps_shapes():
    x, y = coords.wgs84_to_gcj02(np.array([2.35, -74.0]), np.array([48.85, 40.7]))
    assert x.tolist() == [2.35, -74.0] and y.tolist() == [48.85, 40.7]
    x, y = coords.gcj02_to_wgs84(np.array([[104.0, np.nan]]), np.array([[30.6, 30.6]]))
    assert x.shape == (1, 2) and np.isnan(x[0, 1]) and np.isfinite(x[0, 0])


def test_system_names():
    assert coords.check_system("GCJ-02") == "gcj02" and coords.check_system("Baidu") == "bd09"
    assert coords.check_system("WGS84") == "wgs84" and coords.check_system("amap") == "gcj02"
    with pytest.raises(ValueError):
        coords.check_system("cgcs2000-gauss")


def test_geometries_are_converted_vertex_by_vertex():
    poly = shapely.box(104.05, 30.65, 104.06, 30.66)
    out = coords.geometries_to_wgs84([poly, shapely.Point(104.05, 30.65), None], "gcj02")
    expect = coords.gcj02_to_wgs84(104.05, 30.65)
    assert out[1].x == pytest.approx(float(expect[0])) and out[1].y == pytest.approx(float(expect[1]))
    assert out[0].area == pytest.approx(poly.area, rel=1e-2) and out[2] is None


@pytest.mark.parametrize("lon, lat, verdict, row", [
    ([104.1, 104.2, 121.5], [30.6, 30.7, 31.2], "ok", None),
    ([30.6, 30.7, 31.2], [104.1, 104.2, 121.5], "swap", 0),
    ([104.1, 30.7, 104.3], [30.6, 104.2, 30.7], "ambiguous", 1),
    ([2.35, -74.0], [48.85, 40.7], "ok", None),  # valid both ways outside China: left alone
    ([40.0, 41.0], [120.0, -150.0], "swap", 0),  # latitudes over 90: swapped back anywhere
    ([np.nan, 30.6], [np.nan, 104.1], "swap", 1),
])
def test_swap_verdict(lon, lat, verdict, row):
    assert coords.swap_verdict(lon, lat) == (verdict, row)


@pytest.fixture(scope="module")
def demo_net():
    return load_network(DEMO / "district.osm")


def _demo_schools(system: str = "wgs84") -> gpd.GeoDataFrame:
    df = pd.read_csv(DEMO / "schools.csv")
    x, y = df["lon"].to_numpy(), df["lat"].to_numpy()
    if system == "gcj02":
        x, y = coords.wgs84_to_gcj02(x, y)
    elif system == "bd09":
        x, y = coords.wgs84_to_bd09(x, y)
    return gpd.GeoDataFrame(df[["id", "name"]], geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


def _gates(net, n: int = 12) -> gpd.GeoDataFrame:
    """Points on the streets (school gates): evenly spaced street nodes of the network."""
    ll = net.lonlat()
    idx = np.argsort(net.node_id)[np.linspace(0, net.n_nodes - 1, n).astype(int)]
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(ll[idx, 0], ll[idx, 1]), crs="EPSG:4326")


def test_gcj_offset_warning(demo_net):
    gates = _gates(demo_net)
    assert gcj_offset_warning(gates, demo_net, file="s.csv") is None
    gx, gy = coords.wgs84_to_gcj02(gates.geometry.x.to_numpy(), gates.geometry.y.to_numpy())
    shifted = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx, gy), crs="EPSG:4326")
    key, params = gcj_offset_warning(shifted, demo_net, file="s.csv")
    assert key == "warn.gcj_offset" and params["file"] == "s.csv"
    assert params["given"] > 20 and params["converted"] < 0.5 * params["given"]
    from geo.render.i18n import t

    assert "GCJ-02" in t(key, "en", **params) and "GCJ-02" in t(key, "zh", **params)


def test_no_gcj_warning_for_mid_block_points_on_a_regular_grid(demo_net):
    # The demo's schools and compounds sit inside blocks; on its regular grid many shifts of the GCJ
    # offset's length bring them near a street, so none is special and no warning is given.
    compounds = gpd.read_file(DEMO / "compounds.geojson")
    assert gcj_offset_warning(compounds, demo_net) is None
    assert gcj_offset_warning(_demo_schools(), demo_net) is None
    assert gcj_offset_warning(_demo_schools("gcj02"), demo_net) is None


def test_gcj_file_loaded_with_its_system_lands_on_the_wgs84_positions(tmp_path):
    df = pd.read_csv(DEMO / "schools.csv")
    for system, conv in (("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)):
        shifted = df.copy()
        shifted["lon"], shifted["lat"] = conv(df["lon"].to_numpy(), df["lat"].to_numpy())
        path = tmp_path / f"schools_{system}.csv"
        shifted.to_csv(path, index=False, float_format="%.9f")
        s, warnings = load_schools(path, coords=system)
        assert warnings == []
        assert np.abs(s.geometry.x.to_numpy() - df["lon"].to_numpy()).max() < 1e-8
        assert np.abs(s.geometry.y.to_numpy() - df["lat"].to_numpy()).max() < 1e-8


def test_load_inputs_warns_only_for_wgs84_tables_off_the_streets(tmp_path, demo_net):
    gates = _gates(demo_net)
    gx, gy = coords.wgs84_to_gcj02(gates.geometry.x.to_numpy(), gates.geometry.y.to_numpy())
    df = pd.DataFrame({"id": [f"G{i}" for i in range(len(gx))], "name": [f"校门{i}小学" for i in range(len(gx))],
                       "level": "primary", "capacity": 900, "lon": gx, "lat": gy})
    path = tmp_path / "gcj_schools.csv"
    df.to_csv(path, index=False, float_format="%.9f")
    inputs = load_inputs(DEMO / "district.osm", path, DEMO / "compounds.geojson")
    found = [w for w in inputs.warnings if w[0] == "warn.gcj_offset"]
    assert [w[1]["file"] for w in found] == ["gcj_schools.csv"]
    converted = load_inputs(DEMO / "district.osm", path, DEMO / "compounds.geojson", coords="gcj02")
    assert not [w for w in converted.warnings if w[0] == "warn.gcj_offset"]
    plain = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    assert not [w for w in plain.warnings if w[0] == "warn.gcj_offset"]
