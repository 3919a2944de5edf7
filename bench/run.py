"""Benchmarks for Xuequ, each against a baseline measured in the same run.

1. Nearest-school assignment (one multi-source Dijkstra over the CSR graph) versus what an osmnx user
   would write (networkx ``multi_source_dijkstra``) and versus a bare ``scipy.sparse.csgraph.dijkstra``
   call with ``min_only=True``, on the central Chengdu walking network and a generated ~100,000-node one.
   Targets: >= 15x faster than networkx, within 2x of bare scipy.
2. A whole zoning of the demo district (distances, assignment, catchment polygons, figures).
3. Loading the Chengdu network: parsing the OSM file versus the on-disk cache.
4. Capacity-optimal zoning on the demo district, Chengdu and a generated 20,000-compound, 300-school case:
   distance-matrix time, the exact MIP (HiGHS) time and gap, the fast heuristic's time and gap to the
   exact optimum, and the same model written the straightforward way with PuLP/CBC (as PySAL spopt writes
   its location-allocation models), timed in the same run. Targets: heuristic < 1 s (demo) and < 10 s
   (large), exact demo < 10 s, HiGHS >= 10x faster than PuLP/CBC at the same optimum.
5. What-if editing of the demo district: the server-side recomputation after each kind of edit
   (assignment, catchments, figures) versus zoning from scratch, after the first load. Target < 100 ms.
6. ``optimal-city``: the whole capacity-optimal pipeline with contiguity, as the app and CLI run it
   (``run_scenario(inputs, Scenario("primary", "optimal"))``), on generated cities (recipe in
   :func:`city_inputs`): 5,000 compounds x 100 schools on a 90,000-node grid and 20,000 x 300 on 250,000
   nodes, with per-stage times and peak memory, and the previous pipeline (commit ``BEFORE_COMMIT``'s solver
   and contiguity code, loaded from git) timed in the same run on the first. Targets: < 5 s and < 30 s.
   ``XUEQU_BENCH_CITY=small`` runs the first case only; ``XUEQU_BENCH_BEFORE=0`` skips the previous pipeline.
   Peak memory: the max RSS of a fresh process running the case.
7. ``optimal-quality``: on cases small enough for the exact model with contiguity inside it (demo, Chengdu, a
   400-compound grid), the fast plan's gap to the contiguous optimum (to the best lower bound proven), its
   islands, schools without a zone and children moved. Targets: gap <= 2%, islands and empty schools 0.

8. ``forecast``: a ten-year seat forecast for 50,000 generated compounds (:mod:`bench.forecast`). Target < 1 s.
9. ``metro``: nearest school by network on a 500k-node city (50,000 compounds, 1,000 schools), per stage, peak
   memory and the ratio to one bare Dijkstra (issue 14). Targets: < 8 s, < 2 GB.
10. ``metro-app``: the same city written as a PBF and opened in the page in Chromium: seconds to its first map,
   cold (file parsed) and warm (:mod:`bench.metro_app`). Target: < 15 s.

``python -m bench.run [section ...]`` runs only the named sections (assignment, zoning, load, optimal, edit,
optimal-city, optimal-quality, forecast, metro, metro-app); ``make bench`` runs all but optimal-city's previous pipeline on 20,000 x 300 (it never finishes).

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

from geo.inputs import load_inputs, load_network, load_schools
from geo.inputs.schools import schools_for_level
from geo.network.distances import distance_matrix, nearest_source, snap
from geo.network.graph import Network, network_from_arrays
from geo.zoning.allocation import candidates, pair_cost, solve_exact, solve_heuristic
from geo.zoning.scenario import Scenario, run_scenario

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


def pulp_cbc(c, demand: np.ndarray, capacity: np.ndarray, cost: np.ndarray, gap: float) -> float:
    """The same model written the straightforward way with PuLP and solved by its bundled CBC."""
    import pulp

    prob = pulp.LpProblem("zoning", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{p}", cat="Binary") for p in range(c.unit.size)]
    prob += pulp.lpSum(cost[p] * x[p] for p in range(c.unit.size))
    by_unit: dict[int, list[int]] = {}
    by_school: dict[int, list[int]] = {}
    for p, (u, j) in enumerate(zip(c.unit.tolist(), c.school.tolist())):
        by_unit.setdefault(u, []).append(p)
        by_school.setdefault(j, []).append(p)
    for ps in by_unit.values():
        prob += pulp.lpSum(x[p] for p in ps) == 1
    for j, ps in by_school.items():
        prob += pulp.lpSum(demand[c.unit[p]] * x[p] for p in ps) <= capacity[j]
    prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=gap, timeLimit=300))
    return float(pulp.value(prob.objective))


def optimal_inputs(inputs, level: str, tolerance: float):
    s = schools_for_level(inputs.schools, level)
    net = inputs.network
    xy = shapely.get_coordinates(s.geometry.to_crs(net.crs).to_numpy())
    nodes, offsets = snap(net, xy)
    u_node, u_off = inputs.compound_snap
    ms, dist = timed(lambda: distance_matrix(net, nodes, offsets, u_node, u_off), 3)
    demand = inputs.compounds[f"children_{level}"].to_numpy().astype(float)
    return dist, demand, s["seats"].to_numpy() * (1 + tolerance), ms


def large_case(n_units: int = 20_000, n_schools: int = 300, seed: int = 5):
    """A generated district: 20,000 compounds and 300 schools on a ~40,000-node street grid."""
    from scipy.sparse.csgraph import connected_components

    net = grid_network(side=200, spacing=100.0, seed=seed)
    rng = np.random.default_rng(seed)
    _, comp = connected_components(net.graph, directed=False)
    main_part = np.flatnonzero(comp == np.bincount(comp).argmax())  # streets cut off by the removals are left out
    u_node = rng.choice(main_part, n_units)
    s_node = rng.choice(main_part, n_schools, replace=False)
    demand = rng.integers(5, 120, n_units).astype(float)
    ms, dist = timed(lambda: distance_matrix(net, s_node, np.zeros(n_schools), u_node, np.zeros(n_units),
                                             limit=6000.0), 1)
    # Seats roughly follow the children nearby, give or take 30%, 5% spare in all: nearest-school zones
    # overfill some schools and leave others half empty, as in a real district.
    near = np.bincount(np.argmin(dist, axis=0), weights=demand, minlength=n_schools)
    capacity = near * rng.uniform(0.7, 1.3, n_schools) + 50
    capacity = np.round(capacity / capacity.sum() * demand.sum() * 1.05)
    return dist, demand, capacity, ms


def optimal_row(name: str, dist, demand, capacity, matrix_ms: float, with_pulp: bool, time_limit: float = 60.0):
    current = np.argmin(dist, axis=0)
    c = candidates(dist, include=(current,))
    h_ms, heur = timed(lambda: solve_heuristic(c, demand, capacity), 3)
    e_ms, exact = timed(lambda: solve_exact(c, demand, capacity, time_limit=time_limit), 1)
    row = {"case": name, "compounds": dist.shape[1], "schools": dist.shape[0], "pairs": c.unit.size,
           "matrix_ms": matrix_ms, "exact_ms": e_ms, "exact_status": exact.status, "exact_gap": exact.gap,
           "heur_ms": h_ms, "heur_vs_exact": heur.objective / exact.objective - 1}
    if with_pulp:
        cost = pair_cost(c, demand, None, 0.0)
        p_ms, p_obj = timed(lambda: pulp_cbc(c, demand, capacity, cost, 1e-3), 1)
        row |= {"pulp_ms": p_ms, "pulp_vs_exact": p_obj / exact.objective - 1}
    return row


def optimal_section() -> tuple[list[str], list[str]]:
    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    rows = []
    for level, tol in (("primary", 0.0), ("primary", 0.05), ("junior", 0.0)):
        dist, demand, cap, ms = optimal_inputs(inputs, level, tol)
        rows.append(optimal_row(f"demo {level}, {100 + tol * 100:.0f}% seats", dist, demand, cap, ms, True))
    if CHENGDU.is_file():
        dist, demand, cap, ms = optimal_inputs(load_inputs(CHENGDU), "primary", 0.0)
        rows.append(optimal_row("Chengdu primary (OSM, estimated seats)", dist, demand, cap, ms, True))
    dist, demand, cap, ms = large_case()
    rows.append(optimal_row("generated 20,000 x 300", dist, demand, cap, ms, False))
    lines = ["", "### Capacity-optimal zoning (ms; exact: HiGHS MIP, 0.1% gap, 60 s limit; PuLP/CBC: same gap)", "",
             "| case | compounds | schools | pairs | distance matrix | exact | exact gap | heuristic | heuristic vs "
             "exact | PuLP/CBC | CBC / HiGHS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for r in rows:
        pulp_cells = (f"{r['pulp_ms']:.0f} | {r['pulp_ms'] / r['exact_ms']:.0f}x" if "pulp_ms" in r else "- | -")
        lines.append(f"| {r['case']} | {r['compounds']:,} | {r['schools']} | {r['pairs']:,} | {r['matrix_ms']:.0f} | "
                     f"{r['exact_ms']:.0f} ({r['exact_status']}) | {r['exact_gap']:.2%} | {r['heur_ms']:.0f} | "
                     f"{r['heur_vs_exact']:+.2%} | {pulp_cells} |")
        limit = 10_000 if r["compounds"] > 5_000 else 1_000
        verdicts.append(f"{r['case']}: heuristic {r['heur_ms']:.0f} ms (target < {limit} ms: "
                        f"{'PASS' if r['heur_ms'] < limit else 'FAIL'})")
        if r["case"].startswith("demo"):
            verdicts.append(f"{r['case']}: exact {r['exact_ms']:.0f} ms (target < 10000 ms: "
                            f"{'PASS' if r['exact_ms'] < 10_000 else 'FAIL'})")
        if "pulp_ms" in r:
            same = abs(r["pulp_vs_exact"]) <= 2e-3
            verdicts.append(f"{r['case']}: HiGHS {r['pulp_ms'] / r['exact_ms']:.0f}x faster than PuLP/CBC, objectives "
                            f"{'agree' if same else 'differ'} ({r['pulp_vs_exact']:+.3%}) (target >= 10x: "
                            f"{'PASS' if r['pulp_ms'] >= 10 * r['exact_ms'] and same else 'FAIL'})")
    return lines, verdicts


def edit_section() -> tuple[list[str], list[str]]:
    from geo.plans.editor import Editor
    from geo.plans.edits import ADD_SCHOOL, CLOSE_SCHOOL, LOCK, MOVE_SCHOOL, REASSIGN, SET_CAPACITY, Edit, History

    inputs = load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson")
    t0 = time.perf_counter()
    ed = Editor(inputs, "primary")
    first = (time.perf_counter() - t0) * 1000
    base = ed.result(())
    scratch, _ = timed(lambda: run_scenario(inputs, Scenario("primary", "network")), 3)
    a, schools = base.assignments, list(base.table["school_id"])
    rng = np.random.default_rng(3)
    c = inputs.compounds.geometry.representative_point()
    kinds = {
        "reassign 1 compound": lambda i: Edit(REASSIGN, level="primary", pairs=((a["compound_id"].iloc[i],
                                                                                 schools[i % len(schools)]),)),
        "reassign 10 compounds": lambda i: Edit(REASSIGN, level="primary", pairs=tuple(
            (cid, schools[i % len(schools)]) for cid in a["compound_id"].iloc[i * 10 % 290:][:10])),
        "lock 5 compounds": lambda i: Edit(LOCK, level="primary", pairs=tuple(
            zip(a["compound_id"].iloc[i * 5:][:5], a["school_id"].iloc[i * 5:][:5]))),
        "change capacity": lambda i: Edit(SET_CAPACITY, school=schools[i % len(schools)],
                                          capacity=int(rng.integers(600, 2000))),
        "open a school": lambda i: Edit(ADD_SCHOOL, school=f"B{i}", name=f"新校{i}", school_level="primary",
                                        capacity=900, lon=float(c.iloc[i * 7 % 300].x), lat=float(c.iloc[i * 7 % 300].y)),
        "move a school": lambda i: Edit(MOVE_SCHOOL, school=schools[i % len(schools)],
                                        lon=float(c.iloc[i * 11 % 300].x), lat=float(c.iloc[i * 11 % 300].y)),
        "close a school": lambda i: Edit(CLOSE_SCHOOL, school=schools[(i * 3) % len(schools)]),
    }
    lines = ["", "### What-if editing of the demo district (primary; ms per edit, server side)", "",
             f"First load of the editor (compound cells, distances): {first:.0f} ms. Zoning from scratch "
             f"(`run_scenario`, nearest school): {scratch:.0f} ms.", "",
             "| edit | median | max | scratch / median |", "|---|---:|---:|---:|"]
    verdicts, worst = [], 0.0
    for name, make in kinds.items():
        times = []
        for i in range(8):  # each edit on top of the one before: new catchments every time
            history = History().push(make(i)) if name == "close a school" else History()
            if name != "close a school":
                for k in range(i + 1):
                    history = history.push(make(k))
            t0 = time.perf_counter()
            ed.result(history.active)
            times.append((time.perf_counter() - t0) * 1000)
        med, mx = statistics.median(times), max(times)
        worst = max(worst, mx)
        lines.append(f"| {name} | {med:.1f} | {mx:.1f} | {scratch / med:.0f}x |")
    verdicts.append(f"editing: slowest recomputation {worst:.0f} ms (target < 100 ms: {'PASS' if worst < 100 else 'FAIL'})")
    return lines, verdicts


BEFORE_COMMIT = "97940c8"  # the previous pipeline: HiGHS LP re-solves, contiguity by components per move
CITY_ORIGIN = (400_000.0, 3_390_000.0)  # UTM 48N, Chengdu
CITY_CASES = ((5_000, 100, 300), (20_000, 300, 500))  # compounds, schools, grid side (nodes = side^2)
CITY_TARGET_S = {5_000: 5.0, 20_000: 30.0}


def city_inputs(n_units: int, n_schools: int, side: int, seed: int = 5):
    """A generated city as the app's :class:`geo.inputs.Inputs`, made like :func:`large_case`.

    Recipe: :func:`grid_network` (``side x side`` nodes 100 m apart, jittered, 10% of streets removed) moved
    to UTM 48N near Chengdu; ``n_units`` compounds (points) on random nodes of its largest connected part,
    5-119 children each; ``n_schools`` primary schools on distinct random nodes of that part, seats = the
    children of their nearest-school zone x U(0.7, 1.3) + 50, scaled to 105% of all children.
    """
    import geopandas as gpd
    from scipy.sparse.csgraph import connected_components

    from geo.inputs import Inputs

    g = grid_network(side=side, spacing=100.0, seed=seed)
    net = network_from_arrays(g.x + CITY_ORIGIN[0], g.y + CITY_ORIGIN[1], g.edge_u, g.edge_v, g.edge_length,
                              symmetric=False)
    rng = np.random.default_rng(seed)
    _, comp = connected_components(net.graph, directed=False)
    main_part = np.flatnonzero(comp == np.bincount(comp).argmax())
    u_node = rng.choice(main_part, n_units)
    s_node = rng.choice(main_part, n_schools, replace=False)
    demand = rng.integers(5, 120, n_units)
    _, owner = nearest_source(net, s_node, np.zeros(n_schools))
    near = np.bincount(owner[u_node], weights=demand, minlength=n_schools)
    seats = near * rng.uniform(0.7, 1.3, n_schools) + 50
    seats = np.round(seats / seats.sum() * demand.sum() * 1.05).astype(np.int64)

    def points(nodes: np.ndarray, jitter: float):
        xy = net.xy[nodes] + rng.normal(0, jitter, (nodes.size, 2))
        return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=net.crs).to_crs("EPSG:4326").to_numpy()

    schools = gpd.GeoDataFrame({"school_id": [f"S{j + 1}" for j in range(n_schools)],
                                "name": [f"School {j + 1}" for j in range(n_schools)],
                                "level": "primary", "capacity": seats, "capacity_estimated": False},
                               geometry=points(s_node, 5.0), crs="EPSG:4326")
    compounds = gpd.GeoDataFrame({"compound_id": [f"C{i + 1}" for i in range(n_units)],
                                  "name": [f"Compound {i + 1}" for i in range(n_units)],
                                  "children_primary": demand, "children_junior": demand // 2},
                                 geometry=points(u_node, 20.0), crs="EPSG:4326")
    return Inputs(net, schools, compounds, name=f"city {n_units} x {n_schools}")


STAGES = {  # stage -> names in geo.zoning.scenario whose calls it times
    "distances": ("candidate_matrix",),
    "LP / allocation": ("solve_heuristic", "solve_exact"),
    "contiguity": ("islands", "island_targets", "repair", "join_islands", "contiguous_plan", "relieve", "improve"),
    "result build": ("build_result",),
}


def _before_modules():
    """The previous pipeline's allocation and contiguity modules, from git (None without git)."""
    import importlib.util
    import subprocess
    import sys
    import types

    mods = {}
    for name in ("allocation", "contiguity"):
        try:
            src = subprocess.run(["git", "show", f"{BEFORE_COMMIT}:geo/zoning/{name}.py"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        spec = importlib.util.spec_from_loader(f"_before_{name}", loader=None)
        assert spec is not None
        mod = types.ModuleType(spec.name)
        sys.modules[spec.name] = mod
        exec(compile(src, f"{BEFORE_COMMIT}:geo/zoning/{name}.py", "exec"), mod.__dict__)
        mods[name] = mod
    from geo.zoning import allocation

    mods["allocation"].InfeasibleError = allocation.InfeasibleError  # raised as the pipeline expects
    mods["allocation"].Cancelled = allocation.Cancelled
    return mods


BEFORE_NAMES = ("solve_heuristic", "islands", "island_targets", "repair", "contiguous_plan", "relieve", "improve",
                "grow")  # the previous versions patched into geo.zoning.scenario (the exact solver is not)


def city_run(inputs, before: dict | None = None, scenario: Scenario | None = None) -> dict:
    """One whole run on ``inputs`` (default scenario: primary, optimal, as the app's defaults) with each stage's
    seconds ("other": the rest of the zoning); ``before``: the previous pipeline's modules patched into
    :mod:`geo.zoning.scenario` for this run. Memory: the process's max RSS when the run ends (run it in a fresh
    process, :func:`_city_case`); tracemalloc would slow the timed run. The compounds' cells (the catchments'
    pieces) are computed on first use, inside "result build"."""
    import geo.zoning.scenario as sc

    secs = dict.fromkeys(["unit graph", *STAGES], 0.0)
    saved = {}
    names = [n for ns in STAGES.values() for n in ns]
    replaced = {}
    if before is not None:
        for n in BEFORE_NAMES:
            for mod in before.values():
                if hasattr(mod, n) and hasattr(sc, n):
                    replaced[n] = getattr(mod, n)
                    names.append(n)
    for n in set(names) - {n for ns in STAGES.values() for n in ns}:  # patched, not timed
        if hasattr(sc, n):
            saved[n] = getattr(sc, n)
            setattr(sc, n, replaced[n])
    for stage, ns in STAGES.items():
        for n in ns:
            if not hasattr(sc, n):
                continue
            fn = replaced.get(n, getattr(sc, n))
            saved[n] = getattr(sc, n)

            def wrap(*a, _fn=fn, _stage=stage, **kw):
                t = time.perf_counter()
                try:
                    return _fn(*a, **kw)
                finally:
                    secs[_stage] += time.perf_counter() - t
            setattr(sc, n, wrap)
    t0 = time.perf_counter()
    try:
        t = time.perf_counter()
        inputs.unit_graph  # noqa: B018  (computed once per inputs, as the app caches them)
        secs["unit graph"] = time.perf_counter() - t
        result = run_scenario(inputs, scenario or Scenario("primary", "optimal"))
    finally:
        total = time.perf_counter() - t0
        for n, fn in saved.items():
            setattr(sc, n, fn)
    # Time inside a stage's calls from another stage's (a nested solve) is counted once, in the outer stage.
    s = result.summary
    secs["other"] = total - sum(secs.values())
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"total": total, **secs, "maxrss_mb": maxrss, "walk": s["mean_m"],
        "islands": s["islands"], "over": s["over_capacity"], "gap": s.get("gap", float("nan")),
        "moved": s["moved_children"], "solver": s.get("solver", "")}


def _city_case(n_units: int, n_schools: int, side: int, before: bool) -> dict:
    """One city run in this (fresh) process: its figures and the process's peak resident memory (generated
    inputs, network, zoning and result together)."""
    return city_run(city_inputs(n_units, n_schools, side), _before_modules() if before else None)


def _in_fresh_process(fn, *args):
    """``fn(*args)`` in a new Python process (so its peak memory is its own)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def optimal_city_section() -> tuple[list[str], list[str]]:
    only_small = os.environ.get("XUEQU_BENCH_CITY", "") == "small"
    with_before = os.environ.get("XUEQU_BENCH_BEFORE", "1") != "0"
    with_before = with_before and _before_modules() is not None
    stages = ["unit graph", *STAGES, "other"]
    lines = ["", "### Capacity-optimal zoning of a generated city, whole pipeline with contiguity (seconds)", "",
             "Recipe (`bench.run.city_inputs`): a jittered 100 m street grid (10% of streets removed, as "
             "`grid_network`), compounds on random nodes with 5-119 children, schools on random nodes with "
             "seats = their nearest-school zone's children x U(0.7, 1.3) + 50, scaled to 105% of all children; "
             "`run_scenario(inputs, Scenario('primary', 'optimal'))`. 'before': commit "
             f"`{BEFORE_COMMIT}`'s solver and contiguity in the same run.", "",
             "| case | nodes | run | total | " + " | ".join(stages) + " | peak memory MB (max RSS) | "
             "mean walk m | islands | over capacity | gap | moved children |",
             "|---|---:|---|" + "---:|" * (len(stages) + 7)]
    verdicts = []
    for n_units, n_schools, side in CITY_CASES[:1] if only_small else CITY_CASES:
        runs = [("now", _in_fresh_process(_city_case, n_units, n_schools, side, False))]
        if with_before and n_units <= 5_000:
            runs.append(("before", _in_fresh_process(_city_case, n_units, n_schools, side, True)))
        for run, r in runs:
            lines.append(f"| {n_units:,} x {n_schools} | {side * side:,} | {run} | {r['total']:.1f} | "
                         + " | ".join(f"{r[s]:.1f}" for s in stages)
                         + f" | {r['maxrss_mb']:.0f} | {r['walk']:.0f} | {r['islands']} | "
                         f"{r['over']} | {r['gap']:.2%} | {r['moved']:,} |")
            print(lines[-1], flush=True)
        now = runs[0][1]
        target = CITY_TARGET_S[n_units]
        zoning = now["total"] - now["unit graph"]  # the app keeps it per data set
        ratio = ""
        if len(runs) > 1:
            old = runs[1][1]
            ratio = (f"; before {old['total']:.1f} s and {old['total'] - old['unit graph']:.1f} s: "
                     f"{old['total'] / now['total']:.1f}x and "
                     f"{(old['total'] - old['unit graph']) / zoning:.1f}x faster")
        verdicts.append(f"city {n_units:,} x {n_schools}: whole pipeline {now['total']:.1f} s, zoning once the "
                        f"inputs' unit graph is cached {zoning:.1f} s{ratio} (target < {target:.0f} s: "
                        f"{'PASS' if now['total'] < target else 'FAIL'}); peak memory {now['maxrss_mb']:,.0f} MB")
    return lines, verdicts


QUALITY_TIME_S = 120.0  # the exact contiguous solve's time limit in the quality section


def _plan_figures(inputs, level: str, solver: str, min_fill: float = 0.6) -> dict:
    import warnings as pywarnings

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore")
        t = time.perf_counter()
        r = run_scenario(inputs, Scenario(level, "optimal", solver=solver, time_limit_s=QUALITY_TIME_S,
                                          min_fill=min_fill))
        secs = time.perf_counter() - t
    s = r.summary
    return {"secs": secs, "walk": s["mean_m"], "islands": s["islands"], "empty": s["empty_schools"],
            "moved": s["moved_children"], "objective": s["objective"], "gap": s["gap"], "bound_kind": s["bound_kind"],
            "fast_objective": s.get("fast_objective", float("nan")), "fast_gap": s.get("fast_gap", float("nan")),
            "fast_bound_kind": s.get("fast_bound_kind", ""), "short": s["short_of_fill"],
            # A bound of the exact models with the minimum fill: no plan meeting it walks less (mean metres).
            "fill_walk": float(np.fmax(s.get("bound_fill", np.nan), s.get("bound_contiguous", np.nan)))
            / s["objective"] * s["mean_m"],
            "whole": bool(np.isfinite(s.get("bound_contiguous", np.nan))),
            "status": s.get("solver", ""), "fill": next((p["fill"] for k, p in r.warnings if k == "opt.fill_lowered"),
                                                        None)}


# What each kind of proven lower bound is (geo.zoning.scenario.proven_bound): a solver's bound counts for a plan
# only when the plan is one of its model's (meets its minimum fill; for the cut model, contiguous).
BOUND_KINDS = {"free": "LP without the fill", "fill": "MIP with the fill", "contiguous": "contiguous model",
               "": "none"}


def _gap_cell(gap: float, kind: str) -> str:
    return f"<= {gap:.2%} ({BOUND_KINDS[kind]})" if np.isfinite(gap) else "not proven"


def optimal_quality_section() -> tuple[list[str], list[str]]:
    """The fast plan (the app's default) against the exact model with contiguity inside it (lazy cuts) on cases
    small enough for it: the fast plan's gap to the best lower bound the exact run proves *for that plan* (the
    run starts from it) is an upper bound on its gap to the contiguous optimum. A bound counts only for plans of
    its model: a MIP's with the minimum fill only for a plan that meets it (the fill the run used, lowered or
    not), so a plan short of it is measured against the relaxation without the fill (a weaker, honest bound)."""
    cases = [("demo primary", load_inputs(DEMO / "district.osm", DEMO / "schools.csv", DEMO / "compounds.geojson"),
              "primary")]
    cases.append(("demo junior", cases[0][1], "junior"))
    if CHENGDU.is_file():
        chengdu = load_inputs(CHENGDU)
        cases.append(("Chengdu primary (OSM)", chengdu, "primary"))
        cases.append(("Chengdu primary (OSM), minimum fill off", chengdu, "primary", 0.0))
    cases.append(("generated 400 x 12 (40 x 40 grid)", city_inputs(400, 12, 40), "primary"))
    lines = ["", "### Capacity-optimal zoning: the fast plan's gap to the contiguous optimum", "",
             f"Whole pipeline with contiguity and the default 60% minimum fill (lowered where the plan says so). "
             f"Exact: HiGHS with contiguity cuts added lazily, {QUALITY_TIME_S:.0f} s. Gap: the plan's cost (walks, "
             "no charge for children short of the fill) over the best lower bound proven for that plan, an upper "
             "bound on its distance from the contiguous optimum; a solver's bound with the minimum fill counts only "
             "for a plan that meets it, else the relaxation without the fill is the bound. Children short: below "
             "the 60% fill. Least walk meeting the fill: the exact run's bound with the (lowered) fill, as a mean walk "
             "(* with whole catchments): no plan meeting that fill walks less.", "",
             "| case | fast s | fast walk m | exact s | exact walk m | exact status | islands (fast/exact) | "
             "schools without a zone | children moved | fill lowered to | children short (fast/exact) | "
             "least walk meeting the fill m | exact plan's gap | fast plan's gap to the contiguous optimum |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for name, inputs, level, *fill in cases:
        f, e = _plan_figures(inputs, level, "fast", *fill), _plan_figures(inputs, level, "exact", *fill)
        # The exact run starts from the fast plan and proves its bounds for it; a fill lowered differently in
        # the two runs (another fast plan) leaves only the fast run's own bound.
        same = bool(np.isclose(e["fast_objective"], f["objective"], rtol=1e-9))
        gap, kind = (e["fast_gap"], e["fast_bound_kind"]) if same else (f["gap"], f["bound_kind"])
        fill = "-" if f["fill"] is None else f"{f['fill']:.0%}"
        lines.append(f"| {name} | {f['secs']:.1f} | {f['walk']:.0f} | {e['secs']:.1f} | {e['walk']:.0f} | "
                     f"{e['status']} | {f['islands']}/{e['islands']} | {f['empty']} | {f['moved']:,} | {fill} | "
                     f"{f['short']:,.0f}/{e['short']:,.0f} | "
                     f"{'-' if np.isnan(e['fill_walk']) else format(e['fill_walk'], '.0f') + '*' * e['whole']} | "
                     f"{_gap_cell(e['gap'], e['bound_kind'])} | "
                     f"{_gap_cell(gap, kind)} |")
        print(lines[-1], flush=True)
        lowered = "" if f["fill"] is None else f" (minimum fill lowered to {f['fill']:.0%})"
        gap_verdict = (f"fast plan within {gap:.2%} of the contiguous optimum{lowered}, bound: {BOUND_KINDS[kind]} "
                       f"(target <= 2%: {'PASS' if gap <= 0.02 else 'FAIL'})" if np.isfinite(gap) else
                       f"fast plan's gap not proven{lowered} (target <= 2%: FAIL)")
        verdicts.append(f"{name}: {gap_verdict}, islands {f['islands']} and schools without a zone "
                        f"{f['empty']} (target 0: {'PASS' if f['islands'] == 0 and f['empty'] == 0 else 'FAIL'})")
    return lines, verdicts


METRO_CASE = (50_000, 1_000, 707)  # compounds, schools, grid side: 500k nodes (issue 14)
METRO_STAGES = {  # stage -> names in geo.zoning.scenario whose calls it times (nearest school by network)
    "nearest school": ("nearest_by_network",),
    "catchments": ("street_catchments",),
    "result build": ("build_result",),
}


def _metro_case() -> dict:
    """The metro case in this (fresh) process: per-stage seconds, peak memory and one bare multi-source Dijkstra."""
    import resource

    import geo.zoning.scenario as sc

    t = time.perf_counter()
    inputs = city_inputs(*METRO_CASE)
    secs = {"generate inputs (apart)": time.perf_counter() - t}
    net = inputs.network
    net.graph_to  # noqa: B018  (compiled once per network, as the app's cache keeps it)
    sxy = shapely.get_coordinates(inputs.schools.to_crs(net.crs).geometry.to_numpy())
    s_node, _ = snap(net, sxy)
    t = time.perf_counter()
    dijkstra(net.graph_to, directed=True, indices=np.unique(s_node), min_only=True)
    floor = time.perf_counter() - t
    saved = {}
    for stage, names in METRO_STAGES.items():
        secs[stage] = 0.0
        for n in names:
            saved[n] = fn = getattr(sc, n)

            def wrap(*a, _fn=fn, _stage=stage, **kw):
                t0 = time.perf_counter()
                try:
                    return _fn(*a, **kw)
                finally:
                    secs[_stage] += time.perf_counter() - t0
            setattr(sc, n, wrap)
    t = time.perf_counter()
    try:
        result = run_scenario(inputs, Scenario("primary", "network"))
    finally:
        total = time.perf_counter() - t
        for n, fn in saved.items():
            setattr(sc, n, fn)
    secs["other"] = total - sum(v for k, v in secs.items() if k in METRO_STAGES)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from geo.render.maps import map_detail, zoning_map

    t = time.perf_counter()
    html = zoning_map(result, tiles=None).get_root().render()  # what the page sends (no tile server)
    map_s = time.perf_counter() - t
    return {"total": total, **secs, "floor": floor, "features": len(result.catchments), "maxrss_mb": maxrss,
            "map_s": map_s, "map_mb": len(html.encode()) / 2**20, **map_detail(result)}


def metro_section() -> tuple[list[str], list[str]]:
    """Nearest school by network on a 500k-node generated city (issue 14's metro case), in a fresh process."""
    r = _in_fresh_process(_metro_case)
    n_units, n_schools, side = METRO_CASE
    stages = [*METRO_STAGES, "other"]
    lines = ["", "### Metro scale: nearest school by network, 500k nodes (seconds)", "",
             f"`city_inputs({n_units:,}, {n_schools:,}, {side})` (the optimal-city recipe); "
             "`run_scenario(inputs, Scenario('primary', 'network'))`; floor: one bare multi-source Dijkstra "
             "from the schools (scipy, `min_only`).", "",
             "| nodes | schools | compounds | total | " + " | ".join(stages) + " | floor | total / floor | peak MB "
             "| map s | map MB | catchment vertices drawn | compounds as points |",
             "|---:|---:|---:|---:|" + "---:|" * (len(stages) + 7),
             f"| {side * side:,} | {n_schools:,} | {n_units:,} | {r['total']:.1f} | "
             + " | ".join(f"{r[k]:.1f}" for k in stages)
             + f" | {r['floor']:.2f} | {r['total'] / r['floor']:.0f}x | {r['maxrss_mb']:,.0f} | {r['map_s']:.1f} | "
             f"{r['map_mb']:.1f} | {r['vertices_drawn']:,} of {r['vertices']:,} | {r['compound_points']:,} |"]
    print(lines[-1], flush=True)
    ok_t, ok_m, ok_map = r["total"] < 8.0, r["maxrss_mb"] < 2048, r["map_mb"] < 8.0
    return lines, [f"metro 500k nodes: {r['total']:.1f} s (target < 8 s: {'PASS' if ok_t else 'FAIL'}), peak "
                   f"{r['maxrss_mb']:,.0f} MB (target < 2 GB: {'PASS' if ok_m else 'FAIL'}), "
                   f"{r['total'] / r['floor']:.0f}x one bare Dijkstra; map {r['map_mb']:.1f} MB in {r['map_s']:.1f} s "
                   f"(target < 8 MB: {'PASS' if ok_map else 'FAIL'})"]


def _metro_app_section() -> tuple[list[str], list[str]]:
    from bench.metro_app import metro_app_section

    return metro_app_section()


SECTIONS = ("assignment", "zoning", "load", "optimal", "edit", "optimal-city", "optimal-quality", "forecast",
            "metro", "metro-app")


def main() -> None:
    import sys

    wanted = set(sys.argv[1:]) or set(SECTIONS)
    lines = ["### Nearest-school assignment (median ms; networkx: median of 2)", "",
             "| network | nodes | edges | schools | Xuequ | bare scipy | networkx | networkx / Xuequ | Xuequ / scipy "
             "| max diff (m) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    verdicts = []
    for case in (chengdu_case(), generated_case()) if "assignment" in wanted else ():
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
    if "zoning" in wanted:
        lines += ["", "### Whole zoning of the demo district (median of 5, ms)", "", "| run | ms |", "|---|---:|"]
        lines += [f"| {name} | {ms:.0f} |" for name, ms in zoning_case()]
    load = load_case() if "load" in wanted else None
    if load:
        cold, warm = load
        lines += ["", "### Loading the Chengdu walking network", "", "| from | ms |", "|---|---:|",
                  f"| OSM file (parse, filter, project, compile) | {cold:.0f} |",
                  f"| on-disk cache | {warm:.0f} ({cold / warm:.0f}x faster) |"]
    from bench.forecast import forecast_section

    for section, fn in (("optimal", optimal_section), ("edit", edit_section), ("optimal-city", optimal_city_section),
                        ("optimal-quality", optimal_quality_section), ("forecast", forecast_section),
                        ("metro", metro_section), ("metro-app", _metro_app_section)):
        if section in wanted:
            more, more_verdicts = fn()
            lines += more
            verdicts += more_verdicts
    text = "\n".join(lines) + "\n"
    print(text)
    print("\n".join(verdicts))
    out = ROOT / "build" / ("bench.md" if wanted == set(SECTIONS) else f"bench-{'-'.join(sorted(wanted))}.md")
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n" + "\n".join(f"- {v}" for v in verdicts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
