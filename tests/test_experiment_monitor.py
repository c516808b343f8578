"""A campaign read day by day: conversion by day, fixed and always-valid intervals, the
first day the test could have stopped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.errors import ParameterError
from crmlab.experiment import always_valid, sequential_monitor, sequential_test


def _units(days_control: list, days_treatment: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "variant": ["control"] * len(days_control) + ["treatment"] * len(days_treatment),
            "days_to_first_order": days_control + days_treatment,
        }
    )


def test_shares_by_day_count_first_orders_within_the_day():
    units = _units([0.5, 2.0, np.nan, np.nan], [1.0, 1.5, 3.0, np.nan])
    table = sequential_monitor(units, window_days=3, tuning=100)
    assert table["day"].tolist() == [1, 2, 3]
    assert table["control_share"].tolist() == [0.25, 0.5, 0.5]
    assert table["treatment_share"].tolist() == [0.25, 0.5, 0.75]
    assert table["difference"].tolist() == [0.0, 0.0, 0.25]
    assert (table["n_control"] == 4).all() and (table["n_treatment"] == 4).all()


def test_each_day_matches_the_two_sample_sequential_test():
    rng = np.random.default_rng(3)
    control = np.where(rng.random(3000) < 0.3, rng.exponential(6, 3000), np.nan)
    treated = np.where(rng.random(3000) < 0.36, rng.exponential(6, 3000), np.nan)
    units = _units(list(control), list(treated))
    table = sequential_monitor(units, window_days=14)
    day = table[table["day"] == 10].iloc[0]
    reference = sequential_test(
        3000, np.sum(control <= 10), 3000, np.sum(treated <= 10),
        kind="proportion", effect="absolute", tuning=6000,
    )  # fmt: skip
    assert (day["av_low"], day["av_high"]) == pytest.approx((reference.ci_low, reference.ci_high))
    assert day["p_value"] == pytest.approx(reference.p_value)
    assert day["av_low"] < day["ci_low"] < day["ci_high"] < day["av_high"]
    stops = table[table["stop"]]
    assert len(stops) == 1 and stops["significant"].all()
    assert not table.loc[table["day"] < stops["day"].iloc[0], "significant"].any()


def test_no_stop_when_the_arms_are_alike_and_errors_are_clear():
    units = _units([1.0, 2.0, np.nan] * 50, [1.0, 2.0, np.nan] * 50)
    table = sequential_monitor(units, window_days=5)
    assert not table["stop"].any() and (table["p_value"] == 1).all()
    with pytest.raises(ParameterError, match="days_to_first_order"):
        sequential_monitor(units.drop(columns="days_to_first_order"), 5)
    with pytest.raises(ParameterError, match="control='ctrl'"):
        sequential_monitor(units, 5, control="ctrl")
    with pytest.raises(ParameterError, match="tuning"):
        sequential_monitor(units, 5, tuning=0)


def test_daily_reads_of_a_growing_outcome_window_keep_false_positives_below_alpha():
    """The always-valid guarantee is proved for arriving units; here units are fixed and
    days add outcomes. Simulated A/A campaigns (3,000 units per arm, first orders after
    an exponential wait) read on each of 28 days: the always-valid rule rejects at most
    alpha of them, the fixed-horizon rule read daily well over alpha."""
    rng = np.random.default_rng(11)
    experiments, n, days = 2_000, 3_000, np.arange(1, 29)
    buys = rng.random((2, experiments, n)) < 0.3
    waits = np.where(buys, rng.exponential(8.0, (2, experiments, n)), np.inf)
    shares = (waits[..., None] <= days).mean(axis=2)  # arm x experiment x day
    diff = shares[1] - shares[0]
    se = np.sqrt((shares[0] * (1 - shares[0]) + shares[1] * (1 - shares[1])) / n)
    _, _, p = always_valid(diff, se, 2 * n, alpha=0.05, tuning=2 * n)
    always = (p < 0.05).any(axis=1).mean()
    daily = (np.abs(diff / se) > 1.96).any(axis=1).mean()
    assert always <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / experiments)
    assert daily > 0.08
