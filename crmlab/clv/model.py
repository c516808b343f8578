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
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from lifetimes import GammaGammaFitter
from lifetimes.utils import ConvergenceError

from ..errors import ModelFitError, ParameterError
from ..features import CustomerSummary
from ..units import UNIT_NAMES, TimeUnit, convert, days_per_unit
from .boundary import NBDLimit, SpendLimit, dropout_test, lifetimes_fitter, refit
from .likelihood import FITTERS, compress, purchase_loglik, spend_loglik, standard_errors

PurchaseModel = Literal["bgnbd", "pareto_nbd", "mbgnbd"]
MODEL_NAMES = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD", "nbd": "NBD"}
MAX_SHAPE = 1e4  # a shape or rate parameter beyond this means the fit ran off to infinity
SPEND_CORRELATION_LIMIT = 0.3


@dataclass(frozen=True)
class FitDiagnostics:
    """How a purchase model was fitted and what the data could and could not pin down.

    fitted_by: "lifetimes", or "crmlab" (its bounded refit) when lifetimes raised or ran
        off to a boundary, refit_reason saying which; "pymc" for ``method="bayes"``.
    limit: "nbd" when the dropout parameters are at their boundary and the model is the
        no-dropout limit (P(alive) = 1 for everyone), else None.
    at_boundary: parameters that ran to a bound of the bounded refit.
    spend_limit: Gamma-Gamma's spread between customers ran to infinity: everyone's expected
        spend is the average spend per purchase (``boundary.SpendLimit``).
    weak: parameters whose standard error exceeds the estimate or cannot be computed.
    dropout_statistic / dropout_p_value: likelihood ratio against the NBD (no dropout); a
        small p-value means the data show customers leaving.
    nbd_log_likelihood: the NBD's log-likelihood when the refit already computed it.
    """

    fitted_by: str = "lifetimes"
    refit_reason: str = ""
    limit: str | None = None
    at_boundary: tuple[str, ...] = ()
    spend_limit: bool = False
    weak: tuple[str, ...] = ()
    dropout_statistic: float = float("nan")
    dropout_p_value: float = float("nan")
    nbd_log_likelihood: float | None = None


@dataclass
class CLVModel:
    """A fitted purchase model (+ optional spend model) and the summary it was fitted on.

    model: the model asked for ("bgnbd", "pareto_nbd", "mbgnbd"). params / standard_errors:
    the purchase model's estimates (lifetimes' names, e.g. r, alpha, a, b; rates per
    ``time_unit``; only r and alpha at the no-dropout limit, see ``diagnostics``);
    spend_params / spend_standard_errors for Gamma-Gamma (p, q, v = gamma). log_likelihood:
    total log-likelihood of the purchase model. time_unit: the summary's unit of recency and
    T, in which the model was fitted. diagnostics: how it was fitted, boundary and weakly
    identified parameters, and the evidence for dropout.
    """

    model: str
    purchase_fitter: object
    spend_fitter: object | None
    summary: CustomerSummary
    spend_correlation: float | None = None
    fit_info: FitDiagnostics = field(default_factory=FitDiagnostics, repr=False)
    patterns: pd.DataFrame | None = field(default=None, repr=False)  # compressed by fit
    params: pd.Series = field(init=False)
    log_likelihood: float = field(init=False)
    method = "ml"  # how the parameters were estimated ("bayes": BayesCLVModel)
    spend_params: pd.Series | None = field(init=False)

    def __post_init__(self):
        if self.patterns is None:
            self.patterns = compress(self.summary.table, ["frequency", "recency", "T"])[0]
        self.params = self.purchase_fitter.params_.copy()
        self.log_likelihood = self._loglik(np.log(self.params.to_numpy(float)))
        self.spend_params = None if self.spend_fitter is None else self.spend_fitter.params_.copy()

    @property
    def _loglik(self):
        return purchase_loglik(self.fitted_model, self.patterns)

    # Standard errors and the dropout test cost a Hessian and an NBD fit: computed when asked
    # (reports ask; churn's P(alive) per cutoff does not).
    @cached_property
    def standard_errors(self) -> pd.Series:
        return standard_errors(self._loglik, self.params)

    @cached_property
    def spend_standard_errors(self) -> pd.Series | None:
        if self.spend_fitter is None:
            return None
        if isinstance(self.spend_fitter, SpendLimit):
            return self.spend_fitter.standard_errors_
        repeat = _repeat_buyers(self.summary.table)
        spend_patterns, _ = compress(repeat, ["frequency", "monetary_value"])
        return standard_errors(spend_loglik(spend_patterns), self.spend_params)

    @cached_property
    def diagnostics(self) -> FitDiagnostics:
        """How the model was fitted (``fit_info``) plus weak parameters and the dropout test."""
        weak = self.standard_errors.isna() | (self.standard_errors > self.params)
        statistic, p_value = (
            (0.0, 1.0)
            if self.fit_info.limit
            else dropout_test(self.log_likelihood, self.patterns, self.fit_info.nbd_log_likelihood)
        )
        return replace(
            self.fit_info,
            weak=tuple(self.params.index[weak.to_numpy()]),
            dropout_statistic=statistic,
            dropout_p_value=p_value,
        )

    @property
    def fitted_model(self) -> str:
        """The model whose parameters were estimated: ``model``, or "nbd" at the limit."""
        return self.fit_info.limit or self.model

    @property
    def model_name(self) -> str:
        """ "BG/NBD", or "BG/NBD at its no-dropout limit (NBD)"."""
        name = MODEL_NAMES[self.model]
        return f"{name} at its no-dropout limit (NBD)" if self.fit_info.limit else name

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
        _check_horizon(horizon, time_unit, annual_discount_rate)
        spend = self.expected_spend(summary)
        columns, codes, _ = self._patterns(summary)  # compressed once, used every step
        discounted = self._discounted_purchases(
            self._expected_by_pattern, columns, horizon, time_unit, annual_discount_rate
        )
        return pd.Series(discounted[codes] * spend.to_numpy(), index=spend.index, name="clv")

    def _discounted_purchases(
        self, expected, columns, horizon: int, time_unit: TimeUnit, annual_discount_rate: float
    ) -> np.ndarray:
        """Discounted expected purchases per history: sum over steps k = 1..H of the
        purchases expected in step k (``expected(t, columns)`` is the cumulative number by
        time t in model units), discounted to today."""
        step = convert(1.0, time_unit, self.time_unit)
        years_per_step = days_per_unit(time_unit) / 365.25
        discounted, previous = 0.0, 0.0  # arrays after the first step (any leading shape)
        for k in range(1, int(horizon) + 1):
            cumulative = expected(k * step, columns)
            discounted = discounted + (cumulative - previous) / (1 + annual_discount_rate) ** (
                k * years_per_step
            )
            previous = cumulative
        return discounted


def _check_horizon(horizon, time_unit: str, annual_discount_rate: float) -> None:
    if not horizon > 0 or int(horizon) != horizon:
        raise ParameterError(f"horizon={horizon!r}: give a whole number of {time_unit} > 0.")
    if not 0 <= annual_discount_rate < 1:
        raise ParameterError(
            f"annual_discount_rate={annual_discount_rate!r}: give a yearly rate such as 0.1."
        )


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
    method: Literal["ml", "bayes"] = "ml",
    priors: dict | None = None,
    sampling=None,
) -> CLVModel:
    """Fit a purchase model (and a spend model) on a per-customer summary.

    summary: a ``CustomerSummary`` (``crmlab.features.customer_summary``, or
        ``calibration_holdout(...).calibration``); frequency, recency, T in its time_unit
        (and monetary_value for the spend model). The model works in that unit.
    model: "bgnbd" (Fader, Hardie & Lee 2005), "pareto_nbd" (Schmittlein et al. 1987) or
        "mbgnbd" (Batislam et al. 2007). spend_model: "gamma_gamma" or None.
    penalizer: L2 penalty on the parameters (lifetimes' penalizer_coef); try 0.001-0.1 when a
        fit runs off to extreme values.
    method: "ml" (maximum likelihood, lifetimes' fitters) or "bayes": the posterior by
        PyMC's NUTS with PyMC-Marketing's likelihoods (the ``bayes`` extra; BG/NBD or
        MBG/NBD), returning a ``BayesCLVModel`` whose answers are posterior means and
        which adds credible intervals per customer (``clv.bayes_model``). priors: for
        "bayes", PyMC-Marketing ``Prior`` objects replacing ``bayes.default_priors()``.
        sampling: for "bayes", a ``clv.bayes.Sampling`` (draws, chains, random_state).
    Raises ModelFitError with advice when the optimizer fails or the estimates degenerate.
    """
    if method not in ("ml", "bayes"):
        raise ParameterError(f"method={method!r}: use 'ml' or 'bayes'.")
    if method == "ml" and (priors is not None or sampling is not None):
        raise ParameterError("priors and sampling apply to method='bayes' only.")
    if model not in FITTERS:
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
    if method == "bayes":
        if penalizer:
            raise ParameterError("penalizer applies to method='ml'; for 'bayes' give priors.")
        from .bayes_model import fit_bayes  # PyMC only when asked for

        if model not in ("bgnbd", "mbgnbd"):
            raise ParameterError(
                f"method='bayes' fits model='bgnbd' or 'mbgnbd', not {model!r} (Pareto/NBD: "
                "use the maximum-likelihood fit)."
            )
        # the maximum-likelihood fits (a fraction of a second) decide, by the same tests as
        # for method="ml", whether the data show dropout and a spread of spend between
        # customers at all; where not, the posterior is that limit's (the flat directions
        # would leave NUTS wandering: bayes.build_model, bayes_model.fit_bayes)
        ml_fit = _fit_purchases(model, patterns, 0.0)[1]
        spend, correlation = (None, None)
        if spend_model:
            spend, correlation = _fit_spend(table, 0.0)
            if not isinstance(spend, SpendLimit):
                spend = compress(_repeat_buyers(table), ["frequency", "monetary_value"])[0]
        return fit_bayes(summary, model, patterns, spend, correlation, priors, sampling, ml_fit)
    purchase_fitter, fit_info = _fit_purchases(model, patterns, penalizer)
    spend_fitter, correlation = None, None
    if spend_model:
        spend_fitter, correlation = _fit_spend(table, penalizer)
        fit_info = replace(fit_info, spend_limit=isinstance(spend_fitter, SpendLimit))
    return CLVModel(model, purchase_fitter, spend_fitter, summary, correlation, fit_info, patterns)


def _fit_purchases(model: str, patterns: pd.DataFrame, penalizer: float):
    """lifetimes' fit; where it raises or runs off to a boundary, crmlab's bounded refit
    (``boundary.refit``), which may end at the no-dropout limit."""
    fitter = FITTERS[model](penalizer_coef=penalizer)
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
        problem = _degenerate(fitter.params_)
    except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
        problem = f"lifetimes raised {type(exc).__name__}"
    if problem is None:
        return fitter, FitDiagnostics()
    outcome = refit(model, patterns)
    fit_info = FitDiagnostics(
        fitted_by="crmlab",
        refit_reason=problem,
        limit=outcome.limit,
        at_boundary=outcome.at_boundary,
        nbd_log_likelihood=outcome.nbd_log_likelihood,
    )
    if outcome.limit:
        return NBDLimit(outcome.params), fit_info
    return lifetimes_fitter(model, outcome.params), fit_info


def _degenerate(params: pd.Series) -> str | None:
    """Why the estimates are unusable (infinite, or run off to zero or infinity), or None."""
    bad = [
        f"{k}={v:.3g}" for k, v in params.items() if not np.isfinite(v) or v > MAX_SHAPE or v < 1e-6
    ]
    return f"lifetimes' estimates degenerated: {', '.join(bad)}" if bad else None


def _repeat_buyers(summary: pd.DataFrame) -> pd.DataFrame:
    """The customers Gamma-Gamma learns from: repeat purchases with positive spend."""
    return summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]


def _spend_patterns(summary: pd.DataFrame, stacklevel: int = 3) -> tuple[pd.DataFrame, float]:
    """The repeat buyers' (frequency, monetary_value) compressed, and the correlation of
    the two (warned about when Gamma-Gamma's independence assumption looks broken)."""
    repeat = _repeat_buyers(summary)
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
            stacklevel=stacklevel + 1,
        )
    return compress(repeat, ["frequency", "monetary_value"])[0], correlation


def _fit_spend(summary: pd.DataFrame, penalizer: float) -> tuple[object, float]:
    patterns, correlation = _spend_patterns(summary, stacklevel=4)
    spend = GammaGammaFitter(penalizer_coef=penalizer)
    try:
        _quiet(
            spend.fit, patterns["frequency"], patterns["monetary_value"], weights=patterns["weight"]
        )
    except (ConvergenceError, np.linalg.LinAlgError, ValueError) as exc:
        raise ModelFitError(
            f"Gamma-Gamma did not converge ({type(exc).__name__}); try penalizer=0.01."
        ) from exc
    if max(spend.params_["q"], spend.params_["v"]) > MAX_SHAPE:  # no spread: the limit
        repeat = _repeat_buyers(summary)
        return SpendLimit(repeat["frequency"], repeat["monetary_value"]), correlation
    if problem := _degenerate(spend.params_):
        raise ModelFitError(
            f"Gamma-Gamma: {problem}; the spend data cannot pin the model down. Try "
            f"penalizer={max(penalizer * 10, 0.01):g}, or spend_model=None."
        )
    return spend, correlation
