"""Customer value models reproduce the published CDNOW results and keep time units straight."""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter

from crmlab import clv
from crmlab.data import generate
from crmlab.data.synth import WorldParams
from crmlab.datasets import CDNOW_CALIBRATION_END, cdnow, cdnow_summary
from crmlab.errors import ModelFitError, ParameterError
from crmlab.features import CustomerSummary, calibration_holdout, customer_summary

CAL = ["frequency", "recency", "T", "monetary_value"]


@pytest.fixture(scope="module")
def from_raw_log() -> pd.DataFrame:
    """The papers' calibration summary rebuilt from CDNOW_sample.txt by crmlab.features."""
    both = calibration_holdout(cdnow(sample=True), "1997-09-30", "1998-06-30", time_unit="W")
    return both.calibration


@pytest.fixture(scope="module")
def shipped_with_spend() -> CustomerSummary:
    """lifetimes' cdnow_customers_summary_with_transactions.csv (x, t_x, T, zbar)."""
    with (
        resources.files("lifetimes.datasets")
        .joinpath("cdnow_customers_summary_with_transactions.csv")
        .open() as f
    ):
        raw = pd.read_csv(f)
    out = raw.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    return CustomerSummary.from_frame(out, CDNOW_CALIBRATION_END, time_unit="W")


def weeks(**columns) -> CustomerSummary:
    """A few customers' histories in weeks, for worked examples."""
    return CustomerSummary.from_frame(pd.DataFrame(columns), CDNOW_CALIBRATION_END, "W")


def changed(summary: CustomerSummary, table: pd.DataFrame) -> CustomerSummary:
    return CustomerSummary(table, summary.as_of, summary.time_unit, summary.period)


BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005)
PARETO = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # same data
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie & Lee (2005), "RFM and CLV"


@pytest.mark.parametrize("source", ["shipped", "raw"])
def test_bgnbd_reproduces_the_published_fit(source, from_raw_log):
    summary = cdnow_summary() if source == "shipped" else from_raw_log
    model = clv.fit(summary, spend_model=None)
    for name, value in BGNBD.items():
        assert model.params[name] == pytest.approx(value, abs=1.5e-3), name
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # the paper's LL
    assert model.time_unit == "W" and model.unit_name == "weeks"
    # the paper's worked example: x = 2, t_x = 30.43, T = 38.86, next 39 weeks
    one = weeks(frequency=[2.0], recency=[30.43], T=[38.86])
    assert model.expected_purchases(39, "W", one).iloc[0] == pytest.approx(1.226, abs=5e-4)
    # the same horizon in days, and the same customer described in days, give the same answer
    assert model.expected_purchases(273, "D", one.in_unit("D")).iloc[0] == pytest.approx(
        1.226, abs=5e-4
    )


def test_pareto_nbd_reproduces_the_published_fit():
    model = clv.fit(cdnow_summary(), model="pareto_nbd", spend_model=None)
    for name, value in PARETO.items():
        assert model.params[name] == pytest.approx(value, rel=2e-3), name
    assert model.log_likelihood == pytest.approx(-9595.0, abs=0.1)
    assert model.standard_errors.notna().all()


@pytest.mark.parametrize("source", ["shipped", "raw"])
def test_gamma_gamma_reproduces_the_published_fit(source, shipped_with_spend, from_raw_log):
    summary = shipped_with_spend if source == "shipped" else from_raw_log
    model = clv.fit(summary)
    assert int((summary.table["frequency"] > 0).sum()) == 946
    for name, value in GAMMA_GAMMA.items():
        assert model.spend_params[name] == pytest.approx(value, rel=2e-3), name


def test_compressed_fit_equals_plain_lifetimes_and_its_standard_errors(shipped_with_spend):
    model = clv.fit(shipped_with_spend)
    s = shipped_with_spend.table
    plain = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(model.params, plain.params_, rtol=1e-5)
    np.testing.assert_allclose(model.standard_errors, plain.standard_errors_, rtol=1e-3)
    repeat = s[s["frequency"] > 0]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    np.testing.assert_allclose(model.spend_params, gg.params_, rtol=1e-5)
    np.testing.assert_allclose(model.spend_standard_errors, gg.standard_errors_, rtol=1e-3)
    np.testing.assert_allclose(
        model.p_alive(),
        plain.conditional_probability_alive(s["frequency"], s["recency"], s["T"]),
        rtol=1e-6,
    )


def test_clv_does_not_depend_on_the_time_unit():
    """The same customers summarised in days and in weeks must be worth the same."""
    orders = cdnow(sample=True).orders
    in_days = customer_summary(orders, "1997-09-30", time_unit="D")
    in_weeks = customer_summary(orders, "1997-09-30", time_unit="W")
    by_day, by_week = clv.fit(in_days), clv.fit(in_weeks)
    assert by_day.time_unit == "D" and by_week.time_unit == "W"
    assert by_day.params["alpha"] == pytest.approx(7 * by_week.params["alpha"], rel=1e-3)
    np.testing.assert_allclose(by_day.clv(12, "M", 0.1), by_week.clv(12, "M", 0.1), rtol=2e-3)
    # scoring a summary in another unit converts it (it used to be read in the model's unit)
    np.testing.assert_allclose(by_week.clv(summary=in_days), by_week.clv(), rtol=1e-9)
    # a horizon of 52 weeks is a horizon of 364 days, whatever the model's unit
    np.testing.assert_allclose(
        by_week.expected_purchases(52, "W"), by_week.expected_purchases(364, "D"), rtol=1e-12
    )


def test_clv_is_discounted_expected_value(shipped_with_spend):
    summary = shipped_with_spend
    with pytest.raises(ParameterError, match="no spend model"):
        clv.fit(summary, spend_model=None).clv(12)
    model = clv.fit(summary)
    undiscounted = model.clv(12, "M", 0.0)
    purchases = model.expected_purchases(12, "M")
    np.testing.assert_allclose(undiscounted, purchases * model.expected_spend(), rtol=1e-9)
    assert (model.clv(12, "M", 0.2) < undiscounted).all()
    # weekly steps over the same year discount almost exactly like monthly ones
    np.testing.assert_allclose(model.clv(52, "W", 0.2), model.clv(12, "M", 0.2), rtol=0.02)
    one_timers = model.expected_spend()[summary.table["frequency"] == 0]
    assert one_timers.nunique() == 1  # the population mean for customers without repeats
    with pytest.raises(ParameterError, match="horizon=0"):
        model.clv(0)
    with pytest.raises(ParameterError, match="annual_discount_rate"):
        model.clv(12, "M", 5)
    with pytest.raises(ParameterError, match="time_unit='months'"):
        model.clv(12, "months")


def test_synthetic_world_parameters_are_recovered():
    truth = WorldParams(seasonality=0.0, duplicate_share=0.0)
    world = generate(6_000, random_state=21, params=truth)
    model = clv.fit(customer_summary(world, world.as_of, time_unit="W"))
    for name in ("r", "alpha", "a", "b"):
        assert model.params[name] == pytest.approx(getattr(truth, name), rel=0.2), name
    for name, planted in (("p", truth.p), ("q", truth.q), ("v", truth.gamma)):
        assert model.spend_params[name] == pytest.approx(planted, rel=0.2), name


def test_guards_and_clear_errors(shipped_with_spend):
    table = shipped_with_spend.table
    with pytest.raises(ParameterError, match="model="):
        clv.fit(shipped_with_spend, model="bg")
    with pytest.raises(ParameterError, match="needs column.*monetary_value"):
        clv.fit(changed(shipped_with_spend, table.drop(columns="monetary_value")))
    # a bare frame (e.g. T divided by 7 by hand) says nothing of its unit: refused, not guessed
    with pytest.raises(ParameterError, match="time_unit"):
        clv.fit(table.assign(T=table["T"] / 7))
    with pytest.raises(ModelFitError, match="too few"):
        clv.fit(changed(shipped_with_spend, table.head(5)))
    nobody_returns = table.assign(frequency=0.0, recency=0.0)
    with pytest.raises(ModelFitError):
        clv.fit(changed(shipped_with_spend, nobody_returns))
    correlated = table.copy()
    repeat = correlated["frequency"] > 0  # bigger baskets for frequent buyers
    correlated.loc[repeat, "monetary_value"] *= 1 + 0.3 * correlated.loc[repeat, "frequency"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = clv.fit(changed(shipped_with_spend, correlated))
    assert model.spend_correlation > 0.3
    assert any("correlated" in str(w.message) for w in caught)


def test_holdout_validation_on_cdnow():
    result = clv.evaluate(cdnow(sample=True), "1997-09-30", "1998-06-30")
    metrics = result.metrics.set_index("metric")["value"]
    per = result.per_customer
    assert metrics["customers"] == 2357 and metrics["holdout length (weeks)"] == 39
    assert metrics["actual holdout purchases"] == per["actual"].sum()
    assert abs(metrics["relative error of the total"]) < 0.15  # BG/NBD tracks CDNOW well
    assert result.by_frequency["customers"].sum() == 2357
    # more calibration purchases, more holdout purchases, in data and in the model
    assert result.by_frequency["actual"].is_monotonic_increasing
    assert result.by_frequency["predicted"].is_monotonic_increasing
    tracking = result.tracking
    at_cal_end = tracking.loc[tracking["in_calibration"], "actual_cumulative"].iloc[-1]
    assert at_cal_end == per["frequency_cal"].sum()
    assert tracking["actual_cumulative"].iloc[-1] == at_cal_end + per["actual"].sum()
    assert tracking["predicted_cumulative"].is_monotonic_increasing
    final = tracking.iloc[-1]
    assert final["predicted_cumulative"] == pytest.approx(final["actual_cumulative"], rel=0.1)


def test_value_table_and_segment_rollup(shipped_with_spend):
    model = clv.fit(shipped_with_spend)
    values = clv.value_table(model, 12, "M", 0.1)
    assert len(values) == len(shipped_with_spend)
    assert values["p_alive"].between(0, 1).all() and (values["clv"] >= 0).all()
    sizes = values["clv_decile"].value_counts().sort_index()
    assert list(sizes.index) == list(range(1, 11)) and sizes.max() - sizes.min() <= 1
    top = values[values["clv_decile"] == 1]["clv"].min()
    assert (values.loc[values["clv_decile"] > 1, "clv"] <= top).all()
    segments = pd.Series(
        np.where(shipped_with_spend.table["frequency"] > 0, "repeat", "one-time"),
        index=shipped_with_spend.customers,
    )
    rollup = clv.value_by_segment(values, segments).set_index("segment")
    assert rollup["customers"].sum() == len(values)
    assert rollup["share_of_clv"].sum() == pytest.approx(1.0)
    assert rollup.loc["repeat", "clv_mean"] > rollup.loc["one-time", "clv_mean"]


def test_explanation_tables(shipped_with_spend):
    model = clv.fit(shipped_with_spend)
    params = clv.parameter_table(model)
    assert list(params["parameter"]) == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert (params["ci_low"] > 0).all()  # log scale: never a negative shape or scale
    assert (params["ci_low"] < params["estimate"]).all()
    assert (params["estimate"] < params["ci_high"]).all()
    # the interval follows alpha: a 90% interval sits inside the 95% one
    narrow = clv.parameter_table(model, alpha=0.10)
    assert (narrow["ci_low"] > params["ci_low"]).all()
    assert (narrow["ci_high"] < params["ci_high"]).all()
    b = params.set_index("parameter").loc["b"]  # log scale: ci_low x ci_high = estimate^2
    assert b["ci_low"] * b["ci_high"] == pytest.approx(b["estimate"] ** 2, rel=1e-9)
    grid = clv.recency_frequency_grid(model, "p_alive", max_frequency=5, steps=4)
    assert grid.shape == (6, 5) and grid.loc[0].eq(1.0).all()  # no repeat: alive (BG/NBD)
    # for repeat buyers, a more recent last purchase means more likely alive
    assert grid.loc[3].is_monotonic_increasing
    values = clv.value_table(model)
    before = values["p_alive"] + 0.2  # pretend everyone was 20 points more alive
    targets = clv.retention_targets(values, before, top_share=0.2, min_drop=0.1, n=10)
    assert len(targets) == 10 and targets["clv"].is_monotonic_decreasing
    assert (targets["clv"] >= values["clv"].quantile(0.8)).all()
    assert clv.retention_targets(values, values["p_alive"], n=10).empty  # nobody dropped


def test_mbgnbd_fits_cdnow_and_never_certifies_one_time_buyers_alive():
    """MBG/NBD (Batislam et al. 2007) lets customers drop out after the first purchase too,
    so unlike BG/NBD, P(alive) of a customer without repeat purchases is below 1."""
    bg = clv.fit(cdnow_summary(), model="bgnbd", spend_model=None)
    mbg = clv.fit(cdnow_summary(), model="mbgnbd", spend_model=None)
    one_timer = weeks(frequency=[0.0], recency=[0.0], T=[38.86])
    assert bg.p_alive(one_timer).iloc[0] == pytest.approx(1.0)
    assert 0 < mbg.p_alive(one_timer).iloc[0] < 1
    assert mbg.log_likelihood == pytest.approx(bg.log_likelihood, abs=30)  # similar fit
    assert mbg.standard_errors.notna().all()
