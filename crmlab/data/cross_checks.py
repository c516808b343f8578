"""Rules across tables that are reported, not fatal: what real exports often get slightly
wrong without the rows being unusable (``validate`` adds these sentences to ``data.notes``).

- Order lines whose total differs from the order's amount (shipping, tax and discounts are
  often in one and not the other); orders without lines.
- Points balances that go below zero (the export usually starts after the customer's first
  earn events).

Also the two repairs validation makes before checking, each said in a note: lines numbered
when the export has no line numbers, and redeem/expire points given as positive sizes
turned into the contract's negative changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_EXAMPLES = 5
LINE_TOLERANCE = 0.01  # share of the order amount (and at least 0.01 of the currency)
_TAKES_AWAY = ("redeem", "expire")
_SAME_MOMENT_ORDER = {"earn": 0, "adjust": 1, "redeem": 2, "expire": 3}
LEDGER_COLUMNS = ("event_id", "customer_id", "occurred_at", "kind", "points")  # a points ledger


def number_lines(order_lines: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Lines without ``line_number``: number them 1, 2, ... within each order, in row order,
    so that a product bought twice in one order (two prices, a split line) stays two lines."""
    if "line_number" in order_lines or "order_id" not in order_lines:
        return order_lines, None
    numbered = order_lines.groupby("order_id", sort=False).cumcount() + 1
    return (
        order_lines.assign(line_number=numbered.astype("Int64")),
        "order_lines has no line_number column: lines numbered 1, 2, ... within each order "
        "in row order",
    )


def points_signs(events: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Exports that list redeemed and expired points as positive sizes: make them negative
    changes of the balance, as the contract says. Only when *every* such row is positive;
    a mix of signs is left for validation to report."""
    if not {"kind", "points"} <= set(events.columns):
        return events, None
    takes = events["kind"].isin(_TAKES_AWAY) & events["points"].notna()
    if not takes.any() or not (events.loc[takes, "points"] > 0).all():
        return events, None
    points = events["points"].where(~takes, -events["points"])
    return events.assign(points=points), (
        f"loyalty_events: {int(takes.sum()):,} redeem/expire row(s) gave points as positive "
        "sizes; taken as negative changes of the balance"
    )


def line_total_notes(orders: pd.DataFrame, order_lines: pd.DataFrame) -> list[str]:
    """Sentences about orders whose lines do not add up to their amount, and orders that
    have no lines (both are reported, not rejected)."""
    needed = {"order_id", "quantity", "unit_price"}
    if not needed <= set(order_lines.columns) or "amount" not in orders:
        return []
    value = order_lines["quantity"].astype(float) * order_lines["unit_price"].astype(float)
    totals = value.groupby(order_lines["order_id"].to_numpy()).sum()
    amounts = orders.set_index("order_id")["amount"].astype(float)
    amounts = amounts[~amounts.index.duplicated()]
    both = amounts.index.intersection(totals.index)
    gap = (totals[both] - amounts[both]).abs()
    allowed = np.maximum(LINE_TOLERANCE * amounts[both].abs(), 0.01)
    off = gap[gap > allowed].sort_index()
    notes = []
    if len(off):
        shown = ", ".join(
            f"{o!r} (lines {totals[o]:,.2f}, amount {amounts[o]:,.2f})"
            for o in off.index[:MAX_EXAMPLES]
        )
        notes.append(
            f"order_lines: the lines of {len(off):,} of {len(both):,} orders do not add up to "
            f"the order amount within 1% (e.g. {shown}); amounts may include shipping, tax or "
            "discounts the lines do not"
        )
    without = amounts.index.difference(totals.index)
    if len(without):
        shown = ", ".join(map(repr, without.sort_values()[:MAX_EXAMPLES]))
        notes.append(
            f"order_lines: {len(without):,} of {len(amounts):,} orders have no lines "
            f"(e.g. {shown}); product analyses leave them out"
        )
    return notes


def running_balances(events: pd.DataFrame) -> pd.DataFrame:
    """Each event with the customer's balance after it (``balance``), in time order; events
    at the same moment count earn first, then adjust, redeem, expire, then by event_id."""
    ordered = events.assign(_same=events["kind"].map(_SAME_MOMENT_ORDER).fillna(1)).sort_values(
        ["customer_id", "occurred_at", "_same", "event_id"], kind="stable"
    )
    balance = ordered.groupby("customer_id", sort=False)["points"].cumsum()
    return ordered.drop(columns="_same").assign(balance=balance.to_numpy())


def balance_notes(events: pd.DataFrame) -> list[str]:
    """A sentence when any customer's points balance goes below zero."""
    if not set(LEDGER_COLUMNS) <= set(events.columns) or events.empty:
        return []
    running = running_balances(events)
    below = running[running["balance"] < -1e-9]
    if below.empty:
        return []
    lowest = below.groupby("customer_id")["balance"].min().sort_index()
    shown = ", ".join(f"{c!r} ({b:,.0f})" for c, b in lowest.head(MAX_EXAMPLES).items())
    return [
        f"loyalty_events: the points balance of {len(lowest):,} customer(s) goes below zero "
        f"(lowest balance: e.g. {shown}); the export may start after their first earn events"
    ]
