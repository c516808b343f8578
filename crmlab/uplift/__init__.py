"""Uplift targeting: whom does a campaign change? Learners (T, X, doubly robust) fitted on a
randomized campaign, Qini / uplift curves with bootstrap intervals, and a targeting list
ranked by uplift x value - cost (see docs/guide/uplift.md)."""

from .evaluate import curves, evaluate
from .inputs import UNIT_FEATURES, unit_features
from .learners import LEARNERS, UpliftLearner, default_base, fit_uplift
from .planted import FEATURES, PlantedCampaign, planted_campaign
from .study import TargetingComparison, compare_targeting
from .targeting import expected_gain, profit_curves, targeting_list

__all__ = [
    "FEATURES",
    "LEARNERS",
    "UNIT_FEATURES",
    "PlantedCampaign",
    "TargetingComparison",
    "UpliftLearner",
    "compare_targeting",
    "curves",
    "default_base",
    "evaluate",
    "expected_gain",
    "fit_uplift",
    "planted_campaign",
    "profit_curves",
    "targeting_list",
    "unit_features",
]
