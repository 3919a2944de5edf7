"""The offline street basemap: the loaded street network drawn as the map's background when there is no tile server.

:func:`street_lines` merges the network's edges into one simplified line per street (class and name) in WGS-84;
:func:`street_layer` draws them as thin lines weighted by class under the catchments, with the street names
(escaped) as tooltips and, from zoom 16, as labels; the district boundary is drawn as a dashed outline. The
lines travel once, as one packed object (integer steps, :func:`streets_packed`), whatever the number of streets.
"""

from __future__ import annotations

import html
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry.base import BaseGeometry

from geo.network.graph import Network

# OSM highway classes by rank: 0 major roads, 1 secondary / tertiary, 2 local streets, 3 service ways and paths.
_RANK = {
    "motorway": 0, "trunk": 0, "primary": 0, "motorway_link": 0, "trunk_link": 0, "primary_link": 0,
    "secondary": 1, "tertiary": 1, "secondary_link": 1, "tertiary_link": 1,
    "residential": 2, "unclassified": 2, "living_street": 2, "road": 2,
}
RANK_WEIGHT = (3.0, 2.0, 1.2, 0.6)
RANK_COLOUR = ("#8d8d8d", "#a3a3a3", "#b8b8b8", "#cfcfcf")
SIMPLIFY_M = 4.0


def highway_rank(highway: np.ndarray) -> np.ndarray:
    """The drawing rank of each OSM highway class (0 major road ... 3 service way or path).

    Parameters
    ----------
    highway
        OSM ``highway`` values.

    Returns
    -------
    rank
        An integer array of the same length.
    """
    values, inverse = np.unique(np.asarray(highway, dtype=str), return_inverse=True)  # a few dozen classes
    ranks = np.array([_RANK.get(h.split(";")[0], 3) for h in values], dtype=np.int8)
    return ranks[inverse.ravel()] if values.size else np.zeros(0, np.int8)


def street_lines(network: Network, *, tolerance_m: float = SIMPLIFY_M, projected: bool = False) -> gpd.GeoDataFrame:
    """The network's streets merged into one simplified (multi)line per class and name, in WGS-84.

    Parameters
    ----------
    network
        The street network (a straight-line network, made from points alone, has no streets: empty result).
    tolerance_m
        The simplification tolerance in metres (Douglas-Peucker, topology kept).
    projected
        True: in the network's CRS (metres) instead of WGS-84.

    Returns
    -------
    lines
        Columns ``rank`` (see :func:`highway_rank`), ``name`` ("" unnamed) and ``geometry``; minor classes first.
    """
    empty = gpd.GeoDataFrame({"rank": pd.Series([], dtype="int8"), "name": pd.Series([], dtype=str)},
                             geometry=gpd.GeoSeries([], crs=network.crs if projected else "EPSG:4326"))
    if network.straight_line or network.n_edges == 0:
        return empty
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    _, first = np.unique(lo[keep] * network.n_nodes + hi[keep], return_index=True)  # one line per street segment
    idx = np.flatnonzero(keep)[first]
    if idx.size == 0:
        return empty
    rank = highway_rank(network.edge_highway[idx])
    names, name_i = np.unique(np.asarray(network.edge_name[idx], dtype=str), return_inverse=True)
    group = rank.astype(np.int64) * max(names.size, 1) + name_i.ravel()
    order = np.argsort(group, kind="stable")  # the segments of one class and name together
    keys, starts = np.unique(group[order], return_index=True)
    ends = idx[order]
    coords = np.stack([network.xy[lo[ends]], network.xy[hi[ends]]], axis=1).reshape(-1, 2)
    # One multiline per class and name, made in one call from the coordinates (no object per segment).
    n_seg = ends.size
    multi = shapely.from_ragged_array(shapely.GeometryType.MULTILINESTRING, coords,
                                      (np.arange(0, 2 * n_seg + 1, 2), np.append(starts, n_seg)))
    merged = shapely.simplify(shapely.line_merge(multi), tolerance_m, preserve_topology=True)
    out = gpd.GeoDataFrame({"rank": keys // max(names.size, 1), "name": names[keys % max(names.size, 1)]},
                           geometry=merged, crs=network.crs)
    out["rank"] = out["rank"].astype("int8")
    out = out.sort_values("rank", ascending=False, kind="stable").reset_index(drop=True)
    return out if projected else out.to_crs("EPSG:4326")


def _rounded(geom: BaseGeometry, digits: int) -> list:
    if geom.geom_type == "LineString":
        return [np.round(np.asarray(geom.coords)[:, :2], digits).tolist()]
    return [np.round(np.asarray(g.coords)[:, :2], digits).tolist() for g in geom.geoms]


def streets_geojson(lines: gpd.GeoDataFrame, boundary: BaseGeometry | None = None, *, digits: int = 5) -> str:
    """The street lines (and district outline) as compact GeoJSON: MultiLineStrings with ``r`` (rank) and ``n``
    (the name, HTML-escaped) properties; the boundary, when given (WGS-84), as a feature with ``r`` = -1.

    Parameters
    ----------
    lines
        :func:`street_lines`.
    boundary
        The district (WGS-84), or None.
    digits
        Decimals kept of each coordinate (5: about a metre).

    Returns
    -------
    geojson
        A FeatureCollection as a JSON string.
    """
    feats = [{"type": "Feature", "properties": {"r": int(r), "n": html.escape(n, quote=True)},
              "geometry": {"type": "MultiLineString", "coordinates": _rounded(g, digits)}}
             for r, n, g in zip(lines["rank"], lines["name"], lines.geometry) if g is not None and not g.is_empty]
    if boundary is not None and not boundary.is_empty:
        rings = shapely.get_rings(shapely.get_parts(shapely.make_valid(boundary)))
        coords = [np.round(shapely.get_coordinates(r), digits).tolist() for r in rings]
        feats.append({"type": "Feature", "properties": {"r": -1, "n": ""},
                      "geometry": {"type": "MultiLineString", "coordinates": coords}})
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, separators=(",", ":"))


def _packed_part(coords: np.ndarray, scale: float) -> list[int]:
    q = np.round(np.asarray(coords)[:, :2] * scale).astype(np.int64)
    q[1:] = np.diff(q, axis=0)
    return q.ravel().tolist()


def streets_packed(lines: gpd.GeoDataFrame, boundary: BaseGeometry | None = None, *, digits: int = 5,
                   water: np.ndarray | None = None) -> str:
    """The street lines (and district outline) as :func:`streets_geojson` holds them, packed for the page: about
    a third of the size. ``{"s": 10**digits, "f": [[rank, name, parts], ...]}``: each part is
    ``[x0, y0, dx1, dy1, ...]``, integer lon/lat times ``s``, each point after the first as its step from the
    previous one (:func:`unpack_streets` and the page's script undo it); names HTML-escaped; the boundary has rank -1.
    Water, when given, is ``"w": [[kind, parts], ...]``: kind 0 an area (its rings), 1 a river or canal (its lines).

    Parameters
    ----------
    lines
        :func:`street_lines`.
    boundary
        The district (WGS-84), or None.
    digits
        Decimals kept of each coordinate (5: about a metre).
    water
        Water areas and lines (WGS-84), or None.

    Returns
    -------
    packed
        A JSON string.
    """
    scale = 10.0 ** digits
    feats: list[list] = []
    for r, n, g in zip(lines["rank"], lines["name"], lines.geometry, strict=True):
        if g is None or g.is_empty:
            continue
        parts = [_packed_part(p.coords, scale) for p in shapely.get_parts(g) if not p.is_empty]
        feats.append([int(r), html.escape(n, quote=True), parts])
    if boundary is not None and not boundary.is_empty:
        rings = shapely.get_rings(shapely.get_parts(shapely.make_valid(boundary)))
        feats.append([-1, "", [_packed_part(shapely.get_coordinates(ring), scale) for ring in rings]])
    out: dict = {"s": scale, "f": feats}
    if water is not None and len(water):
        wet = []
        for g in shapely.get_parts(np.asarray(water, dtype=object)):
            if g is None or g.is_empty:
                continue
            if g.geom_type == "Polygon":
                wet.append([0, [_packed_part(shapely.get_coordinates(r), scale) for r in shapely.get_rings(g)]])
            elif g.geom_type == "LineString":
                wet.append([1, [_packed_part(g.coords, scale)]])
        out["w"] = wet
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def unpack_streets(packed: str) -> list[dict]:
    """The features of :func:`streets_packed` back as GeoJSON features (what the page's script makes of them).

    Parameters
    ----------
    packed
        :func:`streets_packed`'s JSON.

    Returns
    -------
    features
        GeoJSON features with ``r`` and ``n`` properties and MultiLineString geometries.
    """
    data = json.loads(packed)
    out = []
    for r, n, parts in data["f"]:
        coords = [(np.cumsum(np.asarray(p, dtype=np.int64).reshape(-1, 2), axis=0) / data["s"]).tolist()
                  for p in parts]
        out.append({"type": "Feature", "properties": {"r": r, "n": n},
                    "geometry": {"type": "MultiLineString", "coordinates": coords}})
    return out


class StreetLayer(MacroElement):
    """The street basemap on a folium map: one GeoJSON object drawn in a pane under the catchments, names on hover
    (a transparent copy of the named streets above them) and as labels from zoom 16."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var packed = {{ this.data }};
            var unpack = function (a) {  // integer steps back to lon/lat (streets_packed)
                var out = [], x = 0, y = 0;
                for (var i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([x / packed.s, y / packed.s]); }
                return out;
            };
            var data = {type: 'FeatureCollection', features: packed.f.map(function (f) {
                return {type: 'Feature', properties: {r: f[0], n: f[1]},
                        geometry: {type: 'MultiLineString', coordinates: f[2].map(unpack)}};
            })};
            var W = {{ this.weights }}, C = {{ this.colours }};
            var pane = map.createPane('xuequStreets');
            pane.style.zIndex = 350; pane.style.pointerEvents = 'none';
            var renderer = L.canvas({pane: 'xuequStreets'});
            if (packed.w) {  // water under the streets: areas filled, rivers and canals as lines
                L.geoJSON({type: 'FeatureCollection', features: packed.w.map(function (w) {
                    return {type: 'Feature', properties: {k: w[0]}, geometry: w[0] === 0
                        ? {type: 'Polygon', coordinates: w[1].map(unpack)}
                        : {type: 'MultiLineString', coordinates: w[1].map(unpack)}};
                })}, {pane: 'xuequStreets', interactive: false, renderer: renderer, style: function (f) {
                    return f.properties.k === 0 ? {stroke: false, fillColor: '#aad3df', fillOpacity: 1}
                                                : {color: '#aad3df', weight: 3, opacity: 1};
                }}).addTo(map);
            }
            var hitPane = map.createPane('xuequStreetNames');
            hitPane.style.zIndex = 450;
            L.geoJSON(data, {pane: 'xuequStreets', interactive: false, renderer: renderer,
                style: function (f) {
                    if (f.properties.r < 0) { return {color: '#37474f', weight: 2.5, dashArray: '8 5', opacity: 0.9}; }
                    return {color: C[f.properties.r], weight: W[f.properties.r], opacity: 1};
                }}).addTo(map);
            var names = L.geoJSON(data, {pane: 'xuequStreetNames', renderer: L.svg({pane: 'xuequStreetNames'}),
                filter: function (f) { return f.properties.r >= 0 && f.properties.n; },
                style: function () { return {weight: 7, opacity: 0, color: '#000'}; },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(f.properties.n, {sticky: true, className: 'xuequ-street-name'});
                }});
            if (!document.getElementById('xuequ-street-css')) {
                var css = document.createElement('style');
                css.id = 'xuequ-street-css';
                css.textContent = '.xuequ-street-name{background:transparent;border:none;box-shadow:none;padding:0;' +
                    'font:11px sans-serif;color:#37474f;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}' +
                    '.xuequ-street-name:before{display:none}';
                document.head.appendChild(css);
            }
            map.getContainer().style.background = '#f4f3ef';
            var labelled = false;
            function labels() {  // from zoom 16 the names in view are shown; further out only on hover
                var on = map.getZoom() >= 16;
                if (on && !labelled) { names.addTo(map); }
                if (!on && labelled) { map.removeLayer(names); }
                labelled = on;
                if (!on) { return; }
                var view = map.getBounds();
                names.eachLayer(function (l) {
                    if (view.contains(l.getCenter())) { l.openTooltip(); } else { l.closeTooltip(); }
                });
            }
            map.on('moveend', labels); labels();
        })();
        {% endmacro %}
    """)

    def __init__(self, geojson: str) -> None:
        super().__init__()
        self._name = "StreetLayer"
        self.data = geojson
        self.weights = json.dumps(list(RANK_WEIGHT))
        self.colours = json.dumps(list(RANK_COLOUR))


def street_layer(lines: gpd.GeoDataFrame, boundary: BaseGeometry | None = None,
                 water: np.ndarray | None = None) -> StreetLayer:
    """The street basemap as a map element (``map.add_child(layer)`` before the catchments' layers).

    Parameters
    ----------
    lines
        :func:`street_lines`.
    boundary
        The district outline (WGS-84), or None.
    water
        Water areas and lines (WGS-84), or None.

    Returns
    -------
    layer
        A folium element; its data (:func:`streets_packed`) is ``layer.data``.
    """
    return StreetLayer(streets_packed(lines, boundary, water=water))


def street_basemap(network: Network, boundary: BaseGeometry | None = None) -> StreetLayer:
    """The street basemap of a network (its projected CRS) and district boundary (the network's CRS, as
    ``Inputs.boundary`` is).

    Parameters
    ----------
    network
        The street network.
    boundary
        The district, or None.

    Returns
    -------
    layer
        A folium element (:class:`StreetLayer`).
    """
    wgs = None
    if boundary is not None:
        wgs = gpd.GeoSeries([boundary], crs=network.crs).to_crs("EPSG:4326").iloc[0]
    return street_layer(street_lines(network), wgs, water=basemap_water(network))


def basemap_water(network: Network, *, tolerance_m: float = SIMPLIFY_M) -> np.ndarray | None:
    """The network's water (:attr:`Network.water`, WGS-84) cut to the streets' extent (500 m around) and
    simplified, as the basemap draws it; None when the file had none.

    Parameters
    ----------
    network
        The street network.
    tolerance_m
        The simplification tolerance in metres.

    Returns
    -------
    water
        Polygons and lines (WGS-84), or None.
    """
    if network.water is None or len(network.water) == 0 or network.n_nodes == 0:
        return None
    water = gpd.GeoSeries(np.asarray(network.water, dtype=object), crs="EPSG:4326").to_crs(network.crs)
    x0, y0, x1, y1 = network.x.min(), network.y.min(), network.x.max(), network.y.max()
    box = shapely.box(x0 - 500, y0 - 500, x1 + 500, y1 + 500)
    cut = shapely.intersection(shapely.make_valid(water.to_numpy()), box)
    cut = shapely.simplify(cut, tolerance_m, preserve_topology=True)
    parts = shapely.get_parts(cut[~shapely.is_empty(cut)])
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 3))]  # lines and polygons (no stray points)
    if parts.size == 0:
        return None
    return gpd.GeoSeries(parts, crs=network.crs).to_crs("EPSG:4326").to_numpy()
