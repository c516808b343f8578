"""Loyalty programs: points as a liability (IFRS 15), and (to come, issue 19) program KPIs,
tiers and the member effect. See docs/loyalty_cross_sell.md."""

from .liability import points_liability

__all__ = ["points_liability"]
