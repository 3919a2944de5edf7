"""Balanced development (优质均衡): audits of how evenly resources are spread, and the tools to even them.

- :mod:`~geo.equity.audit`: the 2017 indicators, coefficients of variation, Gini / Theil / Lorenz, class sizes;
- :mod:`~geo.equity.stats`: the user's own school statistics, checked and joined to the schools;
- :mod:`~geo.equity.groups`: education groups (教育集团): checked, their leads' strength, the children they reach;
- :mod:`~geo.equity.exchange`: teacher exchange with the fewest moves, and the moves a user types;
- :mod:`~geo.equity.lottery`: multi-school zones by lottery;
- :mod:`~geo.equity.alliances`: school-district alliances.
"""

from geo.equity.audit import audit_schools, balance, class_sizes, resource_inequality
from geo.equity.exchange import exchange_effect, suggest_moves
from geo.equity.groups import check_groups, group_shares, strong_leads
from geo.equity.stats import join_statistics

__all__ = [
    "audit_schools",
    "balance",
    "check_groups",
    "class_sizes",
    "exchange_effect",
    "group_shares",
    "join_statistics",
    "resource_inequality",
    "strong_leads",
    "suggest_moves",
]
