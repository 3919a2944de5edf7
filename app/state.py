"""The one place that turns the page's widget state into what geo/ computes: a dataset and a scenario."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from geo.assignment import NETWORK
from geo.network import WALK
from geo.scenario import Scenario
from geo.schools import PRIMARY

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


def scenario_from_state(state: Mapping[str, Any]) -> Scenario:
    return Scenario(level=state.get("level", PRIMARY), method=state.get("method", NETWORK))


def demo_dataset(mode: str = WALK) -> Dataset:
    net, schools, compounds = (str(p) for p in DEMO_FILES)
    return Dataset("demo", net, schools, compounds, mode=mode)
