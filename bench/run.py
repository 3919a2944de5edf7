"""Benchmarks for Xuequ, each against a baseline measured in the same run.

1. Nearest-school assignment (one multi-source Dijkstra over the CSR graph) versus what an osmnx user
   would write (networkx ``multi_source_dijkstra``) and versus a bare ``scipy.sparse.csgraph.dijkstra``
   call with ``min_only=True``, on the central Chengdu walking network and a generated ~100,000-node one.
   Targets: >= 15x faster than networkx, within 2x of bare scipy.
2. A whole zoning of the demo district (distances, assignment, catchment polygons, figures).
3. Loading the Chengdu network: parsing the OSM file versus the on-disk cache.

Prints a table and writes it as Markdown to ``build/bench.md``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from geo.distances import nearest_source, snap
from geo.io import load_inputs, load_network, load_schools
from geo.network import Network, network_from_arrays
from geo.scenario import Scenario, run_scenario
from geo.schools import schools_for_level

ROOT = Path(__file__).resolve().parents[1]
CHENGDU = ROOT.parent / "shared" / "data" / "chengdu-central" / "chengdu.osm"
DEMO = ROOT / "data" / "demo"


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls in milliseconds, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def grid_network(side: int = 316, spacing: float = 100.0, seed: int = 7) -> Network:
    """A jittered street grid of ``side x side`` nodes with 10% of its streets removed."""
    rng = np.random.default_rng(seed)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ii.ravel() * spacing + rng.normal(0, spacing * 0.15, side * side)
    y = jj.ravel() * spacing + rng.normal(0, spacing * 0.15, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    keep = rng.random(u.size) > 0.10
    return network_from_arrays(x, y, u[keep], v[keep])


def assignment_case(name: str, net: Network, school_xy: np.ndarray) -> dict:
    net.graph_to  # compiled once, as the app keeps it  # noqa: B018
    net.kdtree  # noqa: B018

    def ours():
        nodes, offsets = snap(net, school_xy)
        return nearest_source(net, nodes, offsets)

    nodes, _ = snap(net, school_xy)
    ours_ms, _ = timed(ours, 7)
    bare_ms, _ = timed(lambda: dijkstra(net.graph_to, directed=True, indices=nodes, min_only=True), 7)

    G = nx.DiGraph()
    G.add_weighted_edges_from(zip(net.edge_v.tolist(), net.edge_u.tolist(), net.edge_length.tolist()),
                              weight="length")  # reversed edges: distances *to* the schools
    sources = set(nodes.tolist())
    nx_ms, (nx_dist, _) = timed(lambda: nx.multi_source_dijkstra(G, sources, weight="length"), 2)

    d0, _ = nearest_source(net, nodes, np.zeros(nodes.size))
    reach = np.array(list(nx_dist.keys()))
    ref = np.array(list(nx_dist.values()))
    err = float(np.max(np.abs(d0[reach] - ref))) if reach.size else 0.0
    return {"case": name, "nodes": net.n_nodes, "edges": net.n_edges, "schools": len(school_xy),
            "ours_ms": ours_ms, "scipy_ms": bare_ms, "networkx_ms": nx_ms, "max_diff_m": err}


def chengdu_case() -> dict | None:
    if not CHENGDU.is_file():
        return None
    net = load_network(CHENGDU, "walk")
    schools, _ = load_schools(CHENGDU)
    s = schools_for_level(schools, "primary")
    xy = shapely.get_coordinates(s.geometry.to_crs(net.crs).to_numpy())
    return assignment_case("Chengdu walk (real)", net, xy)


def generated_case() -> dict:
    net = grid_network()
    rng = np.random.default_rng(11)
    xy = net.xy[rng.choice(net.n_nodes, 300, replace=False)]
    return assignment_case("generated grid", net, xy)


def zoning_case() -> list[tuple[str, float]]:
    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    rows = []
    for level in ("primary", "junior"):
        for method in ("network", "straight"):
            ms, _ = timed(lambda: run_scenario(inputs, Scenario(level, method)), 5)
            rows.append((f"demo zoning, {level}, {method}", ms))
    return rows


def load_case() -> tuple[float, float] | None:
    if not CHENGDU.is_file():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("XUEQU_CACHE_DIR")
        os.environ["XUEQU_CACHE_DIR"] = tmp
        try:
            cold, _ = timed(lambda: load_network(CHENGDU, "walk", use_cache=False), 2)
            load_network(CHENGDU, "walk")
            warm, _ = timed(lambda: load_network(CHENGDU, "walk"), 5)
        finally:
            if old is None:
                os.environ.pop("XUEQU_CACHE_DIR")
            else:
                os.environ["XUEQU_CACHE_DIR"] = old
    return cold, warm


def main() -> None:
    lines = ["### Nearest-school assignment (median ms; networkx: median of 2)", "",
             "| network | nodes | edges | schools | Xuequ | bare scipy | networkx | networkx / Xuequ | Xuequ / scipy "
             "| max diff (m) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for case in (chengdu_case(), generated_case()):
        if case is None:
            continue
        speedup = case["networkx_ms"] / case["ours_ms"]
        overhead = case["ours_ms"] / case["scipy_ms"]
        lines.append(f"| {case['case']} | {case['nodes']:,} | {case['edges']:,} | {case['schools']} | "
                     f"{case['ours_ms']:.1f} | {case['scipy_ms']:.1f} | {case['networkx_ms']:.0f} | "
                     f"{speedup:.0f}x | {overhead:.2f}x | {case['max_diff_m']:.1e} |")
        verdicts.append(f"{case['case']}: networkx/Xuequ {speedup:.0f}x (target >= 15x: "
                        f"{'PASS' if speedup >= 15 else 'FAIL'}), Xuequ/scipy {overhead:.2f}x (target <= 2x: "
                        f"{'PASS' if overhead <= 2 else 'FAIL'})")
    lines += ["", "### Whole zoning of the demo district (median of 5, ms)", "", "| run | ms |", "|---|---:|"]
    lines += [f"| {name} | {ms:.0f} |" for name, ms in zoning_case()]
    load = load_case()
    if load:
        cold, warm = load
        lines += ["", "### Loading the Chengdu walking network", "", "| from | ms |", "|---|---:|",
                  f"| OSM file (parse, filter, project, compile) | {cold:.0f} |",
                  f"| on-disk cache | {warm:.0f} ({cold / warm:.0f}x faster) |"]
    text = "\n".join(lines) + "\n"
    print(text)
    print("\n".join(verdicts))
    out = ROOT / "build" / "bench.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n" + "\n".join(f"- {v}" for v in verdicts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
