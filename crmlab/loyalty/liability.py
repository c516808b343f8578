"""Loyalty points as a liability: IFRS 15's relative stand-alone selling price method.

Points given with a sale are a separate performance obligation (IFRS 15.B39-B43). The
transaction price is split between the goods and the points in proportion to their
stand-alone selling prices; the goods' share is revenue at the sale, the points' share is
deferred (a contract liability) and released as points are redeemed, in proportion to the
redemptions expected in total. When that expectation changes, the cumulative release is
re-measured and the difference falls into the period of the change (IFRS 15 IE267-IE270).

With P points, a value v per point and an expected redemption share r, the points'
stand-alone selling price is P x v x r; the points' allocation is

    price x SSP_points / (SSP_goods + SSP_points)

and after cumulative redemptions R with the total expected E, the cumulative revenue from
points is allocation x min(R / E, 1).

Rounding: crmlab computes with the unrounded ratio by default (in IFRS 15's own example,
CU 100,000 of sales and 9,700 points expected to be redeemed allocate 8,842 to the points).
Some published walk-throughs (KPMG's handbook) round the ratio to two decimals first (91% /
9%, so 91,000 and 9,000); ``ratio_decimals=2`` reproduces them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from .inputs import require
from .points import point_lots


def points_liability(
    sales: float,
    points: float,
    periods: pd.DataFrame,
    point_value: float = 1.0,
    goods_price: float | None = None,
    ratio_decimals: int | None = None,
) -> pd.DataFrame:
    """The points' revenue and deferred revenue (contract liability) period by period.

    sales: the transaction price of the sales that earned the points (currency).
    points: the points issued with those sales. point_value: what one point is worth when
        redeemed (currency). goods_price: the goods' stand-alone selling price (default:
        ``sales``, as when goods sell at list price).
    periods: one row per reporting period, in order, with ``redeemed`` (points redeemed in
        the period) and ``expected_total`` (the points expected to be redeemed in total, as
        estimated at the period's end); an optional ``period`` label is carried through.
        The first period is the sale's (usually with 0 redeemed).
    ratio_decimals: round the allocation ratio first (2 reproduces KPMG's handbook); None
        (default) keeps it exact.

    Returns one row per period: ``period``, ``redeemed``, ``cumulative_redeemed``,
    ``expected_total``, ``goods_revenue`` (the goods' share, in the first period),
    ``points_revenue`` (released in the period), ``deferred_revenue`` (the liability at the
    period's end), and ``allocated_to_points`` (the same in every row).
    """
    _check(sales, points, point_value, periods)
    goods_price = float(sales if goods_price is None else goods_price)
    first_estimate = float(periods["expected_total"].iloc[0])
    points_price = first_estimate * point_value
    ratio = points_price / (goods_price + points_price)
    if ratio_decimals is not None:
        ratio = round(ratio, ratio_decimals)
    allocated = sales * ratio
    cumulative = periods["redeemed"].astype(float).cumsum().to_numpy()
    expected = periods["expected_total"].astype(float).to_numpy()
    earned = allocated * np.minimum(cumulative / expected, 1.0)  # cumulative points revenue
    released = np.diff(np.concatenate([[0.0], earned]))
    goods = np.zeros(len(periods))
    goods[0] = sales - allocated
    labels = periods["period"] if "period" in periods else pd.RangeIndex(1, len(periods) + 1)
    return pd.DataFrame(
        {
            "period": np.asarray(labels),
            "redeemed": periods["redeemed"].astype(float).to_numpy(),
            "cumulative_redeemed": cumulative,
            "expected_total": expected,
            "goods_revenue": goods,
            "points_revenue": released,
            "deferred_revenue": allocated - earned,
            "allocated_to_points": allocated,
        }
    )


def program_liability(
    loyalty_events: pd.DataFrame,
    orders: pd.DataFrame,
    as_of,
    breakage: float,
    point_value: float,
    window_days: int = 365,
) -> pd.DataFrame:
    """``points_liability`` for a program's own data: the sales of the ``window_days`` up to
    ``as_of`` that earned points, the points they earned, the part of those points already
    redeemed, and ``breakage`` (e.g. ``loyalty.breakage(...).breakage``) for the share
    never to be redeemed. One row, labelled with the window; ``deferred_revenue`` is the
    contract liability at ``as_of`` for those points.

    Earn events must name their order (``order_id``); sales are those orders' amounts.
    """
    require(loyalty_events, "loyalty_events", ("event_id", "kind", "points", "order_id"))
    require(orders, "orders", ("order_id", "amount"), numbers=("amount",))
    if isinstance(breakage, bool) or not isinstance(breakage, int | float):
        raise ParameterError(f"breakage={breakage!r} must be a share in [0, 1).")
    if not 0 <= breakage < 1:
        raise ParameterError(f"breakage={breakage!r} must be a share in [0, 1).")
    as_of = resolve_as_of(as_of)
    start = as_of - pd.Timedelta(days=window_days)
    moment = loyalty_events["occurred_at"]
    earns = loyalty_events[loyalty_events["kind"].eq("earn") & (moment > start) & (moment <= as_of)]
    named = earns[earns["order_id"].notna()]
    if named.empty:
        raise ParameterError(
            f"no earn event between {start:%Y-%m-%d} and {as_of:%Y-%m-%d} names its order: "
            "the sales behind the points are unknown."
        )
    sales = float(orders.loc[orders["order_id"].isin(named["order_id"]), "amount"].sum())
    points = float(named["points"].sum())
    lots = point_lots(loyalty_events, as_of)
    mine = lots["lot_event_id"].isin(named["event_id"]) & lots["fate"].eq("redeemed")
    periods = pd.DataFrame(
        {
            "period": [f"points earned {start:%Y-%m-%d} to {as_of:%Y-%m-%d}"],
            "redeemed": [float(lots.loc[mine, "points"].sum())],
            "expected_total": [points * (1 - breakage)],
        }
    )
    return points_liability(sales, points, periods, point_value=point_value)


def _check(sales, points, point_value, periods) -> None:
    for name, value in (("sales", sales), ("points", points), ("point_value", point_value)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ParameterError(f"{name}={value!r} must be a number > 0.")
    if not isinstance(periods, pd.DataFrame) or not {"redeemed", "expected_total"} <= set(
        periods.columns
    ):
        raise ParameterError(
            "periods must be a table with redeemed and expected_total per period (see "
            "points_liability's docstring)."
        )
    if len(periods) == 0:
        raise ParameterError("periods is empty: give at least the period of the sale.")
    expected = periods["expected_total"].astype(float)
    if (expected <= 0).any() or (expected > points).any():
        raise ParameterError(
            f"expected_total must lie in (0, points={points:g}]: the points expected to be "
            "redeemed out of those issued."
        )
    if (periods["redeemed"].astype(float) < 0).any():
        raise ParameterError("redeemed must be >= 0 in every period.")
