"""Balanced development (优质均衡): audits of how evenly resources are spread, and the tools to even them.

- :mod:`~geo.equity.audit`: the 2017 indicators, coefficients of variation, Gini / Theil, education groups;
- :mod:`~geo.equity.exchange`: teacher exchange with the fewest moves;
- :mod:`~geo.equity.lottery`: multi-school zones by lottery;
- :mod:`~geo.equity.alliances`: school-district alliances.
"""
