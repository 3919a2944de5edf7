"""School-district alliances (geo.equity.alliances, alliance_mip, alliance_plan): the MIP against brute force,
validation, the demo district."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.equity.access import strong_access
from geo.equity.alliance_mip import brute_force, partition_cost, suggest_alliances
from geo.equity.alliance_plan import alliance_table, alliance_zones, plan_alliances
from geo.equity.alliances import (
    AllianceRules,
    adjacency_from_catchments,
    adjacency_from_distance,
    adjacency_from_units,
    alliance_issues,
    alliance_labels,
    validate_alliances,
)
from geo.equity.lottery import probabilities
from geo.errors import InputError
from geo.zoning.scenario import Scenario, run_scenario


def chain(k: int) -> sp.csr_matrix:
    a = np.zeros((k, k), int)
    a[np.arange(k - 1), np.arange(1, k)] = 1
    return sp.csr_matrix(a + a.T)


def euclid(xy) -> np.ndarray:
    xy = np.asarray(xy, float)
    return np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))


# --- neighbours -------------------------------------------------------------------------------------------------

def test_adjacency_from_catchments_needs_a_shared_border():
    boxes = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(20, 10, 30, 20),
             shapely.box(20, 0, 30, 10)]
    adj = adjacency_from_catchments(boxes).toarray()
    # 0-1 share a side; 1 and 2 only touch at a corner; 1-3 and 2-3 share sides.
    assert adj.tolist() == [[0, 1, 0, 0], [1, 0, 0, 1], [0, 0, 0, 1], [0, 1, 1, 0]]


def test_adjacency_from_units_and_distance():
    units = chain(4)                      # compounds 0-1-2-3 in a row
    adj = adjacency_from_units([0, 0, 1, 2], units, 3).toarray()
    assert adj.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    d = euclid([[0, 0], [500, 0], [2000, 0]])
    assert adjacency_from_distance(d, 600).toarray().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


# --- the MIP ---------------------------------------------------------------------------------------------------

def test_contiguity_beats_a_shorter_split():
    # Four schools along a river with one crossing chain 0-1-2-3, but 0 is close to 2 and 1 to 3 across it.
    xy = [[0, 0], [0, 1000], [10, 0], [10, 1000]]
    d = euclid(xy)
    strong = [True, False, True, False]
    rules = AllianceRules(min_size=2, max_size=2)
    # Without the contiguity the best split is {0, 2}, {1, 3} (10 m each) - but those are not neighbours
    # and 0, 2 are both strong anyway; with it: {0, 1}, {2, 3}.
    s = suggest_alliances(chain(4), strong, d, rules)
    assert s.status == "optimal"
    assert s.labels[0] == s.labels[1] and s.labels[2] == s.labels[3] and s.labels[0] != s.labels[2]
    assert not alliance_issues(s.labels, chain(4), strong, d, rules, check_size=True)
    assert s.objective == pytest.approx(partition_cost(s.labels, d)) == pytest.approx(2000.0)


def test_mixture_and_infeasible():
    with pytest.raises(InputError) as e:
        suggest_alliances(chain(4), [True] * 4, euclid([[0, 0], [1, 0], [2, 0], [3, 0]]), AllianceRules(2, 4))
    assert e.value.key == "alliance.infeasible" and "4" in e.value.message("zh")
    # A distance limit that cuts every mixing pair also makes it infeasible.
    d = euclid([[0, 0], [5000, 0], [10000, 0]])
    with pytest.raises(InputError):
        suggest_alliances(chain(3), [True, False, True], d, AllianceRules(1, 3, max_distance_m=1000))


random_cases = st.integers(4, 6).flatmap(lambda k: st.tuples(
    st.lists(st.tuples(st.integers(0, 3000), st.integers(0, 3000)), min_size=k, max_size=k),
    st.lists(st.booleans(), min_size=k, max_size=k),
    st.lists(st.booleans(), min_size=k * (k - 1) // 2, max_size=k * (k - 1) // 2),
    st.sampled_from([(2, 3, None), (2, 4, None), (2, 3, 2), (3, 6, None)]),
    st.sampled_from([np.inf, 2500.0])))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cases)
def test_mip_is_optimal_against_brute_force(case):
    xy, strong, links, (lo, hi, n), limit = case
    k = len(xy)
    a = np.zeros((k, k), int)
    a[np.triu_indices(k, 1)] = links
    adj = sp.csr_matrix(a + a.T)
    d = euclid(xy)
    rules = AllianceRules(min_size=lo, max_size=hi, n_alliances=n, max_distance_m=limit)
    best, labels = brute_force(adj, strong, d, rules)
    if labels is None:
        with pytest.raises(InputError) as e:
            suggest_alliances(adj, strong, d, rules)
        assert e.value.key == "alliance.infeasible"
        return
    s = suggest_alliances(adj, strong, d, rules)
    assert s.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    # Every alliance is contiguous, mixes strong and weak, respects sizes and the distance limit.
    assert alliance_issues(s.labels, adj, strong, d, rules, check_size=True) == []
    if n is not None:
        assert s.labels.max() + 1 == n


# --- user alliances ---------------------------------------------------------------------------------------------

IDS = ["P1", "P2", "P3", "P4"]
NAMES = ["一小", "二小", "三小", "四小"]
STRONG = [True, False, True, False]


def test_user_alliances_unknown_and_unassigned():
    with pytest.raises(InputError) as e:
        alliance_labels({"P1": "A", "P9": "A"}, IDS)
    assert e.value.key == "alliance.unknown_school" and "P9" in e.value.message("en")
    with pytest.raises(InputError) as e:
        alliance_labels({"P1": "A", "P2": "A", "P3": ""}, IDS)
    assert e.value.key == "alliance.unassigned_school" and e.value.params["count"] == 2
    labels, names = alliance_labels({"P1": "东", "P2": "东", "P3": "西", "P4": "西"}, IDS)
    assert labels.tolist() == [0, 0, 1, 1] and names == ("东", "西")


def test_user_alliances_validated_with_named_errors():
    adj = chain(4)
    d = euclid([[0, 0], [500, 0], [1000, 0], [1500, 0]])
    ok, names = validate_alliances({"P1": "东", "P2": "东", "P3": "西", "P4": "西"}, IDS, adj, STRONG, d,
                                   school_names=NAMES)
    assert ok.tolist() == [0, 0, 1, 1]
    with pytest.raises(InputError) as e:  # 一小 and 三小 are not neighbours
        validate_alliances({"P1": "东", "P3": "东", "P2": "西", "P4": "西"}, IDS, adj, STRONG, d,
                           school_names=NAMES)
    assert e.value.key == "alliance.not_contiguous"
    assert "一小" in e.value.message("zh") and "三小" in e.value.message("zh")
    with pytest.raises(InputError) as e:
        validate_alliances({"P1": "东", "P2": "东", "P3": "西", "P4": "西"}, IDS, adj, [True, True, False, False],
                           d, school_names=NAMES)
    assert e.value.key == "alliance.no_weak" and "一小" in e.value.message("en")
    issues = alliance_issues([0, 0, 1, 1], adj, [True, True, False, False], d, school_names=NAMES)
    assert [k for k, _ in issues] == ["alliance.no_weak", "alliance.no_strong"]
    with pytest.raises(InputError) as e:
        validate_alliances({s: "全区" for s in IDS}, IDS, adj, STRONG, d, AllianceRules(max_distance_m=1000),
                           school_names=NAMES)
    assert e.value.key == "alliance.too_far"
    assert e.value.params["dist"] == pytest.approx(1500) and "1500" in e.value.message("zh")


def test_alliance_table_and_zones():
    labels = np.array([0, 0, 1, 1])
    d = euclid([[0, 0], [500, 0], [1000, 0], [1500, 0]])
    table = alliance_table(labels, ("东", "西"), IDS, NAMES, [100, 200, 300, 400], [3.0, 1.0, 2.5, 0.5],
                           STRONG, d, [90, 250, 280, 100])
    assert table["seats"].tolist() == [300, 700] and table["children"].tolist() == [340, 380]
    assert table["strong"].tolist() == [1, 1] and table["weak"].tolist() == [1, 1]
    assert table["max_distance_m"].tolist() == [500, 500]
    assert table["schools"].iloc[0] == "一小、二小"
    # Compounds 0..4 zoned to schools 0, 1, 1, 2, 3 in a row: zones 东 (0-2) and 西 (3-4) meet at 2-3.
    z = alliance_zones(labels, [0, 1, 1, 2, 3], chain(5), ("东", "西"))
    assert z.zone_of_compound.tolist() == [0, 0, 0, 1, 1] and z.names == ("东", "西")
    assert z.adjacency.toarray().tolist() == [[0, 1], [1, 0]]


# --- the demo district -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_primary(demo_inputs):
    return run_scenario(demo_inputs, Scenario("primary", "network"))


def test_demo_primary_alliances(demo_inputs, demo_primary):
    r = demo_primary
    rules = AllianceRules(min_size=3, max_size=5)
    plan = plan_alliances(demo_inputs, r, rules)
    assert plan.suggestion.status == "optimal"
    assert len(plan.labels) == len(r.schools) == 20
    assert alliance_issues(plan.labels, plan.adjacency, plan.strong, plan.dist, rules, check_size=True) == []
    assert plan.table["seats"].sum() == r.table["seats"].sum()
    assert plan.table["children"].sum() == r.assignments["children"].sum()
    assert (plan.table["strong"] >= 1).all() and (plan.table["weak"] >= 1).all()
    # The strong schools by backbone teachers include the two education groups' leads.
    ids = r.schools["school_id"].tolist()
    assert plan.strong[ids.index("P08")] and plan.strong[ids.index("N02")]
    # The zones feed the lottery: every compound's chances sum to 1, and merging lifts access to strong
    # schools for the children of weak catchments on average.
    children = r.assignments["children"].to_numpy()
    p = probabilities(plan.zones, children, r.schools["seats"].to_numpy(), draws=300)
    np.testing.assert_allclose(p.matrix.sum(axis=1), 1.0)
    label = np.array([ids.index(s) for s in r.assignments["school_id"]])
    weak_home = ~plan.strong[label]
    # (single-school zoning gives them no chance at all; in a mixed alliance they have a real one)
    lifted = strong_access(p, plan.strong)[weak_home] @ children[weak_home] / children[weak_home].sum()
    assert lifted > 0.2
    # The street-network neighbours give valid alliances too; the user's own alliances are checked.
    net_plan = plan_alliances(demo_inputs, r, rules, neighbours="network")
    assert alliance_issues(net_plan.labels, net_plan.adjacency, net_plan.strong, net_plan.dist, rules) == []
    mapping = {sid: f"A{g}" for sid, g in zip(ids, plan.labels)}
    user = plan_alliances(demo_inputs, r, rules, mapping=mapping)
    assert [user.names[g] for g in user.labels] == [f"A{g}" for g in plan.labels]
    lonely = dict(mapping, **{ids[int(np.flatnonzero(plan.strong)[0])]: "alone"})
    with pytest.raises(InputError) as e:
        plan_alliances(demo_inputs, r, rules, mapping=lonely)
    assert e.value.key in ("alliance.no_weak", "alliance.no_strong", "alliance.not_contiguous")
