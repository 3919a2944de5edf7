"""A planner's decisions about one zone list: which loose street matches to accept or reject, and where the listed
schools that no table locates stand.

- :func:`zone_digest`: a list's identity (its entries), so decisions follow the list, not a file name;
- :class:`ChoiceBook`: loose-match choices remembered per list in the user's data folder (one small JSON file per
  list), for the page;
- :func:`read_choices`: choices from a table (the ``loose-matches.csv`` that ``xuequ zonetext read`` writes, its
  ``accepted`` column edited), for the command line;
- :func:`load_places`: listed schools located by a table (name, lon / lat, optional seats), or by clicks on the
  map (:func:`places_frame`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.inputs.columns import find_column, require_column
from geo.inputs.schools import CAPACITY_ALIASES, MAX_SEATS, NAME_ALIASES
from geo.inputs.tables import read_plain_table, read_table_checked
from geo.official.parse import ZoneText

Choices = dict[tuple[str, str], bool]
_YES = {"true", "1", "1.0", "yes", "y", "accept", "是", "接受", "采用", "✓"}
_NO = {"false", "0", "0.0", "no", "n", "reject", "否", "拒绝", "不采用", "✗"}
SCHOOL_ALIASES = ("school", "学校", "学校名称")
STREET_ALIASES = ("street", "街道", "路名", "道路")
ACCEPTED_ALIASES = ("accepted", "接受", "采用")
CHOICE_ALIASES = ("choice", "选择", "决定")


def zone_digest(zone: ZoneText) -> str:
    """A list's identity: a hash of its schools and streets in order (the same list read from another file, or pasted,
    has the same digest).

    Parameters
    ----------
    zone : ZoneText
        A parsed list.

    Returns
    -------
    str
        16 hex digits.
    """
    e = zone.entries
    h = hashlib.sha256()
    for row in zip(e["school"].astype(str), e["street"].astype(str), e["text"].astype(str), strict=True):
        h.update("\x1f".join(row).encode("utf-8") + b"\x1e")
    return h.hexdigest()[:16]


class ChoiceBook:
    """The planner's decisions about each list, one JSON file per list in ``folder``: loose-match choices and the
    places given to listed schools that no table locates.

    Parameters
    ----------
    folder : str or Path
        Where the files live (the page uses ``<data folder>/zone-choices``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, digest: str) -> Path:
        if not digest.isalnum():
            raise ValueError("digest must be alphanumeric")
        return self.folder / f"{digest}.json"

    def _read(self, digest: str) -> dict:
        try:
            doc = json.loads(self._path(digest).read_text(encoding="utf-8"))
            return doc if isinstance(doc, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write(self, digest: str, doc: dict) -> None:
        path = self._path(digest)  # the name is checked before anything is written
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
        os.replace(tmp, path)

    def get(self, digest: str) -> Choices:
        """The loose-match choices made for a list (empty when none, or the file is unreadable).

        Parameters
        ----------
        digest : str
            The list's :func:`zone_digest`.

        Returns
        -------
        dict of (school, street) to bool
        """
        out: Choices = {}
        for r in self._read(digest).get("choices", []):
            try:
                yes = _yes_no(r["accepted"])
            except (KeyError, TypeError):
                continue
            if yes is not None:
                out[(str(r["school"]), str(r["street"]))] = yes
        return out

    def set(self, digest: str, school: str, street: str, accepted: bool | None) -> Choices:
        """Record one choice (``None`` forgets it: the distance rule decides again), written atomically.

        Parameters
        ----------
        digest : str
            The list's :func:`zone_digest`.
        school, street : str
            As the list writes them.
        accepted : bool or None

        Returns
        -------
        dict
            All choices for the list after the change.
        """
        choices = self.get(digest)
        if accepted is None:
            choices.pop((school, street), None)
        else:
            choices[(school, street)] = bool(accepted)
        doc = self._read(digest)
        doc["choices"] = [{"school": s, "street": t, "accepted": a} for (s, t), a in sorted(choices.items())]
        self._write(digest, doc)
        return choices

    def places(self, digest: str) -> dict[str, tuple[float, float]]:
        """The places given to a list's schools: name -> (lon, lat), WGS-84.

        Parameters
        ----------
        digest : str
            The list's :func:`zone_digest`.

        Returns
        -------
        dict
        """
        out = {}
        for r in self._read(digest).get("places", []):
            try:
                lon, lat = float(r["lon"]), float(r["lat"])
            except (KeyError, TypeError, ValueError):
                continue
            if str(r.get("name", "")).strip() and _lonlat_ok(lon, lat):  # a damaged entry is skipped, not fatal
                out[str(r["name"])] = (lon, lat)
        return out

    def place(self, digest: str, name: str, lonlat: tuple[float, float] | None) -> dict[str, tuple[float, float]]:
        """Place a listed school (``None`` removes its place), written atomically.

        Parameters
        ----------
        digest : str
            The list's :func:`zone_digest`.
        name : str
            The school as the list writes it.
        lonlat : (float, float) or None
            WGS-84.

        Returns
        -------
        dict
            All places for the list after the change.
        """
        places = self.places(digest)
        if lonlat is not None and not _lonlat_ok(float(lonlat[0]), float(lonlat[1])):
            raise ValueError("lon/lat must be finite, -180..180 and -90..90")
        if lonlat is None:
            places.pop(name, None)
        else:
            places[name] = (float(lonlat[0]), float(lonlat[1]))
        doc = self._read(digest)
        doc["places"] = [{"name": n, "lon": x, "lat": y} for n, (x, y) in sorted(places.items())]
        self._write(digest, doc)
        return places


def _lonlat_ok(lon: float, lat: float) -> bool:
    return bool(np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90)


def _yes_no(value: object) -> bool | None:
    """A yes / no cell: True, False, or None when blank (no choice); ValueError for anything else."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and float(value) in (0.0, 1.0):
        return float(value) == 1.0
    word = str(value).strip().lower()
    if word in ("", "nan", "none"):
        return None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(word)


def read_choices(source: str | Path, *, name: str | None = None, data: bytes | None = None) -> Choices:
    """Loose-match choices from a table: ``school``, ``street`` and the planner's column — ``choice`` when the
    table has one (as ``loose-matches.csv`` has: fill it with accept / reject, 是 / 否), else ``accepted``. Yes /
    no words, true / false, 1 / 0 are read; a blank cell is no choice (the distance rule decides).

    Parameters
    ----------
    source : str or Path
        A CSV or XLSX file (``loose-matches.csv`` or ``far-streets.csv`` as written by ``xuequ zonetext read``,
        with the planner's column filled).
    name, data
        A file name and its bytes (an upload).

    Returns
    -------
    dict of (school, street) to bool

    Raises
    ------
    InputError
        Naming the file, row and column of a missing column or a value that is neither yes nor no.
    """
    label = name or Path(source).name
    df = read_plain_table(source, name=name, data=data)
    school = require_column(df, SCHOOL_ALIASES, label)
    street = require_column(df, STREET_ALIASES, label)
    column = find_column(df, CHOICE_ALIASES) or require_column(df, ACCEPTED_ALIASES, label)
    out: Choices = {}
    for i, (s, t, a) in enumerate(zip(df[school], df[street], df[column], strict=True)):
        try:
            yes = _yes_no(a)
        except ValueError:
            raise InputError("err.bad_value", file=label, row=i + 1, field=column, value=a,
                             hint="@hint.accepted") from None
        if yes is not None:
            out[(str(s).strip(), str(t).strip())] = yes
    return out


def load_places(source: str | Path, *, name: str | None = None, data: bytes | None = None,
                coords: str = "wgs84") -> gpd.GeoDataFrame:
    """Listed schools located by a table: a name (as the list writes it), lon / lat (or a point geometry), and
    optionally seats.

    Parameters
    ----------
    source : str or Path
        A CSV / XLSX / GeoJSON file.
    name, data
        A file name and its bytes (an upload).
    coords : str
        The coordinate system of the table (``wgs84``, ``gcj02``, ``bd09``).

    Returns
    -------
    GeoDataFrame
        ``name``, ``capacity`` (NaN where not given) and point geometry, WGS-84.

    Raises
    ------
    InputError
        For a file that cannot be read, no name column, or seats that are not a whole number up to the limit.
    """
    label = name or Path(source).name
    gdf, _ = read_table_checked(source, name=name, data=data, coords=coords)
    col = require_column(gdf, NAME_ALIASES, label)
    cap = find_column(gdf, CAPACITY_ALIASES)
    seats = pd.to_numeric(gdf[cap], errors="coerce") if cap else pd.Series(float("nan"), index=gdf.index)
    bad = seats.notna() & ((seats <= 0) | (seats > MAX_SEATS) | (seats % 1 != 0))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError("err.bad_value", file=label, row=i + 1, field=cap, value=gdf[cap].iloc[i],
                         hint="@hint.seats")
    geom = gdf.geometry.representative_point() if len(gdf) else gdf.geometry
    return gpd.GeoDataFrame({"name": gdf[col].astype(str).str.strip().to_numpy(), "capacity": seats.to_numpy()},
                            geometry=geom.to_numpy(), crs="EPSG:4326")


def places_frame(points: Mapping[str, tuple[float, float]] | Iterable[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    """Listed schools located by clicks: name -> (lon, lat).

    Parameters
    ----------
    points : mapping or iterable
        ``{name: (lon, lat)}`` or ``(name, lon, lat)`` triples, WGS-84.

    Returns
    -------
    GeoDataFrame
        As :func:`load_places`.
    """
    items = list(points.items()) if isinstance(points, Mapping) else [(n, (x, y)) for n, x, y in points]
    return gpd.GeoDataFrame({"name": [str(n) for n, _ in items], "capacity": [float("nan")] * len(items)},
                            geometry=[shapely.Point(float(x), float(y)) for _, (x, y) in items], crs="EPSG:4326")
