"""The one place that turns the page's widget state into what geo/ computes: a dataset and a scenario."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.inputs.schools import PRIMARY
from geo.network.graph import WALK
from geo.zoning.assignment import NETWORK, OPTIMAL
from geo.zoning.scenario import FAST, Scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
DEMO_FILES = (DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")

DATASETS = ("demo", "path", "upload", "place")


@dataclass(frozen=True)
class Dataset:
    """Where the inputs come from: files on disk (network, schools, compounds) or a place name."""

    kind: str
    network: str = ""
    schools: str = ""
    compounds: str = ""
    place: str = ""
    mode: str = WALK
    # The coordinate system of each table (geo.inputs.coords.SYSTEMS) and its column mapping as sorted
    # (field, column) pairs (tuples, so a Dataset stays hashable and can key the caches).
    schools_coords: str = "wgs84"
    compounds_coords: str = "wgs84"
    schools_mapping: tuple[tuple[str, str], ...] = ()
    compounds_mapping: tuple[tuple[str, str], ...] = ()
    # A district boundary that clips every view: a polygon file, or an administrative boundary of the OSM file.
    boundary: str = ""
    boundary_name: str = ""
    # Seats of a school with no capacity; 0: China's standard (GB 50099 class sizes).
    default_seats: int = 0


def scenario_from_state(state: Mapping[str, Any], locked: tuple[tuple[str, str], ...] = ()) -> Scenario:
    """The scenario the widgets describe; ``locked`` pairs (compound id, school id) come from the page."""
    method = state.get("method", NETWORK)
    radius = float(state.get("radius", 0) or 0)  # 0: the GB 50180 default of the level
    if method != OPTIMAL:
        return Scenario(level=state.get("level", PRIMARY), method=method, radius_m=radius)
    return Scenario(
        level=state.get("level", PRIMARY),
        method=OPTIMAL,
        solver=state.get("solver", FAST),
        tolerance=float(state.get("tolerance", 100)) / 100.0 - 1.0,
        max_walk_m=float(state.get("max_walk", 0) or 0),
        stability=float(state.get("stability", 0) or 0),
        contiguous=bool(state.get("contiguous", True)),
        locked=tuple(sorted(locked)),
        time_limit_s=float(state.get("time_limit", 10)),
        min_fill=float(state.get("min_fill", 60) or 0) / 100.0,
        boundary_band_m=float(state.get("boundary_band", 0) or 0),
        group_column=str(state.get("group_column", "") or "").strip(),
        radius_m=radius,
    )


def demo_dataset(mode: str = WALK) -> Dataset:
    net, schools, compounds = (str(p) for p in DEMO_FILES)
    return Dataset("demo", net, schools, compounds, mode=mode)


def dataset_key(ds: Dataset) -> str:
    """What a scenario is drawn on: the same files (or place) whatever the travel mode."""
    if ds.kind == "demo":
        return "demo"
    key = {"network": ds.network, "schools": ds.schools, "compounds": ds.compounds, "place": ds.place}
    clip = {k: v for k, v in (("boundary", ds.boundary), ("boundary_name", ds.boundary_name)) if v}
    return json.dumps(key | clip, ensure_ascii=False, sort_keys=True)  # unclipped keys as before
