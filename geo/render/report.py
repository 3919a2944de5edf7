"""A plan as a PDF a planner can hand to a committee (A4, a Chinese font embedded): the catchments on the street
basemap, the per-school table, the changes against another plan, the warnings and, when the schools' statistics
are loaded, the balanced-development summary.

The map is drawn from the geometry itself (reportlab graphics): no browser and no tile server. The font is found
by :func:`cjk_font`; a machine without one gets an :class:`~geo.errors.InputError` that names what to install.
"""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.errors import InputError
from geo.network.graph import Network
from geo.render.colours import plan_colours
from geo.render.i18n import t
from geo.render.maps import utilisation_colour
from geo.render.streets import street_lines
from geo.zoning.result import ZoningResult, radius_phrase

FONT_ENV = "XUEQU_CJK_FONT"
# TrueType fonts with Chinese glyphs reportlab can embed (it reads TrueType outlines, not the CFF of Noto CJK).
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
FONT_NAME = "XuequCJK"
STREET_WIDTH = (0.9, 0.6, 0.35, 0.2)  # points, by street rank (geo.render.streets.highway_rank)
MAX_WARNINGS = 60
MAX_CHANGES = 40


def cjk_font() -> Path:
    """The TrueType font with Chinese glyphs the report embeds: ``$XUEQU_CJK_FONT``, else the first of
    :data:`FONT_CANDIDATES` present.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``err.report_font`` when there is none: the message names the package to install (fonts-wqy-microhei)
        and the variable to set.
    """
    given = os.environ.get(FONT_ENV, "")
    if given:
        if Path(given).is_file():
            return Path(given)
        raise InputError("err.report_font", file=given, env=FONT_ENV)
    for c in FONT_CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    raise InputError("err.report_font", file=FONT_CANDIDATES[0], env=FONT_ENV)


def _rl(module: str) -> Any:
    """A reportlab module (imported when a report is made; reportlab has no type information)."""
    return importlib.import_module(f"reportlab.{module}")


def _register_font() -> str:
    pdfmetrics = _rl("pdfbase.pdfmetrics")
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        path = cjk_font()
        pdfmetrics.registerFont(_rl("pdfbase.ttfonts").TTFont(FONT_NAME, str(path), subfontIndex=0))
    return FONT_NAME


def _rings(geom: BaseGeometry) -> list[np.ndarray]:
    """Exterior rings of each polygon part (holes are drawn over by the neighbouring catchments)."""
    out = []
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon" and not part.is_empty:
            out.append(np.asarray(part.exterior.coords)[:, :2])
    return out


def map_drawing(result: ZoningResult, network: Network | None = None, boundary: BaseGeometry | None = None, *,
                width: float = 480.0, height: float = 480.0, base_schools: Any = None,
                font: str = "Helvetica") -> Any:
    """The catchments on the street basemap as a reportlab drawing (network CRS, north up, a scale bar); schools
    are numbered as in the report's table.

    Parameters
    ----------
    result
        The plan.
    network
        The street network drawn under the catchments; None or a straight-line network: no streets.
    boundary
        The district outline (network CRS), or None.
    width, height
        The drawing's size in points.
    base_schools
        The data set's schools, which fix each school's colour (as on the page's maps).
    font
        The font of the numbers and the scale bar.

    Returns
    -------
    reportlab.graphics.shapes.Drawing
    """
    shapes, colors = _rl("graphics.shapes"), _rl("lib.colors")
    Circle, Drawing, Line, PolyLine, Polygon, Rect, String = (  # noqa: N806
        shapes.Circle, shapes.Drawing, shapes.Line, shapes.PolyLine, shapes.Polygon, shapes.Rect, shapes.String)

    cat = result.catchments
    geoms = cat.geometry.to_numpy()
    drawn = [g for g in geoms if g is not None and not g.is_empty]
    box = shapely.total_bounds(np.array(drawn, dtype=object)) if drawn else result.assignments.total_bounds
    minx, miny, maxx, maxy = (float(v) for v in box)
    pad = 0.03 * max(maxx - minx, maxy - miny, 1.0)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = min(width / (maxx - minx), height / (maxy - miny))
    ox = (width - (maxx - minx) * scale) / 2
    oy = (height - (maxy - miny) * scale) / 2

    def pts(xy: np.ndarray) -> list[float]:
        return np.column_stack([(xy[:, 0] - minx) * scale + ox, (xy[:, 1] - miny) * scale + oy]).ravel().tolist()

    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#f7f7f5"), strokeColor=colors.HexColor("#999999"),
               strokeWidth=0.5))
    if network is not None and not network.straight_line:
        lines = street_lines(network, projected=True, tolerance_m=max(2.0, 0.5 / scale))
        window = shapely.box(minx, miny, maxx, maxy)
        grey = colors.HexColor("#9e9e9e")
        for rank, geom in zip(lines["rank"], lines.geometry, strict=True):
            for part in shapely.get_parts(shapely.intersection(geom, window)):
                if part.geom_type == "LineString" and not part.is_empty:
                    d.add(PolyLine(pts(np.asarray(part.coords)), strokeColor=grey,
                                   strokeWidth=STREET_WIDTH[int(rank)]))
    colour = plan_colours(result.schools, base_schools)
    for sid, geom in zip(cat["school_id"], geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        c = colors.HexColor(colour.get(str(sid), "#bab0ac"))
        fill = colors.Color(c.red, c.green, c.blue, alpha=0.42)
        for ring in _rings(geom):
            d.add(Polygon(pts(ring), fillColor=fill, strokeColor=colors.HexColor("#333333"), strokeWidth=0.6))
    if boundary is not None and not boundary.is_empty:
        for ring in shapely.get_rings(shapely.get_parts(boundary)):
            d.add(PolyLine(pts(shapely.get_coordinates(ring)), strokeColor=colors.HexColor("#37474f"),
                           strokeWidth=1.2, strokeDashArray=[4, 3]))
    util = result.table.set_index("school_id")["utilisation"]
    for i, (sid, geom) in enumerate(zip(result.schools["school_id"], result.schools.geometry, strict=True), start=1):
        if geom is None or geom.is_empty:
            continue
        x, y = pts(np.array([[geom.x, geom.y]]))
        u = float(util.get(sid, np.nan))
        d.add(Circle(x, y, 5.5, fillColor=colors.HexColor(utilisation_colour(u)), strokeColor=colors.black,
                     strokeWidth=0.5))
        d.add(String(x, y - 2.2, str(i), fontName=font, fontSize=5.5, textAnchor="middle", fillColor=colors.white))
    # scale bar: a round length of about a fifth of the width
    target = (maxx - minx) / 5
    step = 10 ** np.floor(np.log10(target))
    length = float(max(s for s in (step, 2 * step, 5 * step) if s <= target))
    x0, y0 = 12.0, 12.0
    d.add(Rect(x0 - 4, y0 - 4, length * scale + 8, 16, fillColor=colors.Color(1, 1, 1, alpha=0.8), strokeWidth=0))
    d.add(Line(x0, y0, x0 + length * scale, y0, strokeWidth=1.5))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    d.add(String(x0 + length * scale / 2, y0 + 3, label, fontName=font, fontSize=7, textAnchor="middle"))
    return d


def _pct(v: object) -> str:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return f"{f * 100:.0f}%" if np.isfinite(f) else "—"


def _num(v: object, fmt: str = "{:.0f}") -> str:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    return fmt.format(f) if np.isfinite(f) else "—"


def school_rows(result: ZoningResult, lang: str = "zh") -> list[list[str]]:
    """The per-school table of the report: a header and one row per school, numbered as on the map.

    Parameters
    ----------
    result
        The plan.
    lang
        "zh" or "en".

    Returns
    -------
    rows
        Lists of cell texts.
    """
    head = ["#", t("col.school_name", lang), t("col.capacity", lang), t("col.children", lang),
            t("col.utilisation", lang), t("col.compounds", lang), t("col.mean_m", lang),
            t("col.within_radius", lang)]
    tab = result.table.set_index("school_id")
    rows = [head]
    for i, sid in enumerate(result.schools["school_id"], start=1):
        r = tab.loc[sid]
        rows.append([str(i), str(r["name"]), _num(r["seats"]), _num(r["children"]), _pct(r["utilisation"]),
                     _num(r["compounds"]), _num(r["mean_m"]), _pct(r["within_radius"])])
    return rows


def change_rows(result: ZoningResult, other: ZoningResult, lang: str = "zh") -> tuple[int, float, list[list[str]]]:
    """The compounds whose school differs between ``other`` and ``result``, grouped by move.

    Parameters
    ----------
    result, other
        The plan and the plan it is compared with (same compounds).
    lang
        "zh" or "en".

    Returns
    -------
    compounds, children, rows
        How many compounds and children move, and a table (header first) of moves ``from -> to`` with their
        compounds and children, largest first.
    """
    a = result.assignments.set_index("compound_id")
    b = other.assignments.set_index("compound_id").reindex(a.index)
    moved = a["school_id"].astype(str).to_numpy() != b["school_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"from": b["school_name"].astype(str).to_numpy()[moved],
                          "to": a["school_name"].astype(str).to_numpy()[moved],
                          "children": a["children"].to_numpy(float)[moved]})
    g = frame.groupby(["from", "to"], sort=False).agg(compounds=("children", "size"), children=("children", "sum"))
    g = g.sort_values("children", ascending=False).reset_index()
    rows = [[t("report.from", lang), t("report.to", lang), t("col.compounds", lang), t("col.children", lang)]]
    rows += [[r["from"], r["to"], str(int(r["compounds"])), _num(r["children"])] for _, r in g.iterrows()]
    return int(moved.sum()), float(frame["children"].sum()), rows


def report_pdf(result: ZoningResult, *, network: Network | None = None, boundary: BaseGeometry | None = None,
               other: ZoningResult | None = None, other_label: str = "", balance: Any = None,
               warnings: Sequence[tuple[str, dict]] = (), title: str = "", lang: str = "zh",
               base_schools: Any = None) -> bytes:
    """The plan as an A4 PDF with a Chinese font embedded.

    Parameters
    ----------
    result
        The plan.
    network, boundary
        The street basemap of the map (network CRS); None: catchments only.
    other, other_label
        A plan to list the changes against (e.g. the nearest-school plan or the official zones) and its name.
    balance
        A :class:`geo.equity.audit.Balance` (the schools' statistics loaded), or None.
    warnings
        ``(key, params)`` pairs (the inputs' and the plan's).
    title
        The data set's name.
    lang
        "zh" or "en".
    base_schools
        The data set's schools, which fix each school's colour.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    InputError
        When no Chinese font is installed (:func:`cjk_font`).
    """
    colors, A4, mm, pl = _rl("lib.colors"), _rl("lib.pagesizes").A4, _rl("lib.units").mm, _rl("platypus")  # noqa: N806
    ParagraphStyle = _rl("lib.styles").ParagraphStyle  # noqa: N806
    PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle = (  # noqa: N806
        pl.PageBreak, pl.Paragraph, pl.SimpleDocTemplate, pl.Spacer, pl.Table, pl.TableStyle)

    font = _register_font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4)

    def esc(text: object) -> str:
        return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def table(rows: list[list[str]], widths: list[float] | None = None) -> Any:
        cells = [[Paragraph(esc(c), small) for c in row] for row in rows]
        tb = Table(cells, colWidths=widths, repeatRows=1)
        tb.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaf0")),
                                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0b0b0")),
                                ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        return tb

    s = result.summary
    sc = result.scenario
    story: list[Any] = [
        Paragraph(esc(t("report.title", lang, name=title or "-", level=t(f"level.{sc.level}", lang))), h1),
        Paragraph(esc(t("report.method", lang, method=t(f"method.{sc.method}", lang), date=date.today().isoformat())),
                  body),
        Paragraph(esc(t("app.summary", lang, schools=s["schools"], compounds=s["compounds"],
                        children=int(s["children"]), within=s["within_radius"]) + " · "
                      + t("app.summary_radius", lang, radius=radius_phrase(s))), body),
        Spacer(1, 4 * mm),
        map_drawing(result, network, boundary, width=180 * mm, height=180 * mm, base_schools=base_schools,
                    font=font),
        Paragraph(esc(t("report.map_note", lang) + (t("report.map_note.boundary", lang) if boundary is not None
                                                     else "")), small),
        PageBreak(),
        Paragraph(esc(t("report.schools", lang)), h2),
        table(school_rows(result, lang), [8 * mm, 52 * mm, 17 * mm, 17 * mm, 18 * mm, 16 * mm, 24 * mm, 24 * mm]),
    ]
    if other is not None:
        n, kids, rows = change_rows(result, other, lang)
        story += [Paragraph(esc(t("report.changes", lang, other=other_label or "-")), h2),
                  Paragraph(esc(t("report.changes.summary", lang, compounds=n, children=int(round(kids)))), body)]
        if n:
            shown = rows[:MAX_CHANGES + 1]
            story.append(table(shown, [62 * mm, 62 * mm, 25 * mm, 25 * mm]))
            if len(rows) > len(shown):
                story.append(Paragraph(esc(t("report.more", lang, n=len(rows) - len(shown))), small))
    if balance is not None:
        story.append(Paragraph(esc(t("report.balance", lang)), h2))
        rows = [[t("report.indicator", lang), t("equity.cv", lang), t("equity.cv.limit_2017", lang),
                 t("equity.cv.passes_2017", lang)]]
        for key, r in balance.table.iterrows():
            rows.append([t(f"equity.ind.{key}", lang), _num(r["cv"], "{:.3f}"), _num(r["limit_2017"], "{:.2f}"),
                         t("report.yes" if bool(r["passes_2017"]) else "report.no", lang)])
        story += [table(rows, [90 * mm, 28 * mm, 28 * mm, 28 * mm]),
                  Paragraph(esc(t("equity.cv.composite", lang) + f": {balance.composite_cv:.3f}"), body)]
    items = list(warnings)
    story.append(Paragraph(esc(t("report.warnings", lang, n=len(items))), h2))
    if not items:
        story.append(Paragraph(esc(t("report.no_warnings", lang)), body))
    for key, params in items[:MAX_WARNINGS]:
        story.append(Paragraph("• " + esc(t(key, lang, **dict(params))), small))
    if len(items) > MAX_WARNINGS:
        story.append(Paragraph(esc(t("report.more", lang, n=len(items) - MAX_WARNINGS)), small))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, t("report.page", lang, n=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=t("report.title", lang, name=title or "-",
                                                         level=t(f"level.{sc.level}", lang)), author="Xuequ")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
