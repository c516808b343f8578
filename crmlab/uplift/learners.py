"""Uplift (conditional average treatment effect) learners for randomized campaigns.

Each learner estimates tau(x) = E[Y | x, treated] - E[Y | x, control]: how much the
campaign changes a customer's outcome, not how likely the customer is to respond (a
response model scores "sure things", who buy anyway, as highly as "persuadables").

- T-learner: one outcome model per arm; tau = mu1(x) - mu0(x).
- X-learner (Kuenzel et al. 2019): the T-learner's models impute each unit's effect
  (treated: y - mu0(x); control: mu1(x) - y); one model per arm learns those effects;
  tau = e tau0(x) + (1 - e) tau1(x), e the treated share.
- DR-learner (Kennedy 2023): doubly robust pseudo-outcomes
      phi = mu1(x) - mu0(x) + T (y - mu1(x)) / e - (1 - T) (y - mu0(x)) / (1 - e),
  with mu0, mu1 fitted on other folds (cross-fitting), regressed on x.

The treated share e is the design's (campaigns are randomized): the share in the data.
Base models are scikit-learn regressors (default: histogram gradient boosting), so the
outcome can be a 0/1 conversion or an amount.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

from ..errors import ParameterError

LEARNERS = ("t", "x", "dr")


def default_base(random_state: int = 0) -> RegressorMixin:
    """Histogram gradient boosting, regularized for noisy outcomes (small leaves overfit
    the difference of two noisy models)."""
    return HistGradientBoostingRegressor(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=100,
        l2_regularization=1.0, random_state=random_state,
    )  # fmt: skip


def _checked(features, treatment, outcome) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(features, pd.DataFrame):
        text = [c for c in features if not pd.api.types.is_numeric_dtype(features[c])]
        if text:
            raise ParameterError(
                f"features must be numbers; not {text}. Encode categories first (e.g. "
                "pd.get_dummies) or leave them out."
            )
    x = features.to_numpy(float) if isinstance(features, pd.DataFrame) else np.asarray(features)
    t = np.asarray(treatment)
    y = np.asarray(outcome, dtype=float)
    if x.ndim != 2 or not len(x) == len(t) == len(y):
        raise ParameterError(
            f"features ({x.shape}), treatment ({len(t)}) and outcome ({len(y)}) must have one "
            "row per unit."
        )
    if not np.isin(t, [0, 1, True, False]).all():
        raise ParameterError("treatment must be 0/1 (or True/False): 1 for treated units.")
    t = t.astype(int)
    if min(t.sum(), len(t) - t.sum()) < 20:
        raise ParameterError(
            f"{int(t.sum())} treated and {int(len(t) - t.sum())} control units: each arm needs "
            "at least 20 to learn an effect."
        )
    if np.isnan(y).any() or np.isnan(x).any():
        raise ParameterError("features and outcome must not have missing values; fill them first.")
    return x, t, y


class UpliftLearner:
    """A fitted uplift model: ``predict(features)`` gives tau(x) per unit, in the
    outcome's unit (probability points for a 0/1 outcome)."""

    def __init__(self, kind: Literal["t", "x", "dr"], base: RegressorMixin | None = None,
                 folds: int = 3, random_state: int = 0):  # fmt: skip
        if kind not in LEARNERS:
            raise ParameterError(f"learner={kind!r}: use one of {list(LEARNERS)}.")
        self.kind, self.folds, self.random_state = kind, folds, random_state
        self.base = default_base(random_state) if base is None else base

    def _model(self, x, y) -> RegressorMixin:
        return clone(self.base).fit(x, y)

    def fit(self, features, treatment, outcome) -> UpliftLearner:
        """Learn tau(x) from a randomized campaign's units (see the module docstring)."""
        x, t, y = _checked(features, treatment, outcome)
        self.treated_share_ = float(t.mean())
        self.columns_ = list(features.columns) if isinstance(features, pd.DataFrame) else None
        treated, control = t == 1, t == 0
        if self.kind in ("t", "x"):
            self.mu1_ = self._model(x[treated], y[treated])
            self.mu0_ = self._model(x[control], y[control])
        if self.kind == "x":
            self.tau1_ = self._model(x[treated], y[treated] - self.mu0_.predict(x[treated]))
            self.tau0_ = self._model(x[control], self.mu1_.predict(x[control]) - y[control])
        if self.kind == "dr":
            self.final_ = self._model(x, self._pseudo_outcomes(x, t, y))
        return self

    def _pseudo_outcomes(self, x, t, y) -> np.ndarray:
        """Doubly robust pseudo-outcomes with cross-fitted outcome models."""
        e = self.treated_share_
        phi = np.empty(len(y))
        splits = KFold(self.folds, shuffle=True, random_state=self.random_state).split(x)
        for fit_rows, rows in splits:
            tf, xf, yf = t[fit_rows], x[fit_rows], y[fit_rows]
            mu1 = self._model(xf[tf == 1], yf[tf == 1]).predict(x[rows])
            mu0 = self._model(xf[tf == 0], yf[tf == 0]).predict(x[rows])
            tr, yr = t[rows], y[rows]
            phi[rows] = mu1 - mu0 + tr * (yr - mu1) / e - (1 - tr) * (yr - mu0) / (1 - e)
        return phi

    def predict(self, features) -> np.ndarray:
        """Estimated uplift tau(x) per row of ``features`` (same columns as in fit)."""
        if not hasattr(self, "treated_share_"):
            raise ParameterError("fit the learner first (learner.fit(features, treatment, y)).")
        if self.columns_ is not None and isinstance(features, pd.DataFrame):
            missing = [c for c in self.columns_ if c not in features]
            if missing:
                raise ParameterError(f"features lack the column(s) the model learned: {missing}.")
            features = features[self.columns_]
        x = features.to_numpy(float) if isinstance(features, pd.DataFrame) else np.asarray(features)
        if self.kind == "t":
            return self.mu1_.predict(x) - self.mu0_.predict(x)
        if self.kind == "x":
            e = self.treated_share_
            return e * self.tau0_.predict(x) + (1 - e) * self.tau1_.predict(x)
        return self.final_.predict(x)


def fit_uplift(
    features,
    treatment,
    outcome,
    learner: Literal["t", "x", "dr"] = "dr",
    base: RegressorMixin | None = None,
    folds: int = 3,
    random_state: int = 0,
) -> UpliftLearner:
    """Fit an uplift learner ("t", "x" or "dr"; see the module docstring).

    features: one row per unit (DataFrame or 2-D array of numbers). treatment: 1 treated,
    0 control (randomized). outcome: what the campaign should change (0/1 or an amount).
    base: a scikit-learn regressor cloned for every model (default ``default_base``).
    folds: cross-fitting folds of the DR-learner. Same data and random_state, same model.
    """
    return UpliftLearner(learner, base, folds, random_state).fit(features, treatment, outcome)
