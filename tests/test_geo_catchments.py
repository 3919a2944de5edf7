"""Catchment polygons from labelled sites: a partition of the area, each site inside its own label's polygon."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.zoning.catchments import absorb_fragments, polygons_from_sites, study_area

SPACING = 37.0  # metres between grid points the sites are drawn from
GRID = 12
AREA = shapely.box(-50.0, -50.0, GRID * SPACING + 20.0, GRID * SPACING + 35.0)


@st.composite
def labelled_sites(draw):
    cells = draw(st.lists(st.tuples(st.integers(0, GRID), st.integers(0, GRID)), min_size=1, max_size=40,
                          unique=True))
    # Jitter within a cell (less than half the spacing) so sites are distinct but not on a perfect lattice.
    jitter = draw(st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), min_size=len(cells),
                           max_size=len(cells)))
    xy = np.array(cells, float) * SPACING + np.array(jitter)
    n_labels = draw(st.integers(1, 6))
    label = np.array(draw(st.lists(st.integers(0, n_labels - 1), min_size=len(cells), max_size=len(cells))))
    return xy, label, n_labels


def assert_partition(polys, area, rel=1e-6):
    assert all(shapely.is_valid(p) for p in polys)
    assert all(p.is_empty or p.geom_type in ("Polygon", "MultiPolygon") for p in polys)
    areas = np.array([p.area for p in polys])
    assert abs(areas.sum() - area.area) <= rel * area.area  # no gaps (given no overlaps) ...
    union = shapely.union_all([p for p in polys if not p.is_empty])
    assert abs(union.area - areas.sum()) <= rel * area.area  # ... and no overlaps
    assert union.symmetric_difference(area).area <= rel * area.area


@settings(max_examples=30, deadline=None)
@given(labelled_sites())
def test_polygons_partition_the_area_and_hold_their_sites(case):
    xy, label, n_labels = case
    polys = polygons_from_sites(xy, label, n_labels, AREA)
    assert len(polys) == n_labels
    assert_partition(polys, AREA)
    for (x, y), lab in zip(xy, label):
        pt = shapely.Point(x, y)
        assert polys[lab].contains(pt), (x, y, lab)
        for other in range(n_labels):
            if other != lab:
                assert not polys[other].contains(pt)
    used = set(label.tolist())
    for k in range(n_labels):
        assert polys[k].is_empty == (k not in used)


@settings(max_examples=30, deadline=None)
@given(labelled_sites())
def test_absorbing_fragments_keeps_the_partition_and_the_anchors(case):
    xy, label, n_labels = case
    polys = polygons_from_sites(xy, label, n_labels, AREA)
    # Anchor only the first site of each label; everything else small enough may be absorbed.
    _, first = np.unique(label, return_index=True)
    out = absorb_fragments(polys, xy[first], label[first], min_area=AREA.area / 4)
    assert_partition(out, AREA)
    for (x, y), lab in zip(xy[first], label[first]):
        assert out[lab].contains(shapely.Point(x, y))


def test_two_sites_split_a_square_down_the_middle():
    area = shapely.box(0, 0, 100, 100)
    polys = polygons_from_sites(np.array([[25.0, 50.0], [75.0, 50.0]]), np.array([0, 1]), 2, area)
    assert polys[0].symmetric_difference(shapely.box(0, 0, 50, 100)).area < 1e-6
    assert polys[1].symmetric_difference(shapely.box(50, 0, 100, 100)).area < 1e-6


def test_one_site_gets_the_whole_area_and_unused_labels_are_empty():
    area = shapely.box(0, 0, 100, 100)
    polys = polygons_from_sites(np.array([[10.0, 10.0]]), np.array([1]), 3, area)
    assert polys[0].is_empty and polys[2].is_empty
    assert polys[1].symmetric_difference(area).area < 1e-6


def test_unlabelled_sites_are_left_out():
    area = shapely.box(0, 0, 100, 100)
    polys = polygons_from_sites(np.array([[25.0, 50.0], [75.0, 50.0]]), np.array([0, -1]), 1, area)
    assert polys[0].symmetric_difference(shapely.box(0, 0, 50, 100)).area < 1e-6


def test_study_area_covers_the_points_with_a_margin():
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 500.0]])
    area = study_area(xy, margin=100.0)
    for x, y in xy:
        assert area.contains(shapely.Point(x, y).buffer(99.0))
    assert not area.contains(shapely.Point(-101.0, 0.0))
