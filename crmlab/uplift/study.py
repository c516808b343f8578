"""Targeting rules side by side on one randomized campaign, judged on customers held out.

The campaign's units are split at random: the learners (and a response model, the usual
alternative: who buys when treated?) learn from one part; every rule ranks the other part,
where the randomization still holds, so each rule's AUUC, Qini and uplift@k are honest
estimates with bootstrap intervals. Rules that need no learning (a churn-risk score, a
recency) are passed as feature columns to rank by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from ..errors import ParameterError
from ..randomness import generator
from .evaluate import curves, evaluate
from .learners import LEARNERS, UpliftLearner, _checked, fit_uplift
from .targeting import profit_curves

RESPONSE = "response model"


@dataclass(frozen=True)
class TargetingComparison:
    """evaluation: one row per rule (``evaluate``), best first. curves: tidy uplift and Qini
    curves (rule, share_targeted, uplift, qini, random_uplift, random_qini). profit: tidy
    profit curves when a value outcome was given (else None). scores: the held-out units'
    scores, one column per rule, with treated and outcome (index: their row numbers in
    ``features``). models: the learners, fitted on
    the training part. best: the learner with the largest held-out AUUC."""

    evaluation: pd.DataFrame
    curves: pd.DataFrame
    profit: pd.DataFrame | None
    scores: pd.DataFrame
    models: dict[str, UpliftLearner]
    best: str


def compare_targeting(
    features: pd.DataFrame,
    treatment,
    outcome,
    value_outcome=None,
    cost: float = 0.0,
    learners=LEARNERS,
    rank_by: dict[str, str] | None = None,
    held_out: float = 0.5,
    k: float = 0.3,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: int = 0,
) -> TargetingComparison:
    """Uplift learners against a response model and simple ranks, on held-out units.

    features: one row per unit, numbers only, known before assignment. treatment: 1
    treated, 0 control. outcome: what the campaign should change (0/1 or amount).
    value_outcome: each unit's outcome in money (e.g. revenue in the window), for the
    profit curves with ``cost`` per contact. learners: among "t", "x", "dr". rank_by: rule
    name -> feature column, higher first (e.g. {"churn risk (days since last order)":
    "recency_days"}). held_out: share of units kept for judging.
    """
    if not 0.1 <= held_out <= 0.9:
        raise ParameterError(f"held_out={held_out!r}: keep between 10% and 90% of units aside.")
    x, t, y = _checked(features, treatment, outcome)
    rank_by = rank_by or {}
    absent = [c for c in rank_by.values() if c not in features]
    if absent:
        raise ParameterError(f"rank_by names column(s) not in features: {absent}.")
    test = generator(random_state).random(len(y)) < held_out
    train = ~test
    frame = features.reset_index(drop=True)
    models = {kind: fit_uplift(frame[train], t[train], y[train], learner=kind,
                               random_state=random_state) for kind in learners}  # fmt: skip
    names = {f"uplift ({kind.upper()}-learner)": kind for kind in models}  # rule -> learner
    scores = {name: models[kind].predict(frame[test]) for name, kind in names.items()}
    responders = train & (t == 1)
    if np.unique(y[responders]).size == 2:  # a 0/1 outcome: who buys when treated?
        response = HistGradientBoostingClassifier(random_state=random_state)
        response.fit(x[responders], y[responders].astype(int))
        scores[RESPONSE] = response.predict_proba(x[test])[:, 1]
    for name, column in rank_by.items():
        scores[name] = frame.loc[test, column].to_numpy(float)
    table = evaluate(y[test], t[test], scores, k=k, n_boot=n_boot, alpha=alpha,
                     random_state=random_state)  # fmt: skip
    tidy = pd.concat([curves(y[test], t[test], s).assign(rule=name) for name, s in scores.items()],
                     ignore_index=True)  # fmt: skip
    profit = None
    if value_outcome is not None:
        money = np.asarray(value_outcome, dtype=float)[test]
        profit = profit_curves(money, t[test], scores, cost).rename(columns={"score": "rule"})
    best = names[table.loc[table["score"].isin(names), "score"].iloc[0]]  # table: best first
    held = pd.DataFrame(scores, index=np.flatnonzero(test)).assign(treated=t[test], outcome=y[test])
    return TargetingComparison(table.rename(columns={"score": "rule"}), tidy, profit, held,
                               models, best)  # fmt: skip
