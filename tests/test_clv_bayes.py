"""Bayesian customer value (clv.fit(..., method="bayes")): the CDNOW posterior sits on the
published maximum-likelihood fit, the compressed likelihood is the per-customer one, and the
per-customer answers equal PyMC-Marketing's on the same draws."""

from __future__ import annotations

import builtins

import numpy as np
import pandas as pd
import pytest

from crmlab import clv
from crmlab.clv import bayes
from crmlab.clv.likelihood import compress, purchase_loglik, spend_loglik
from crmlab.datasets import cdnow
from crmlab.errors import ParameterError
from crmlab.features import CustomerSummary, calibration_holdout

from .conftest import ROOT
from .test_conventions import _interval_columns

BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005)
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie & Lee (2005), "RFM and CLV"
QUICK = clv.Sampling(random_state=1)  # 2 chains x 1,000 draws


@pytest.fixture(scope="module")
def cdnow_weeks() -> CustomerSummary:
    both = calibration_holdout(cdnow(sample=True), "1997-09-30", "1998-06-30", time_unit="W")
    return both.calibration


@pytest.fixture(scope="module")
def posterior_fit(cdnow_weeks) -> clv.BayesCLVModel:
    return clv.fit(cdnow_weeks, method="bayes", sampling=QUICK)


@pytest.mark.slow  # samples a posterior
def test_cdnow_posterior_means_sit_on_the_published_fit(posterior_fit):
    model = posterior_fit
    assert model.method == "bayes" and model.diagnostics.fitted_by == "pymc"
    post = model.posterior
    assert post.converged, post.convergence
    assert len(post.purchase) == 2 * 1000
    # weak priors: the posterior means are close to the maximum-likelihood estimates ...
    for name, value in BGNBD.items():
        tolerance = 0.05 if name in ("r", "alpha") else 0.1  # a and b are weakly identified
        assert model.params[name] == pytest.approx(value, rel=tolerance), name
    for name, value in GAMMA_GAMMA.items():
        assert model.spend_params[name] == pytest.approx(value, rel=0.1), name
    # ... and every published estimate lies inside its 90% credible interval
    table = clv.parameter_table(model, alpha=0.1).set_index("parameter")
    for name, value in {**BGNBD, **GAMMA_GAMMA}.items():
        assert table.loc[name, "ci_low"] < value < table.loc[name, "ci_high"], name
    # posterior standard deviations are the ML standard errors' size (the paper: r 0.013)
    assert model.standard_errors["r"] == pytest.approx(0.0125, rel=0.2)


def test_the_compressed_likelihood_is_the_per_customer_one(cdnow_weeks):
    """With flat priors (no transforms, no prior terms) the model's log density is the sum
    of the two weighted likelihoods; it equals crmlab's maximum-likelihood functions
    (lifetimes' formulas, one row per customer pattern) at any parameter values."""
    table = cdnow_weeks.table
    patterns, _ = compress(table, ["frequency", "recency", "T"])
    repeat = table[table["frequency"] > 0]
    spend_patterns, _ = compress(repeat, ["frequency", "monetary_value"])
    flat = {name: _prior("Flat") for name in bayes.PURCHASE_PRIORS + bayes.SPEND_PRIORS}
    pymc_model = bayes.build_model("bgnbd", patterns, spend_patterns, priors=flat)
    logp = pymc_model.compile_logp()
    purchase = {"r": 0.3, "alpha": 5.0, "a": 0.6, "b": 2.0}
    spend = {"p": 5.0, "q": 3.0, "v": 12.0}
    point = {
        "r": purchase["r"],
        "alpha": purchase["alpha"],
        "phi_dropout": purchase["a"] / (purchase["a"] + purchase["b"]),
        "kappa_dropout": purchase["a"] + purchase["b"],
        **spend,
    }
    expected = purchase_loglik("bgnbd", patterns)(np.log(list(purchase.values()))) + spend_loglik(
        spend_patterns
    )(np.log(list(spend.values())))
    assert float(logp(point)) == pytest.approx(expected, rel=1e-9)
    # one row per customer gives the same total: compression changes nothing
    one_each = table[["frequency", "recency", "T"]].assign(weight=1)
    per_customer = bayes.build_model("bgnbd", one_each, None, priors=flat).compile_logp()
    purchase_point = {k: point[k] for k in ("r", "alpha", "phi_dropout", "kappa_dropout")}
    assert float(per_customer(purchase_point)) == pytest.approx(
        purchase_loglik("bgnbd", patterns)(np.log(list(purchase.values()))), rel=1e-9
    )


@pytest.mark.slow  # samples a posterior
def test_customer_answers_equal_pymc_marketing_on_the_same_draws(posterior_fit, cdnow_weeks):
    model = posterior_fit
    table = cdnow_weeks.table.head(40)
    data = table[["frequency", "recency", "T"]].reset_index()
    import arviz as az
    from pymc_marketing.clv import BetaGeoModel

    reference = BetaGeoModel()
    reference.build_model(data)
    draws = model._thinned(model.posterior.purchase)
    reference.idata = az.from_dict(posterior={c: draws[c].to_numpy()[None, :] for c in draws})
    p_alive = reference.expected_probability_alive(data).mean(("chain", "draw")).to_numpy()
    purchases = reference.expected_purchases(data, future_t=39).mean(("chain", "draw"))
    np.testing.assert_allclose(model.p_alive().head(40), p_alive, rtol=1e-9)
    np.testing.assert_allclose(
        model.expected_purchases(39, "W").head(40), purchases.to_numpy(), rtol=1e-9
    )


@pytest.mark.slow  # samples a posterior
def test_intervals_and_value_tables(posterior_fit):
    model = posterior_fit
    intervals = model.intervals(horizon=12, time_unit="M", alpha=0.1)
    assert _interval_columns(intervals) == []
    for name in ("p_alive", "expected_purchases", "clv"):
        assert (intervals[f"{name}_ci_low"] <= intervals[name] + 1e-12).all(), name
        assert (intervals[name] <= intervals[f"{name}_ci_high"] + 1e-12).all(), name
    values = clv.value_table(model)
    np.testing.assert_allclose(values["clv"], intervals["clv"], rtol=1e-12)
    np.testing.assert_allclose(values["p_alive"], intervals["p_alive"], rtol=1e-12)
    # parameter uncertainty makes the valuable customers' CLV uncertain by more than 10%
    top = intervals.nlargest(50, "clv")
    assert ((top["clv_ci_high"] - top["clv_ci_low"]) / top["clv"]).median() > 0.1
    # the point ML values lie near the posterior means, not outside every interval
    ml = clv.fit(model.summary)
    inside = (clv.value_table(ml)["clv"] - intervals["clv_ci_low"]).ge(0) & (
        clv.value_table(ml)["clv"] - intervals["clv_ci_high"]
    ).le(0)
    assert inside.mean() > 0.5


@pytest.mark.slow  # samples a posterior
def test_who_is_surely_among_the_most_valuable(posterior_fit):
    with pytest.raises(ParameterError, match="top_share"):
        clv.top_share_certainty(posterior_fit, top_share=10)
    certainty = clv.top_share_certainty(posterior_fit, top_share=0.1, sure=0.9)
    assert _interval_columns(certainty) == []  # the house's interval names
    assert len(certainty) == len(posterior_fit.summary.table)
    assert certainty["clv"].is_monotonic_decreasing
    assert certainty["top_by_mean"].sum() == pytest.approx(0.1 * len(certainty), abs=2)
    surely_in = certainty["verdict"] == "surely in"
    assert (certainty.loc[surely_in, "p_top"] >= 0.9).all()
    assert certainty.loc[surely_in, "top_by_mean"].all()
    uncertain = certainty[certainty["verdict"] == "uncertain"]
    assert len(uncertain) > 0  # near the cut, the ranking depends on the parameters
    assert uncertain["p_top"].between(0.1, 0.9, inclusive="neither").all()
    counts = clv.certainty_counts(certainty)
    assert counts.to_numpy().sum() == len(certainty)
    assert counts.loc["in the top share by mean", "surely out"] == 0


@pytest.mark.slow  # samples a posterior
def test_segment_totals_carry_intervals(posterior_fit):
    table = posterior_fit.summary.table
    segments = pd.Series(
        np.where(table["frequency"] > 0, "repeat buyers", "one-time buyers"), index=table.index
    )
    out = clv.segment_intervals(posterior_fit, segments, alpha=0.1, min_cell_size=10)
    assert _interval_columns(out) == []
    assert set(out["segment"]) == {"repeat buyers", "one-time buyers"}
    assert out["customers"].sum() == len(table)
    assert out["clv_total"].sum() == pytest.approx(posterior_fit.clv().sum(), rel=1e-9)
    assert (out["clv_total_ci_low"] < out["clv_total"]).all()
    assert (out["clv_total"] < out["clv_total_ci_high"]).all()
    assert out["share_of_clv"].sum() == pytest.approx(1.0)
    small = clv.segment_intervals(posterior_fit, segments.head(5), min_cell_size=10)
    assert small["suppressed"].all() and small["clv_total"].isna().all()


@pytest.mark.slow  # samples a posterior
def test_same_seed_same_draws(cdnow_weeks):
    small = clv.Sampling(draws=100, tune=100, random_state=3)
    first = clv.fit(cdnow_weeks, method="bayes", spend_model=None, sampling=small)
    second = clv.fit(cdnow_weeks, method="bayes", spend_model=None, sampling=small)
    pd.testing.assert_frame_equal(first.posterior.purchase, second.posterior.purchase)
    other = clv.Sampling(draws=100, tune=100, random_state=4)
    third = clv.fit(cdnow_weeks, method="bayes", spend_model=None, sampling=other)
    assert not first.posterior.purchase.equals(third.posterior.purchase)


def test_clear_errors(cdnow_weeks, monkeypatch):
    with pytest.raises(ParameterError, match="bgnbd' or 'mbgnbd"):
        clv.fit(cdnow_weeks, model="pareto_nbd", method="bayes")
    with pytest.raises(ParameterError, match="penalizer"):
        clv.fit(cdnow_weeks, method="bayes", penalizer=0.1)
    with pytest.raises(ParameterError, match="method='bayes' only"):
        clv.fit(cdnow_weeks, sampling=QUICK)
    with pytest.raises(ParameterError, match="'ml' or 'bayes'"):
        clv.fit(cdnow_weeks, method="mcmc")
    with pytest.raises(ParameterError, match="priors for \\['beta'\\]"):
        clv.fit(cdnow_weeks, method="bayes", priors={"beta": _prior("HalfFlat")})
    with pytest.raises(ParameterError, match="chains=1"):
        clv.Sampling(chains=1)
    with pytest.raises(ParameterError, match="method='bayes'"):
        clv.top_share_certainty(clv.fit(cdnow_weeks))

    real_import = builtins.__import__

    def without_pymc(name, *args, **kwargs):
        if name.startswith("pymc"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_pymc)
    with pytest.raises(ParameterError, match=r"pip install 'crmlab\[bayes\]'"):
        clv.fit(cdnow_weeks, method="bayes")


@pytest.mark.slow  # samples a posterior
def test_laplace_stands_in_for_sampling_on_many_customers(cdnow_weeks, posterior_fit, monkeypatch):
    """Beyond NUTS_LIMIT compressed histories, "auto" draws from the Laplace approximation;
    on CDNOW it lands close to the NUTS posterior (r and alpha are near normal there)."""
    monkeypatch.setattr(bayes, "NUTS_LIMIT", 100)
    laplace = clv.fit(cdnow_weeks, method="bayes", sampling=clv.Sampling(draws=1000))
    post = laplace.posterior
    assert post.method == "laplace" and post.converged and post.rows > 100
    assert post.convergence["r_hat"].isna().all()
    for name in ("r", "alpha"):
        assert laplace.params[name] == pytest.approx(posterior_fit.params[name], rel=0.03), name
        assert laplace.standard_errors[name] == pytest.approx(
            posterior_fit.standard_errors[name], rel=0.25
        ), name
    for name in ("a", "b"):  # skewed posteriors: the normal on the log scale is rougher
        assert laplace.params[name] == pytest.approx(posterior_fit.params[name], rel=0.15), name
    table = clv.parameter_table(laplace, alpha=0.1).set_index("parameter")
    for name, value in BGNBD.items():
        assert table.loc[name, "ci_low"] < value < table.loc[name, "ci_high"], name
    again = clv.fit(cdnow_weeks, method="bayes", sampling=clv.Sampling(draws=1000))
    pd.testing.assert_frame_equal(post.purchase, again.posterior.purchase)
    with pytest.raises(ParameterError, match="'auto', 'nuts' or 'laplace'"):
        clv.Sampling(method="advi")


def test_fast_bgnbd_expectation_equals_lifetimes():
    """crmlab evaluates BG/NBD's hypergeometric term once per (x, T); the numbers are
    lifetimes', including where the direct series overflows (many purchases, long horizon)."""
    from lifetimes import BetaGeoFitter

    from crmlab.clv.bayes_model import bgnbd_expected_draws

    rng = np.random.default_rng(0)
    T = rng.integers(1, 105, 3000) / 1.0
    x = np.minimum(rng.poisson(3, 3000), 60).astype(float)
    x[:5] = [0, 150, 300, 600, 1000]  # heavy buyers push 2F1 beyond the float range
    recency = np.where(x > 0, T * rng.uniform(0.1, 1, 3000), 0.0)
    draws = pd.DataFrame(
        {
            "r": [0.24, 2.0, 0.8],
            "alpha": [4.4, 30.0, 1.5],
            "a": [0.79, 2.5, 0.3],
            "b": [2.4, 9.0, 1.2],
        }
    )
    for t in (1.0, 39.0, 520.0):
        ours = bgnbd_expected_draws(draws, t, x, recency, T)
        for i, row in draws.iterrows():
            fitter = BetaGeoFitter()
            fitter.params_ = row
            theirs = fitter.conditional_expected_number_of_purchases_up_to_time(t, x, recency, T)
            np.testing.assert_allclose(ours[i], theirs, rtol=1e-10, err_msg=f"t={t}, draw {i}")


@pytest.mark.slow  # samples a posterior
def test_without_dropout_or_spend_spread_the_posterior_is_the_limits():
    """A wholesaler's year: nobody leaves and spend does not differ between customers. The
    maximum-likelihood fit chooses both limits; the posterior follows (NUTS on the full
    model wanders along the flat directions: R-hat in the millions)."""
    from crmlab.data import load
    from crmlab.features import customer_summary

    data = load(ROOT / "examples/wholesale/wholesale.yaml")
    summary = customer_summary(data, "2023-12-31", time_unit="W")
    ml = clv.fit(summary)
    model = clv.fit(summary, method="bayes", sampling=QUICK)
    assert model.fit_info.limit == ml.fit_info.limit == "nbd"
    assert model.fit_info.spend_limit and ml.fit_info.spend_limit
    assert list(model.posterior.purchase.columns) == ["r", "alpha"]
    assert list(model.posterior.spend.columns) == ["mean_spend"]
    assert model.posterior.converged
    for name in ("r", "alpha"):
        assert model.params[name] == pytest.approx(ml.params[name], rel=0.05), name
    assert (model.p_alive() == 1).all()
    intervals = model.intervals()
    assert (intervals["clv_ci_low"] < intervals["clv"]).all()
    assert (intervals["clv"] < intervals["clv_ci_high"]).all()
    notes = " ".join(clv.fit_notes(model))
    assert "no-dropout limit" in notes and "too little between customers" in notes
    assert "refitted" not in notes  # that note is about maximum likelihood


def _prior(name: str):
    """A PyMC-Marketing prior; imported when a test needs one (each test worker imports
    every test module, and PyMC-Marketing with ArviZ costs 3 s)."""
    from pymc_marketing.prior import Prior

    return Prior(name)
