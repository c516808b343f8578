"""The latest event before each moment: an as-of join of two contract tables.

"Which ticket did this customer open in the 30 days before answering the survey?" and
"which order did the answer follow?" are the same question; both the synthetic world and
``crmlab.voice`` ask it through ``latest_before`` (and ``latest_ticket`` for the ticket and
how long it took).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_MOMENT = "datetime64[us, UTC]"  # one resolution on both sides, as merge_asof requires


def latest_before(
    events: pd.DataFrame,
    at: str,
    customer_id: pd.Series,
    moments: pd.Series,
    columns: list[str],
    within_days: float | None = None,
) -> pd.DataFrame:
    """For each (customer, moment) pair, ``columns`` of that customer's latest event whose
    ``at`` is at or before the moment (and, with ``within_days``, no more than that many days
    before it); missing where there is none. Rows come back in the order of the pairs, with
    the event's own ``at`` among the columns."""
    asks = pd.DataFrame(
        {
            "customer_id": customer_id.to_numpy(),
            "_moment": pd.to_datetime(moments, utc=True).astype(_MOMENT).to_numpy(),
            "_row": np.arange(len(moments)),
        }
    ).sort_values("_moment", kind="stable")
    known = events[["customer_id", at, *[c for c in columns if c != at]]].dropna(subset=[at])
    known = known.sort_values(at, kind="stable")
    known[at] = pd.to_datetime(known[at], utc=True).astype(_MOMENT)
    merged = pd.merge_asof(
        asks,
        known,
        left_on="_moment",
        right_on=at,
        by="customer_id",
        tolerance=None if within_days is None else pd.Timedelta(days=within_days),
        direction="backward",
    ).sort_values("_row")
    return merged[[at, *[c for c in columns if c != at]]].reset_index(drop=True)


def latest_ticket(
    tickets: pd.DataFrame, customer_id: pd.Series, moments: pd.Series, within_days: float
) -> pd.DataFrame:
    """For each (customer, moment): the customer's latest ticket opened in the
    ``within_days`` before it — ``ticket_category`` and ``ticket_days`` (days it took to
    resolve, or had been open by the moment); missing where there was none."""
    latest = latest_before(
        tickets, "opened_at", customer_id, moments, ["category", "resolved_at"], within_days
    )
    at = pd.Series(pd.to_datetime(moments, utc=True).to_numpy())
    resolved = pd.to_datetime(latest["resolved_at"], utc=True)
    done = resolved.where(resolved <= at, at)
    days = (done - latest["opened_at"]) / pd.Timedelta(days=1)
    return pd.DataFrame(
        {"ticket_category": latest["category"].to_numpy(), "ticket_days": days.to_numpy(float)}
    )
