"""The interactive map of a zoning (folium / Leaflet): catchments, compounds and schools.

Names are escaped before they reach any popup or tooltip: user data is never rendered as HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geo.network.graph import Network
from geo.render.colours import plan_colours
from geo.render.export import to_geojson
from geo.render.i18n import t
from geo.zoning.result import ZoningResult

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
UTILISATION_COLOURS = (("legend.under", 0.9, "#2e7d32"), ("legend.near", 1.05, "#f9a825"),
                       ("legend.over", np.inf, "#c62828"))


def utilisation_colour(u: float) -> str:
    """The colour of a school's utilisation (children / seats) on the map and in the legend.

    Parameters
    ----------
    u
        The utilisation (1.0 = full); not finite counts as over.

    Returns
    -------
    colour
        A hex colour.
    """
    for _, upper, colour in UTILISATION_COLOURS:
        if not np.isfinite(u) or u < upper:
            return colour
    return UTILISATION_COLOURS[-1][2]


def zoom_for(bounds: np.ndarray, width_px: int = 1000, height_px: int = 600) -> int:
    """The highest web-map zoom level at which ``bounds`` (lon/lat) fits in ``width_px x height_px``.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in degrees.
    width_px, height_px
        The map's size in pixels.

    Returns
    -------
    zoom
        1 to 18.
    """
    minx, miny, maxx, maxy = bounds
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max((maxy - miny) / np.cos(np.deg2rad((miny + maxy) / 2)), 1e-6)
    z = min(np.log2(360.0 * width_px / (256.0 * lon_span)), np.log2(360.0 * height_px / (256.0 * lat_span)))
    return int(np.clip(np.floor(z), 1, 18))


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


class _Legend(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        var legend = L.control({position: 'bottomright'});
        legend.onAdd = function () {
            var div = L.DomUtil.create('div', 'xuequ-legend');
            div.style.cssText = 'background:white;padding:6px 8px;border-radius:4px;font:12px sans-serif;' +
                'box-shadow:0 1px 4px rgba(0,0,0,.3)';
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        legend.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text


class _MetricScale(MacroElement):
    """The scale bar in metres and kilometres only (Leaflet's default also shows miles and feet)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


def base_map(bounds: np.ndarray, *, tiles: str | None = "OpenStreetMap", leaflet_js: str | None = None,
             leaflet_css: str | None = None, height: str = "100%", streets: MacroElement | None = None) -> folium.Map:
    """An empty map framed on ``bounds`` (lon/lat).

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` in degrees.
    tiles
        The basemap; None draws none (works offline).
    leaflet_js, leaflet_css
        URLs of a local copy of Leaflet to use instead of the CDN (both or neither).
    height
        The map's CSS height.
    streets
        The offline street basemap (:func:`geo.render.streets.street_basemap`), drawn under everything when
        ``tiles`` is None.

    Returns
    -------
    map
    """
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=zoom_for(bounds), tiles=None,
                   control_scale=False, height=height, prefer_canvas=False)
    m.add_child(_MetricScale())
    if tiles:
        folium.TileLayer(tiles, name="OpenStreetMap" if tiles.lower() == "openstreetmap" else tiles).add_to(m)
    elif streets is not None:
        m.add_child(streets)
    if leaflet_js and leaflet_css:
        m.default_js = [("leaflet", leaflet_js)]
        m.default_css = [("leaflet_css", leaflet_css)]
    return m


def legend(lang: str = "zh") -> MacroElement:
    """The legend of the schools' utilisation colours.

    Parameters
    ----------
    lang
        "zh" or "en".

    Returns
    -------
    legend
        A map element (``map.add_child(legend)``).
    """
    rows = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
                   f'background:{colour};margin-right:6px;border:1px solid #222"></span>{_esc(t(key, lang))}</div>'
                   for key, _, colour in UTILISATION_COLOURS)
    return _Legend(f"<b>{_esc(t('legend.title', lang))}</b>{rows}")


def zoning_map(result: ZoningResult, *, lang: str = "zh", tiles: str | None = "OpenStreetMap",
               leaflet_js: str | None = None, leaflet_css: str | None = None, height: str = "100%",
               base_schools: gpd.GeoDataFrame | None = None, streets: MacroElement | None = None) -> folium.Map:
    """A folium map of ``result``: catchments, compounds and schools with a layer control and legend.

    Parameters
    ----------
    result
        The zoning.
    lang
        "zh" or "en".
    tiles, leaflet_js, leaflet_css, height
        As :func:`base_map` takes them.
    base_schools
        The data set's schools (``Inputs.schools``), which fix each school's colour
        (:func:`geo.render.colours.plan_colours`); None: the result's schools.
    streets
        The offline street basemap, drawn when ``tiles`` is None (:func:`base_map`).

    Returns
    -------
    map
    """
    m = base_map(result.catchments.to_crs("EPSG:4326").total_bounds, tiles=tiles, leaflet_js=leaflet_js,
                 leaflet_css=leaflet_css, height=height, streets=streets)
    for group in zoning_layers(result, lang=lang, base_schools=base_schools):
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(legend(lang))
    return m


SCREEN_PX = 1600  # the widest map the page draws, in pixels: catchments are simplified to this resolution
POINTS_OVER = 5_000  # more compounds than this are drawn as points (outlines come back zoomed in, in the editor)


def map_detail(result: ZoningResult) -> dict[str, float]:
    """How :func:`zoning_layers` draws a plan: catchment outlines simplified to the screen's resolution, and
    compounds as points when there are many.

    Parameters
    ----------
    result
        The zoning.

    Returns
    -------
    detail
        ``tolerance_m`` (the simplification: one screen pixel across the plan's extent), ``vertices`` and
        ``vertices_drawn`` of the catchments, ``compound_points`` (compounds drawn as points, 0: as outlines).
    """
    geoms = result.catchments.geometry.to_numpy()  # projected (metres)
    drawn = _screen_catchments(geoms)
    n = len(result.assignments)
    return {"tolerance_m": _tolerance(geoms), "vertices": int(shapely.get_num_coordinates(geoms).sum()),
            "vertices_drawn": int(shapely.get_num_coordinates(drawn).sum()),
            "compound_points": n if n > POINTS_OVER else 0}


class _Dots(MacroElement):
    """Many compounds as dots on one canvas (a city's 50,000 would not fit as GeoJSON outlines): one compact
    array of rows (latitude, longitude, colour, marked, name, children, school, walk); the tooltip is put
    together in the browser from HTML-escaped parts."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var rows = {{ this.rows }};
            var colours = {{ this.colours }};
            var schools = {{ this.schools }};
            var heads = {{ this.heads }};
            var canvas = L.canvas({padding: 0.5});
            var layer = {{ this._parent.get_name() }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                L.circleMarker([r[0], r[1]], {renderer: canvas, radius: 3, weight: r[3] ? 2 : 0,
                    color: "#000000", fillColor: colours[r[2]], fillOpacity: 0.8}).bindTooltip(
                    "<b>" + r[4] + "</b><br>" + heads[0] + ": " + r[5] + "<br>" + heads[1] + ": " + schools[r[6]]
                    + "<br>" + heads[2] + ": " + r[7]).addTo(layer);
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, lat: np.ndarray, lon: np.ndarray, colour: np.ndarray, marked: np.ndarray,
                 names: np.ndarray, children: np.ndarray, school: np.ndarray, walk: np.ndarray,
                 heads: Sequence[str]) -> None:
        super().__init__()
        self._name = "Dots"
        colours, c_index = np.unique(np.asarray(colour, str), return_inverse=True)
        schools, s_index = np.unique(np.asarray(school, str), return_inverse=True)
        rows = [[round(float(a), 5), round(float(b), 5), int(c), int(m), str(n), int(k), int(j), int(w)]
                for a, b, c, m, n, k, j, w in zip(lat, lon, c_index, marked, names, children, s_index, walk)]
        # Every string is escaped HTML (no "<" left to close the script); Chinese stays UTF-8, not \u escapes.
        dump = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
        self.rows, self.colours, self.schools, self.heads = (dump(rows), dump(colours.tolist()),
                                                            dump(schools.tolist()), dump(list(heads)))


def _tolerance(geoms: np.ndarray) -> float:
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    extent = max(x1 - x0, y1 - y0)
    return float(extent / SCREEN_PX) if np.isfinite(extent) else 0.0


def _screen_catchments(geoms: np.ndarray) -> np.ndarray:
    """The catchments simplified together to one screen pixel (shared borders stay shared)."""
    tol = _tolerance(geoms)
    if tol <= 0 or len(geoms) == 0:
        return geoms
    try:
        out = shapely.coverage_simplify(geoms, tol)
    except shapely.errors.GEOSException:  # not a clean coverage: each on its own
        out = shapely.simplify(geoms, tol, preserve_topology=True)
    return np.where(shapely.is_empty(out) & ~shapely.is_empty(geoms), geoms, out)


def zoning_layers(result: ZoningResult, *, lang: str = "zh", selected: Iterable[str] = (),
                  changed: npt.ArrayLike | None = None,
                  base_schools: gpd.GeoDataFrame | None = None) -> list[folium.FeatureGroup]:
    """The layers of a zoning as feature groups: catchments, compounds, schools (and the selection).

    Parameters
    ----------
    result
        The zoning.
    lang
        "zh" or "en".
    selected
        Compound ids drawn highlighted.
    changed
        A mask of compounds drawn as changed (thick red outline), for a comparison of two plans.
    base_schools
        The data set's schools (``Inputs.schools``): each school keeps its colour on every plan of the data set
        (:func:`geo.render.colours.plan_colours`); None: colours from the result's schools.

    Returns
    -------
    layers
        Catchments, compounds and schools.
    """
    colour = plan_colours(result.schools, base_schools)
    groups = []
    c = result.catchments[["school_id", "school_name", "children", "seats", "utilisation", "geometry"]].copy()
    c["geometry"] = _screen_catchments(c.geometry.to_numpy())
    c = c.to_crs("EPSG:4326")
    c["school_name"] = c["school_name"].map(_esc)
    c["school_id"] = c["school_id"].map(_esc)
    c["colour"] = result.catchments["school_id"].map(colour).to_numpy()
    c["utilisation"] = (c["utilisation"] * 100).round(0).astype("Int64").astype(str) + "%"
    fg = folium.FeatureGroup(name=t("layer.catchments", lang))
    folium.GeoJson(
        # Simplified to a pixel of the whole plan: 5 decimals (about a metre) are plenty for a city.
        json.loads(to_geojson(c, precision=5 if len(result.assignments) > POINTS_OVER else 6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#333333", "weight": 1.5,
                                  "fillOpacity": 0.35},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["school_name", "children", "seats", "utilisation"],
            aliases=[_esc(t(k, lang)) for k in ("col.school_name", "col.children", "col.capacity", "col.utilisation")],
        ),
    ).add_to(fg)
    groups.append(fg)

    a = result.assignments[["compound_id", "name", "children", "school_name", "distance_m", "geometry"]].copy()
    a["name"] = a["name"].map(_esc)
    a["school_name"] = a["school_name"].map(_esc)
    a["compound_id"] = a["compound_id"].map(_esc)
    a["distance_m"] = np.nan_to_num(a["distance_m"].to_numpy(float), posinf=-1).round(0).astype(int)
    a["colour"] = result.assignments["school_id"].map(colour).fillna("#999999").to_numpy()
    sel = set(selected)
    a["edge"] = np.where(result.assignments["compound_id"].isin(sel), "#000000", "#555555")
    a["w"] = np.where(result.assignments["compound_id"].isin(sel), 3.0, 0.6)
    if changed is not None:
        a["edge"] = np.where(changed, "#c62828", a["edge"])
        a["w"] = np.where(changed, 3.0, a["w"])
    fg = folium.FeatureGroup(name=t("layer.compounds", lang))
    if len(a) > POINTS_OVER:  # a city's compounds: one small dot each (their outlines would not fit in the page)
        xy = shapely.get_coordinates(shapely.point_on_surface(a.to_crs("EPSG:4326").geometry.to_numpy()))
        heads = [_esc(t(k, lang)) for k in ("col.children", "col.school_name", "col.distance_m")]
        fg.add_child(_Dots(xy[:, 1], xy[:, 0], a["colour"].to_numpy(), a["w"].to_numpy() > 1, a["name"].to_numpy(),
                           a["children"].to_numpy(), a["school_name"].to_numpy(), a["distance_m"].to_numpy(), heads))
    else:
        folium.GeoJson(
            json.loads(to_geojson(a, precision=6)),
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["edge"],
                                      "weight": f["properties"]["w"], "fillOpacity": 0.55},
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "children", "school_name", "distance_m"],
                aliases=[_esc(t(k, lang)) for k in ("col.compound", "col.children", "col.school_name",
                                                    "col.distance_m")],
            ),
        ).add_to(fg)
    groups.append(fg)

    schools = result.schools.to_crs("EPSG:4326")
    table = result.table.set_index("school_id")
    fg = folium.FeatureGroup(name=t("layer.schools", lang))
    for sid, name, seats, geom in zip(schools["school_id"], schools["name"], schools["seats"], schools.geometry):
        u = float(table.at[sid, "utilisation"])
        tip = (f"<b>{_esc(name)}</b><br>{_esc(t('col.capacity', lang))}: {int(seats)}<br>"
               f"{_esc(t('col.utilisation', lang))}: {u:.0%}")
        folium.CircleMarker(
            location=[geom.y, geom.x], radius=float(4 + np.sqrt(max(seats, 0)) / 5), color="#222222", weight=1.5,
            fill=True, fill_color=utilisation_colour(u), fill_opacity=0.95, tooltip=folium.Tooltip(tip),
        ).add_to(fg)
    groups.append(fg)
    return groups


def groups_layer(schools: gpd.GeoDataFrame, groups: pd.DataFrame, *, lang: str = "zh") -> folium.FeatureGroup:
    """Education groups (集团化办学) as one layer: schools coloured by group (grey: in none), each lead drawn
    larger with a line to every member of its group.

    Rows naming unknown schools are skipped. Every name is escaped: user data is never HTML.

    Parameters
    ----------
    schools
        ``school_id``, ``name`` and point geometry (any CRS).
    groups
        ``group_id``, ``group_name``, ``school_id`` and ``role`` (``lead`` / ``member``), as validated by the
        page.
    lang
        "zh" or "en".

    Returns
    -------
    layer
    """
    pts = schools.to_crs("EPSG:4326")
    where = {str(s): (g.y, g.x) for s, g in zip(pts["school_id"], pts.geometry)}
    names = {str(s): n for s, n in zip(pts["school_id"], pts["name"])}
    order = list(dict.fromkeys(str(g) for g in groups["group_id"]))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(order)}
    member_of: dict[str, tuple[str, Any, str]] = {str(s): (str(g), gn, str(r)) for g, gn, s, r in
                                                  zip(groups["group_id"], groups["group_name"], groups["school_id"],
                                                      groups["role"])}
    fg = folium.FeatureGroup(name=t("equity.groups.layer", lang))
    for g in order:
        rows = groups[groups["group_id"].astype(str) == g]
        leads = [str(s) for s, r in zip(rows["school_id"], rows["role"]) if str(r) == "lead" and str(s) in where]
        if not leads:
            continue
        tip = _esc(rows["group_name"].iloc[0])
        for s, r in zip(rows["school_id"], rows["role"]):
            if str(r) != "lead" and str(s) in where:
                folium.PolyLine([where[leads[0]], where[str(s)]], color=colour[g], weight=3, opacity=0.8,
                                tooltip=folium.Tooltip(tip)).add_to(fg)
    for sid, (lat, lon) in where.items():
        grp, gname, role = member_of.get(sid, (None, None, None))
        lead = role == "lead"
        group_text = _esc(gname) if grp is not None else _esc(t("equity.groups.none", lang))
        role_text = _esc(t(f"equity.role.{role}", lang)) if grp is not None else ""
        tip = f"<b>{_esc(names[sid])}</b><br>{group_text}" + (f" · {role_text}" if role_text else "")
        folium.CircleMarker(
            location=[lat, lon], radius=11.0 if lead else 7.0, color="#111111" if lead else "#444444",
            weight=3.0 if lead else 1.0, fill=True, fill_color=colour[grp] if grp is not None else "#bdbdbd",
            fill_opacity=0.95 if grp is not None else 0.6, tooltip=folium.Tooltip(tip),
        ).add_to(fg)
    return fg


def groups_legend(groups: pd.DataFrame, lang: str = "zh") -> MacroElement:
    """The legend of :func:`groups_layer`: one colour per group (same order), and the schools in none.

    Parameters
    ----------
    groups
        As :func:`groups_layer` takes them.
    lang
        "zh" or "en".

    Returns
    -------
    legend
    """
    order = list(dict.fromkeys(str(g) for g in groups["group_id"]))
    first = {str(g): n for g, n in zip(groups["group_id"][::-1], groups["group_name"][::-1])}
    dot = ('<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;background:{c};'
           'margin-right:6px;border:1px solid #222"></span>{n}</div>')
    rows = "".join(dot.format(c=PALETTE[i % len(PALETTE)], n=_esc(first[g])) for i, g in enumerate(order))
    rows += dot.format(c="#bdbdbd", n=_esc(t("equity.groups.none", lang)))
    return _Legend(f"<b>{_esc(t('equity.groups.legend', lang))}</b>{rows}")


def listed_streets_layer(network: Network, edge_school: np.ndarray, school_names: Sequence[str],
                         colours: Sequence[str] | None = None, *, lang: str = "zh") -> folium.FeatureGroup:
    """The streets an official list names, one coloured line layer per school (each street once, both
    directions together). Names are escaped.

    Parameters
    ----------
    network
        The street network.
    edge_school
        Per network edge, the school index that lists it (-1 = not listed).
    school_names
        Per school index.
    colours
        Per school index (default: the palette).
    lang
        "zh" or "en".

    Returns
    -------
    layer
    """
    edge_school = np.asarray(edge_school, np.int64)
    u, v = network.edge_u.astype(np.int64), network.edge_v.astype(np.int64)
    keep = edge_school >= 0
    lo, hi = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    school = edge_school[keep]
    _, first = np.unique(np.stack([lo, hi, school]), axis=1, return_index=True)
    lo, hi, school = lo[first], hi[first], school[first]
    xy = network.xy
    fg = folium.FeatureGroup(name=t("layer.listed_streets", lang))
    if school.size == 0:
        return fg
    rows = []
    for s in np.unique(school):
        m = school == s
        segs = np.stack([xy[lo[m]], xy[hi[m]]], axis=1)
        name = school_names[s] if s < len(school_names) else ""
        colour = colours[s] if colours is not None and s < len(colours) else PALETTE[int(s) % len(PALETTE)]
        rows.append({"school_name": _esc(name), "colour": colour, "geometry": shapely.multilinestrings(segs)})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=network.crs)
    folium.GeoJson(
        json.loads(to_geojson(gdf, precision=6)),
        style_function=lambda f: {"color": f["properties"]["colour"], "weight": 4, "opacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["school_name"], aliases=[_esc(t("col.school_name", lang))]),
    ).add_to(fg)
    return fg


NOT_COVERED = "#bdbdbd"  # compounds a list does not cover (official_map)
FARTHER = "#c62828"  # the outline of compounds an official zone sends farther than their nearest school


def _dash(value: object, fmt: str) -> str:
    """A number for a tooltip, or "—" where there is none (no "nan" or "<NA>" in the map)."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return fmt.format(v) if np.isfinite(v) else "—"


def _official_catchments(result: ZoningResult, colours: Sequence[str], lang: str) -> folium.FeatureGroup:
    """The official zones as far as their listed streets reach, in their school's colour; a zone whose school has
    no location is drawn dashed, and its seats and use are "—"."""
    c = result.catchments
    table = result.table.set_index("school_id")
    located = table["located"] if "located" in table else pd.Series(True, index=table.index)
    rows = []
    for i, (sid, name, children, geom) in enumerate(zip(c["school_id"], c["school_name"], c["children"],
                                                        c.geometry)):
        if geom is None:  # an empty zone (its streets all went to another school) is kept: it is named, not drawn
            continue
        here = bool(located.get(sid, True))
        rows.append({"school_name": _esc(name), "children": _dash(children, "{:,.0f}"),
                     "seats": _dash(table.at[sid, "seats"] if sid in table.index else None, "{:,.0f}"),
                     "utilisation": _dash(table.at[sid, "utilisation"] * 100 if here and sid in table.index
                                          else None, "{:.0f}%"),
                     "where": _esc(t("official.map.located" if here else "official.map.unlocated", lang)),
                     "colour": colours[i % len(colours)], "dash": "" if here else "6 4", "geometry": geom})
    fg = folium.FeatureGroup(name=t("layer.catchments", lang))
    if not rows:
        return fg
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=c.crs)
    folium.GeoJson(
        json.loads(to_geojson(gdf, precision=6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#333333", "weight": 1.5,
                                  "fillOpacity": 0.3, "dashArray": f["properties"]["dash"]},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.45},
        tooltip=folium.GeoJsonTooltip(
            fields=["school_name", "where", "children", "seats", "utilisation"],
            aliases=[_esc(t(k, lang)) for k in ("col.school_name", "official.map.location", "col.children",
                                                "col.capacity", "col.utilisation")]),
    ).add_to(fg)
    return fg


def _official_compounds(result: ZoningResult, colours: Sequence[str], farther: np.ndarray,
                        lang: str) -> folium.FeatureGroup:
    """Compounds in their zone's colour; those the list does not cover grey; those sent farther than their nearest
    school outlined red. A walk that cannot be measured (no school location) is "—", never 0."""
    a = result.assignments
    colour = {str(s): colours[i % len(colours)] for i, s in enumerate(result.catchments["school_id"])}
    sid = a["school_id"].fillna("").astype(str)
    covered = (sid != "").to_numpy() & sid.isin(colour).to_numpy()
    out = gpd.GeoDataFrame({
        "name": a["name"].map(_esc).to_numpy(),
        "children": [_dash(v, "{:,.0f}") for v in a["children"]],
        "school_name": np.where(covered, a["school_name"].fillna("").map(_esc).to_numpy(),
                                _esc(t("official.map.not_covered", lang))),
        "distance_m": [_dash(v, "{:,.0f}") for v in a["distance_m"]],
        "colour": np.where(covered, sid.map(colour).fillna(NOT_COVERED).to_numpy(), NOT_COVERED),
        "edge": np.where(farther, FARTHER, np.where(covered, "#555555", "#9e9e9e")),
        "w": np.where(farther, 3.0, 0.6),
        "fill": np.where(covered, 0.6, 0.35),
    }, geometry=a.geometry.to_numpy(), crs=a.crs)
    fg = folium.FeatureGroup(name=t("layer.compounds", lang))
    folium.GeoJson(
        json.loads(to_geojson(out, precision=6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": f["properties"]["edge"],
                                  "weight": f["properties"]["w"], "fillOpacity": f["properties"]["fill"]},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "children", "school_name", "distance_m"],
            aliases=[_esc(t(k, lang)) for k in ("col.compound", "col.children", "official.col.official_school",
                                                "col.distance_m")]),
    ).add_to(fg)
    return fg


def official_map(result: ZoningResult, network: Network, edge_school: np.ndarray, *,
                 farther: npt.ArrayLike | None = None, lang: str = "zh",
                 tiles: str | None = "OpenStreetMap", leaflet_js: str | None = None, leaflet_css: str | None = None,
                 height: str = "100%", base_schools: gpd.GeoDataFrame | None = None,
                 streets: MacroElement | None = None) -> folium.Map:
    """A map of official zones (``geo.official.plan.official_plan``): catchments (only as far as the listed streets
    reach), compounds (grey where the list does not cover them), schools, and the listed streets in their school's
    colour. Every name is escaped.

    Parameters
    ----------
    result
        The official zones as a zoning.
    network
        The street network.
    edge_school
        Per network edge, the zone index that lists it (-1 = not listed), in the order of ``result.catchments``.
    farther
        A mask of compounds the zones send farther than their nearest school, outlined red.
    lang
        "zh" or "en".
    tiles, leaflet_js, leaflet_css, height
        As :func:`base_map` takes them.
    base_schools
        The data set's schools, which fix each school's colour (as on the other maps); None: the result's schools.
    streets
        The offline street basemap, drawn when ``tiles`` is None (:func:`base_map`).

    Returns
    -------
    map
    """
    cat = result.catchments.to_crs("EPSG:4326")
    drawn = cat[~(cat.geometry.is_empty | cat.geometry.isna())]
    bounds = drawn.total_bounds if len(drawn) else result.assignments.to_crs("EPSG:4326").total_bounds
    m = base_map(bounds, tiles=tiles, leaflet_js=leaflet_js, leaflet_css=leaflet_css, height=height, streets=streets)
    names = list(result.catchments["school_name"])
    by_id = plan_colours(result.schools, base_schools)
    colours = [by_id.get(str(s), PALETTE[i % len(PALETTE)]) for i, s in enumerate(result.catchments["school_id"])]
    far = np.zeros(len(result.assignments), bool) if farther is None else np.asarray(farther, bool)
    _official_catchments(result, colours, lang).add_to(m)
    _official_compounds(result, colours, far, lang).add_to(m)
    listed_streets_layer(network, edge_school, names, colours, lang=lang).add_to(m)
    zoning_layers(result, lang=lang, base_schools=base_schools)[2].add_to(m)  # the schools with a location
    folium.LayerControl(collapsed=False).add_to(m)
    swatch = ('<div><span style="display:inline-block;width:12px;height:12px;background:{fill};'
              'margin-right:6px;border:{w}px solid {edge}"></span>{text}</div>')
    dots = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
                   f'background:{colour};margin-right:6px;border:1px solid #222"></span>{_esc(t(key, lang))}</div>'
                   for key, _, colour in UTILISATION_COLOURS)
    rows = (swatch.format(fill=NOT_COVERED, w=1, edge="#9e9e9e", text=_esc(t("official.map.not_covered", lang)))
            + swatch.format(fill="#ffffff", w=3, edge=FARTHER, text=_esc(t("official.map.farther", lang))))
    m.add_child(_Legend(f"<b>{_esc(t('legend.title', lang))}</b>{dots}{rows}"))
    return m


# --- alliances (学区) and the lottery's access to strong schools (app.alliance_view) ------------------------------

ACCESS_COLOURS = ((0.2, "#d73027"), (0.4, "#fc8d59"), (0.6, "#fee08b"), (0.8, "#91cf60"), (np.inf, "#1a9850"))


def access_colour(p: float | None) -> str:
    """The colour of a chance of a place at a strong school.

    Parameters
    ----------
    p
        The chance, 0 to 1 (None or NaN: unknown).

    Returns
    -------
    colour
        A hex colour (grey: unknown).
    """
    if p is None or not np.isfinite(p):
        return "#bdbdbd"
    for upper, colour in ACCESS_COLOURS:
        if p < upper:
            return colour
    return ACCESS_COLOURS[-1][1]


def alliance_layers(result: ZoningResult, labels: npt.ArrayLike, alliance_names: Sequence[str],
                    strong: npt.ArrayLike, *, lang: str = "zh") -> list[folium.FeatureGroup]:
    """Alliances as two layers: each alliance's zone (the union of its schools' catchments) in its colour, and
    the schools in their alliance's colour (strong schools larger with a thick outline). Names are escaped.

    Parameters
    ----------
    result
        The zoning.
    labels
        Alliance index per school of ``result.schools``.
    alliance_names
        Per alliance index.
    strong
        A mask per school.
    lang
        "zh" or "en".

    Returns
    -------
    layers
        The zones and the schools.
    """
    labels = np.asarray(labels, np.int64)
    strong = np.asarray(strong, bool)
    ids = result.schools["school_id"].astype(str).tolist()
    poly = dict(zip(result.catchments["school_id"].astype(str), result.catchments.geometry))
    rows = []
    for g, name in enumerate(alliance_names):
        members = [ids[i] for i in np.flatnonzero(labels == g)]
        if not members:
            continue
        rows.append({"alliance": _esc(name), "schools": int(len(members)),
                     "colour": PALETTE[g % len(PALETTE)],
                     "geometry": shapely.union_all([poly[s] for s in members if s in poly])})
    zones = folium.FeatureGroup(name=t("alliance.layer.zones", lang))
    if rows:
        gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=result.catchments.crs).to_crs("EPSG:4326")
        folium.GeoJson(
            json.loads(to_geojson(gdf, precision=6)),
            style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#222222", "weight": 2.5,
                                      "fillOpacity": 0.35},
            tooltip=folium.GeoJsonTooltip(fields=["alliance", "schools"],
                                          aliases=[_esc(t(k, lang)) for k in ("alliance.col.alliance",
                                                                              "alliance.col.n_schools")]),
        ).add_to(zones)
    pts = result.schools.to_crs("EPSG:4326")
    marks = folium.FeatureGroup(name=t("alliance.layer.schools", lang))
    for i, (name, geom) in enumerate(zip(pts["name"], pts.geometry)):
        g = int(labels[i])
        kind = t("alliance.strong" if strong[i] else "alliance.weak", lang)
        tip = (f"<b>{_esc(name)}</b><br>{_esc(t('alliance.col.alliance', lang))}: "
               f"{_esc(alliance_names[g]) if 0 <= g < len(alliance_names) else ''}<br>{_esc(kind)}")
        folium.CircleMarker(
            location=[geom.y, geom.x], radius=10.0 if strong[i] else 6.0, color="#111111",
            weight=3.0 if strong[i] else 1.0, fill=True, fill_color=PALETTE[g % len(PALETTE)], fill_opacity=0.95,
            tooltip=folium.Tooltip(tip),
        ).add_to(marks)
    return [zones, marks]


def alliance_legend(alliance_names: Iterable[str], lang: str = "zh") -> MacroElement:
    """The legend of :func:`alliance_layers`: one colour per alliance, and the two school sizes.

    Parameters
    ----------
    alliance_names
        Per alliance index.
    lang
        "zh" or "en".

    Returns
    -------
    legend
    """
    dot = ('<div><span style="display:inline-block;width:{w}px;height:{w}px;border-radius:{r}px;background:{c};'
           'margin-right:6px;border:{b}px solid #111"></span>{n}</div>')
    rows = "".join(dot.format(w=12, r=6, b=1, c=PALETTE[g % len(PALETTE)], n=_esc(name))
                   for g, name in enumerate(alliance_names))
    rows += dot.format(w=14, r=7, b=3, c="#ffffff", n=_esc(t("alliance.strong", lang)))
    rows += dot.format(w=9, r=5, b=1, c="#ffffff", n=_esc(t("alliance.weak", lang)))
    return _Legend(f"<b>{_esc(t('alliance.legend.title', lang))}</b>{rows}")


def access_layer(result: ZoningResult, p_strong: npt.ArrayLike, expected_m: npt.ArrayLike, *,
                 lang: str = "zh") -> folium.FeatureGroup:
    """Compounds coloured by their children's chance of a place at a strong school, with the expected walk in
    the tooltip. Names are escaped.

    Parameters
    ----------
    result
        The zoning.
    p_strong, expected_m
        Per compound of ``result.assignments`` (:func:`geo.equity.access.access_table`).
    lang
        "zh" or "en".

    Returns
    -------
    layer
    """
    a = result.assignments[["name", "children", "geometry"]].copy()
    p = np.asarray(p_strong, float)
    walk = np.asarray(expected_m, float)
    a["name"] = a["name"].map(_esc)
    a["p_strong"] = [f"{x:.0%}" if np.isfinite(x) else "–" for x in p]
    a["expected_m"] = [f"{x:,.0f}" if np.isfinite(x) else "–" for x in walk]
    a["colour"] = [access_colour(x) for x in p]
    a = a.to_crs("EPSG:4326")
    fg = folium.FeatureGroup(name=t("alliance.layer.access", lang))
    folium.GeoJson(
        json.loads(to_geojson(a, precision=6)),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#444444", "weight": 0.6,
                                  "fillOpacity": 0.8},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "children", "p_strong", "expected_m"],
            aliases=[_esc(t(k, lang)) for k in ("col.compound", "col.children", "alliance.col.p_strong",
                                                "alliance.col.expected_m")]),
    ).add_to(fg)
    return fg


def access_legend(lang: str = "zh") -> MacroElement:
    """The legend of :func:`access_layer`: the bins of the chance of a strong school.

    Parameters
    ----------
    lang
        "zh" or "en".

    Returns
    -------
    legend
    """
    dot = ('<div><span style="display:inline-block;width:12px;height:12px;background:{c};margin-right:6px;'
           'border:1px solid #444"></span>{n}</div>')
    rows, lower = [], 0.0
    for upper, colour in ACCESS_COLOURS:
        label = f"{lower:.0%}–{upper:.0%}" if np.isfinite(upper) else f"≥ {lower:.0%}"
        rows.append(dot.format(c=colour, n=_esc(label)))
        lower = upper
    rows.append(dot.format(c="#bdbdbd", n=_esc(t("alliance.legend.unknown", lang))))
    return _Legend(f"<b>{_esc(t('alliance.legend.access', lang))}</b>{''.join(rows)}")
