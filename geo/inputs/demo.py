"""The demo district: a generated (fictional) Chinese urban district, deterministic for a seed.

Arterial roads every 400-800 m, branch roads between them, gated compounds (小区) in the blocks, a
meandering river with few bridges (so walking and straight-line distances disagree), about 20 primary
and 8 junior secondary schools (two nine-year schools among them) with seats and resource columns, and
about 300 compounds with 30,000 children in all. :func:`generate` builds it in memory;
:func:`write_demo` writes it as an OSM file, a schools CSV and a compounds GeoJSON, which then go
through the same loaders as a user's data. The schools also carry the raw columns of the 2017 audit
(:mod:`geo.equity.audit`), and two education groups (集团化办学) come with them: :func:`write_groups` writes
``groups.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, Polygon

from geo.inputs.files import write_text

SEED = 20261125
WIDTH_M, HEIGHT_M = 6000.0, 5200.0
ORIGIN_LONLAT = (104.232, 30.548)  # south-west corner: fictional district east of a real city's centre
ROTATION_DEG = 8.0
RIVER_HALF_WIDTH_M = 35.0
BRIDGES = 3
TOTAL_PRIMARY, TOTAL_JUNIOR = 20_000, 10_000

_STEMS = list("锦青文桂龙望双新星府玉芳紫长金梓蓝和春红华光蜀天建东南西北盛瑞安泰丰荣祥嘉宏兴")
_SECOND = list("华云星溪潭江林鸿辉河林草荆顺沙潼天平熙星阳汉府设城门湖苑昌康和源茂福瑞庆业隆")
_STREET_SUFFIX = {"primary": "大道", "secondary": "路", "tertiary": "街", "residential": "巷"}
_COMPOUND_SUFFIX = ["花园", "小区", "家园", "苑", "公寓", "新村", "雅居", "华庭", "名城", "佳苑", "府邸", "嘉园"]


@dataclass(frozen=True)
class DemoDistrict:
    """The generated district, in memory.

    Attributes
    ----------
    osm_xml : str
        The streets, schools (``amenity=school``) and compounds (``landuse=residential``) as OSM XML.
    schools : DataFrame
        The schools table as written to ``schools.csv`` (lon/lat columns, WGS-84), with the audit columns.
    compounds : GeoDataFrame
        The compounds with their children, WGS-84.
    groups : DataFrame or None
        The education groups (集团化办学): ``group_id``, ``group_name``, ``school_id``, ``role``.
    """

    osm_xml: str
    schools: pd.DataFrame
    compounds: gpd.GeoDataFrame
    groups: pd.DataFrame | None = None  # education groups (集团化办学): group_id, group_name, school_id, role


def _names(rng: np.random.Generator, n: int, used: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        name = rng.choice(_STEMS) + rng.choice(_SECOND)
        if name not in used and name[0] != name[1]:
            used.add(name)
            out.append(name)
    return out


def _spacing(rng: np.random.Generator, total: float) -> np.ndarray:
    pos = [0.0]
    while True:
        step = rng.uniform(400, 800)
        if pos[-1] + step > total - 300:
            pos.append(total)
            return np.array(pos)
        pos.append(pos[-1] + step)


def _river() -> LineString:
    x = np.linspace(-200, WIDTH_M + 200, 400)
    y = HEIGHT_M * 0.46 + 260 * np.sin(2 * np.pi * x / 3100 + 0.7) + 110 * np.sin(2 * np.pi * x / 1150)
    return LineString(np.column_stack([x, y]))


def _streets(rng: np.random.Generator, river: Polygon) -> tuple[list[LineString], list[dict]]:
    """Street centrelines and their tags, before noding."""
    xs, ys = _spacing(rng, WIDTH_M), _spacing(rng, HEIGHT_M)
    used: set[str] = set()
    lines: list[LineString] = []
    tags: list[dict] = []
    bridge_cols = set(rng.choice(np.arange(1, len(xs) - 1), size=BRIDGES, replace=False).tolist())

    def add(line: LineString, name: str, highway: str, bridge_ok: bool = False, oneway: bool = False) -> None:
        keep = line if bridge_ok else line.difference(river.buffer(20))
        for part in shapely.get_parts(keep):
            if part.length > 5:
                lines.append(part)
                tags.append({"highway": highway, "name": name, "oneway": oneway})

    for i, (x, name) in enumerate(zip(xs, _names(rng, len(xs), used))):
        hw = "primary" if i % 3 == 1 else "secondary"
        add(LineString([(x, 0), (x, HEIGHT_M)]), name + _STREET_SUFFIX[hw], hw, bridge_ok=i in bridge_cols)
    for j, (y, name) in enumerate(zip(ys, _names(rng, len(ys), used))):
        hw = "primary" if j % 3 == 1 else "secondary"
        add(LineString([(0, y), (WIDTH_M, y)]), name + _STREET_SUFFIX[hw], hw)
    # Riverside roads on both banks (滨河路).
    for side, label in ((1, "北滨河路"), (-1, "南滨河路")):
        bank = _river().offset_curve(side * (RIVER_HALF_WIDTH_M + 45))
        bank = shapely.clip_by_rect(bank, 0, 0, WIDTH_M, HEIGHT_M)
        for part in shapely.get_parts(bank):
            if part.length > 5:
                lines.append(part)
                tags.append({"highway": "secondary", "name": label, "oneway": False})
    # Branch roads inside each superblock: one across the longer side, sometimes a second one.
    for x0, x1 in zip(xs[:-1], xs[1:]):
        for y0, y1 in zip(ys[:-1], ys[1:]):
            w, h = x1 - x0, y1 - y0
            stem = _names(rng, 1, used)[0]
            hw = "tertiary" if rng.random() < 0.5 else "residential"
            oneway = hw == "residential" and rng.random() < 0.3
            if w >= h:
                cx = x0 + w * rng.uniform(0.35, 0.65)
                add(LineString([(cx, y0), (cx, y1)]), stem + _STREET_SUFFIX[hw], hw, oneway=oneway)
                if h > 520 and rng.random() < 0.8:
                    cy = y0 + h * rng.uniform(0.4, 0.6)
                    add(LineString([(x0, cy), (x1, cy)]), stem + "二" + _STREET_SUFFIX[hw], "residential")
            else:
                cy = y0 + h * rng.uniform(0.35, 0.65)
                add(LineString([(x0, cy), (x1, cy)]), stem + _STREET_SUFFIX[hw], hw, oneway=oneway)
                if w > 520 and rng.random() < 0.8:
                    cx = x0 + w * rng.uniform(0.4, 0.6)
                    add(LineString([(cx, y0), (cx, y1)]), stem + "二" + _STREET_SUFFIX[hw], "residential")
    return lines, tags


def _node(lines: list[LineString], tags: list[dict], river: Polygon
          ) -> tuple[np.ndarray, list[tuple[np.ndarray, dict]]]:
    """Split streets at every crossing: unique node coordinates and ways as node-index chains."""
    noded = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    tree = shapely.STRtree(lines)
    seg_i, line_i = tree.query(mids, predicate="dwithin", distance=0.01)
    owner = np.full(len(noded), -1)
    owner[seg_i[::-1]] = line_i[::-1]  # first match wins
    coords = shapely.get_coordinates(noded)
    key = np.round(coords, 2)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    counts = shapely.get_num_coordinates(noded)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    water = river.buffer(5)
    ways = []
    for s, c, o, seg in zip(starts, counts, owner, noded):
        if o < 0:
            continue
        t = dict(tags[o])
        t["bridge"] = bool(seg.intersects(water))
        ways.append((inv.ravel()[s:s + c], t))
    return uniq, ways


def generate(seed: int = SEED) -> DemoDistrict:
    """Build the demo district; the same seed gives the same district.

    Parameters
    ----------
    seed : int
        The random seed (the bundled files use :data:`SEED`).

    Returns
    -------
    DemoDistrict
    """
    rng = np.random.default_rng(seed)
    centre = _river()
    river = centre.buffer(RIVER_HALF_WIDTH_M, cap_style="flat")
    lines, tags = _streets(rng, river)
    nodes_xy, ways = _node(lines, tags, river)

    # Blocks between streets become compounds (inset behind their walls) or school sites.
    edges = shapely.node(shapely.multilinestrings(lines + [shapely.box(0, 0, WIDTH_M, HEIGHT_M).exterior]))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    blocks = [f.buffer(-15, join_style="mitre").difference(river.buffer(30)) for f in faces]
    blocks = [b for b in blocks if not b.is_empty and b.area > 8000]
    parcels = []
    for b in blocks:
        for part in shapely.get_parts(b):
            if part.area < 8000:
                continue
            minx, miny, maxx, maxy = part.bounds
            if part.area > 115_000:  # a big block holds two gated compounds side by side
                if maxx - minx >= maxy - miny:
                    mid = minx + (maxx - minx) * rng.uniform(0.4, 0.6)
                    halves = [shapely.box(minx, miny, mid - 6, maxy), shapely.box(mid + 6, miny, maxx, maxy)]
                else:
                    mid = miny + (maxy - miny) * rng.uniform(0.4, 0.6)
                    halves = [shapely.box(minx, miny, maxx, mid - 6), shapely.box(minx, mid + 6, maxx, maxy)]
                parcels += [part.intersection(h) for h in halves if part.intersection(h).area > 8000]
            else:
                parcels.append(part)
    parcels = [p for p in parcels if p.geom_type == "Polygon"]
    centroids = shapely.get_coordinates(shapely.centroid(parcels))

    # School sites: spread out (farthest-point sampling from a random start), 28 in all.
    n_sites = 26
    chosen = [int(rng.integers(len(parcels)))]
    mind = np.hypot(*(centroids - centroids[chosen[0]]).T)
    while len(chosen) < n_sites:
        cand = np.argsort(mind)[-6:]
        nxt = int(rng.choice(cand))
        chosen.append(nxt)
        mind = np.minimum(mind, np.hypot(*(centroids - centroids[nxt]).T))
    levels = ["primary"] * 18 + ["junior"] * 6 + ["nine_year"] * 2
    levels = list(rng.permutation(levels))
    school_idx = chosen
    compound_idx = [i for i in range(len(parcels)) if i not in set(school_idx)]

    to_lonlat = _projector()
    used: set[str] = set()
    # Compounds and their children (scaled to the district's totals).
    comp_polys = [parcels[i] for i in compound_idx]
    area = np.array([p.area for p in comp_polys])
    weight = area * rng.lognormal(0, 0.35, len(area))
    children_p = _apportion(weight, TOTAL_PRIMARY)
    children_j = _apportion(weight * rng.lognormal(0, 0.2, len(area)), TOTAL_JUNIOR)
    comp_names = [n + str(rng.choice(_COMPOUND_SUFFIX)) for n in _names(rng, len(comp_polys), used)]
    compounds = gpd.GeoDataFrame({
        "compound_id": [f"C{i + 1:03d}" for i in range(len(comp_polys))],
        "name": comp_names,
        "children_primary": children_p,
        "children_junior": children_j,
    }, geometry=[_transform(p, to_lonlat) for p in comp_polys], crs="EPSG:4326")

    schools = _schools(rng, [parcels[i] for i in school_idx], levels, to_lonlat, used)
    school_polys = [parcels[i] for i in school_idx]
    xml = _osm_xml(nodes_xy, ways, river, compounds, comp_polys, schools, school_polys, to_lonlat)
    schools, groups = _equity_columns(schools, seed)
    return DemoDistrict(xml, schools, compounds, groups)


def _apportion(weight: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers proportional to ``weight`` that add up to ``total`` (largest remainders)."""
    share = weight / weight.sum() * total
    out = np.floor(share).astype(np.int64)
    rest = total - out.sum()
    out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    return out


def _schools(rng, polys, levels, to_lonlat, used) -> pd.DataFrame:
    rows = []
    counters = {"primary": 0, "junior": 0, "nine_year": 0}
    suffix = {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校"}
    for poly, level, stem in zip(polys, levels, _names(rng, len(polys), used)):
        counters[level] += 1
        x, y = poly.centroid.x, poly.centroid.y
        lon, lat = to_lonlat(np.array([x]), np.array([y]))
        cls_p = int(rng.integers(3, 6)) if level != "junior" else 0  # classes per grade
        cls_j = int(rng.integers(7, 14)) if level == "junior" else (int(rng.integers(3, 6)) if level == "nine_year" else 0)
        cap_p, cap_j = cls_p * 6 * 45, cls_j * 3 * 50
        students = int(round((cap_p + cap_j) * rng.uniform(0.75, 1.05)))
        classes = cls_p * 6 + cls_j * 3
        teachers = int(round(students / rng.uniform(13, 19)))
        rows.append({
            "id": f"{ {'primary': 'P', 'junior': 'J', 'nine_year': 'N'}[level]}{counters[level]:02d}",
            "name": f"{stem}{suffix[level]}",
            "level": level,
            "capacity": cap_p + cap_j,
            "capacity_primary": cap_p if level == "nine_year" else "",
            "capacity_junior": cap_j if level == "nine_year" else "",
            "lon": round(float(lon[0]), 7),
            "lat": round(float(lat[0]), 7),
            "students": students,
            "classes": classes,
            "teachers": teachers,
            "floor_area_m2": int(round(students * rng.uniform(3.5, 8.0))),
            "sports_ground_m2": int(round(students * rng.uniform(4.0, 12.0))),
            "equipment_value_cny": int(round(students * rng.uniform(1500, 4000), -3)),
            "multimedia_rooms": int(round(classes * rng.uniform(0.8, 1.2))),
        })
    return pd.DataFrame(rows)


# The audit columns use their own generator (seeded from the demo seed + this constant), so that adding them
# left every earlier column, the network and the compounds exactly as they were.
EQUITY_SEED_OFFSET = 6017
GROUPS_FILE = "groups.csv"


def _equity_columns(schools: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Raw columns of the 2017 audit (see :mod:`geo.equity.audit`) and two education groups (集团化办学).

    Teachers above the required qualification, county-level backbone teachers and PE/art teachers are shares
    of each school's teachers; nine-year schools get their students and classes per level (from their seats
    per level). Backbone teachers are concentrated in the two groups' lead schools, as they are in real
    districts, so that their coefficient of variation sits near the audit's limit.
    """
    rng = np.random.default_rng(seed + EQUITY_SEED_OFFSET)
    s = schools.copy()
    n = len(s)
    level = s["level"].to_numpy()
    teachers = s["teachers"].to_numpy(dtype=float)
    students = s["students"].to_numpy(dtype=float)
    junior = level == "junior"
    s["qualified_teachers"] = np.round(teachers * np.where(junior, rng.uniform(0.74, 1.0, n),
                                                           rng.uniform(0.62, 0.97, n))).astype(np.int64)
    backbone_per100 = rng.lognormal(np.log(0.95), 0.25, n)
    s["pe_art_teachers"] = np.round(teachers * rng.uniform(0.115, 0.19, n)).astype(np.int64)

    # Lead schools: the primary school and the junior (or nine-year) school with the most backbone teachers
    # per student; each group takes the schools nearest its lead (by coordinates; never another group's).
    lon, lat = s["lon"].to_numpy(dtype=float), s["lat"].to_numpy(dtype=float)
    xy = np.column_stack([lon * np.cos(np.deg2rad(lat.mean())), lat])
    leads = [int(np.argmax(np.where(level == "primary", backbone_per100, -1))),
             int(np.argmax(np.where(level != "primary", backbone_per100, -1)))]
    backbone_per100[leads] *= 1.9
    s["backbone_teachers"] = np.round(students * backbone_per100 / 100).astype(np.int64)
    taken = set(leads)
    rows = []
    for g, (lead, size) in enumerate(zip(leads, (4, 5)), start=1):
        dist = np.hypot(*(xy - xy[lead]).T)
        members = [int(i) for i in np.argsort(dist, kind="stable") if int(i) not in taken][:size - 1]
        taken.update(members)
        name = str(s["name"].iloc[lead])
        for i, role in [(lead, "lead")] + [(m, "member") for m in members]:
            rows.append({"group_id": f"G{g}", "group_name": f"{name}教育集团", "school_id": s["id"].iloc[i],
                         "role": role})

    nine = level == "nine_year"
    cap_p = pd.to_numeric(s["capacity_primary"], errors="coerce").to_numpy(dtype=float)
    cap_j = pd.to_numeric(s["capacity_junior"], errors="coerce").to_numpy(dtype=float)
    sp = np.round(students * cap_p / (cap_p + cap_j))
    blank = np.full(n, "", dtype=object)
    s["students_primary"] = np.where(nine, np.nan_to_num(sp).astype(np.int64), blank)
    s["students_junior"] = np.where(nine, np.nan_to_num(students - sp).astype(np.int64), blank)
    s["classes_primary"] = np.where(nine, np.nan_to_num(cap_p / 45).astype(np.int64), blank)
    s["classes_junior"] = np.where(nine, np.nan_to_num(cap_j / 50).astype(np.int64), blank)
    return s, pd.DataFrame(rows)


def groups_csv(district: DemoDistrict) -> str:
    """The education groups as CSV text, formula-safe.

    Parameters
    ----------
    district : DemoDistrict
        The district.

    Returns
    -------
    str
        ``group_id,group_name,school_id,role`` rows.
    """
    # formula-safe, as every CSV the project writes; lazy: render sits above inputs in the data flow
    from geo.render.export import safe_frame

    return safe_frame(district.groups).to_csv(index=False, lineterminator="\n")


def write_groups(out_dir: str | Path, district: DemoDistrict | None = None, seed: int = SEED) -> Path:
    """Write the education groups as :data:`GROUPS_FILE`.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created if needed).
    district : DemoDistrict, optional
        The district; default generated for ``seed``.
    seed : int
        The random seed, when ``district`` is not given.

    Returns
    -------
    Path
        The file written.
    """
    return write_text(Path(out_dir) / GROUPS_FILE, groups_csv(district or generate(seed)))


def write_demo(out_dir: str | Path, seed: int | None = None) -> Path:
    """Generate the demo district and write it as a user's files would come.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created if needed).
    seed : int, optional
        The random seed; default :data:`SEED`.

    Returns
    -------
    Path
        ``out_dir``, holding ``district.osm``, ``schools.csv``, ``compounds.geojson`` and ``groups.csv`` (its two
        education groups).
    """
    # formula-safe, as every CSV the project writes; lazy: render sits above inputs in the data flow
    from geo.render.export import safe_frame

    d = generate(SEED if seed is None else seed)
    out = Path(out_dir)
    write_text(out / "district.osm", d.osm_xml)
    write_text(out / "schools.csv", safe_frame(d.schools).to_csv(index=False, lineterminator="\n"))
    write_text(out / "compounds.geojson", d.compounds.to_json(drop_id=True, ensure_ascii=False, indent=None) + "\n")
    write_text(out / "groups.csv", groups_csv(d))
    return out


def _projector():
    crs = pyproj.CRS.from_epsg(32648)
    fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ox, oy = fwd.transform(*ORIGIN_LONLAT)
    a = np.deg2rad(ROTATION_DEG)
    ca, sa = np.cos(a), np.sin(a)

    def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rx, ry = x * ca - y * sa, x * sa + y * ca
        return inv.transform(ox + rx, oy + ry)

    return to_lonlat


def _transform(geom, to_lonlat):
    return shapely.transform(geom, lambda c: np.column_stack(to_lonlat(c[:, 0], c[:, 1])))


def _osm_xml(nodes_xy, ways, river, compounds, comp_polys, schools, school_polys, to_lonlat) -> str:
    lon, lat = to_lonlat(nodes_xy[:, 0], nodes_xy[:, 1])
    out = ["<?xml version='1.0' encoding='UTF-8'?>",
           '<osm version="0.6" generator="xuequ demo (generated, fictional district)">']
    out.append(f'  <bounds minlat="{lat.min():.7f}" minlon="{lon.min():.7f}" maxlat="{lat.max():.7f}" '
               f'maxlon="{lon.max():.7f}"/>')
    for i, (a, b) in enumerate(zip(lon, lat)):
        out.append(f'  <node id="{i + 1}" lat="{b:.7f}" lon="{a:.7f}" version="1"/>')
    next_node = len(lon) + 1
    extra_nodes: list[str] = []
    way_xml: list[str] = []
    way_id = 1

    def ring(coords: np.ndarray) -> list[int]:
        nonlocal next_node
        lo, la = to_lonlat(coords[:-1, 0], coords[:-1, 1])
        ids = []
        for a, b in zip(lo, la):
            extra_nodes.append(f'  <node id="{next_node}" lat="{b:.7f}" lon="{a:.7f}" version="1"/>')
            ids.append(next_node)
            next_node += 1
        return ids + ids[:1]

    def way(ids, tags: dict) -> None:
        nonlocal way_id
        body = "".join(f'\n    <nd ref="{n}"/>' for n in ids)
        tag = "".join(f"\n    <tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in tags.items())
        way_xml.append(f'  <way id="{way_id}" version="1">{body}{tag}\n  </way>')
        way_id += 1

    for chain, t in ways:
        tags = {"highway": t["highway"], "name": t["name"]}
        if t["oneway"]:
            tags["oneway"] = "yes"
        if t["bridge"]:
            tags["bridge"] = "yes"
            tags["layer"] = "1"
        way(chain + 1, tags)
    way(ring(np.asarray(river.simplify(2).exterior.coords)), {"natural": "water", "water": "river", "name": "清水河"})
    for poly, (_, row) in zip(comp_polys, compounds.iterrows()):
        way(ring(np.asarray(poly.exterior.coords)), {"landuse": "residential", "name": row["name"]})
    for poly, (_, row) in zip(school_polys, schools.iterrows()):
        way(ring(np.asarray(poly.exterior.coords)), {"amenity": "school", "name": row["name"]})
    out += extra_nodes + way_xml + ["</osm>", ""]
    return "\n".join(out)


# --- the forecast's demo tables (generated) -------------------------------------------------------------

FORECAST_BASE_YEAR = 2025
FORECAST_FILES = ("ages.csv", "housing.csv", "enrolment_history.csv")
GENERATED = "生成数据（演示用，非真实统计） / generated for the demo, not real statistics"
# Each single year of age relative to the average of its level's ages, for the ages 0-14 at the end of 2025:
# a made-up shape in the manner of China's falling births (the younger, the fewer), not a published series.
_AGE_SHAPE = np.array([0.55, 0.53, 0.57, 0.62, 0.72, 0.84, 0.90, 0.95, 1.00, 1.03, 1.05, 1.07, 0.97, 1.00, 1.03])


def forecast_tables(district: DemoDistrict | None = None, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Generated inputs for the forecast on the demo district: children by age per compound, a few planned
    compounds, and five years of enrolment by grade per school. Every row says it is generated (the
    ``数据来源`` column).

    Children by age follow each compound's primary and junior children (ages 6-11 and 12-14) with a made-up
    shape of falling births for the younger ages (:data:`_AGE_SHAPE`); history grows each school's grade 1
    from its seats and moves pupils up with ratios near 0.99.

    Parameters
    ----------
    district : DemoDistrict, optional
        The district; default generated for ``seed``.
    seed : int
        The random seed.

    Returns
    -------
    dict
        File name (:data:`FORECAST_FILES`) -> table.
    """
    d = district or generate(seed)
    rng = np.random.default_rng(seed + 16)
    c = d.compounds
    per_p = c["children_primary"].to_numpy(dtype=float) / 6
    per_j = c["children_junior"].to_numpy(dtype=float) / 3
    level_mean = np.where(np.arange(15) < 12, 1, 0)[None, :] * per_p[:, None] + \
        np.where(np.arange(15) >= 12, 1, 0)[None, :] * per_j[:, None]
    counts = rng.poisson(level_mean * _AGE_SHAPE[None, :])
    ages = pd.DataFrame({"compound_id": c["compound_id"].to_numpy(), "小区名称": c["name"].to_numpy(),
                         "年份": FORECAST_BASE_YEAR})
    for a in range(15):
        ages[f"{a}岁"] = counts[:, a]
    ages["数据来源"] = GENERATED

    pts = c.geometry.representative_point()
    pick = rng.choice(len(c), size=4, replace=False)
    housing = pd.DataFrame({
        "项目编号": [f"H{i + 1:02d}" for i in range(4)],
        "项目名称": ["滨河新城一期", "滨河新城二期", "东湖雅居", "锦绣华庭"],
        "户数": [1200, 900, 600, 800],
        "交付年份": [2027, 2029, 2028, 2031],
        "每百户学生数": [18.0, 18.0, np.nan, 15.0],
        "lon": np.round(pts.x.to_numpy()[pick] + 0.002, 6),
        "lat": np.round(pts.y.to_numpy()[pick] + 0.001, 6),
        "数据来源": GENERATED,
    })

    rows = []
    s = d.schools
    for r in s.itertuples():  # a few dozen schools
        for level, first, n_grades in (("primary", 1, 6), ("junior", 7, 3)):
            if r.level not in (level, "nine_year"):
                continue
            cap = getattr(r, f"capacity_{level}") if r.level == "nine_year" else r.capacity
            fill = rng.uniform(0.75, 1.02)
            grade1 = cap / n_grades * fill * rng.normal(1.0, 0.04, size=5 + n_grades - 1)
            for y in range(5):
                year = FORECAST_BASE_YEAR - 4 + y
                for g in range(n_grades):
                    cohort = grade1[y - g + n_grades - 1]  # entered g years before
                    pupils = cohort * 0.99 ** g * rng.normal(1.0, 0.01)
                    rows.append((r.id, r.name, year, first + g, int(round(pupils)), GENERATED))
    history = pd.DataFrame(rows, columns=["school_id", "学校名称", "年份", "年级", "在校生数", "数据来源"])
    return {"ages.csv": ages, "housing.csv": housing, "enrolment_history.csv": history}


def write_forecast_demo(out_dir: str | Path, district: DemoDistrict | None = None, seed: int = SEED) -> list[Path]:
    """Write the forecast's generated demo tables (:func:`forecast_tables`) as CSV files.

    Parameters
    ----------
    out_dir : str or Path
        The folder (created if needed).
    district : DemoDistrict, optional
        The district; default generated for ``seed``.
    seed : int
        The random seed.

    Returns
    -------
    list of Path
        The files written (:data:`FORECAST_FILES`).
    """
    from geo.render.export import safe_frame  # formula-safe, as every CSV the project writes

    return [write_text(Path(out_dir) / name, safe_frame(table).to_csv(index=False, lineterminator="\n"))
            for name, table in forecast_tables(district, seed).items()]
