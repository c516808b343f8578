"""NPS, CSAT and mean scores: worked numbers, published intervals, coverage, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlab import voice
from crmlab.errors import DataContractError, ParameterError


def _answers(promoters: int, passives: int, detractors: int) -> pd.Series:
    return pd.Series([10] * promoters + [8] * passives + [3] * detractors, name="nps")


def test_nps_counts_and_points():
    table = voice.nps(_answers(50, 30, 20), method="wald")
    row = table.iloc[0]
    assert (row["n"], row["promoters"], row["passives"], row["detractors"]) == (100, 50, 30, 20)
    assert row["nps"] == pytest.approx(30.0)
    # worked by hand: Var = [p + d - (p - d)^2] / n = (0.5 + 0.2 - 0.09) / 100 = 0.0061
    half = 1.959964 * np.sqrt(0.0061) * 100
    assert row["ci_low"] == pytest.approx(30 - half, abs=1e-3)
    assert row["ci_high"] == pytest.approx(30 + half, abs=1e-3)


def test_boundaries_of_the_categories():
    table = voice.nps(pd.Series(range(11), name="nps")).iloc[0]
    assert (table["promoters"], table["passives"], table["detractors"]) == (2, 2, 7)


@pytest.mark.parametrize("n", [100, 400, 2500])
def test_wald_width_at_equal_thirds_is_320_over_root_n(n):
    # Rocks (2016): with p = d = 1/3 the 95% Wald interval is about 320 / sqrt(n) points wide
    _, low, high = voice.nps_interval(n / 3, n / 3, n, 0.05, "wald")
    assert high - low == pytest.approx(320 / np.sqrt(n), rel=2e-3)


def test_adjusted_wald_adds_three_answers():
    # all ten answers promoters: Wald collapses to [100, 100]; adjusted Wald does not
    _, low, high = voice.nps_interval(10, 0, 10, 0.05, "wald")
    assert (low, high) == (100, 100)
    _, low, high = voice.nps_interval(10, 0, 10, 0.05, "adjusted_wald")
    p, d = 10.75 / 13, 0.75 / 13
    half = 1.959964 * np.sqrt((p + d - (p - d) ** 2) / 13)
    assert low == pytest.approx(100 * (p - d - half), abs=1e-3) and high == 100


def _exact_coverage(n: int, p: float, d: float, method: str) -> float:
    """Coverage summed over every multinomial outcome (no simulation noise)."""
    promoters, detractors = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    possible = promoters + detractors <= n
    promoters, detractors = promoters[possible], detractors[possible]
    counts = np.stack([promoters, detractors, n - promoters - detractors], axis=1)
    chance = np.exp(stats.multinomial.logpmf(counts, n, [p, d, 1 - p - d]))
    _, low, high = voice.nps_interval(promoters, detractors, n, 0.05, method)
    truth = 100 * (p - d)
    return 100 * chance[(low <= truth) & (truth <= high)].sum()


@pytest.mark.parametrize("n", [50, 200, 1000])
@pytest.mark.parametrize("p,d", [(0.5, 0.2), (1 / 3, 1 / 3), (0.7, 0.05), (0.2, 0.5)])
def test_adjusted_wald_covers_within_one_and_a_half_points(n, p, d):
    assert _exact_coverage(n, p, d, "adjusted_wald") == pytest.approx(95, abs=1.5)


def test_adjusted_wald_covers_better_than_wald_in_small_skewed_samples():
    wald = _exact_coverage(50, 0.7, 0.05, "wald")
    adjusted = _exact_coverage(50, 0.7, 0.05, "adjusted_wald")
    assert wald < 93.5 and abs(adjusted - 95) < abs(wald - 95)


@pytest.mark.parametrize("n", [50, 200, 1000])
def test_simulated_coverage_through_the_public_function(n):
    rng = np.random.default_rng(n)
    reps, truth = 2000, (0.45, 0.15, 0.40)
    answers = rng.choice([10, 3, 8], size=(reps, n), p=truth)
    frame = pd.DataFrame({"sample": np.repeat(np.arange(reps), n), "nps": answers.ravel()})
    table = voice.nps(frame, by="sample")
    covered = (table["ci_low"] <= 30) & (table["ci_high"] >= 30)
    assert 100 * covered.mean() == pytest.approx(95, abs=1.5)


def test_groups_and_unanswered_rows_are_counted():
    frame = pd.DataFrame(
        {"channel": ["web", "web", "app", "app", "app"], "nps": [10, None, 0, 9, 10]}
    )
    table = voice.nps(frame, by="channel").set_index("channel")
    assert table.loc["web", "n"] == 1 and table.loc["web", "unanswered"] == 1
    assert table.loc["app", "nps"] == pytest.approx(100 * (2 - 1) / 3)


@pytest.mark.parametrize("bad", [11, -1, 7.5, "ten"])
def test_answers_off_the_scale_are_refused_with_examples(bad):
    with pytest.raises(DataContractError, match=r"1 answer\(s\) are not whole numbers in 0..10"):
        voice.nps(pd.Series([10, 9, bad], name="nps"))


def test_wrong_arguments_are_named():
    with pytest.raises(ParameterError, match="method='exact'"):
        voice.nps(_answers(1, 1, 1), method="exact")
    with pytest.raises(ParameterError, match="score='rating' is not a column"):
        voice.nps(pd.DataFrame({"nps": [1]}), score="rating")
    with pytest.raises(ParameterError, match="names \\['region'\\]"):
        voice.nps(pd.DataFrame({"nps": [1]}), by="region")


@pytest.mark.parametrize(
    "satisfied,n,low,high",
    # Newcombe (1998, Statistics in Medicine 17:857), Wilson score intervals of his examples
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611)],
)
def test_csat_wilson_interval_matches_newcombe(satisfied, n, low, high):
    answers = pd.Series([5] * satisfied + [2] * (n - satisfied), name="csat")
    row = voice.csat(answers).iloc[0]
    assert row["csat"] == pytest.approx(satisfied / n)
    assert row["ci_low"] == pytest.approx(low, abs=1e-4)
    assert row["ci_high"] == pytest.approx(high, abs=1e-4)


def test_csat_threshold_and_scale():
    row = voice.csat(pd.Series([1, 2, 3, 4, 5, None], name="csat"), satisfied_from=3).iloc[0]
    assert (row["n"], row["satisfied"], row["unanswered"]) == (5, 3, 1)
    with pytest.raises(ParameterError, match="satisfied_from=7"):
        voice.csat(pd.Series([1], name="csat"), satisfied_from=7)


def test_mean_score_t_interval_matches_scipy():
    values = pd.Series([3, 4, 5, 5, 2, 4, 4], name="csat")
    row = voice.mean_score(values, "csat", scale=(1, 5)).iloc[0]
    low, high = stats.t.interval(0.95, 6, loc=values.mean(), scale=stats.sem(values))
    assert row["mean"] == pytest.approx(values.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert np.isnan(voice.mean_score(values.head(1), "csat").iloc[0]["ci_low"])
