"""The interactive map of a zoning (folium / Leaflet): catchments, compounds and schools.

Names are escaped before they reach any popup or tooltip: user data is never rendered as HTML.
"""

from __future__ import annotations

import html
import json

import folium
import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from geo.export import to_geojson
from geo.i18n import t
from geo.scenario import ZoningResult

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
UTILISATION_COLOURS = (("legend.under", 0.9, "#2e7d32"), ("legend.near", 1.05, "#f9a825"),
                       ("legend.over", np.inf, "#c62828"))


def utilisation_colour(u: float) -> str:
    for _, upper, colour in UTILISATION_COLOURS:
        if not np.isfinite(u) or u < upper:
            return colour
    return UTILISATION_COLOURS[-1][2]


def zoom_for(bounds: np.ndarray, width_px: int = 1000, height_px: int = 600) -> int:
    """The highest web-map zoom level at which ``bounds`` (lon/lat) fits in ``width_px x height_px``."""
    minx, miny, maxx, maxy = bounds
    lon_span = max(maxx - minx, 1e-6)
    lat_span = max((maxy - miny) / np.cos(np.deg2rad((miny + maxy) / 2)), 1e-6)
    z = min(np.log2(360.0 * width_px / (256.0 * lon_span)), np.log2(360.0 * height_px / (256.0 * lat_span)))
    return int(np.clip(np.floor(z), 1, 18))


def _esc(value) -> str:
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


def zoning_map(result: ZoningResult, *, lang: str = "zh", tiles: str | None = "OpenStreetMap",
               leaflet_js: str | None = None, leaflet_css: str | None = None, height: str = "100%") -> folium.Map:
    """A folium map of ``result``.

    ``tiles=None`` draws no basemap (works offline). ``leaflet_js`` / ``leaflet_css`` point the map at a
    local copy of Leaflet instead of the CDN, so it renders without internet.
    """
    catch = result.catchments.to_crs("EPSG:4326")
    minx, miny, maxx, maxy = catch.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=zoom_for(catch.total_bounds),
                   tiles=tiles, control_scale=True,
                   height=height, prefer_canvas=False)
    if leaflet_js and leaflet_css:
        m.default_js = [("leaflet", leaflet_js)]
        m.default_css = [("leaflet_css", leaflet_css)]
    colour = {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(result.catchments["school_id"])}

    c = result.catchments[["school_id", "school_name", "children", "seats", "utilisation", "geometry"]].copy()
    c["school_name"] = c["school_name"].map(_esc)
    c["school_id"] = c["school_id"].map(_esc)
    c["colour"] = result.catchments["school_id"].map(colour)
    c["utilisation"] = (c["utilisation"] * 100).round(0).astype("Int64").astype(str) + "%"
    folium.GeoJson(
        json.loads(to_geojson(c, precision=6)),
        name=t("layer.catchments", lang),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#333333", "weight": 1.5,
                                  "fillOpacity": 0.35},
        highlight_function=lambda f: {"weight": 3, "fillOpacity": 0.5},
        tooltip=folium.GeoJsonTooltip(
            fields=["school_name", "children", "seats", "utilisation"],
            aliases=[_esc(t(k, lang)) for k in ("col.school_name", "col.children", "col.capacity", "col.utilisation")],
        ),
    ).add_to(m)

    a = result.assignments[["compound_id", "name", "children", "school_name", "distance_m", "geometry"]].copy()
    a["name"] = a["name"].map(_esc)
    a["school_name"] = a["school_name"].map(_esc)
    a["compound_id"] = a["compound_id"].map(_esc)
    a["distance_m"] = a["distance_m"].round(0).astype(int)
    a["colour"] = result.assignments["school_id"].map(colour)
    folium.GeoJson(
        json.loads(to_geojson(a, precision=6)),
        name=t("layer.compounds", lang),
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#555555", "weight": 0.6,
                                  "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "children", "school_name", "distance_m"],
            aliases=[_esc(t(k, lang)) for k in ("col.compound", "col.children", "col.school_name", "col.distance_m")],
        ),
    ).add_to(m)

    schools = result.schools.to_crs("EPSG:4326")
    table = result.table.set_index("school_id")
    group = folium.FeatureGroup(name=t("layer.schools", lang))
    for sid, name, seats, geom in zip(schools["school_id"], schools["name"], schools["seats"], schools.geometry):
        u = float(table.at[sid, "utilisation"])
        tip = (f"<b>{_esc(name)}</b><br>{_esc(t('col.capacity', lang))}: {int(seats)}<br>"
               f"{_esc(t('col.utilisation', lang))}: {u:.0%}")
        folium.CircleMarker(
            location=[geom.y, geom.x], radius=float(4 + np.sqrt(max(seats, 0)) / 5), color="#222222", weight=1.5,
            fill=True, fill_color=utilisation_colour(u), fill_opacity=0.95, tooltip=folium.Tooltip(tip),
        ).add_to(group)
    group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)

    rows = "".join(f'<div><span style="display:inline-block;width:12px;height:12px;border-radius:6px;'
                   f'background:{colour};margin-right:6px;border:1px solid #222"></span>{_esc(t(key, lang))}</div>'
                   for key, _, colour in UTILISATION_COLOURS)
    m.add_child(_Legend(f"<b>{_esc(t('legend.title', lang))}</b>{rows}"))
    return m
