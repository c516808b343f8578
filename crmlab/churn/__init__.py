"""Churn: point-in-time snapshots, models, honest evaluation, targeting and retention curves.

Flow: ``snapshots`` (DuckDB; features strictly before each cutoff, label after it) ->
``split`` (by time) -> ``train`` -> ``evaluate`` (vs baselines) / ``importance`` /
``dependence`` / ``by_group`` -> ``targets`` (contact list within a budget).
``cohort_retention`` and ``survival`` describe retention without a model.
See docs/churn.md.
"""

from .evaluate import Evaluation, by_group, evaluate, gains_table, lift_at
from .explain import dependence, importance
from .model import ChurnModel, scores_frame, split, train
from .retention import cohort_retention, lifetimes_from_orders, survival
from .snapshots import cutoff_schedule, snapshots
from .targeting import targets

__all__ = [
    "ChurnModel",
    "Evaluation",
    "by_group",
    "cohort_retention",
    "cutoff_schedule",
    "dependence",
    "evaluate",
    "gains_table",
    "importance",
    "lifetimes_from_orders",
    "lift_at",
    "scores_frame",
    "snapshots",
    "split",
    "survival",
    "targets",
    "train",
]
