"""Reports on zone lists: how a city's district lists match a network (:func:`match_table`), and report
tables as CSV for the command line and the page (:func:`report_csv`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.inputs.model import Inputs
from geo.network.graph import Network
from geo.official.match import match_entries, street_index
from geo.official.names import LOOSE, MATCHED, UNMATCHED, City, load_city, normalise_school
from geo.official.parse import ZoneText, read_zone_dir
from geo.render.export import table_csv


def district_of(file_name: str, city: City | None = None) -> str:
    """The district a zone-list file belongs to, by its name (the city's ``zone_files``).

    Parameters
    ----------
    file_name : str
        The file's name (``2025_锦江区_小学划片.md``).
    city : City, optional
        Default: Chengdu (:func:`~geo.official.names.load_city`).

    Returns
    -------
    str
        The district (``锦江``), else the file's name without its suffix.
    """
    return (city or load_city()).district_of(file_name)


def match_table(zone_dir: str | Path, network: Network, city: City | None = None,
                inputs: Inputs | None = None, level: str = "primary") -> pd.DataFrame:
    """For each district (all of its files together), how many listed streets matched the network exactly,
    loosely or not at all.

    Parameters
    ----------
    zone_dir : str or Path
        A folder of zone lists (:func:`~geo.official.parse.read_zone_dir`).
    network : Network
        The street network.
    city : City, optional
        Whose ``zone_files`` say which district a file belongs to, and whose prefixes names are stripped of;
        default: Chengdu.
    inputs : Inputs, optional
        Schools and compounds on ``network``: each district's list is then also read as a plan
        (:func:`geo.official.plan.official_plan`), adding ``loose_rejected`` (loose matches too far from their
        school), ``loose_unchecked`` (loose matches with nothing to check them against), ``schools`` /
        ``schools_located`` and ``compounds_covered`` (within reach of a listed street).
    level : str
        The lists' school level, with ``inputs``.

    Returns
    -------
    DataFrame
        One row per district, sorted: ``files``; distinct street names (``streets``, ``streets_matched``,
        ``streets_loose``, ``streets_unmatched``); entries (``entries``, ``entries_matched``...; an entry listed in
        two files with the same school, street, qualifier and house numbers counts once); ``issues`` (unparsed
        pieces).

    Raises
    ------
    InputError
        As :func:`~geo.official.parse.read_zone_file`, for a file that cannot be read.
    """
    city = city or load_city()
    index = street_index(network, city)
    rows = []
    by_district: dict[str, list[tuple[str, ZoneText]]] = {}
    for name, z in read_zone_dir(zone_dir).items():
        by_district.setdefault(district_of(name, city), []).append((name, z))
    for d, files in by_district.items():
        e = pd.concat([z.entries for _, z in files], ignore_index=True)
        e = e.assign(_school=[normalise_school(n, city) for n in e["school"]])
        e = e.drop_duplicates(["_school", "street", "kind", "from_street", "to_street", "house_number"])
        e = match_entries(e, index)
        st = e.drop_duplicates("street")
        ec, sc = e["status"].value_counts(), st["status"].value_counts()
        rows.append({
            "district": d, "files": len(files),
            "streets": len(st), "streets_matched": int(sc.get(MATCHED, 0)), "streets_loose": int(sc.get(LOOSE, 0)),
            "streets_unmatched": int(sc.get(UNMATCHED, 0)),
            "entries": len(e), "entries_matched": int(ec.get(MATCHED, 0)), "entries_loose": int(ec.get(LOOSE, 0)),
            "entries_unmatched": int(ec.get(UNMATCHED, 0)),
            "issues": int(sum(len(z.issues) for _, z in files)),
        })
        if inputs is not None:
            from geo.official.plan import official_plan  # plan imports this module's neighbours, not the reverse

            zone = ZoneText(e.drop(columns=["_school", "status", "names", "score", "candidates", "reason"],
                                   errors="ignore").reset_index(drop=True),
                            pd.concat([z.issues for _, z in files], ignore_index=True))
            _, rep = official_plan(inputs, zone, level)
            sm = rep.summary
            rows[-1] |= {"loose_rejected": sm["loose_rejected"], "loose_unchecked": sm["loose_unchecked"],
                         "schools": sm["zones"],
                         "schools_located": sm["zones"] - sm["unlocated_schools"],
                         "compounds_covered": sm["listed_compounds"], "compounds": sm["compounds"]}
    return pd.DataFrame(rows).sort_values("district", ignore_index=True)


def report_csv(table: pd.DataFrame) -> bytes:
    """A report table (issues, street matches, comparison) as formula-safe UTF-8 CSV with a BOM.

    Parameters
    ----------
    table : DataFrame
        The table; a ``geometry`` column is left out, tuples and lists of names are joined with ``|``.

    Returns
    -------
    bytes
        As :func:`geo.render.export.table_csv` writes it.
    """
    t = pd.DataFrame(table).copy()
    if "geometry" in t:
        t = t.drop(columns="geometry")
    for c in t.columns:
        if t[c].dtype == object:
            t[c] = t[c].map(lambda v: "|".join(map(str, v)) if isinstance(v, (tuple, list)) else v)
    return table_csv(t)
