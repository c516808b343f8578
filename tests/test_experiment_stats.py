"""Experiment statistics reproduce statsmodels/R/paper reference numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import experiment
from crmlab.errors import ParameterError

SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
BH_1995 = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.000,
]


@pytest.fixture(scope="module")
def world(sample_size_world):
    return sample_size_world


def test_two_proportion_z_test_matches_statsmodels_docs():
    result = experiment.proportion_test(5, 83, 12, 99)
    assert -result.z == pytest.approx(-1.4078, abs=1e-4)  # statsmodels: counts [5, 12]
    assert result.p_value == pytest.approx(0.159, abs=5e-4)


def test_glantz_chi_square_and_wald_interval():
    result = experiment.proportion_test(8, 61, 10, 67)
    assert result.z**2 == pytest.approx(0.086617, abs=1e-6)  # chi-square, no correction
    assert result.p_value == pytest.approx(0.7685, abs=1e-4)
    # R's interval is for control - treatment; ours is treatment - control
    assert (-result.ci_high, -result.ci_low) == pytest.approx((-0.1383397, 0.1021273), abs=1e-7)


def test_welch_on_r_sleep_data():
    a, b = np.array(SLEEP_1), np.array(SLEEP_2)
    result = experiment.welch_test(
        len(b), b.mean(), b.var(ddof=1), len(a), a.mean(), a.var(ddof=1)
    )  # R: t.test(extra ~ group): group1 - group2
    assert result.t == pytest.approx(-1.8608, abs=1e-4)
    assert result.df == pytest.approx(17.776, abs=1e-3)
    assert result.p_value == pytest.approx(0.07939, abs=1e-5)
    assert (result.ci_low, result.ci_high) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)


def test_sample_sizes():
    assert experiment.sample_size(0.20, 0.05) == 1030  # Evan Miller's calculator
    assert experiment.sample_size(0, 0.5, kind="mean", sd=1) == 64  # d = 0.5
    assert experiment.sample_size(0.20, 0.05, ratio=2) < 1030  # bigger treatment arm helps
    detectable = experiment.mde(1030, 0.20)
    assert detectable == pytest.approx(0.05, abs=1e-4)  # mde inverts sample_size
    assert experiment.mde(64, 0, kind="mean", sd=2) == pytest.approx(1.0, rel=0.01)


def test_srm_reference_and_planted_mismatch(world):
    result = experiment.srm([44_000, 45_000])
    assert result.chi2 == pytest.approx(11.236, abs=1e-3)
    assert result.p_value == pytest.approx(0.000802, abs=1e-6)
    assert result.mismatch
    counts = world.assignments.groupby(["campaign_id", "variant"]).size().unstack()
    flagged = {c: experiment.srm(counts.loc[c]).mismatch for c in counts.index}
    assert flagged == {"CMP01": False, "CMP02": False, "CMP03": True, "CMP04": False}


def test_benjamini_hochberg_and_holm_on_the_1995_example():
    _, bh = experiment.adjust_pvalues(BH_1995, "bh")
    _, holm = experiment.adjust_pvalues(BH_1995, "holm")
    assert bh.sum() == 4 and holm.sum() == 3
    adjusted, raw = experiment.adjust_pvalues(BH_1995, None)
    assert list(adjusted) == BH_1995 and raw.sum() == 9


def test_holm_gives_statsmodels_numbers_without_its_garbage_collection(monkeypatch):
    """Families with ties, p-values of 0 and 1, values on a threshold, one test, unsorted."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    families = [BH_1995, [0.01], [0.0, 1.0, 0.5, 0.5], [0.0125, 0.025, 0.05, 0.0125]]
    families += [[0.04, 0.02, 0.03]]  # the last passes its threshold, but Holm stopped before
    families += [rng.uniform(0, 0.2, n).round(3) for n in (2, 3, 7, 40, 200)]
    for p in families:
        for alpha in (0.05, 0.1):
            reject, adjusted, _, _ = multipletests(p, alpha=alpha, method="holm")
            monkeypatch.setattr("gc.collect", lambda *a: pytest.fail("collected garbage"))
            ours, ours_reject = experiment.adjust_pvalues(p, "holm", alpha)
            monkeypatch.undo()
            np.testing.assert_array_equal(ours, adjusted)
            np.testing.assert_array_equal(ours_reject, reject)


def test_a_a_experiments_have_the_nominal_false_positive_rate():
    rng = np.random.default_rng(0)
    rejections = 0
    runs = 2_000
    for _ in range(runs):
        a, b = rng.binomial(500, 0.1), rng.binomial(500, 0.1)
        rejections += experiment.proportion_test(a, 500, b, 500).p_value < 0.05
    assert rejections / runs == pytest.approx(0.05, abs=0.015)


def test_planted_campaign_effect_inside_the_interval(world):
    a = world.assignments[world.assignments["campaign_id"] == "CMP01"]
    o = world.orders[world.orders["status"] == "completed"].merge(a, on="customer_id")
    days = (o["ordered_at"] - o["assigned_at"]) / pd.Timedelta(days=1)
    buyers = set(o.loc[(days > 0) & (days <= 14), "customer_id"])
    units = a.assign(converted=a["customer_id"].isin(buyers))
    arm = units.groupby("variant")["converted"].agg(["sum", "size"])
    result = experiment.proportion_test(
        arm.loc["control", "sum"],
        arm.loc["control", "size"],
        arm.loc["treatment", "sum"],
        arm.loc["treatment", "size"],
    )
    truth = world.truth.params["campaigns"]["CMP01"]["true_conversion_effect"]
    assert result.ci_low < truth < result.ci_high and result.p_value < 0.05


def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match="empty"):
        experiment.proportion_test(0, 0, 1, 10)
    with pytest.raises(ParameterError, match="between 0 and n"):
        experiment.proportion_test(11, 10, 1, 10)
    with pytest.raises(ParameterError, match="constant"):
        experiment.welch_test(10, 1.0, 0.0, 10, 1.0, 0.0)
    with pytest.raises(ParameterError, match="two arms"):
        experiment.srm([10])
    with pytest.raises(ParameterError, match="correction"):
        experiment.adjust_pvalues([0.1, 0.2], "bonferonni")
    with pytest.raises(ParameterError, match="NaN"):
        experiment.adjust_pvalues([0.1, float("nan")])
    with pytest.raises(ParameterError, match="sd"):
        experiment.sample_size(0, 1, kind="mean")
    with pytest.raises(ParameterError, match="mde"):
        experiment.sample_size(0.2, 0)
