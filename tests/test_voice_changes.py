"""Score trends, period changes and group comparisons with multiplicity correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from crmlab import voice
from crmlab.errors import ParameterError


def _survey(rng, n, start, days, promoter, detractor, **extra):
    answers = rng.choice([10, 8, 2], n, p=[promoter, 1 - promoter - detractor, detractor])
    at = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    return pd.DataFrame(
        {"answered_at": at, "nps": answers, "csat": np.where(answers > 7, 5, 2), **extra}
    )


@pytest.fixture
def surveys():
    rng = np.random.default_rng(3)
    return pd.concat(
        [
            _survey(rng, 600, "2024-01-01", 31, 0.5, 0.2, channel="web"),
            _survey(rng, 10, "2024-02-01", 29, 0.5, 0.2, channel="web"),
            _survey(rng, 600, "2024-03-01", 31, 0.3, 0.4, channel="web"),
            _survey(rng, 400, "2024-01-01", 91, 0.5, 0.2, channel="app"),
        ],
        ignore_index=True,
    )


def test_trend_by_month_suppresses_small_months(surveys):
    table = voice.trend(surveys[surveys["channel"] == "web"], "nps", min_n=30)
    assert list(table["month"].dt.month) == [1, 2, 3]
    february = table.iloc[1]
    assert february["suppressed"] and february["n"] == 10 and np.isnan(february["nps"])
    assert table.iloc[0]["nps"] > 20 and table.iloc[2]["nps"] < 0


def test_trend_by_group_and_week(surveys):
    table = voice.trend(surveys, "csat", period="W", by="channel")
    assert {"week", "channel", "csat", "ci_low", "ci_high"} <= set(table.columns)
    assert (table["week"].dt.day_of_week == 0).all()  # ISO weeks start on Monday


def test_period_change_sees_the_drop(surveys):
    row = voice.period_change(surveys, "2024-03-31", by="channel").set_index("channel")
    web = row.loc["web"]
    assert web["before"] == pd.Timestamp("2024-02-01", tz="UTC") and web["n_before"] == 10
    rng = np.random.default_rng(4)
    january = _survey(rng, 500, "2024-01-01", 31, 0.5, 0.2)
    february = _survey(rng, 500, "2024-02-01", 29, 0.3, 0.4)
    later = _survey(rng, 500, "2024-03-01", 29, 0.9, 0.0)  # after as_of: not counted
    data = pd.concat([january, february, later], ignore_index=True)
    change = voice.period_change(data, "2024-02-29 23:59").iloc[0]
    assert (change["n_before"], change["n_after"]) == (500, 500)
    assert change["difference"] < -20 and change["significant"]


def test_compare_corrects_for_several_groups(surveys):
    rng = np.random.default_rng(5)
    more = [_survey(rng, 300, "2024-01-01", 90, 0.5, 0.2, channel=f"c{k}") for k in range(4)]
    data = pd.concat([surveys, *more], ignore_index=True)
    table = voice.compare(data, "channel", reference="app")
    expected = multipletests(table["p_value"], method="holm")[1]
    np.testing.assert_allclose(table["p_adjusted"], expected)
    web = table.set_index("channel").loc["web"]
    assert web["difference"] == pytest.approx(web["value"] - web["reference_value"])


def test_compare_csat_and_mean(surveys):
    shares = voice.compare(surveys, "channel", metric="csat", reference="app")
    assert shares.iloc[0]["difference"] == pytest.approx(
        shares.iloc[0]["value"] - shares.iloc[0]["reference_value"]
    )
    means = voice.compare(surveys, "channel", metric="mean", score="csat", reference="app")
    assert means.iloc[0]["p_value"] < 0.05


def test_nps_difference_variance_is_the_sum_of_both_sides():
    a = pd.DataFrame({"g": "a", "nps": [10] * 50 + [8] * 30 + [3] * 20})
    b = pd.DataFrame({"g": "b", "nps": [10] * 40 + [8] * 30 + [3] * 30})
    row = voice.compare(pd.concat([a, b]), "g", reference="a").iloc[0]
    var = 1e4 * ((0.7 - 0.09) / 100 + (0.7 - 0.01) / 100)
    assert row["difference"] == pytest.approx(-20)
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.959964 * np.sqrt(var), rel=1e-5)


def test_bad_arguments(surveys):
    with pytest.raises(ParameterError, match="reference='tv'"):
        voice.compare(surveys, "channel", reference="tv")
    with pytest.raises(ParameterError, match="metric='mean' needs score="):
        voice.compare(surveys, "channel", metric="mean")
    with pytest.raises(ParameterError, match="period='Y'"):
        voice.trend(surveys, period="Y")
    with pytest.raises(ParameterError, match="min_n=0"):
        voice.trend(surveys, min_n=0)
