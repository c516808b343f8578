"""Loyalty programs: points as a liability (IFRS 15), member tiers (assignment, migration,
re-scoring under new thresholds); program KPIs and the member effect to come (issue 19).
See docs/loyalty_cross_sell.md."""

from .liability import points_liability
from .tiers import assign_tiers, moves, rescore, tier_migration

__all__ = ["assign_tiers", "moves", "points_liability", "rescore", "tier_migration"]
