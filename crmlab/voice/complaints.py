"""Complaints and churn: do customers who complained, and were served slowly, buy again less
than similar customers who did not complain?

**Observational, not an experiment.** Nobody chose at random who would complain or how fast
their ticket would be handled, so the differences below are associations adjusted for what
the data show about customers before the complaint (recency, frequency, spend, tenure,
recent orders) — not proven effects. Unmeasured differences (a customer already drifting
away complains *and* leaves) can remain.

Design: churn snapshots (``features.churn_snapshots``) at several cutoffs; at each cutoff a
customer is in one group by their latest ticket opened in the ``window_days`` before it —
*resolved fast* (within ``fast_within``, in ``time_unit``), *resolved slowly*, *still
open* — or in *no complaint* when they had no ticket in the year before; customers with only
older tickets are left out. Churned = no purchase in the ``horizon_days`` after the cutoff.
A logistic regression of churn on the group and the RFM covariates then gives each group's
*adjusted* churn rate by standardisation: the average predicted churn of the complainers had
they all been in that group (g-computation), with a bootstrap over customers for the
intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from ..data.container import CRMData
from ..data.recent import latest_before
from ..errors import ParameterError
from ..features import churn_snapshots
from ..intervals import check_alpha
from ..randomness import RandomState, generator
from ..units import check_days, days_per_unit

GROUPS = ("no complaint", "resolved fast", "resolved slowly", "still open")
COVARIATES = ("recency_days", "n_orders", "revenue", "tenure_days", "orders_90d")
OBSERVATIONAL = (
    "Observational: complainers were not chosen at random, so these are associations "
    "adjusted for recency, frequency, spend, tenure and recent orders before the complaint, "
    "not proven effects."
)


@dataclass(frozen=True)
class ComplaintChurn:
    """The complaint-to-churn comparison.

    table: one row per group (``GROUPS``): ``snapshots`` (customer-cutoff rows), ``customers``,
        ``churn_rate`` (raw), ``adjusted_churn_rate`` (standardised to the complainers'
        covariates) with ``ci_low``/``ci_high``, and ``difference`` (adjusted, against no
        complaint) with ``difference_ci_low``/``difference_ci_high``.
    horizon_days, window_days, fast_within (in time_unit): the definitions used. note: the
    caveat to show.
    """

    table: pd.DataFrame
    horizon_days: float
    window_days: float
    fast_within: float
    time_unit: str = "h"
    note: str = OBSERVATIONAL


def complaint_groups(
    tickets: pd.DataFrame,
    snapshots: pd.DataFrame,
    window_days: float,
    fast_within: float,
    time_unit: str = "h",
) -> pd.Series:
    """The group of each snapshot row (see the module docstring); missing = left out."""
    rows = snapshots[["customer_id", "cutoff"]].reset_index(drop=True)
    latest = latest_before(
        tickets, "opened_at", rows["customer_id"], rows["cutoff"], ["resolved_at"]
    ).assign(cutoff=pd.to_datetime(rows["cutoff"], utc=True))
    age = (latest["cutoff"] - latest["opened_at"]) / pd.Timedelta(days=1)
    resolved = pd.to_datetime(latest["resolved_at"], utc=True)
    done = resolved.notna() & (resolved <= latest["cutoff"])
    taken = (resolved - latest["opened_at"]) / pd.Timedelta(days=days_per_unit(time_unit))
    group = pd.Series(pd.NA, index=rows.index, dtype="object")
    group[latest["opened_at"].isna() | (age > 365)] = GROUPS[0]
    recent = age <= window_days
    group[recent & done & (taken <= fast_within)] = GROUPS[1]
    group[recent & done & (taken > fast_within)] = GROUPS[2]
    group[recent & ~done] = GROUPS[3]
    return group


def complaint_churn(
    data: CRMData,
    cutoffs,
    horizon_days: float = 90,
    window_days: float = 30,
    fast_within: float = 48,
    time_unit: str = "h",
    alpha: float = 0.05,
    n_boot: int = 200,
    random_state: RandomState = 0,
    engine=None,
) -> ComplaintChurn:
    """Churn after a complaint, by how it was handled, against customers without one
    (see the module docstring; observational)."""
    check_alpha(alpha)
    check_days(window_days, "window_days")
    if data.tickets is None:
        raise ParameterError("complaint_churn needs the tickets table.")
    days_per_unit(time_unit)
    if (
        isinstance(fast_within, bool)
        or not isinstance(fast_within, int | float)
        or fast_within <= 0
    ):
        raise ParameterError(f"fast_within={fast_within!r} must be a duration > 0 in time_unit.")
    snaps = churn_snapshots(data, cutoffs, horizon_days, engine=engine).table
    snaps = snaps.assign(
        group=complaint_groups(data.tickets, snaps, window_days, fast_within, time_unit).to_numpy()
    )
    snaps = snaps.dropna(subset=["group"]).reset_index(drop=True)
    present = [g for g in GROUPS if (snaps["group"] == g).any()]
    if GROUPS[0] not in present or len(present) < 2:
        raise ParameterError(
            "need customers with and without a recent complaint at the cutoffs; found only "
            f"{present or 'none'}. Choose other cutoffs or a longer window_days."
        )
    model = _Standardisation(snaps, present)
    point = model.rates()
    boots = _bootstrap(snaps, present, n_boot, generator(random_state), model)
    low, high = np.nanquantile(boots, [alpha / 2, 1 - alpha / 2], axis=0)
    base = boots[:, 0:1]
    diff_low, diff_high = np.nanquantile(boots - base, [alpha / 2, 1 - alpha / 2], axis=0)
    by_group = snaps.groupby("group")
    table = pd.DataFrame(
        {
            "group": present,
            "snapshots": [int(by_group.size()[g]) for g in present],
            "customers": [int(by_group["customer_id"].nunique()[g]) for g in present],
            "churn_rate": [float(by_group["churned"].mean()[g]) for g in present],
            "adjusted_churn_rate": point,
            "ci_low": low,
            "ci_high": high,
            "difference": point - point[0],
            "difference_ci_low": diff_low,
            "difference_ci_high": diff_high,
        }
    )
    return ComplaintChurn(
        table, float(horizon_days), float(window_days), float(fast_within), time_unit
    )


def _design(snaps: pd.DataFrame, present: list[str], group: str | None = None) -> np.ndarray:
    groups = snaps["group"] if group is None else pd.Series(group, index=snaps.index)
    dummies = np.column_stack([(groups == g).to_numpy(float) for g in present[1:]])
    covariates = np.log1p(snaps[list(COVARIATES)].clip(lower=0).fillna(0).to_numpy(float))
    return np.column_stack([dummies, covariates])


class _Standardisation:
    """The logistic model's inputs, built once: the design matrix, the outcome, and the
    complainers' rows as if each had been in every group (bootstrap resamples only change
    the weights)."""

    def __init__(self, snaps: pd.DataFrame, present: list[str]):
        self.x = _design(snaps, present)
        self.y = snaps["churned"].to_numpy()
        self.complainers = (snaps["group"] != GROUPS[0]).to_numpy()
        # group numbers (0: no complaint): a resample's groups are counted, not sorted as text
        self.groups = pd.Categorical(snaps["group"], categories=present).codes
        self.as_if = [_design(snaps[self.complainers], present, g) for g in present]

    def rates(self, weights=None) -> np.ndarray:
        """Average predicted churn of the complainers had they all been in each group."""
        model = LogisticRegression(C=1e6, solver="newton-cholesky")
        model.fit(self.x, self.y, sample_weight=weights)
        share = np.ones(len(self.y)) if weights is None else np.asarray(weights, float)
        share = share[self.complainers] / share[self.complainers].sum()
        return np.array([model.predict_proba(x)[:, 1] @ share for x in self.as_if])


def _bootstrap(snaps: pd.DataFrame, present, n_boot: int, rng, model: _Standardisation):
    """Standardised rates under Poisson(1) weights per customer (a bootstrap over customers
    whose cutoffs stay together, without copying rows)."""
    codes, customers = pd.factorize(snaps["customer_id"])
    out = np.full((n_boot, len(present)), np.nan)
    for b in range(n_boot):
        weights = rng.poisson(1.0, len(customers))[codes].astype(float)
        drawn = np.bincount(model.groups[weights > 0], minlength=len(present))
        if (drawn > 0).all():  # every group drawn (so complainers too)
            out[b] = model.rates(weights)
    return out
