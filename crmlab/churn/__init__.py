"""Churn: point-in-time snapshots, models, honest evaluation, targeting and retention curves.

Flow: ``snapshots`` (features known at each cutoff, label after it; SQL in
``crmlab.features``) -> ``split`` (by time) -> ``fit`` -> ``evaluate`` (vs baselines) /
``importance`` / ``dependence`` / ``by_group`` -> ``targets`` (contact list within a
budget). ``cohort_retention`` and ``survival`` describe retention without a model.
See docs/churn.md.
"""

from ..features import Snapshots, cutoff_schedule
from .evaluate import Evaluation, by_group, evaluate, gains_table, lift_at
from .explain import dependence, importance
from .model import ChurnModel, fit, scores_frame, split
from .retention import Survival, cohort_retention, lifetimes_from_orders, survival
from .snapshots import snapshots
from .subscribers import default_group, feature_column, still_subscribed, subscriber_value
from .targeting import ContactList, targets

__all__ = [
    "ChurnModel",
    "ContactList",
    "Evaluation",
    "Snapshots",
    "Survival",
    "by_group",
    "cohort_retention",
    "cutoff_schedule",
    "default_group",
    "dependence",
    "evaluate",
    "feature_column",
    "fit",
    "gains_table",
    "importance",
    "lifetimes_from_orders",
    "lift_at",
    "scores_frame",
    "snapshots",
    "split",
    "still_subscribed",
    "subscriber_value",
    "survival",
    "targets",
]
