"""Log-likelihoods of the purchase and spend models on compressed customer histories, and
standard errors from them.

Histories are compressed: customers with identical (frequency, recency, T) share one row
with a ``weight``, so each likelihood is evaluated once per pattern. Every function of
parameters here takes **log**-parameters (all parameters are positive) and returns the
**total** log-likelihood in the data's own time unit, as published papers report it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from scipy.special import gammaln

from ..errors import ParameterError

FITTERS = {"bgnbd": BetaGeoFitter, "pareto_nbd": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter}
PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "mbgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "nbd": ("r", "alpha"),
}
LogLik = Callable[[np.ndarray], float]


def compress(summary: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique rows of ``columns`` with their counts, and each customer's row number in them."""
    missing = summary[columns].isna().any()
    if missing.any():
        raise ParameterError(
            f"the summary has missing values in {list(missing[missing].index)}; every customer "
            "needs frequency, recency and T (and monetary_value for spend)."
        )
    grouped = summary[columns].groupby(columns, sort=True)
    patterns = grouped.size().rename("weight").reset_index()
    return patterns, grouped.ngroup().to_numpy()


def purchase_loglik(model: str, patterns: pd.DataFrame) -> LogLik:
    """Total log-likelihood of ``model`` ("bgnbd", "mbgnbd", "pareto_nbd" or "nbd") as a
    function of its log-parameters (in ``PARAMETERS[model]`` order).

    (lifetimes optimizes on rescaled time and averages over customers; this undoes both.)
    """
    f = patterns["frequency"].to_numpy(float)
    r = patterns["recency"].to_numpy(float)
    t = patterns["T"].to_numpy(float)
    w = patterns["weight"].to_numpy(float)
    if model == "nbd":
        return lambda lp: nbd_loglik(np.exp(lp), f, t, w)
    fitter = FITTERS[model]
    if model == "pareto_nbd":  # natural-scale parameters; divides by the mean weight
        return lambda lp: float(
            -fitter._negative_log_likelihood(np.exp(lp), f, r, t, w, 0.0) * w.mean()
        )
    return lambda lp: float(-fitter._negative_log_likelihood(lp, f, r, t, w, 0.0) * w.sum())


def nbd_loglik(params, frequency, T, weight) -> float:
    """The NBD (Gamma-Poisson, nobody drops out): for x repeat purchases in (0, T],
    L(r, alpha) = Gamma(r + x) / Gamma(r) * alpha^r / (alpha + T)^(r + x).

    It is the limit of BG/NBD as a -> 0 (Fader, Hardie & Lee 2005, eq. 3 with p = 0), of
    MBG/NBD likewise, and of Pareto/NBD as the dropout rate goes to 0.
    """
    r, alpha = params
    per_pattern = (
        gammaln(r + frequency)
        - gammaln(r)
        + r * np.log(alpha)
        - (r + frequency) * np.log(alpha + T)
    )
    return float(np.sum(weight * per_pattern))


def spend_loglik(patterns: pd.DataFrame) -> LogLik:
    """Total Gamma-Gamma log-likelihood as a function of log(p, q, v)."""
    f = patterns["frequency"].to_numpy(float)
    m = patterns["monetary_value"].to_numpy(float)
    w = patterns["weight"].to_numpy(float)
    return lambda lp: float(-GammaGammaFitter._negative_log_likelihood(lp, f, m, w, 0.0) * w.sum())


def standard_errors(loglik: LogLik, params: pd.Series, step: float = 1e-4) -> pd.Series:
    """Standard errors from the observed information (numerical Hessian in log-parameters,
    mapped back by the delta method: se(theta) = theta * se(log theta)). NaN where the
    information matrix is singular (a parameter the data do not pin down)."""
    x0 = np.log(params.to_numpy(float))
    k = len(x0)

    def at(i: int, j: int, di: float, dj: float) -> float:
        x = x0.copy()
        x[i] += di
        x[j] += dj
        return loglik(x)

    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            hess[i, j] = hess[j, i] = (
                at(i, j, step, step)
                - at(i, j, step, -step)
                - at(i, j, -step, step)
                + at(i, j, -step, -step)
            ) / (4 * step * step)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return pd.Series(np.nan, index=params.index)
    variance = np.diag(cov)
    se = params.to_numpy(float) * np.sqrt(np.where(variance >= 0, variance, np.nan))
    return pd.Series(se, index=params.index)
