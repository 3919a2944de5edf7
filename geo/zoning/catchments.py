"""Catchment polygons that partition the study area and follow the streets.

Every street is sampled every few tens of metres; each sample goes to the school nearest to it over
the network (a point part-way along an edge reaches a school through whichever end is shorter, so a
boundary crosses a street at the equidistant point). Compound outlines are added as samples of their
own school. The Voronoi cells of all samples, dissolved by school and clipped to the study area, give
polygons with no gaps and no overlaps.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.network.graph import Network

SAMPLE_SPACING_M = 40.0
AREA_MARGIN_M = 300.0
NETWORK_MARGIN_M = 150.0
SAME_SCHOOL_SPACING = 4.0  # a street with one school at both ends: samples this many times farther apart


def study_area(xy: np.ndarray, network_xy: np.ndarray | None = None, margin: float = AREA_MARGIN_M) -> BaseGeometry:
    """The area to partition: the convex hull of the points (schools, compound outlines), widened by
    ``margin`` metres where the street network reaches (its hull widened by 150 m).

    Parameters
    ----------
    xy
        Points (projected, metres), ``n x 2``.
    network_xy
        The street nodes (projected, metres); default: no limit from the network.
    margin
        Metres.

    Returns
    -------
    area
        A polygon in the points' CRS.
    """
    hull = _convex_hull(np.asarray(xy, float))
    area = hull.buffer(margin)
    if network_xy is not None and len(network_xy) >= 3:
        reach = _convex_hull(np.asarray(network_xy, float)).buffer(NETWORK_MARGIN_M)
        area = area.intersection(reach).union(hull)
    return area


def _convex_hull(xy: np.ndarray) -> BaseGeometry:
    """The convex hull of many points, straight from the array (no point objects: a street network has 10^5-10^6
    nodes); GEOS for the few points or the degenerate sets (collinear, one point) Qhull does not take."""
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) > 1000:
        from scipy.spatial import ConvexHull, QhullError

        try:
            return shapely.Polygon(xy[ConvexHull(xy).vertices])
        except QhullError:
            pass
    return shapely.convex_hull(shapely.multipoints(xy))


def edge_samples(network: Network, node_label: np.ndarray, node_dist: np.ndarray,
                 spacing: float = SAMPLE_SPACING_M, edge_label: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Points along every street (nodes included) with the school each one goes to.

    Parameters
    ----------
    network
        The street network.
    node_label, node_dist
        Each node's school (index, -1: none) and its walk to it.
    spacing
        Metres between samples along a street.
    edge_label
        Each directed edge's own school (-1: none): where given, the points part-way along it take it (an
        official list's listed streets belong to their school along their whole length).

    Returns
    -------
    xy, label
        The samples (the nodes first, projected) and each one's school: a point part-way along a street
        takes the school of whichever end gives the shorter walk (or the street's own).

    Notes
    -----
    A street whose two ends go to the same school (and which has no school of its own) holds no boundary, so
    it is sampled only every ``SAME_SCHOOL_SPACING`` times ``spacing`` (enough to keep it inside its own
    polygon). A short street a boundary crosses gets one sample, placed so that the Voronoi bisector between it
    and the far end falls exactly where the walks from both ends are equal; a long one keeps the full
    ``spacing``. At city scale this leaves about half the sites.
    """
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    a, b = np.minimum(u, v), np.maximum(u, v)
    _, first = np.unique(a * network.n_nodes + b, return_index=True)  # one sample run per street segment
    u, v, length = u[first], v[first], network.edge_length[first]
    own = np.full(first.size, -1, np.int64) if edge_label is None else np.asarray(edge_label, np.int64)[first]
    same = (node_label[u] == node_label[v]) & (own < 0)
    split = ~same & (own < 0) & (length <= spacing * SAME_SCHOOL_SPACING)  # one exactly placed sample each
    step = np.where(same, spacing * SAME_SCHOOL_SPACING, spacing)
    m = np.maximum(np.ceil(length / step).astype(np.int64), 1)
    count = np.where(split, 0, m - 1)
    e = np.repeat(np.arange(u.size), count)
    j = np.arange(e.size) - np.repeat(np.cumsum(count) - count, count) + 1
    frac = j / m[e]
    ue, ve = u[e], v[e]
    x = network.x[ue] + (network.x[ve] - network.x[ue]) * frac
    y = network.y[ue] + (network.y[ve] - network.y[ue]) * frac
    via_u = node_dist[ue] + frac * length[e]
    via_v = node_dist[ve] + (1 - frac) * length[e]
    label = np.where(via_u <= via_v, node_label[ue], node_label[ve])
    label = np.where(own[e] >= 0, own[e], label)
    # The split point t (from u) has equal walks from both ends; a sample at 2t - L labelled as u (or at 2t
    # labelled as v) puts the bisector with the other end at t.
    su, sv, sl = u[split], v[split], length[split]
    du, dv = node_dist[su], node_dist[sv]
    t = np.where(np.isfinite(du) & np.isfinite(dv), (sl + dv - du) / 2, np.where(np.isfinite(du), sl, 0.0))
    t = np.clip(t, 0.05 * sl, 0.95 * sl)
    far_u = t >= sl / 2
    frac_s = np.where(far_u, 2 * t - sl, 2 * t) / np.maximum(sl, 1e-9)
    sx = network.x[su] + (network.x[sv] - network.x[su]) * frac_s
    sy = network.y[su] + (network.y[sv] - network.y[su]) * frac_s
    s_label = np.where(far_u, node_label[su], node_label[sv])
    xy = np.concatenate([network.xy, np.column_stack([x, y]), np.column_stack([sx, sy])])
    return xy, np.concatenate([node_label, label, s_label])


def outline_samples(geoms: np.ndarray, labels: np.ndarray, spacing: float = SAMPLE_SPACING_M
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Points on each unit's outline (plus a point inside it), labelled with the unit's school.

    Parameters
    ----------
    geoms
        Each unit's outline (projected).
    labels
        Each unit's school (index).
    spacing
        Metres between samples along an outline.

    Returns
    -------
    xy, label
        The samples and each one's school.
    """
    geoms = np.asarray(geoms, dtype=object)
    inside = shapely.get_coordinates(shapely.point_on_surface(geoms))
    rings = shapely.segmentize(shapely.boundary(geoms), spacing)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    xy = np.concatenate([inside, coords])
    return xy, np.concatenate([labels, labels[index]])


def polygons_from_sites(xy: np.ndarray, label: np.ndarray, n_labels: int, area: BaseGeometry) -> np.ndarray:
    """One (multi)polygon per label: Voronoi cells of the sites dissolved by label, clipped to ``area``.

    Parameters
    ----------
    xy
        The sites (projected, metres), ``n x 2``; non-finite rows are dropped.
    label
        Each site's label, ``0..n_labels-1``; sites labelled ``-1`` are left out of every polygon.
    n_labels
        How many polygons.
    area
        The area to partition.

    Returns
    -------
    polygons
        An object array of ``n_labels`` (multi)polygons; labels with no site get an empty polygon.
    """
    cells, cell_label = labelled_cells(xy, label, area)
    bounds = np.searchsorted(cell_label, np.arange(n_labels + 1))
    merged = np.empty(n_labels, dtype=object)
    for k in range(n_labels):
        lo, hi = bounds[k], bounds[k + 1]
        merged[k] = shapely.coverage_union_all(cells[lo:hi]) if hi > lo else shapely.Polygon()
    return clip_to_area(merged, area)


def labelled_cells(xy: np.ndarray, label: np.ndarray, area: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The Voronoi cells of the sites, each with its site's label, sorted by label (sites labelled -1 and
    non-finite ones left out; sites within a millimetre of each other are one site: the first listed decides).

    Parameters
    ----------
    xy
        The sites (projected, metres), ``n x 2``.
    label
        Each site's label (-1: none).
    area
        The area to cover (the cells reach 1 km past its bounds).

    Returns
    -------
    cells, label
        The cells (polygons, not clipped to ``area``) and their labels, ascending.
    """
    xy = np.asarray(xy, float)
    label = np.asarray(label, np.int64)
    ok = np.isfinite(xy).all(axis=1)
    xy, label = np.round(xy[ok], 3), label[ok]  # to the millimetre: sites closer than that are one site
    envelope = shapely.box(*shapely.bounds(area)).buffer(1000.0)
    if len(xy) <= 1:
        cells, cell_label = np.array([envelope] * len(xy), dtype=object), label
    else:
        cells, cell_label = _voronoi_cells(xy, label, envelope)
    keep = cell_label >= 0
    order = np.argsort(cell_label[keep], kind="stable")
    return cells[keep][order], cell_label[keep][order]


def clip_to_area(polys: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """``polys`` cut to ``area``; only those reaching past its edge are cut (most lie well inside it).

    Parameters
    ----------
    polys
        An object array of (multi)polygons.
    area
        The study area.

    Returns
    -------
    polygons
        A new object array.
    """
    out = np.asarray(polys, dtype=object).copy()
    shapely.prepare(area)
    outside = ~shapely.contains_properly(area, out) & ~shapely.is_empty(out)
    out[outside] = shapely.make_valid(shapely.intersection(out[outside], area))
    return _polygonal(out)


def street_catchments(network: Network, node_label: np.ndarray, node_dist: np.ndarray, unit_geoms: np.ndarray,
                      unit_label: np.ndarray, unit_xy: np.ndarray, school_xy: np.ndarray,
                      area: BaseGeometry) -> np.ndarray:
    """Catchments that follow the streets, straight from a labelling of the street nodes: samples along the
    streets (dense only where a boundary crosses one, :func:`edge_samples`) and on the compounds' outlines, with
    the street nodes and outline samples deep inside a catchment thinned out (each one left out still nearest to a
    site of its own school, :func:`_needed_sites`), their Voronoi cells dissolved by school, stray pieces absorbed (:func:`absorb_fragments`).

    Parameters
    ----------
    network
        The street network.
    node_label, node_dist
        Each node's school (index, -1: none) and its walk to where it is counted from (its school, or the entrance
        of the compound whose region it is in).
    unit_geoms, unit_label, unit_xy
        Each compound's outline (projected), school (index, -1: none) and anchor point.
    school_xy
        The schools (projected), ``k x 2``.
    area
        The study area.

    Returns
    -------
    polygons
        One (multi)polygon per school; together they partition ``area``.
    """
    k = len(school_xy)
    unit_label = np.asarray(unit_label, np.int64)
    xy, lab = edge_samples(network, node_label, node_dist)
    oxy, olab = outline_samples(unit_geoms, unit_label)
    n_street = len(xy)
    xy, lab = np.concatenate([xy, oxy]), np.concatenate([lab, olab])
    keep = _needed_sites(network, xy, lab, n_street, len(unit_label))
    polys = polygons_from_sites(xy[keep], lab[keep], k, area)
    return absorb_fragments(polys, np.concatenate([np.asarray(school_xy, float).reshape(-1, 2), unit_xy]),
                            np.concatenate([np.arange(k), unit_label]))


INTERIOR_CELL_M = 250.0  # deep inside a catchment, one street node per this many metres square is enough
THINNING_ROUNDS = 12  # nearest-site checks before every site left is kept (each round adds back the sites it finds)


def _needed_sites(network: Network, xy: np.ndarray, label: np.ndarray, n_street: int, n_units: int) -> np.ndarray:
    """Which sites a catchment drawing needs (a mask over ``xy``: the street nodes, the samples along the streets,
    each compound's inside point, then the compounds' outline samples).

    Always kept: the street nodes :func:`_boundary_nodes` keeps, the samples along the streets (they place the
    boundaries), each compound's inside point, the outline samples in or next to an ``INTERIOR_CELL_M`` square
    holding sites of two schools (the boundary follows the compounds there), and every site in or next to a square
    holding a site of no school (the hole stays its size). The rest (the other street nodes, the outline samples
    deep inside a catchment) may go, but a
    site left out must still fall in its own school's catchment, that is its nearest kept site must be of its
    school: those that fail are added back and the check repeats until none fails (a handful of rounds; at a river,
    say, the nodes facing another school's sites across it come back).
    """
    n = network.n_nodes
    label = np.asarray(label, np.int64)
    keep = np.ones(len(xy), bool)
    keep[:n] = _boundary_nodes(network, label[:n])
    fine = np.isfinite(xy).all(axis=1)
    keep |= ~fine
    if fine.any():
        from scipy.ndimage import maximum_filter, minimum_filter

        at = np.flatnonzero(fine)
        lab = label[at]
        ij = np.floor((xy[at] - xy[at].min(axis=0)) / INTERIOR_CELL_M).astype(np.int64) + 1
        shape = tuple(ij.max(axis=0) + 2)
        # Squares holding (or next to) a site of no school keep all their sites: the hole keeps its size.
        hole = np.zeros(shape, bool)
        hole[ij[lab < 0, 0], ij[lab < 0, 1]] = True
        near_hole = maximum_filter(hole, size=3)[ij[:, 0], ij[:, 1]]
        # Outline samples in squares holding (or next to) sites of two schools stay too: there the catchment
        # boundary hugs the compounds' outlines; deeper inside they decide nothing.
        lo = np.full(shape, np.iinfo(np.int64).max)
        hi = np.full(shape, np.iinfo(np.int64).min)
        np.minimum.at(lo, (ij[:, 0], ij[:, 1]), lab)
        np.maximum.at(hi, (ij[:, 0], ij[:, 1]), lab)
        mixed = (minimum_filter(lo, size=3) < maximum_filter(hi, size=3))[ij[:, 0], ij[:, 1]]
        outline = at >= n_street + n_units
        keep[at[outline]] = mixed[outline]
        keep[at[near_hole]] = True
    return _add_back_misplaced(xy, label, keep)


def _boundary_nodes(network: Network, node_label: np.ndarray) -> np.ndarray:
    """The street nodes always kept as sites: both ends of every street whose ends go to different schools, every
    node of no school (or no position), and one node per
    ``INTERIOR_CELL_M`` square and school (a coarse lattice deep inside each catchment)."""
    label = np.asarray(node_label, np.int64)
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    keep = label < 0
    cut = label[u] != label[v]
    keep[u[cut]] = keep[v[cut]] = True
    xy = network.xy
    fine = np.isfinite(xy).all(axis=1)
    keep |= ~fine
    if fine.any():
        nij = np.floor((xy[fine] - xy[fine].min(axis=0)) / INTERIOR_CELL_M).astype(np.int64)
        key = (nij[:, 0] * (int(nij[:, 1].max()) + 1) + nij[:, 1]) * (int(label.max()) + 2) + label[fine]
        _, first = np.unique(key, return_index=True)
        keep[np.flatnonzero(fine)[first]] = True
    return keep


def _add_back_misplaced(xy: np.ndarray, label: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``keep`` widened until every site left out has a nearest kept site of its own label (its Voronoi cell's
    owner): each round adds back the sites that fail, and only they can change the others' nearest site."""
    from scipy.spatial import cKDTree

    keep = keep.copy()
    dropped = np.flatnonzero(~keep)
    kept = np.flatnonzero(keep)
    if dropped.size == 0 or kept.size == 0:
        keep[:] = True
        return keep
    dist, nearest = cKDTree(xy[kept]).query(xy[dropped], workers=-1)
    nearest_label = label[kept][nearest]
    for _ in range(THINNING_ROUNDS):
        bad = nearest_label != label[dropped]
        if not bad.any():
            return keep
        added = dropped[bad]
        keep[added] = True
        dropped, dist, nearest_label = dropped[~bad], dist[~bad], nearest_label[~bad]
        if dropped.size == 0:
            return keep
        d_new, i_new = cKDTree(xy[added]).query(xy[dropped], workers=-1)  # only these can be nearer than before
        closer = d_new < dist
        dist[closer], nearest_label[closer] = d_new[closer], label[added][i_new[closer]]
    keep[:] = True  # not settled: every site kept, as without thinning
    return keep


def _voronoi_cells(xy: np.ndarray, label: np.ndarray, envelope: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The Voronoi cells of the sites (one per distinct location: the first listed decides) and each cell's
    label."""
    # Sites are rounded to the millimetre: one integer key per location sorts much faster than float pairs.
    ij = np.round((xy - xy.min(axis=0)) * 1000.0).astype(np.int64)
    span = int(ij[:, 1].max()) + 1
    if int(ij[:, 0].max()) < np.iinfo(np.int64).max // span:
        _, unique = np.unique(ij[:, 0] * span + ij[:, 1], return_index=True)  # the first listed of each location
    else:  # a continent's extent: compare the pairs
        _, unique = np.unique(ij, axis=0, return_index=True)
    unique.sort()
    xy, label = xy[unique], label[unique]
    sites = shapely.multipoints(xy)
    try:  # cells in the sites' order (GEOS >= 3.12)
        cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=envelope, ordered=True))
        if len(cells) == len(xy):
            return cells, label
    except (shapely.errors.GEOSException, shapely.errors.UnsupportedGEOSVersionError):
        pass
    cells = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=envelope))
    cell_i, site_i = shapely.STRtree(shapely.points(xy)).query(cells, predicate="contains")
    cell_label = np.full(len(cells), -1, np.int64)
    cell_label[cell_i] = label[site_i]
    return cells, cell_label


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop stray lines and points that clipping can leave next to the polygons."""
    out = np.empty(geoms.size, dtype=object)
    for i, g in enumerate(geoms):
        if g.geom_type in ("Polygon", "MultiPolygon") or g.is_empty:
            out[i] = g
        else:
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            out[i] = shapely.union_all(parts) if parts else shapely.Polygon()
    return out


MIN_PART_M2 = 50_000.0


def absorb_fragments(polys: np.ndarray, anchor_xy: np.ndarray, anchor_label: np.ndarray,
                     min_area: float = MIN_PART_M2) -> np.ndarray:
    """Merge stray pieces of catchments into their neighbours.

    A piece of a catchment is kept when it holds one of its school's anchors (the school itself or a
    compound zoned to it) or is at least ``min_area``; smaller empty pieces (a strip of street between
    two compounds of another school, say) go to the neighbouring catchment they share the longest
    border with. The pieces still partition the same area, so the result has no gaps or overlaps.

    Parameters
    ----------
    polys
        One (multi)polygon per school.
    anchor_xy
        Anchor points (projected, metres), ``n x 2``.
    anchor_label
        Each anchor's school (index).
    min_area
        Square metres.

    Returns
    -------
    polygons
        One (multi)polygon per school.
    """
    k = len(polys)
    parts, owner = shapely.get_parts(np.asarray(polys, dtype=object), return_index=True)
    if parts.size == 0:
        return polys
    label = owner.astype(np.int64)
    points = shapely.points(np.asarray(anchor_xy, float))
    part_i, pt_i = shapely.STRtree(points).query(parts, predicate="intersects")
    anchored = np.zeros(parts.size, bool)
    anchored[part_i[label[part_i] == np.asarray(anchor_label)[pt_i]]] = True
    orphan = ~anchored & (shapely.area(parts) < min_area)
    if not orphan.any():
        return polys
    tree = shapely.STRtree(parts)
    boundaries = shapely.boundary(parts)
    for _ in range(5):  # orphans next to orphans settle over a few rounds
        idx = np.flatnonzero(orphan)
        if idx.size == 0:
            break
        o_i, n_i = tree.query(parts[idx], predicate="touches")
        o_i = idx[o_i]
        ok = ~orphan[n_i] & (label[n_i] != label[o_i])
        o_i, n_i = o_i[ok], n_i[ok]
        if o_i.size == 0:
            break
        shared = shapely.length(shapely.intersection(boundaries[o_i], boundaries[n_i]))
        order = np.lexsort((-shared, o_i))
        o_i, n_i = o_i[order], n_i[order]
        first = np.ones(o_i.size, bool)
        first[1:] = o_i[1:] != o_i[:-1]
        label[o_i[first]] = label[n_i[first]]
        orphan[o_i[first]] = False
    out = np.asarray(polys, dtype=object).copy()
    changed = np.unique(np.concatenate([owner[label != owner], label[label != owner]]))
    order = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[order], np.arange(k + 1))
    for s in changed:  # only the catchments that gave or took a piece are redrawn
        mine = parts[order[bounds[s]:bounds[s + 1]]]
        out[s] = shapely.coverage_union_all(mine) if mine.size else shapely.Polygon()
    return _polygonal(out)
