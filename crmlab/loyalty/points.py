"""Points as lots: which issued points each redemption, expiry or correction used up.

Loyalty ledgers record changes of a balance (``loyalty_events``: earn, redeem, expire,
adjust). Accounting and breakage need the other view: for every batch of points issued
(a *lot*: an earn, or a positive adjustment), when and how its points left the balance.
Points leave oldest first (FIFO), as expiry rules and IFRS 15 practice assume.

The allocation is vectorised: per customer, issued points and points leaving are laid end
to end on one cumulative axis each; a piece of a lot is used by the leaving event whose
stretch of the axis overlaps it. Customers are laid one after another on the same axis, so
the whole ledger is one sort and two binary searches, not a loop per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.cross_checks import LEDGER_COLUMNS as NEEDED
from ..data.cross_checks import running_balances
from ..data.validate import resolve_as_of
from .inputs import require

FATES = ("redeemed", "expired", "taken_back", "outstanding")
_LEAVING_FATE = {"redeem": "redeemed", "expire": "expired", "adjust": "taken_back"}
OPENING = "(opening balance)"  # the lot of points a ledger spends before it shows them


def ledger(events: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Events (``loyalty_events``) checked and in FIFO order, up to ``as_of`` (inclusive)."""
    require(events, "loyalty_events", NEEDED, numbers=("points",))
    if as_of is not None:
        events = events[events["occurred_at"] <= resolve_as_of(as_of)]
    ordered = running_balances(events[list(NEEDED)].dropna(subset=["points"]))
    return ordered.reset_index(drop=True)


def point_lots(events: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """Every issued lot split by what became of it, as of ``as_of``.

    Returns one row per piece: lot_event_id, customer_id, issued_at, points, fate
    (redeemed / expired / taken_back / outstanding), left_at (when the piece left the
    balance; empty while outstanding). The points of a lot's pieces add up to the lot.
    Points leaving a balance that holds none (an export that starts after the customer's
    first earn events) come from an *opening balance* older than every lot: they are
    counted in ``attrs["unmatched_points"]``, and never taken from points issued later.
    """
    book = _with_opening_balances(ledger(events, as_of))
    if not (book["points"] > 0).any():  # nothing issued (and nothing left an opening balance)
        empty = pd.DataFrame({c: pd.Series(dtype="str") for c in ("lot_event_id", "customer_id")})
        empty = empty.assign(
            issued_at=pd.Series(dtype=book["occurred_at"].dtype),
            points=pd.Series(dtype=float),
            fate=pd.Series(dtype="str"),
            left_at=pd.Series(dtype=book["occurred_at"].dtype),
        )
        empty.attrs["unmatched_points"] = 0.0
        return empty
    customer = pd.factorize(book["customer_id"])[0]
    points = book["points"].to_numpy(float)
    issued = points > 0
    leaving = (points < 0) & book["kind"].isin(tuple(_LEAVING_FATE)).to_numpy()
    # one cumulative axis per side; each customer starts where the previous one ended
    span = np.bincount(customer, weights=np.where(issued, points, 0.0))
    gone = np.bincount(customer, weights=np.where(leaving, -points, 0.0))
    width = np.maximum(span, gone)
    start = np.concatenate([[0.0], np.cumsum(width)[:-1]])
    lot_end = _ends(customer[issued], points[issued], start)
    use_end = _ends(customer[leaving], -points[leaving], start)
    lot_start = lot_end - points[issued]
    use_start = use_end - (-points[leaving])
    # pieces: between consecutive breakpoints of both axes, inside a lot
    cuts = np.unique(np.concatenate([lot_start, lot_end, use_start, use_end]))
    lo, hi = cuts[:-1], cuts[1:]
    mid = (lo + hi) / 2
    lot = np.searchsorted(lot_end, mid, side="right")
    use = np.searchsorted(use_end, mid, side="right")
    lots, uses = book[issued].reset_index(drop=True), book[leaving].reset_index(drop=True)
    in_lot = (lot < len(lot_end)) & (mid > lot_start[np.minimum(lot, len(lot_end) - 1)])
    used = (use < len(use_end)) & (mid > use_start[np.minimum(use, len(use_end) - 1)])
    opening = lots["event_id"].eq(OPENING).to_numpy()
    in_lot &= ~opening[np.minimum(lot, len(lot_end) - 1)]
    unmatched = float((hi - lo)[used & ~in_lot].sum())
    lot, use, size, used = lot[in_lot], use[in_lot], (hi - lo)[in_lot], used[in_lot]
    safe_use = np.minimum(use, max(len(uses) - 1, 0))
    fate = np.where(
        used,
        uses["kind"].map(_LEAVING_FATE).to_numpy()[safe_use] if len(uses) else "",
        "outstanding",
    )
    pieces = pd.DataFrame(
        {
            "lot_event_id": lots["event_id"].to_numpy()[lot],
            "customer_id": lots["customer_id"].to_numpy()[lot],
            "issued_at": lots["occurred_at"].to_numpy()[lot],
            "points": size,
            "fate": fate,
            "left_at": pd.Series(
                uses["occurred_at"].to_numpy()[safe_use] if len(uses) else pd.NaT,
                dtype=book["occurred_at"].dtype,
            ).where(used, pd.NaT),
        }
    )
    pieces.attrs["unmatched_points"] = unmatched
    return pieces


def _with_opening_balances(book: pd.DataFrame) -> pd.DataFrame:
    """Give each customer whose balance goes below zero an opening lot of that deficit,
    first in their ledger, so their balance never does (FIFO spends it before any later
    lot)."""
    deficit = -book.groupby("customer_id", sort=False)["balance"].min().clip(upper=0)
    deficit = deficit[deficit > 0]
    if deficit.empty:
        return book
    first = book.groupby("customer_id", sort=False)["occurred_at"].min()
    opening = pd.DataFrame(
        {
            "event_id": OPENING,
            "customer_id": deficit.index,
            "occurred_at": first.reindex(deficit.index).to_numpy(),
            "kind": "adjust",
            "points": deficit.to_numpy(),
        }
    )
    book = pd.concat([opening, book.drop(columns="balance")], ignore_index=True)
    return book.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _ends(customer: np.ndarray, size: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Where each event's stretch ends on the axis: its customer's start plus the running
    total of that customer's events so far (events are in FIFO order)."""
    total = np.cumsum(size)
    first = np.r_[True, customer[1:] != customer[:-1]]
    before = np.maximum.accumulate(np.where(first, total - size, 0.0))
    return start[customer] + total - before


def balances(events: pd.DataFrame, as_of) -> pd.Series:
    """Each customer's points balance at ``as_of`` (sum of all changes up to it)."""
    book = ledger(events, as_of)
    return book.groupby("customer_id")["points"].sum().rename("balance")
