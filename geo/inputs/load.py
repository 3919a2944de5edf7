"""All inputs at once: schools and compounds from an OSM file or a user's table, and :class:`Inputs` from files
(:func:`load_inputs`) or a place downloaded from OpenStreetMap (:func:`inputs_from_place`).

Loading imports what reading needs only: not the zoning solvers, not the demo district.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InputError
from geo.inputs import coords as _coords
from geo.inputs import schools as _schools
from geo.inputs.demand import DemandParams, compounds_from_osm, normalise_compounds
from geo.inputs.model import Inputs
from geo.inputs.osm import (
    is_osm_file,
    load_network_checked,
    load_osm,
    network_from_place,
    place_features,
    read_osm_features,
)
from geo.inputs.schools import normalise_schools, schools_from_osm
from geo.inputs.tables import read_table_checked
from geo.network.graph import WALK, Network, network_from_points, utm_crs


def load_schools(source: str | Path, *, name: str | None = None, data: bytes | None = None,
                 coords: str = "wgs84", mapping: dict | None = None, keep_unleveled: bool = False):
    """Schools from an OSM file (``amenity=school``) or a user's table, normalised and checked.

    Parameters
    ----------
    source : str or Path
        An OSM file, or a table (see :func:`geo.inputs.tables.read_table`).
    name : str, optional
        The file name, for messages and the format, when ``data`` is given.
    data : bytes, optional
        The table's bytes (an upload; never an OSM file).
    coords : str
        The table's coordinate system: ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (an OSM file is always WGS-84).
    mapping : dict, optional
        The table's column for each field (see :func:`geo.inputs.mapping.propose_mapping`).
    keep_unleveled : bool
        From an OSM file, keep the schools whose name does not say their level (level
        :data:`geo.inputs.schools.UNLEVELED`; see :func:`geo.inputs.schools.schools_from_osm`).

    Returns
    -------
    table : GeoDataFrame
        One row per school (:func:`geo.inputs.schools.normalise_schools`), WGS-84.
    warnings : list of (key, params)

    Raises
    ------
    InputError
        For a file that cannot be read or a table that fails a check, naming the row.
    """
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        found: list[tuple[str, dict]] = []
        table, warns = schools_from_osm(read_osm_features(source, {"amenity": "school"}, found), keep_unleveled)
        return table, found + warns
    gdf, warns = read_table_checked(source, name=name, data=data, coords=coords, mapping=mapping)
    table = normalise_schools(gdf, label)
    estimated = _schools.estimated_capacity_warning(table, label)
    return table, warns + ([estimated] if estimated else [])


def load_compounds(source: str | Path, params=None, *, name: str | None = None, data: bytes | None = None,
                   coords: str = "wgs84", mapping: dict | None = None):
    """Compounds from an OSM file (``landuse=residential``) or a user's table, normalised and checked.

    Parameters
    ----------
    source : str or Path
        An OSM file, or a table (see :func:`geo.inputs.tables.read_table`).
    params : DemandParams, optional
        How children are estimated from OSM areas (default :class:`geo.inputs.demand.DemandParams`).
    name, data, coords, mapping
        As for :func:`load_schools`.

    Returns
    -------
    table : GeoDataFrame
        One row per compound (:func:`geo.inputs.demand.normalise_compounds`), WGS-84.
    warnings : list of (key, params)

    Raises
    ------
    InputError
        For a file that cannot be read or a table that fails a check, naming the row.
    """
    label = name or Path(source).name
    if data is None and is_osm_file(source):
        found: list[tuple[str, dict]] = []
        table, warns = compounds_from_osm(read_osm_features(source, {"landuse": "residential"}, found),
                                          params or DemandParams())
        return table, found + warns
    gdf, warns = read_table_checked(source, name=name, data=data, coords=coords, mapping=mapping)
    return normalise_compounds(gdf, label), warns


def gcj_offset_warning(points: gpd.GeoDataFrame | gpd.GeoSeries, network: Network, *, file: str = "",
                       kind: str = "@kind.schools") -> tuple[str, dict] | None:
    """A warning when points loaded as WGS-84 sit off the streets by the typical GCJ-02 offset.

    That is, converting them from GCJ-02 brings them markedly closer to the streets (median distance to the
    nearest street; see :func:`geo.inputs.coords.gcj_offset_check`).

    Parameters
    ----------
    points : GeoDataFrame or GeoSeries
        The schools or compounds, as loaded.
    network : Network
        The streets.
    file : str
        The file name, for the message.
    kind : str
        What the points are, as a translation reference (``"@kind.schools"``).

    Returns
    -------
    tuple or None
        ``("warn.gcj_offset", params)``, else ``None``.
    """
    geom = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geom = geom[~(geom.isna() | geom.is_empty)].to_crs("EPSG:4326")
    if len(geom) == 0:
        return None
    pts = geom.where(geom.geom_type == "Point", geom.representative_point())
    found = _coords.gcj_offset_check(pts.x.to_numpy(), pts.y.to_numpy(), network)
    if found is None:
        return None
    return "warn.gcj_offset", {"kind": kind, "file": file, "given": found["given_m"],
                               "converted": found["converted_m"]}


def load_inputs(network: str | Path | None, schools: str | Path | None = None, demand: str | Path | None = None,
                mode: str = WALK, params=None, *, name: str = "", coords: str = "wgs84",
                schools_coords: str | None = None, compounds_coords: str | None = None,
                schools_mapping: dict | None = None, compounds_mapping: dict | None = None,
                default_seats: int | dict | None = None, progress=None) -> Inputs:
    """Network, schools and compounds from files; schools and compounds default to the OSM file's own.

    Tables read as WGS-84 that sit off the streets by the GCJ-02 offset get a warning
    (:func:`gcj_offset_warning`); a warning found in several files of the same OSM file is given once.

    Without a street network (``network=None``) the schools and compounds tables alone make a straight-line
    network (:func:`straight_line_network`): straight-line and capacity-optimal zoning and every figure then
    use straight-line distances, and the inputs carry the warning ``warn.straight_line`` (walking distance
    unknown).

    Parameters
    ----------
    network : str or Path or None
        An OSM file (XML, bz2 or PBF), or ``None`` for none.
    schools, demand : str or Path, optional
        The schools and the compounds: an OSM file or a table; default ``network`` (both needed without one).
    mode : str
        ``"walk"`` or ``"drive"``.
    params : DemandParams, optional
        How children are estimated from OSM areas.
    name : str
        The data set's name; default the network file's name.
    coords : str
        The coordinate system of the schools and compounds tables: ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.
    schools_coords, compounds_coords : str, optional
        One table's coordinate system, apart from ``coords``.
    schools_mapping, compounds_mapping : dict, optional
        Each table's column for each field (see :func:`geo.inputs.mapping.propose_mapping`).
    default_seats : int or dict, optional
        Seats of a school whose file gives none: one number for every level, or a level -> seats dict; default
        :data:`geo.inputs.schools.DEFAULT_CAPACITY` (China's standard class sizes).
    progress : callable, optional
        ``progress(fraction, objects)`` while the OSM file is read (see :func:`geo.inputs.osm.load_osm`).

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        For a file that cannot be read or fails a check, no schools or no compounds at all (``err.empty``), or
        no network and not both tables (``err.no_network_tables``).
    ValueError
        For an unknown ``mode`` or coordinate system.
    """
    if network is None and not (schools and demand):
        raise InputError("err.no_network_tables", schools=Path(schools).name if schools else "-",
                         compounds=Path(demand).name if demand else "-")
    systems = {"s": _coords.check_system(schools_coords or coords), "c": _coords.check_system(compounds_coords or coords)}
    own = {}  # the OSM file's own schools and compounds, read in the same pass as its streets
    if network is not None and is_osm_file(network) and not (schools and demand):
        net, wn, own["s"], own["c"] = load_osm(network, mode, progress=progress)
    else:
        net, wn = load_network_checked(network, mode) if network is not None else (None, [])
        if progress is not None:
            progress(1.0, 0)
    schools = schools or network
    demand = demand or network
    assert schools is not None and demand is not None
    if "s" in own and schools == network:
        s, ws = schools_from_osm(own["s"], True)
    else:
        s, ws = load_schools(schools, coords=systems["s"], mapping=schools_mapping, keep_unleveled=True)
    unleveled = (s["level"] == _schools.UNLEVELED).to_numpy()
    s, other = s[~unleveled].reset_index(drop=True), s[unleveled].reset_index(drop=True)
    if "c" in own and demand == network:
        c, wc = compounds_from_osm(own["c"], params or DemandParams())
    else:
        c, wc = load_compounds(demand, params, coords=systems["c"], mapping=compounds_mapping)
    s, ws = _schools.apply_default_seats(s, ws, default_seats)
    if len(s) == 0:
        raise InputError("err.empty", file=Path(schools).name, kind="@kind.schools")
    if len(c) == 0:
        raise InputError("err.empty", file=Path(demand).name, kind="@kind.compounds")
    offsets = []
    if net is None:  # no streets: distances are straight lines between the schools and compounds
        net, wn = straight_line_network(s, c, mode), [("warn.straight_line", {})]
    else:
        for src, table, kind, system in ((schools, s, "@kind.schools", systems["s"]),
                                         (demand, c, "@kind.compounds", systems["c"])):
            if system == _coords.WGS84 and not is_osm_file(src):
                w = gcj_offset_warning(table, net, file=Path(src).name, kind=kind)
                offsets += [w] if w else []
    unique: dict[str, tuple[str, dict]] = {}
    for w in wn + ws + wc + offsets:  # an OSM file read for the network, schools and compounds warns once
        unique.setdefault(repr(w), w)
    return Inputs(net, s, c, name=name or Path(network or demand).name,
                  sources={"schools": Path(schools).name, "compounds": Path(demand).name},
                  warnings=tuple(unique.values()), unleveled=other)


def straight_line_network(schools: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, mode: str = WALK) -> Network:
    """The straight-line network of schools and compounds, for data without streets.

    Its nodes are the schools and each compound's representative point (as ``Inputs.compound_xy`` takes it)
    in their local UTM zone, so every school and compound stands on a node of its own
    (see :func:`geo.network.graph.network_from_points`).

    Parameters
    ----------
    schools, compounds : GeoDataFrame
        Normalised (WGS-84).
    mode : str
        Recorded on the network.

    Returns
    -------
    Network
        With ``straight_line=True``.
    """
    s_geom, c_geom = schools.geometry.to_crs("EPSG:4326"), compounds.geometry.to_crs("EPSG:4326")
    ll = np.concatenate([shapely.get_coordinates(s_geom.to_numpy()), shapely.get_coordinates(c_geom.to_numpy())])
    crs = utm_crs(ll[:, 0], ll[:, 1]).to_string()
    xy = np.concatenate([shapely.get_coordinates(s_geom.to_crs(crs).to_numpy()),
                         shapely.get_coordinates(c_geom.to_crs(crs).representative_point().to_numpy())])
    return network_from_points(xy[:, 0], xy[:, 1], crs, mode)


def inputs_from_place(place: str, mode: str = WALK, params=None) -> Inputs:
    """Network, schools and compounds of a named place, downloaded from OpenStreetMap (needs the internet).

    Parameters
    ----------
    place : str
        A name the geocoder knows (``"成都市锦江区"``).
    mode : str
        ``"walk"`` or ``"drive"``.
    params : DemandParams, optional
        How children are estimated from OSM areas.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        For a place the geocoder does not know, or one with no streets, schools or compounds.
    OfflineError
        When OpenStreetMap cannot be reached.
    """
    net = network_from_place(place, mode)
    s, ws = schools_from_osm(place_features(place, {"amenity": "school"}))
    c, wc = compounds_from_osm(place_features(place, {"landuse": "residential"}), params or DemandParams())
    if len(s) == 0:
        raise InputError("err.empty", file=place, kind="@kind.schools")
    if len(c) == 0:
        raise InputError("err.empty", file=place, kind="@kind.compounds")
    return Inputs(net, s, c, name=place, sources={"schools": place, "compounds": place}, warnings=tuple(ws + wc))
