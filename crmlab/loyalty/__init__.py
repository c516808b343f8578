"""Loyalty programs: points as lots and their breakage, points as a liability (IFRS 15),
member tiers (assignment, migration, re-scoring under new thresholds). See
docs/guide/loyalty.md; design notes in docs/loyalty_cross_sell.md."""

from .breakage import Breakage, breakage, chain_ladder
from .liability import points_liability, program_liability
from .member_effect import MemberEffect, member_effect
from .points import balances, point_lots
from .program import program_kpis, time_to_tier
from .tiers import (
    assign_tiers,
    moves,
    qualifying_points,
    rescore,
    tier_migration,
    tier_sizes,
    tiers_at,
)

__all__ = [
    "Breakage",
    "MemberEffect",
    "assign_tiers",
    "balances",
    "breakage",
    "chain_ladder",
    "member_effect",
    "moves",
    "point_lots",
    "points_liability",
    "program_kpis",
    "program_liability",
    "qualifying_points",
    "rescore",
    "tier_migration",
    "tier_sizes",
    "tiers_at",
    "time_to_tier",
]
