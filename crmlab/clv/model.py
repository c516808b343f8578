"""Fitting purchase and spend models on a per-customer summary, and scoring customers.

Fitting compresses customers with identical (frequency, recency, T) into one row with a
weight (lifetimes' fitters accept ``weights``), so the likelihood is evaluated once per
pattern: identical estimates, a fraction of the work.

Time units are explicit: a ``CustomerSummary`` carries its ``time_unit``, the model keeps
it, and every horizon is given with its own ``time_unit`` and converted (a summary scored
later is converted too), so weekly data can never be scored as if it were daily.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import ConvergenceError

from ..errors import ModelFitError, ParameterError
from ..features import CustomerSummary
from ..units import UNIT_NAMES, TimeUnit, convert, days_per_unit

PurchaseModel = Literal["bgnbd", "pareto_nbd", "mbgnbd"]
_FITTERS = {"bgnbd": BetaGeoFitter, "pareto_nbd": ParetoNBDFitter, "mbgnbd": ModifiedBetaGeoFitter}
MAX_SHAPE = 1e4  # a shape or rate parameter beyond this means the fit ran off to infinity
SPEND_CORRELATION_LIMIT = 0.3


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


@dataclass
class CLVModel:
    """A fitted purchase model (+ optional spend model) and the summary it was fitted on.

    params / standard_errors: the purchase model's estimates (lifetimes' names, e.g. r,
    alpha, a, b; rates per ``time_unit``); spend_params / spend_standard_errors for
    Gamma-Gamma (p, q, v = gamma). log_likelihood: total log-likelihood of the purchase
    model. time_unit: the summary's unit of recency and T, in which the model was fitted.
    """

    model: str
    purchase_fitter: object
    spend_fitter: object | None
    summary: CustomerSummary
    params: pd.Series = field(init=False)
    standard_errors: pd.Series = field(init=False)
    log_likelihood: float = field(init=False)
    spend_params: pd.Series | None = field(init=False)
    spend_standard_errors: pd.Series | None = field(init=False)
    spend_correlation: float | None = None

    def __post_init__(self):
        patterns, _ = compress(self.summary.table, ["frequency", "recency", "T"])
        loglik = _purchase_loglik(self.model, patterns)
        self.params = self.purchase_fitter.params_.copy()
        self.log_likelihood = loglik(np.log(self.params.to_numpy(float)))
        self.standard_errors = _standard_errors(loglik, self.params)
        self.spend_params = self.spend_standard_errors = None
        if self.spend_fitter is not None:
            summary = self.summary.table
            repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
            spend_patterns, _ = compress(repeat, ["frequency", "monetary_value"])
            self.spend_params = self.spend_fitter.params_.copy()
            self.spend_standard_errors = _standard_errors(
                _spend_loglik(spend_patterns), self.spend_params
            )

    @property
    def time_unit(self) -> str:
        return self.summary.time_unit

    @property
    def unit_name(self) -> str:
        return UNIT_NAMES[self.time_unit]

    def _table(self, summary: CustomerSummary | None) -> pd.DataFrame:
        """The summary to score, in the model's time unit."""
        if summary is None:
            return self.summary.table
        if not isinstance(summary, CustomerSummary):
            raise ParameterError(
                "summary must be a CustomerSummary (crmlab.features.customer_summary), which "
                "knows its time unit; wrap a frame with CustomerSummary.from_frame."
            )
        return summary.in_unit(self.time_unit).table

    def _patterns(self, summary: CustomerSummary | None):
        """The distinct (frequency, recency, T) histories as arrays, each customer's row in
        them, and the customers' index (customers sharing a history share every answer)."""
        s = self._table(summary)
        patterns, codes = compress(s, ["frequency", "recency", "T"])
        columns = tuple(patterns[c].to_numpy(float) for c in ("frequency", "recency", "T"))
        return columns, codes, s.index

    def _expected_by_pattern(self, t: float, columns) -> np.ndarray:
        fitter = self.purchase_fitter
        return np.asarray(
            fitter.conditional_expected_number_of_purchases_up_to_time(t, *columns), float
        )

    def expected_purchases(
        self, horizon: float, time_unit: TimeUnit, summary: CustomerSummary | None = None
    ) -> pd.Series:
        """Expected repeat purchases per customer in the next ``horizon`` ``time_unit``s."""
        if not horizon >= 0:
            raise ParameterError(f"horizon={horizon!r} must be >= 0.")
        t = convert(horizon, time_unit, self.time_unit)
        columns, codes, index = self._patterns(summary)
        values = self._expected_by_pattern(t, columns)[codes]
        return pd.Series(values, index=index, name="expected_purchases")

    def p_alive(self, summary: CustomerSummary | None = None) -> pd.Series:
        """Probability that each customer is still active ("alive") at the summary's as_of."""
        columns, codes, index = self._patterns(summary)
        values = np.asarray(self.purchase_fitter.conditional_probability_alive(*columns), float)
        return pd.Series(values[codes], index=index, name="p_alive")

    def expected_spend(self, summary: CustomerSummary | None = None) -> pd.Series:
        """Expected value of one future purchase per customer (Gamma-Gamma conditional mean;
        the population mean for customers without repeat purchases)."""
        if self.spend_fitter is None:
            raise ParameterError(
                "this model has no spend model: fit with spend_model='gamma_gamma'."
            )
        s = self._table(summary)
        values = self.spend_fitter.conditional_expected_average_profit(
            s["frequency"].to_numpy(float), s["monetary_value"].to_numpy(float)
        )
        return pd.Series(np.asarray(values, float), index=s.index, name="expected_spend")

    def clv(
        self,
        horizon: int = 12,
        time_unit: TimeUnit = "M",
        annual_discount_rate: float = 0.10,
        summary: CustomerSummary | None = None,
    ) -> pd.Series:
        """Discounted value of each customer's purchases over the next ``horizon`` steps of
        ``time_unit`` (default: 12 months).

        Sum over steps k = 1..H of (expected purchases in step k) x expected spend /
        (1 + annual rate)^(k x step length in years), a year being 365.25 days.
        """
        if not horizon > 0 or int(horizon) != horizon:
            raise ParameterError(f"horizon={horizon!r}: give a whole number of {time_unit} > 0.")
        if not 0 <= annual_discount_rate < 1:
            raise ParameterError(
                f"annual_discount_rate={annual_discount_rate!r}: give a yearly rate such as 0.1."
            )
        spend = self.expected_spend(summary)
        step = convert(1.0, time_unit, self.time_unit)
        years_per_step = days_per_unit(time_unit) / 365.25
        columns, codes, _ = self._patterns(summary)  # compressed once, used every step
        discounted = np.zeros(len(columns[0]))  # discounted purchases per history
        previous = np.zeros(len(columns[0]))
        for k in range(1, int(horizon) + 1):
            cumulative = self._expected_by_pattern(k * step, columns)
            discounted += (cumulative - previous) / (1 + annual_discount_rate) ** (
                k * years_per_step
            )
            previous = cumulative
        return pd.Series(discounted[codes] * spend.to_numpy(), index=spend.index, name="clv")


def _purchase_loglik(model: str, patterns: pd.DataFrame):
    """Total log-likelihood in the data's own time unit, as a function of log-parameters.

    (lifetimes optimizes on rescaled time and averages over customers; published
    log-likelihoods are totals in the original unit, which is what this returns.)
    """
    f = patterns["frequency"].to_numpy(float)
    r = patterns["recency"].to_numpy(float)
    t = patterns["T"].to_numpy(float)
    w = patterns["weight"].to_numpy(float)
    fitter = _FITTERS[model]
    if model == "pareto_nbd":  # natural-scale parameters; divides by the mean weight
        return lambda lp: float(
            -fitter._negative_log_likelihood(np.exp(lp), f, r, t, w, 0.0) * w.mean()
        )
    return lambda lp: float(-fitter._negative_log_likelihood(lp, f, r, t, w, 0.0) * w.sum())


def _spend_loglik(patterns: pd.DataFrame):
    f = patterns["frequency"].to_numpy(float)
    m = patterns["monetary_value"].to_numpy(float)
    w = patterns["weight"].to_numpy(float)
    return lambda lp: float(-GammaGammaFitter._negative_log_likelihood(lp, f, m, w, 0.0) * w.sum())


def _standard_errors(loglik, params: pd.Series, step: float = 1e-4) -> pd.Series:
    """Standard errors from the observed information (numerical Hessian in log-parameters,
    mapped back by the delta method: se(theta) = theta * se(log theta))."""
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
    se = params.to_numpy(float) * np.sqrt(np.clip(np.diag(cov), 0, None))
    return pd.Series(se, index=params.index)


def _quiet(fn, *args, **kwargs):
    """lifetimes prints the optimizer output before raising; keep it out of reports."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def fit(
    summary: CustomerSummary,
    model: PurchaseModel = "bgnbd",
    spend_model: Literal["gamma_gamma"] | None = "gamma_gamma",
    penalizer: float = 0.0,
) -> CLVModel:
    """Fit a purchase model (and a spend model) on a per-customer summary.

    summary: a ``CustomerSummary`` (``crmlab.features.customer_summary``, or
        ``calibration_holdout(...).calibration``); frequency, recency, T in its time_unit
        (and monetary_value for the spend model). The model works in that unit.
    model: "bgnbd" (Fader, Hardie & Lee 2005), "pareto_nbd" (Schmittlein et al. 1987) or
        "mbgnbd" (Batislam et al. 2007). spend_model: "gamma_gamma" or None.
    penalizer: L2 penalty on the parameters (lifetimes' penalizer_coef); try 0.001-0.1 when a
        fit runs off to extreme values.
    Raises ModelFitError with advice when the optimizer fails or the estimates degenerate.
    """
    if model not in _FITTERS:
        raise ParameterError(f"model={model!r}: use 'bgnbd', 'pareto_nbd' or 'mbgnbd'.")
    if spend_model not in ("gamma_gamma", None):
        raise ParameterError(f"spend_model={spend_model!r}: use 'gamma_gamma' or None.")
    if penalizer < 0:
        raise ParameterError(f"penalizer={penalizer!r} must be >= 0.")
    if not isinstance(summary, CustomerSummary):
        raise ParameterError(
            f"summary must be a CustomerSummary, not {type(summary).__name__}: build it with "
            "crmlab.features.customer_summary, or wrap your own frame with "
            "CustomerSummary.from_frame(frame, as_of=..., time_unit=...) so its unit is known."
        )
    if spend_model:
        summary.require(["monetary_value"], "the Gamma-Gamma spend model")
    table = summary.table
    if len(table) < 10:
        raise ModelFitError(f"only {len(table)} customers: too few to fit {model}.")
    patterns, _ = compress(table, ["frequency", "recency", "T"])
    fitter = _FITTERS[model](penalizer_coef=penalizer)
    # Pareto/NBD starts from random numbers drawn from numpy's global state; fixed starting
    # values keep its fits reproducible.
    start = {"initial_params": np.ones(4)} if model == "pareto_nbd" else {}
    try:
        _quiet(
            fitter.fit,
            patterns["frequency"],
            patterns["recency"],
            patterns["T"],
            weights=patterns["weight"],
            **start,
        )
    except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
        raise ModelFitError(
            f"{model} did not converge ({type(exc).__name__}). Try penalizer=0.01, more data "
            "(a longer calibration period), or another model."
        ) from exc
    _check_degenerate(model, fitter.params_, penalizer)
    spend_fitter, correlation = None, None
    if spend_model:
        spend_fitter, correlation = _fit_spend(table, penalizer)
    return CLVModel(model, fitter, spend_fitter, summary, spend_correlation=correlation)


def _check_degenerate(model: str, params: pd.Series, penalizer: float) -> None:
    bad = [
        f"{k}={v:.3g}" for k, v in params.items() if not np.isfinite(v) or v > MAX_SHAPE or v < 1e-6
    ]
    if bad:
        raise ModelFitError(
            f"{model} estimates degenerated ({', '.join(bad)}): the data cannot pin the model "
            f"down. Try penalizer={max(penalizer * 10, 0.01):g}, a longer calibration period, "
            "or another model (e.g. 'pareto_nbd')."
        )


def _fit_spend(summary: pd.DataFrame, penalizer: float) -> tuple[GammaGammaFitter, float]:
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 10:
        raise ModelFitError(
            f"only {len(repeat)} customers with repeat purchases and positive spend: too few "
            "for Gamma-Gamma. Use spend_model=None, or a longer period."
        )
    correlation = float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1])
    if abs(correlation) > SPEND_CORRELATION_LIMIT:
        warnings.warn(
            f"frequency and spend are correlated (r = {correlation:.2f}); Gamma-Gamma assumes "
            "they are independent, so expected spend may be biased.",
            stacklevel=3,
        )
    patterns, _ = compress(repeat, ["frequency", "monetary_value"])
    spend = GammaGammaFitter(penalizer_coef=penalizer)
    try:
        _quiet(
            spend.fit, patterns["frequency"], patterns["monetary_value"], weights=patterns["weight"]
        )
    except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
        raise ModelFitError(
            f"Gamma-Gamma did not converge ({type(exc).__name__}); try penalizer=0.01."
        ) from exc
    _check_degenerate("gamma_gamma", spend.params_, penalizer)
    return spend, correlation
