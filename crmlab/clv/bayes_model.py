"""A customer-value model fitted by ``clv.fit(..., method="bayes")``: every answer is a
posterior mean, and each comes with a credible interval per customer.

Per-customer quantities are computed for ``customer_draws`` posterior draws spread evenly
over the chains (200 by default: the 5% and 95% quantiles of 200 draws move by about one
percentile point between runs, far less than the intervals are wide). For every draw, P(alive)
and expected purchases are lifetimes' formulas at that draw's parameters, and CLV is that
draw's discounted purchases times that draw's Gamma-Gamma expected spend: the intervals
carry the uncertainty of the population parameters, which is what a maximum-likelihood
point estimate hides (a customer's own purchases stay random beyond it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
from lifetimes import GammaGammaFitter
from scipy import special

from ..features import CustomerSummary
from ..intervals import check_alpha
from ..units import TimeUnit, convert
from .bayes import Posterior, Sampling, sample_posterior
from .boundary import NBDLimit, SpendLimit, lifetimes_fitter
from .model import CLVModel, FitDiagnostics, _check_horizon

DEFAULT_CUSTOMER_DRAWS = 200


@dataclass
class BayesCLVModel(CLVModel):
    """A ``CLVModel`` whose params are posterior means and whose per-customer answers
    (``p_alive``, ``expected_purchases``, ``expected_spend``, ``clv``) are posterior means
    over ``customer_draws`` draws; ``intervals`` and ``clv_draws`` give their spread.

    posterior: the draws, convergence diagnostics and sampling settings (``bayes.Posterior``).
    """

    posterior: Posterior | None = field(default=None, repr=False)
    customer_draws: int = DEFAULT_CUSTOMER_DRAWS
    _clv_cache: dict = field(default_factory=dict, init=False, repr=False)

    method = "bayes"

    # --- parameters -------------------------------------------------------------------
    @cached_property
    def standard_errors(self) -> pd.Series:
        """Posterior standard deviations of the purchase parameters."""
        return self.posterior.purchase.std()

    @cached_property
    def spend_standard_errors(self) -> pd.Series | None:
        return None if self.posterior.spend is None else self.posterior.spend.std()

    def credible_interval(self, part: str, name: str, alpha: float = 0.05) -> tuple[float, float]:
        """Equal-tailed credible interval (level 1 - alpha) of one parameter; part is
        "purchases" or "spend"."""
        draws = self.posterior.purchase if part == "purchases" else self.posterior.spend
        low, high = np.quantile(draws[name], [alpha / 2, 1 - alpha / 2])
        return float(low), float(high)

    # --- per-draw answers -------------------------------------------------------------
    def _thinned(self, draws: pd.DataFrame) -> pd.DataFrame:
        keep = np.linspace(0, len(draws) - 1, min(self.customer_draws, len(draws)))
        return draws.iloc[np.round(keep).astype(int)]

    @cached_property
    def _purchase_fitters(self) -> list:
        return [
            _purchase_fitter(self.fitted_model, row)
            for _, row in self._thinned(self.posterior.purchase).iterrows()
        ]

    @cached_property
    def _spend_fitters(self) -> list:
        fitters = []
        for _, row in self._thinned(self.posterior.spend).iterrows():
            fitter = (
                copy.copy(self.spend_fitter) if self.fit_info.spend_limit else GammaGammaFitter()
            )
            fitter.params_ = row
            fitters.append(fitter)
        return fitters

    def _expected_draws(self, t: float, columns) -> np.ndarray:
        """Cumulative expected purchases by time t: draws x histories."""
        if self.fitted_model == "bgnbd":
            return bgnbd_expected_draws(self._thinned(self.posterior.purchase), t, *columns)
        return np.stack(
            [
                np.asarray(
                    f.conditional_expected_number_of_purchases_up_to_time(t, *columns), float
                )
                for f in self._purchase_fitters
            ]
        )

    def _expected_by_pattern(self, t: float, columns) -> np.ndarray:
        return self._expected_draws(t, columns).mean(axis=0)

    def _p_alive_draws(self, summary: CustomerSummary | None) -> np.ndarray:
        columns, codes, _ = self._patterns(summary)
        by_history = np.stack(
            [
                np.asarray(f.conditional_probability_alive(*columns), float)
                for f in self._purchase_fitters
            ]
        )
        return by_history[:, codes]

    def p_alive(self, summary: CustomerSummary | None = None) -> pd.Series:
        values = self._p_alive_draws(summary).mean(axis=0)
        return pd.Series(values, index=self._table(summary).index, name="p_alive")

    def _spend_draws(self, summary: CustomerSummary | None) -> np.ndarray:
        if self.spend_fitter is None:
            super().expected_spend(summary)  # raises the usual "no spend model" error
        s = self._table(summary)
        f, m = s["frequency"].to_numpy(float), s["monetary_value"].to_numpy(float)
        return np.stack(
            [
                np.asarray(g.conditional_expected_average_profit(f, m), float)
                for g in self._spend_fitters
            ]
        )

    def expected_spend(self, summary: CustomerSummary | None = None) -> pd.Series:
        values = self._spend_draws(summary).mean(axis=0)
        return pd.Series(values, index=self._table(summary).index, name="expected_spend")

    def clv_draws(
        self,
        horizon: int = 12,
        time_unit: TimeUnit = "M",
        annual_discount_rate: float = 0.10,
        summary: CustomerSummary | None = None,
    ) -> np.ndarray:
        """CLV of every customer (columns, in the summary's order) for each of the
        ``customer_draws`` posterior draws (rows); see ``CLVModel.clv``."""
        _check_horizon(horizon, time_unit, annual_discount_rate)
        key = (horizon, time_unit, annual_discount_rate)
        if summary is None and key in self._clv_cache:  # a report asks several times
            return self._clv_cache[key]
        spend = self._spend_draws(summary)
        columns, codes, _ = self._patterns(summary)
        discounted = self._discounted_purchases(
            self._expected_draws, columns, horizon, time_unit, annual_discount_rate
        )
        draws = discounted[:, codes] * spend
        draws.flags.writeable = False  # shared with later callers
        if summary is None:
            self._clv_cache[key] = draws
        return draws

    def clv(
        self,
        horizon: int = 12,
        time_unit: TimeUnit = "M",
        annual_discount_rate: float = 0.10,
        summary: CustomerSummary | None = None,
    ) -> pd.Series:
        """Posterior mean CLV per customer (see ``CLVModel.clv`` for the definition)."""
        values = self.clv_draws(horizon, time_unit, annual_discount_rate, summary).mean(axis=0)
        return pd.Series(values, index=self._table(summary).index, name="clv")

    def intervals(
        self,
        horizon: int = 12,
        time_unit: TimeUnit = "M",
        annual_discount_rate: float = 0.10,
        alpha: float = 0.1,
        summary: CustomerSummary | None = None,
    ) -> pd.DataFrame:
        """Per customer: p_alive, expected_purchases (next ``horizon`` ``time_unit``s) and
        clv, each as the posterior mean with an equal-tailed credible interval of level
        1 - alpha (columns ``<name>_ci_low`` / ``<name>_ci_high``; 90% by default)."""
        check_alpha(alpha)
        columns, codes, index = self._patterns(summary)
        t = convert(horizon, time_unit, self.time_unit)
        draws = {
            "p_alive": self._p_alive_draws(summary),
            "expected_purchases": self._expected_draws(t, columns)[:, codes],
        }
        if self.spend_fitter is not None:
            draws["clv"] = self.clv_draws(horizon, time_unit, annual_discount_rate, summary)
        out = {}
        for name, values in draws.items():
            low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2], axis=0)
            out[name] = values.mean(axis=0)
            out[f"{name}_ci_low"] = low
            out[f"{name}_ci_high"] = high
        return pd.DataFrame(out, index=index)


def _purchase_fitter(model: str, params: pd.Series):
    """lifetimes' fitter for ``model`` holding ``params``, or the NBD limit's."""
    return NBDLimit(params) if model == "nbd" else lifetimes_fitter(model, params)


def bgnbd_expected_draws(
    draws: pd.DataFrame, t_in_model_units: float, frequency, recency, T
) -> np.ndarray:
    """BG/NBD's expected repeat purchases in (T, T + t] given (x, t_x, T), for each row of
    ``draws`` (columns r, alpha, a, b): Fader, Hardie & Lee (2005), eq. 10, as lifetimes
    computes it, with the same fallback where the hypergeometric term overflows.

    Gauss's hypergeometric function depends on x and T only (not on t_x), so it is
    evaluated once per distinct (x, T) and draw: at daily resolution far fewer than the
    histories (lifetimes also evaluates the fallback everywhere). Same numbers, a fraction of
    the time (``tests/test_clv_bayes.py`` checks them against lifetimes).
    """
    t = t_in_model_units  # recency and T are in the same unit
    x, rec, T = (np.asarray(v, float) for v in (frequency, recency, T))
    pairs, where = np.unique(np.column_stack([x, T]), axis=0, return_inverse=True)
    where = where.reshape(-1)
    xu, Tu = pairs[:, 0], pairs[:, 1]
    out = np.empty((len(draws), len(x)))
    for i, (r, alpha, a, b) in enumerate(draws[["r", "alpha", "a", "b"]].to_numpy(float)):
        c = a + b + xu - 1
        z = t / (alpha + Tu + t)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            ln_hyp = np.log(special.hyp2f1(r + xu, b + xu, c, z))
            bad = ~np.isfinite(ln_hyp)
            if bad.any():  # Euler's transformation, where the direct series overflows
                cb, zb = c[bad], z[bad]
                ln_hyp[bad] = np.log(special.hyp2f1(cb - r - xu[bad], a - 1, cb, zb)) + (
                    (a - 1 - r - xu[bad]) * np.log(1 - zb)
                )
            second = 1 - np.exp(ln_hyp[where] + (r + x) * np.log((alpha + T) / (alpha + t + T)))
            first = (a + b + x - 1) / (a - 1)
            # overflows to infinity for the heaviest buyers long silent: expectation 0
            odds = (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + rec)) ** (r + x)
            out[i] = first * second / (1 + odds)
    return out


def fit_bayes(
    summary: CustomerSummary,
    model: str,
    patterns: pd.DataFrame,
    spend_patterns: pd.DataFrame | SpendLimit | None,
    spend_correlation: float | None = None,
    priors: dict | None = None,
    sampling: Sampling | None = None,
    ml_fit: FitDiagnostics | None = None,
) -> BayesCLVModel:
    """Sample the posterior (``bayes.sample_posterior``) and wrap it as a model; called by
    ``clv.fit(..., method="bayes")``, which checks the summary first. ml_fit: how the
    maximum-likelihood fit went; at its no-dropout limit the posterior is the NBD's.

    spend_patterns: the repeat buyers' compressed spend, or the maximum-likelihood fit's
    ``SpendLimit`` where spend shows no spread between customers: then the one parameter,
    the mean spend per purchase, is drawn from its large-sample normal posterior (flat
    prior; mean and standard error of ``SpendLimit``), seeded by the sampling's
    random_state.
    """
    sampling = sampling or Sampling()
    limit = ml_fit.limit if ml_fit is not None else None
    spend_limit = spend_patterns if isinstance(spend_patterns, SpendLimit) else None
    to_sample = None if spend_limit else spend_patterns
    posterior = sample_posterior(limit or model, patterns, to_sample, priors, sampling)
    purchase = _purchase_fitter(limit or model, posterior.purchase.mean())
    fit_info = FitDiagnostics(fitted_by="pymc", spend_limit=spend_limit is not None)
    if limit:
        fit_info = replace(ml_fit, fitted_by="pymc", spend_limit=spend_limit is not None)
    spend = spend_limit
    if spend_limit is not None:
        rng = np.random.default_rng(sampling.random_state)
        mean = rng.normal(
            spend_limit.params_["mean_spend"],
            spend_limit.standard_errors_["mean_spend"],
            len(posterior.purchase),
        )
        posterior = replace(posterior, spend=pd.DataFrame({"mean_spend": mean}))
    elif posterior.spend is not None:
        spend = GammaGammaFitter()
        spend.params_ = posterior.spend.mean()
    return BayesCLVModel(
        model,
        purchase,
        spend,
        summary,
        spend_correlation,
        fit_info=fit_info,
        patterns=patterns,
        posterior=posterior,
    )
