"""Points liability under IFRS 15 (relative stand-alone selling prices)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.errors import ParameterError
from crmlab.loyalty import points_liability

# IFRS 15 IE267-IE270 as worked in KPMG's Revenue handbook: sales 100,000 earn 10,000 points
# worth 1 each; 97% (9,700) expected to be redeemed; 4,500 redeemed in year 2; 8,500 in
# total by year 3, when the expectation rises to 9,900.
PERIODS = pd.DataFrame(
    {
        "period": ["year 1", "year 2", "year 3"],
        "redeemed": [0, 4_500, 4_000],
        "expected_total": [9_700, 9_700, 9_900],
    }
)


def test_the_handbook_numbers_with_its_rounded_ratio():
    table = points_liability(100_000, 10_000, PERIODS, ratio_decimals=2).set_index("period")
    assert table.loc["year 1", "goods_revenue"] == pytest.approx(91_000)
    assert table.loc["year 1", "deferred_revenue"] == pytest.approx(9_000)
    assert round(table.loc["year 2", "points_revenue"]) == 4_175
    assert round(table.loc["year 3", "points_revenue"]) == 3_552
    assert table["points_revenue"].sum() + table.loc["year 3", "deferred_revenue"] == (
        pytest.approx(9_000)
    )


def test_the_exact_allocation_is_crmlabs_default():
    table = points_liability(100_000, 10_000, PERIODS)
    assert round(table["allocated_to_points"].iloc[0]) == 8_842  # 100,000 x 9,700 / 109,700
    assert table["goods_revenue"].iloc[0] + table["allocated_to_points"].iloc[0] == 100_000


def test_releases_never_exceed_the_allocation():
    periods = pd.DataFrame({"redeemed": [0, 9_000, 2_000], "expected_total": [9_000] * 3})
    table = points_liability(50_000, 10_000, periods)
    assert table["deferred_revenue"].iloc[-1] == pytest.approx(0)
    assert (table["deferred_revenue"] >= -1e-9).all()


def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match="sales=0"):
        points_liability(0, 10, PERIODS)
    with pytest.raises(ParameterError, match="expected_total must lie in"):
        points_liability(100, 10, PERIODS)
    with pytest.raises(ParameterError, match="redeemed and expected_total"):
        points_liability(100, 10, pd.DataFrame({"redeemed": [0]}))
