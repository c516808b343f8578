"""Sequential tests: always-valid intervals (GrowthBook's numbers), group-sequential
boundaries (gsDesign's numbers), and what peeking does to an A/A test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlab.errors import ParameterError
from crmlab.experiment import (
    Proportion,
    always_valid,
    analyze,
    group_sequential_bounds,
    group_sequential_design,
    peeking_simulation,
    sample_size,
    sequential_test,
)
from crmlab.experiment.group_sequential import spent
from crmlab.experiment.peeking import RULES

# GrowthBook, packages/stats/tests/frequentist/test_tests.py (sequential two-sided t-test)
MEANS = dict(
    n_control=3000, sum_control=1396.87, sum_squares_control=52377.9767,
    n_treatment=3461, sum_treatment=2422.7, sum_squares_treatment=134698.29,
)  # fmt: skip


def test_growthbook_means_with_tuning_1000():
    result = sequential_test(**MEANS, tuning=1000)
    assert round(result.estimate, 5) == 0.50336
    assert (round(result.ci_low, 5), round(result.ci_high, 5)) == (-0.55844, 1.56516)
    assert result.p_value == 1
    assert result.n == 6461 and result.effect == "relative"


def test_growthbook_proportions_with_the_default_tuning():
    result = sequential_test(3000, 1396, 3461, 2422, kind="proportion")
    assert round(result.estimate, 5) == 0.50386
    assert (round(result.ci_low, 5), round(result.ci_high, 5)) == (0.40098, 0.60675)
    assert result.p_value < 1e-10 and result.tuning == 5000


def test_the_p_value_is_below_alpha_exactly_when_the_interval_excludes_zero():
    estimates = np.linspace(-0.3, 0.3, 601)
    for n in (200, 5_000, 80_000):
        low, high, p = always_valid(estimates, 0.1, n, alpha=0.05, tuning=5_000)
        excluded = (low > 0) | (high < 0)
        near = np.isclose(p, 0.05, rtol=1e-6)
        assert np.array_equal((p < 0.05)[~near], excluded[~near])
        assert np.all(p <= 1) and np.all(p > 0)


def test_always_valid_intervals_are_wider_than_fixed_ones_and_tightest_near_the_tuning():
    n = np.arange(100, 50_000, 10)
    low, high, _ = always_valid(0.0, 1 / np.sqrt(n), n, 0.05, 5_000)
    assert np.all(high > stats.norm.isf(0.025) / np.sqrt(n))
    scaled = (high - low) * np.sqrt(n)  # the width relative to the fixed-horizon se
    assert 4_500 < n[np.argmin(scaled)] < 5_500
    # read once at the planned size, 1.55 times the fixed-horizon width (docs/guide/experiments.md)
    assert always_valid(0.0, 1.0, 5_000, 0.05, 5_000)[1] / 1.959964 == pytest.approx(
        1.5486, abs=1e-4
    )


def test_sequential_test_absolute_effects_and_bad_statistics():
    absolute = sequential_test(3000, 1396, 3461, 2422, kind="proportion", effect="absolute")
    assert absolute.estimate == pytest.approx(2422 / 3461 - 1396 / 3000)
    assert absolute.ci_low < absolute.estimate < absolute.ci_high
    with pytest.raises(ParameterError, match="sum of squares"):
        sequential_test(3000, 1396.87, 3461, 2422.7)
    with pytest.raises(ParameterError, match="smaller than sum"):
        sequential_test(10, 50, 10, 50, sum_squares_control=1, sum_squares_treatment=300)
    with pytest.raises(ParameterError, match="not a proportion"):
        sequential_test(10, 11, 10, 5, kind="proportion")
    with pytest.raises(ParameterError, match="tuning"):
        sequential_test(3000, 1396, 3461, 2422, kind="proportion", tuning=0)
    with pytest.raises(ParameterError, match="effect="):
        sequential_test(3000, 1396, 3461, 2422, kind="proportion", effect="ratio")


def test_obrien_fleming_bounds_match_gsdesign():
    """gsDesign(k = 5, test.type = 1, alpha = 0.025, sfu = sfLDOF)$upper$bound."""
    bounds = group_sequential_bounds(looks=5, alpha=0.025, spending="obrien_fleming", sided=1)
    assert np.round(bounds, 3).tolist() == [4.877, 3.357, 2.680, 2.290, 2.031]
    # two-sided at 5% spends 2.5% on each side: the same boundaries
    two = group_sequential_bounds(looks=5, alpha=0.05, sided=2)
    assert np.allclose(two, bounds, atol=1e-4)
    assert group_sequential_bounds(looks=1, alpha=0.025) == pytest.approx([1.959964], abs=1e-5)


def _simulated_crossings(bounds, timing, drift, paths=200_000, seed=1) -> np.ndarray:
    """Monte Carlo share of Brownian paths first crossing each look's bound."""
    rng = np.random.default_rng(seed)
    steps = np.diff(np.concatenate([[0.0], timing]))
    score = np.cumsum(rng.normal(drift * steps, np.sqrt(steps), (paths, len(timing))), axis=1)
    z = score / np.sqrt(timing)
    crossed = z >= bounds
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    return np.array([(first == k).mean() for k in range(len(timing))])


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock"])
def test_boundaries_spend_alpha_as_planned_and_give_the_planned_power(spending):
    timing = np.array([0.2, 0.5, 0.7, 1.0])
    design = group_sequential_design(4, 0.025, 0.9, spending, timing=timing)
    spent_by_look = np.diff(np.concatenate([[0.0], spent(timing, 0.025, spending)]))
    null = _simulated_crossings(design.bounds, timing, drift=0.0)
    assert np.allclose(null, spent_by_look, atol=4 * np.sqrt(0.025 / 200_000))
    drift = np.sqrt(design.inflation) * (stats.norm.isf(0.025) + stats.norm.ppf(0.9))
    planned = _simulated_crossings(design.bounds, timing, drift=drift, seed=2)
    assert planned.sum() == pytest.approx(0.9, abs=0.004)
    assert np.allclose(planned, design.stop_probability, atol=0.005)
    stopped = planned[:-1] @ timing[:-1] + (1 - planned[:-1].sum())
    assert design.expected_fraction == pytest.approx(stopped, abs=0.005)


def test_pocock_spends_early_and_costs_more_units_than_obrien_fleming():
    pocock = group_sequential_design(5, 0.025, 0.8, "pocock")
    obf = group_sequential_design(5, 0.025, 0.8, "obrien_fleming")
    assert np.ptp(pocock.bounds) < 0.06 < np.ptp(obf.bounds)
    assert 1 < obf.inflation < 1.05 < 1.15 < pocock.inflation
    assert pocock.expected_fraction < obf.expected_fraction < 1
    assert group_sequential_design(1, 0.025, 0.8).inflation == pytest.approx(1, abs=1e-6)


def test_sample_size_plans_the_looks():
    fixed = sample_size(0.2, 0.05)
    obf, pocock = (
        sample_size(0.2, 0.05, looks=5, spending=s) for s in ("obrien_fleming", "pocock")
    )
    design = group_sequential_design(5, 0.05, 0.8, sided=2)
    assert obf == pytest.approx(fixed * design.inflation, abs=1.5)
    assert fixed < obf < pocock
    assert sample_size(0.2, 0.05, looks=1) == fixed
    with pytest.raises(ParameterError, match="looks"):
        sample_size(0.2, 0.05, looks=0)


def test_bad_designs_are_refused():
    with pytest.raises(ParameterError, match="spending"):
        group_sequential_bounds(spending="haybittle")
    with pytest.raises(ParameterError, match="sided"):
        group_sequential_bounds(sided=3)
    with pytest.raises(ParameterError, match="timing"):
        group_sequential_bounds(looks=3, timing=[0.5, 0.4, 1.0])
    with pytest.raises(ParameterError, match="timing"):
        group_sequential_bounds(looks=2, timing=[0.5, 0.9])
    with pytest.raises(ParameterError, match="power"):
        group_sequential_design(power=1.2)


def test_peeking_at_an_aa_test_inflates_false_positives_unless_the_test_is_sequential():
    table = peeking_simulation(experiments=4_000, days=28, units_per_day=200, random_state=1)
    last = table[table["day"] == 28].set_index("rule")["false_positive_rate"]
    assert list(last.index) == list(RULES)
    sd = np.sqrt(0.05 * 0.95 / 4_000)
    assert last["fixed horizon, peeked daily"] > 0.15  # peeking daily: several times alpha
    assert last["always valid (mSPRT), peeked daily"] <= 0.05 + 3 * sd
    assert abs(last["group sequential (O'Brien-Fleming)"] - 0.05) < 4 * sd
    assert abs(last["fixed horizon, one look at the end"] - 0.05) < 4 * sd
    with pytest.raises(ParameterError, match="rate="):
        peeking_simulation(experiments=10, rate=1.5)
    growing = table.groupby("rule")["false_positive_rate"].apply(
        lambda s: s.is_monotonic_increasing
    )
    assert growing.all()
    again = peeking_simulation(experiments=4_000, days=28, units_per_day=200, random_state=1)
    pd.testing.assert_frame_equal(table, again)


def _units(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"variant": arm, "converted": np.arange(n) < k})
        for arm, (k, n) in counts.items()
    ]
    units = pd.concat(parts, ignore_index=True)
    units["customer_id"] = [f"C{i}" for i in range(len(units))]
    return units


def test_analyze_gives_always_valid_intervals_when_asked():
    units = _units({"control": (1396, 3000), "treatment": (2422, 3461)})
    design = {"expected_shares": {"control": 3000 / 6461, "treatment": 3461 / 6461}}
    fixed = analyze(units, [Proportion("converted")], **design).table.iloc[0]
    readout = analyze(units, [Proportion("converted")], sequential=True, **design)
    row = readout.table.iloc[0]
    assert readout.tuning == 5_000 and "always valid" in row["method"]
    reference = sequential_test(3000, 1396, 3461, 2422, kind="proportion")
    assert (row["lift_ci_low"], row["lift_ci_high"]) == pytest.approx(
        (reference.ci_low, reference.ci_high)
    )
    absolute = sequential_test(3000, 1396, 3461, 2422, kind="proportion", effect="absolute")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((absolute.ci_low, absolute.ci_high))
    assert row["ci_low"] < fixed["ci_low"] and row["ci_high"] > fixed["ci_high"]
    assert row["difference"] == fixed["difference"] and row["significant"]
    assert "se" not in readout.table
    assert analyze(units, [Proportion("converted")], **design).tuning is None
    with pytest.raises(ParameterError, match="tuning"):
        analyze(units, [Proportion("converted")], sequential=True, tuning=-1, **design)
