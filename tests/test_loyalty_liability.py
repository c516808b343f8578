"""Points liability under IFRS 15 (relative stand-alone selling prices)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.errors import ParameterError
from crmlab.loyalty import points_liability, program_liability

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


def test_program_liability_from_a_ledger():
    """Two orders of 500 earn 500 points each; 300 points are redeemed; with breakage 0.4,
    600 are expected to be redeemed: 60 of stand-alone value at 0.10 a point, so the points
    get 1,000 x 60 / 1,060 and half of that (300 / 600) is released."""
    at = pd.to_datetime(["2024-03-01", "2024-04-01", "2024-05-01", "2023-01-01"], utc=True)
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "old"],
            "customer_id": ["a", "a", "a", "a"],
            "occurred_at": at,
            "kind": ["earn", "earn", "redeem", "earn"],
            "points": [500.0, 500.0, -300.0, 50.0],
            "order_id": ["o1", "o2", None, "o0"],
        }
    )
    orders = pd.DataFrame({"order_id": ["o0", "o1", "o2"], "amount": [50.0, 500.0, 500.0]})
    # the old lot (outside the window) goes first: 50 of the 300 redeemed are not ours
    row = points_liability_row(events, orders)
    allocated = 1_000 * 60 / 1_060
    assert row["allocated_to_points"] == pytest.approx(allocated)
    assert row["points_revenue"] == pytest.approx(allocated * 250 / 600)
    assert row["deferred_revenue"] == pytest.approx(allocated * 350 / 600)
    assert row["goods_revenue"] == pytest.approx(1_000 - allocated)
    with pytest.raises(ParameterError, match="breakage=1"):
        program_liability(events, orders, "2024-12-31", breakage=1, point_value=0.1)
    with pytest.raises(ParameterError, match="names its order"):
        program_liability(events.assign(order_id=None), orders, "2024-12-31", 0.4, 0.1)


def points_liability_row(events, orders) -> pd.Series:
    table = program_liability(events, orders, "2024-12-31", breakage=0.4, point_value=0.1)
    assert len(table) == 1 and table["period"][0].startswith("points earned 2024-01-01")
    return table.iloc[0]
