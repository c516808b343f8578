"""Customer value on data without dropout: lifetimes fails or degenerates there, crmlab fits
the boundary (the NBD limit), says so, and still predicts. Published fits stay unchanged."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter
from lifetimes.utils import ConvergenceError

from crmlab import clv
from crmlab.clv.boundary import NBDLimit, dropout_test, fit_nbd, refit
from crmlab.clv.likelihood import compress, nbd_loglik, purchase_loglik
from crmlab.datasets import cdnow_summary
from crmlab.features import CustomerSummary

TRUE_R, TRUE_ALPHA = 1.0, 4.0  # purchase rate ~ Gamma(shape 1, rate 4 weeks): 1 per 4 weeks


def no_dropout_world(n: int = 3000, seed: int = 0) -> CustomerSummary:
    """Customers who never leave: Poisson purchases at a Gamma-distributed rate, observed
    for 20-52 weeks (frequency = repeat purchases, recency = time of the last one)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE_R, 1 / TRUE_ALPHA, n)
    T = rng.uniform(20, 52, n)
    x = rng.poisson(rate * T)
    recency = np.array(
        [rng.uniform(0, t, k).max() if k else 0.0 for k, t in zip(x, T, strict=True)]
    )
    frame = pd.DataFrame({"frequency": x.astype(float), "recency": recency, "T": T})
    frame["monetary_value"] = np.where(x > 0, rng.gamma(5, 8, n), 0.0)
    return CustomerSummary.from_frame(frame, "2024-12-31", time_unit="W")


@pytest.fixture(scope="module")
def world() -> CustomerSummary:
    return no_dropout_world()


def _patterns(summary: CustomerSummary) -> pd.DataFrame:
    return compress(summary.table, ["frequency", "recency", "T"])[0]


def test_the_nbd_is_the_limit_of_every_model():
    patterns = _patterns(no_dropout_world(300))
    f, t, w = (patterns[c].to_numpy(float) for c in ("frequency", "T", "weight"))
    nbd = nbd_loglik((0.8, 3.0), f, t, w)
    tiny_a = np.log([0.8, 3.0, 1e-12, 2.0])  # BG/NBD and MBG/NBD: a -> 0
    assert purchase_loglik("bgnbd", patterns)(tiny_a) == pytest.approx(nbd, rel=1e-9)
    tiny_s = np.log([0.8, 3.0, 1e-12, 2.0])  # Pareto/NBD: s -> 0 (no dropout rate)
    assert purchase_loglik("pareto_nbd", patterns)(tiny_s) == pytest.approx(nbd, rel=1e-6)


def test_lifetimes_fails_where_crmlab_fits_the_no_dropout_limit(world):
    table = world.table
    with pytest.raises(ConvergenceError):  # the symptom, kept as a witness
        ModifiedBetaGeoFitter().fit(table["frequency"], table["recency"], table["T"])
    model = clv.fit(world, model="mbgnbd", spend_model=None)
    d = model.diagnostics
    assert d.limit == "nbd" and d.fitted_by == "crmlab" and "ConvergenceError" in d.refit_reason
    assert set(d.at_boundary) <= {"a", "b"} and d.at_boundary
    assert model.model_name == "MBG/NBD at its no-dropout limit (NBD)"
    assert model.params["r"] == pytest.approx(TRUE_R, rel=0.15)
    assert model.params["alpha"] == pytest.approx(TRUE_ALPHA, rel=0.15)
    assert model.standard_errors.notna().all() and not d.weak


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "pareto_nbd"])
def test_every_model_predicts_at_the_limit(world, name):
    model = clv.fit(world, model=name)
    assert model.diagnostics.limit == "nbd", model.diagnostics
    assert isinstance(model.purchase_fitter, NBDLimit)
    assert (model.p_alive() == 1.0).all()
    r, alpha = model.params["r"], model.params["alpha"]
    table = world.table
    expected = (r + table["frequency"]) / (alpha + table["T"]) * 26  # Gamma-Poisson posterior
    np.testing.assert_allclose(model.expected_purchases(26, "W"), expected, rtol=1e-12)
    values = clv.value_table(model, 12, "M", 0.1)
    assert values["clv"].gt(0).all() and len(values) == len(world)
    params = clv.parameter_table(model)
    assert list(params["parameter"]) == ["r", "alpha", "p", "q", "v"]
    assert (params["ci_low"] > 0).all()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # lifetimes, on its own degenerate fit
def test_lifetimes_degenerates_and_crmlab_says_why(world):
    table = world.table
    try:  # plain lifetimes either runs off to the boundary or gives up (as scipy 1.17 has it)
        plain = BetaGeoFitter().fit(table["frequency"], table["recency"], table["T"])
    except ConvergenceError:
        pass
    else:
        assert plain.params_["a"] < 1e-6 or plain.params_["b"] > 1e4
    model = clv.fit(world, spend_model=None)
    reason = model.diagnostics.refit_reason  # lifetimes on the compressed histories raises
    assert "degenerated" in reason or "ConvergenceError" in reason
    assert model.diagnostics.limit == "nbd"


def test_the_bounded_refit_reproduces_the_published_fit_where_there_is_dropout():
    outcome = refit("bgnbd", _patterns(cdnow_summary()))
    assert outcome.limit is None and not outcome.at_boundary
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader et al. (2005)
    for name, value in published.items():
        assert outcome.params[name] == pytest.approx(value, abs=2e-3), name
    assert outcome.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    # the NBD fitted on the way is the one the dropout test needs: the same number
    assert outcome.nbd_log_likelihood == pytest.approx(fit_nbd(_patterns(cdnow_summary()))[1])
    again = dropout_test(outcome.log_likelihood, None, outcome.nbd_log_likelihood)
    assert again == pytest.approx(dropout_test(outcome.log_likelihood, _patterns(cdnow_summary())))


def test_dropout_evidence_is_measured_against_the_nbd(world):
    cdnow = clv.fit(cdnow_summary(), spend_model=None)
    assert cdnow.diagnostics.fitted_by == "lifetimes" and cdnow.diagnostics.limit is None
    assert cdnow.diagnostics.dropout_p_value < 1e-10  # CDNOW customers do leave
    statistic, p_value = dropout_test(-9582.4, _patterns(cdnow_summary()))
    assert statistic > 100 and p_value < 1e-10
    at_limit = clv.fit(world, spend_model=None)
    assert at_limit.diagnostics.dropout_p_value == 1.0


def test_fit_notes_say_in_words_what_the_fit_could_not_pin_down(world):
    notes = clv.fit_notes(clv.fit(world, spend_model=None))
    assert len(notes) == 2 and notes[0].startswith("lifetimes could not fit BG/NBD")
    assert "no evidence of customers leaving" in notes[1] and "P(alive) = 1" in notes[1]
    assert clv.fit_notes(clv.fit(cdnow_summary(), spend_model=None)) == []  # a clean fit
    # the P(alive) sentence follows the share of customers above 0.95 (CDNOW: about a third)
    cdnow = clv.fit(cdnow_summary(), spend_model=None)
    share = float((cdnow.p_alive() > 0.95).mean())
    assert 0.1 < share < 0.9
    assert clv.fit_notes(cdnow, nearly_everyone=share + 0.01) == []
    [alive] = clv.fit_notes(cdnow, nearly_everyone=share - 0.01)
    assert alive.startswith(f"P(alive) ≈ 1 for nearly everyone ({share:.0%} of customers")


def test_a_wholesalers_export_gets_a_value_model_and_a_holdout_check(tmp_path):
    """examples/wholesale: trade accounts that all keep buying through the year."""
    import shutil

    from crmlab.data import load
    from crmlab.features import customer_summary

    from .conftest import ROOT

    folder = Path(shutil.copytree(ROOT / "examples" / "wholesale", tmp_path / "wholesale"))
    data = load(folder / "wholesale.yaml")
    assert data.orders["customer_id"].nunique() == 300
    summary = customer_summary(data, data.as_of, time_unit="W")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes' own complaints on its way to failing
        model = clv.fit(summary)
    assert model.diagnostics.limit == "nbd", model.diagnostics
    notes = " ".join(clv.fit_notes(model))
    assert "no evidence of customers leaving" in notes
    # order values hardly differ between accounts: Gamma-Gamma's spread runs to infinity
    assert model.diagnostics.spend_limit and "average spend per purchase" in notes
    repeat = summary.table[summary.table["frequency"] > 0]
    mean = (repeat["frequency"] * repeat["monetary_value"]).sum() / repeat["frequency"].sum()
    assert model.expected_spend().eq(mean).all()
    values = clv.value_table(model, 12, "M", 0.1)
    assert values["clv"].gt(0).all() and values["p_alive"].eq(1).all()
    check = clv.evaluate(data, "2023-09-30", "2023-12-31", time_unit="W")
    metrics = check.metrics.set_index("metric")["value"]
    assert abs(metrics["relative error of the total"]) < 0.15  # the limit model predicts well
    assert check.tracking["predicted_cumulative"].is_monotonic_increasing
    ranked = clv.compare(data, "2023-09-30", "2023-12-31", models=("bgnbd", "mbgnbd"))
    assert ranked["fitted_as"].str.endswith("no-dropout limit (NBD)").all()
    assert ranked["parameters"].tolist() == [2, 2] and (ranked["note"] == "").all()
