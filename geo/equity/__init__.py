"""Balanced development (优质均衡): audits of how evenly resources are spread, and the tools to even them.

- :mod:`~geo.equity.audit`: the 2017 indicators, coefficients of variation, class sizes;
- :mod:`~geo.equity.inequality`: Gini / Theil (decomposed by a grouping) / Lorenz of a per-student resource;
- :mod:`~geo.equity.stats`: the user's own school statistics, checked and joined to the schools;
- :mod:`~geo.equity.groups`: education groups (教育集团): checked, their leads' strength, the children they reach;
- :mod:`~geo.equity.exchange`: teacher exchange with the fewest moves, and the moves a user types;
- :mod:`~geo.equity.strength`: school strength, and which schools are strong (for lotteries and alliances);
- :mod:`~geo.equity.lottery`: multi-school zones (多校划片), their lottery (电脑派位) simulated and its exact chances;
- :mod:`~geo.equity.access`: what a family can expect from a lottery (a strong school's chance, the walk), compared;
- :mod:`~geo.equity.alliances`: school-district alliances (学区): the rules, which schools neighbour, the checks;
- :mod:`~geo.equity.alliance_mip`: the suggested alliances, an exact MIP (HiGHS), and the brute force checking it;
- :mod:`~geo.equity.alliance_plan`: alliances of a zoning in one call (figures, their multi-school zones) or in
  steps a page can cache.
"""

from geo.equity.access import access_table, compare, compare_summary
from geo.equity.alliance_mip import Suggestion, suggest_alliances
from geo.equity.alliance_plan import AlliancePlan, plan_alliances
from geo.equity.alliances import AllianceRules, alliance_issues, validate_alliances
from geo.equity.audit import audit_schools, balance, class_sizes
from geo.equity.exchange import exchange_effect, suggest_moves
from geo.equity.groups import check_groups, group_shares, strong_leads
from geo.equity.inequality import resource_inequality
from geo.equity.lottery import Probabilities, Zones, make_zones, probabilities, single_school
from geo.equity.stats import join_statistics
from geo.equity.strength import school_strength, strong_schools

__all__ = [
    "AlliancePlan",
    "AllianceRules",
    "Probabilities",
    "Suggestion",
    "Zones",
    "access_table",
    "alliance_issues",
    "audit_schools",
    "balance",
    "check_groups",
    "class_sizes",
    "compare",
    "compare_summary",
    "exchange_effect",
    "group_shares",
    "join_statistics",
    "make_zones",
    "plan_alliances",
    "probabilities",
    "resource_inequality",
    "school_strength",
    "single_school",
    "strong_leads",
    "strong_schools",
    "suggest_alliances",
    "suggest_moves",
    "validate_alliances",
]
