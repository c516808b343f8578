"""Honest evaluation of a churn model on a later (or held-out) snapshot, against baselines.

Baselines: "recency only" (longer since the last order = more likely gone; a ranking, not a
probability) and BG/NBD "1 - P(alive)" when the snapshot has ``p_alive``. A model that cannot
beat them is not worth deploying.

Lift: churn rate among the top k% by score / overall churn rate. Gains: share of all churners
found in the top k%. AUC CIs: Poisson bootstrap (each row weighted by a Poisson(1) count),
computed from one sort of the scores, so 1,000,000 rows x 200 resamples stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    roc_auc_score,
    roc_curve,
)

from ..errors import ParameterError
from ..features import Snapshots
from ..randomness import RandomState, generator
from .model import ChurnModel, table_of


@dataclass(frozen=True)
class Evaluation:
    """What ``evaluate`` measured. Tables are tidy DataFrames ready to show or plot.

    metrics: one row per scorer (model, model before calibration, baselines): auc with
        bootstrap CI, pr_auc, brier, log_loss (probabilities only), top_decile_lift.
    gains: per scorer and decile: share contacted, share of churners found, lift.
    calibration: per scorer and bin: mean predicted vs observed churn rate.
    roc: per scorer: fpr, tpr (thinned to at most 200 points).
    confusion: counts at ``threshold`` for the model.
    """

    metrics: pd.DataFrame
    gains: pd.DataFrame
    calibration: pd.DataFrame
    roc: pd.DataFrame
    confusion: pd.DataFrame
    threshold: float
    base_rate: float


def evaluate(
    model: ChurnModel,
    test: Snapshots | pd.DataFrame,
    baselines: bool = True,
    threshold: float = 0.5,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: RandomState = 0,
) -> Evaluation:
    """Evaluate ``model`` on ``test`` (snapshots with ``churned``); see ``Evaluation``.
    AUC intervals are at level 1 - alpha."""
    test = table_of(test)
    if "churned" not in test:
        raise ParameterError("the test table has no 'churned' column.")
    y = test["churned"].to_numpy(int)
    if len(set(y)) < 2:
        raise ParameterError("the test set has a single class: AUC and lift are undefined.")
    if not 0 < threshold < 1:
        raise ParameterError(f"threshold={threshold} must be between 0 and 1.")
    scorers = {"model": (model.predict_proba(test).to_numpy(), True)}
    if model.info.get("calibration"):
        scorers["model before calibration"] = (
            model.predict_proba_uncalibrated(test).to_numpy(),
            True,
        )
    if baselines:
        if "recency_days" in test:
            scorers["baseline: recency only"] = (test["recency_days"].to_numpy(float), False)
        if "p_alive" in test:
            scorers["baseline: 1 - P(alive)"] = (1 - test["p_alive"].to_numpy(float), True)
    rng = generator(random_state)
    metrics, gains, calib, roc = [], [], [], []
    for name, (score, is_probability) in scorers.items():
        score = np.nan_to_num(score, nan=np.nanmedian(score))
        low, high = _bootstrap_auc(y, score, n_boot, alpha, rng)
        metrics.append(
            {
                "scorer": name,
                "auc": roc_auc_score(y, score),
                "auc_ci_low": low,
                "auc_ci_high": high,
                "pr_auc": average_precision_score(y, score),
                "brier": brier_score_loss(y, score) if is_probability else np.nan,
                "log_loss": log_loss(y, np.clip(score, 1e-6, 1 - 1e-6))
                if is_probability
                else np.nan,
                "top_decile_lift": lift_at(y, score, 0.10),
            }
        )
        gains.append(gains_table(y, score).assign(scorer=name))
        if is_probability:
            observed, predicted = calibration_curve(y, score, n_bins=10, strategy="quantile")
            calib.append(
                pd.DataFrame({"scorer": name, "predicted": predicted, "observed": observed})
            )
        fpr, tpr, _ = roc_curve(y, score)
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 200)).astype(int))
        roc.append(pd.DataFrame({"scorer": name, "fpr": fpr[keep], "tpr": tpr[keep]}))
    predicted = scorers["model"][0] >= threshold
    matrix = confusion_matrix(y, predicted, labels=[0, 1])
    confusion = pd.DataFrame(
        matrix,
        index=pd.Index(["stayed", "churned"], name="actual"),
        columns=pd.Index(["predicted stay", "predicted churn"], name=f"threshold {threshold}"),
    )
    return Evaluation(
        metrics=pd.DataFrame(metrics),
        gains=pd.concat(gains, ignore_index=True),
        calibration=pd.concat(calib, ignore_index=True),
        roc=pd.concat(roc, ignore_index=True),
        confusion=confusion,
        threshold=threshold,
        base_rate=float(y.mean()),
    )


def lift_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    """Churn rate among the top ``share`` of rows by score, divided by the overall rate."""
    n = max(1, round(share * len(y)))
    top = np.argsort(-score, kind="stable")[:n]
    return float(np.mean(y[top]) / np.mean(y))


def gains_table(y: np.ndarray, score: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Cumulative gains and lift by decile of score (decile 1 = highest risk)."""
    order = np.argsort(-score, kind="stable")
    sorted_y = np.asarray(y)[order]
    edges = np.linspace(0, len(y), bins + 1).round().astype(int)
    rows = []
    for k in range(1, bins + 1):
        found = sorted_y[: edges[k]].sum()
        rate = sorted_y[edges[k - 1] : edges[k]].mean()
        rows.append(
            {
                "decile": k,
                "share_contacted": edges[k] / len(y),
                "share_of_churners_found": found / sorted_y.sum(),
                "churn_rate": rate,
                "lift": rate / sorted_y.mean(),
                "cumulative_lift": (found / edges[k]) / sorted_y.mean(),
            }
        )
    return pd.DataFrame(rows)


def _bootstrap_auc(y, score, n_boot: int, alpha: float, rng) -> tuple[float, float]:
    """Percentile CI of the AUC under Poisson-bootstrap row weights (ties count one half)."""
    if n_boot <= 0:
        return np.nan, np.nan
    order = np.argsort(score, kind="stable")
    s, yy = score[order], y[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # groups of tied scores
    aucs = np.empty(n_boot)
    for b in range(n_boot):
        w = rng.poisson(1.0, len(y)).astype(float)
        pos = np.add.reduceat(w * yy, starts)
        neg = np.add.reduceat(w * (1 - yy), starts)
        below = np.cumsum(neg) - neg
        aucs[b] = np.sum(pos * (below + 0.5 * neg)) / (pos.sum() * neg.sum())
    return float(np.quantile(aucs, alpha / 2)), float(np.quantile(aucs, 1 - alpha / 2))


def by_group(
    model: ChurnModel, test: Snapshots | pd.DataFrame, groups: pd.Series | str, min_size: int = 50
) -> pd.DataFrame:
    """Model quality within groups (segment, acquisition channel): n, observed and predicted
    churn rate, AUC, Brier. Groups smaller than ``min_size`` or with one class get no AUC."""
    test = table_of(test)
    labels = test[groups] if isinstance(groups, str) else groups.reindex(test.index)
    labels = labels.astype("str").fillna("unknown")
    p = model.predict_proba(test)
    rows = []
    for group, idx in labels.groupby(labels, sort=True).groups.items():
        y = test.loc[idx, "churned"].to_numpy(int)
        ok = len(y) >= min_size and 0 < y.mean() < 1
        rows.append(
            {
                "group": group,
                "n": len(y),
                "observed_churn": y.mean(),
                "predicted_churn": p.loc[idx].mean(),
                "auc": roc_auc_score(y, p.loc[idx]) if ok else np.nan,
                "brier": brier_score_loss(y, p.loc[idx]) if len(y) >= min_size else np.nan,
                "too_small": len(y) < min_size,
            }
        )
    return pd.DataFrame(rows)
