"""When the data cannot pin dropout down: boundary fits and the no-dropout (NBD) limit.

BG/NBD, MBG/NBD and Pareto/NBD all contain the NBD as a limit: as their dropout parameters
reach the boundary (BG/NBD a -> 0 or b -> infinity; Pareto/NBD s -> 0 or beta -> infinity)
nobody ever drops out and the likelihood becomes the NBD's (``likelihood.nbd_loglik``). On
data without evidence of customers leaving (a wholesaler's year in which everyone keeps
buying) the maximum lies on that boundary, which an optimizer in the usual parametrization
cannot reach: lifetimes raises ConvergenceError or returns a = 0, b = 10^4.

``refit`` handles it: it fits the NBD (two well-identified parameters), refits the full
model by bounded maximization in log-parameters (the boundary becomes reachable), and keeps
the full model only when its optimum is inside the bounds and beats the NBD by a
likelihood-ratio test at level ``DROPOUT_LEVEL``; otherwise the fit is the NBD limit, where
P(alive) = 1 for everyone and expected purchases follow the Gamma-Poisson posterior (on a
flat likelihood the optimizer may stop short of the bound, so "no better than the NBD" counts
as the boundary too). ``dropout_test`` compares any fit with the NBD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import ModelFitError
from .likelihood import FITTERS, PARAMETERS, purchase_loglik

DROPOUT_LEVEL = 0.05  # the refit keeps dropout only when the data support it at this level
LOG_BOUND = np.log(1e6)  # parameters live in [1e-6, 1e6]; a fit at either end is "at the boundary"
DROPOUT = {"bgnbd": ("a", "b"), "mbgnbd": ("a", "b"), "pareto_nbd": ("s", "beta")}


class NBDLimit:
    """The NBD as a fitted purchase model with lifetimes' prediction interface.

    A customer with x repeat purchases in (0, T] has purchase rate
    Gamma(r + x, alpha + T) a posteriori, never drops out, and so expects
    (r + x) / (alpha + T) * t purchases in the next t time units (the model's unit, as
    for every lifetimes fitter: ``CLVModel`` converts horizons before asking).
    """

    def __init__(self, params: pd.Series):
        self.params_ = params

    def conditional_expected_number_of_purchases_up_to_time(
        self, t_in_model_units, frequency, recency, T
    ):
        r, alpha = self.params_["r"], self.params_["alpha"]
        rate = (r + np.asarray(frequency, float)) / (alpha + np.asarray(T, float))
        return rate * t_in_model_units

    def expected_number_of_purchases_up_to_time(self, t_in_model_units):
        """Repeat purchases a new customer makes in (0, t]: r t / alpha."""
        return self.params_["r"] / self.params_["alpha"] * np.asarray(t_in_model_units, float)

    def conditional_probability_alive(self, frequency, recency, T):
        return np.ones(len(np.asarray(frequency)))


class SpendLimit:
    """Gamma-Gamma's limit without spread between customers (q, v -> infinity with the mean
    fixed): every customer's expected spend per purchase is the average spend per purchase,
    sum(x * zbar) / sum(x) over repeat customers. Answers lifetimes' spend call."""

    def __init__(self, frequency, monetary_value):
        x, z = np.asarray(frequency, float), np.asarray(monetary_value, float)
        mean = float(np.sum(x * z) / np.sum(x))
        # per-customer averages vary as sigma^2 / x around the mean
        sigma2 = float(np.sum(x * (z - mean) ** 2) / max(len(x) - 1, 1))
        self.params_ = pd.Series({"mean_spend": mean})
        self.standard_errors_ = pd.Series({"mean_spend": np.sqrt(sigma2 / np.sum(x))})

    def conditional_expected_average_profit(self, frequency, monetary_value):
        return np.full(len(np.asarray(frequency)), self.params_["mean_spend"])


@dataclass(frozen=True)
class Refit:
    """The outcome of ``refit``: the parameters used, whether they are the NBD limit, and
    the parameters that ended at a bound of the bounded refit."""

    params: pd.Series
    limit: str | None  # "nbd" when the no-dropout limit is used
    at_boundary: tuple[str, ...]
    log_likelihood: float
    nbd_log_likelihood: float  # of the NBD fitted on the way: the dropout test reuses it


def fit_nbd(patterns: pd.DataFrame) -> tuple[pd.Series, float]:
    """Maximum-likelihood NBD (r, alpha) on compressed histories, and its log-likelihood."""
    loglik = purchase_loglik("nbd", patterns)
    w = patterns["weight"].to_numpy(float)
    mean_x = float(np.average(patterns["frequency"], weights=w))
    mean_t = float(np.average(patterns["T"], weights=w))
    start = np.array([0.0, np.log(mean_t / max(mean_x, 1e-3))])
    best = _maximize(loglik, [start])
    params = pd.Series(np.exp(best.x), index=list(PARAMETERS["nbd"]))
    if np.any(np.abs(best.x) >= LOG_BOUND - 1e-6):
        raise ModelFitError(
            f"purchase rates cannot be pinned down (NBD r={params['r']:.3g}, "
            f"alpha={params['alpha']:.3g}): customers' purchase counts show no usable spread. "
            "Use a longer period or more customers."
        )
    return params, -best.fun


def refit(model: str, patterns: pd.DataFrame) -> Refit:
    """Fit ``model`` by bounded maximization in log-parameters; fall back to the NBD limit
    when the optimum lies on the dropout boundary. ModelFitError when even the NBD fails."""
    nbd, nbd_ll = fit_nbd(patterns)
    names = list(PARAMETERS[model])
    loglik = purchase_loglik(model, patterns)
    starts = [
        np.zeros(len(names)),  # lifetimes' own start: every parameter 1
        np.log([nbd["r"], nbd["alpha"], 1.0, 10.0]),  # NBD rates with little dropout
    ]
    best = _maximize(loglik, starts)
    at_bound = tuple(n for n, v in zip(names, best.x, strict=True) if abs(v) >= LOG_BOUND - 1e-3)
    params = pd.Series(np.exp(best.x), index=names)
    _, p_value = _lr_test(-best.fun, nbd_ll)
    if not at_bound and best.success and p_value < DROPOUT_LEVEL:
        return Refit(params, None, (), -best.fun, nbd_ll)
    if set(at_bound) - set(DROPOUT[model]):
        raise ModelFitError(
            f"{model}: purchase-rate parameters {sorted(set(at_bound) - set(DROPOUT[model]))} "
            "ran to a bound; the data cannot pin the model down. Use a longer period."
        )
    return Refit(nbd, "nbd", at_bound or DROPOUT[model], nbd_ll, nbd_ll)


def dropout_test(
    log_likelihood: float, patterns: pd.DataFrame, nbd_log_likelihood: float | None = None
) -> tuple[float, float]:
    """Likelihood-ratio statistic of the fitted model against the NBD (no dropout) and its
    p-value (chi-squared with 2 degrees of freedom: conservative at a boundary). A small
    p-value means the data show customers leaving. nbd_log_likelihood: the NBD's, when
    already fitted on the same patterns (else it is fitted here)."""
    if nbd_log_likelihood is None:
        nbd_log_likelihood = fit_nbd(patterns)[1]
    return _lr_test(log_likelihood, nbd_log_likelihood)


def _lr_test(log_likelihood: float, nbd_log_likelihood: float) -> tuple[float, float]:
    statistic = max(0.0, 2 * (log_likelihood - nbd_log_likelihood))
    return statistic, float(stats.chi2.sf(statistic, df=2))


def _maximize(loglik, starts) -> optimize.OptimizeResult:
    """The best L-BFGS-B optimum of ``loglik`` over the starts, inside the log bounds."""
    results = []
    for start in starts:
        start = np.clip(np.asarray(start, float), -LOG_BOUND + 1, LOG_BOUND - 1)
        bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
        with np.errstate(all="ignore"):
            results.append(
                optimize.minimize(
                    lambda x: _finite(-loglik(x)), start, method="L-BFGS-B", bounds=bounds
                )
            )
    return min(results, key=lambda r: r.fun)


def _finite(value: float) -> float:
    return value if np.isfinite(value) else 1e300


def lifetimes_fitter(model: str, params: pd.Series):
    """A lifetimes fitter holding ``params`` (its prediction methods read ``params_``)."""
    fitter = FITTERS[model]()
    fitter.params_ = params
    return fitter
