"""Driver analysis: Shapley shares of R² against known decompositions and a brute force."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from crmlab import voice
from crmlab.errors import ParameterError


def _orthogonal(n=400, seed=0) -> pd.DataFrame:
    """Three exactly uncorrelated, centred predictors and a score built from them."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, 4)) - rng.normal(size=(n, 4)).mean(0))
    x = q[:, :3] - q[:, :3].mean(0)
    x, _ = np.linalg.qr(np.column_stack([np.ones(n), x]))
    x = x[:, 1:]
    y = 3 * x[:, 0] + 2 * x[:, 1] + 1 * x[:, 2] + 0.05 * rng.normal(size=n)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "score": y})


def test_uncorrelated_drivers_get_their_own_r_squared():
    # Grömping (2006): with uncorrelated regressors each one's share is its univariate R²
    frame = _orthogonal()
    result = voice.drivers(frame, "score", ["a", "b", "c"])
    own = {c: np.corrcoef(frame[c], frame["score"])[0, 1] ** 2 for c in "abc"}
    shares = result.table.set_index("driver")["importance"]
    for c in "abc":
        assert shares[c] == pytest.approx(own[c], abs=1e-9)
    assert list(result.table["driver"]) == ["a", "b", "c"]  # 9 : 4 : 1


def _r2(frame, target, columns) -> float:
    if not columns:
        return 0.0
    x = pd.get_dummies(frame[list(columns)], drop_first=True, dtype=float)
    return float(sm.OLS(frame[target], sm.add_constant(x)).fit().rsquared)


def test_two_correlated_drivers_match_the_closed_form():
    rng = np.random.default_rng(1)
    a = rng.normal(size=500)
    b = 0.6 * a + rng.normal(size=500)
    frame = pd.DataFrame({"a": a, "b": b, "score": a + 0.5 * b + rng.normal(size=500)})
    result = voice.drivers(frame, "score", ["a", "b"]).table.set_index("driver")
    r_a, r_b, r_ab = (_r2(frame, "score", c) for c in (["a"], ["b"], ["a", "b"]))
    assert result.loc["a", "importance"] == pytest.approx((r_a + r_ab - r_b) / 2)
    assert result.loc["b", "importance"] == pytest.approx((r_b + r_ab - r_a) / 2)


def test_average_over_orderings_with_a_categorical_block():
    """LMG by its definition: average sequential R² gains over all orders, each model fitted
    by statsmodels; categories as one block of dummies."""
    rng = np.random.default_rng(2)
    n = 600
    category = rng.choice(["billing", "delivery", "product"], n)
    wait = rng.exponential(24, n) + 10 * (category == "delivery")
    channel = rng.choice(["app", "web"], n)
    score = 8 - 0.05 * wait - 1.5 * (category == "delivery") + 0.3 * (channel == "app")
    frame = pd.DataFrame(
        {
            "category": category,
            "wait": wait,
            "channel": channel,
            "score": score + rng.normal(0, 1, n),
        }
    )
    features = ["category", "wait", "channel"]
    result = voice.drivers(frame, "score", features)
    brute = dict.fromkeys(features, 0.0)
    orders = list(permutations(features))
    for order in orders:
        for i, feature in enumerate(order):
            gain = _r2(frame, "score", order[: i + 1]) - _r2(frame, "score", order[:i])
            brute[feature] += gain / len(orders)
    table = result.table.set_index("driver")
    for feature in features:
        assert table.loc[feature, "importance"] == pytest.approx(brute[feature], abs=1e-9)
    assert table["importance"].sum() == pytest.approx(result.r_squared)
    assert result.r_squared == pytest.approx(_r2(frame, "score", features))
    assert table.loc["wait", "direction"] == "-" and table.loc["category", "direction"] == "-"
    levels = result.effects[result.effects["driver"] == "category"]
    most_common = pd.Series(category).value_counts().idxmax()
    assert set(levels["reference"]) == {most_common}
    differences = dict(zip(levels["level"], levels["coefficient"], strict=True))
    differences[most_common] = 0.0
    assert differences["delivery"] - differences["billing"] == pytest.approx(-1.5, abs=0.3)


def test_rows_with_gaps_are_counted_and_bad_arguments_named():
    frame = _orthogonal().assign(d=np.nan)
    frame.loc[:9, "d"] = 1.0
    frame["e"] = frame["a"]
    frame.loc[:4, "e"] = np.nan
    result = voice.drivers(frame, "score", ["a", "e"])
    assert (result.n, result.dropped) == (395, 5)
    with pytest.raises(ParameterError, match="too few"):
        voice.drivers(frame.head(5), "score", ["a", "b", "c", "d"])
    with pytest.raises(ParameterError, match=r"\['z'\] are not columns"):
        voice.drivers(frame, "score", ["z"])
    with pytest.raises(ParameterError, match="other than 'score'"):
        voice.drivers(frame, "score", ["score"])
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 17)))
    wide.columns = [f"x{i}" for i in range(17)]
    with pytest.raises(ParameterError, match="limited to 15"):
        voice.drivers(wide, "x0", [f"x{i}" for i in range(1, 17)])


def test_a_score_that_is_not_a_number_is_named():
    frame = pd.DataFrame({"nps": ["9", "ten", "3"], "wait": [1.0, 2.0, 3.0]})
    with pytest.raises(ParameterError, match="1 values that are not numbers"):
        voice.drivers(frame, "nps", ["wait"])
