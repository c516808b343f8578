"""What a customer had just been through when they answered a survey: the drivers that
``voice.drivers`` weighs.

For each answer: the channel of the purchase it followed, and the latest ticket opened in
the ``window_days`` before it — its category ("none" without one) and how many days it took
to resolve (or had been open by the answer; 0 without a ticket).
"""

from __future__ import annotations

import pandas as pd

from ..data.recent import latest_before, latest_ticket
from ..errors import ParameterError
from ..units import check_days

NO_TICKET, NO_ORDER = "none", "unknown"


def survey_context(
    surveys: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    window_days: float = 30,
) -> pd.DataFrame:
    """The survey table with ``order_channel``, ``ticket_category`` and ``ticket_days``
    added (see the module docstring); a table that is None leaves its columns out."""
    check_days(window_days, "window_days")
    for name, column in (("surveys", "answered_at"), ("surveys", "customer_id")):
        if column not in surveys.columns:
            raise ParameterError(f"{name} needs a {column} column (see docs/data_contract.md).")
    out = surveys.reset_index(drop=True).copy()
    moments = pd.to_datetime(out["answered_at"], utc=True)
    if orders is not None and "channel" in orders.columns:
        purchases = orders[orders["amount"] > 0] if "amount" in orders.columns else orders
        latest = latest_before(purchases, "ordered_at", out["customer_id"], moments, ["channel"])
        out["order_channel"] = latest["channel"].fillna(NO_ORDER).to_numpy()
    if tickets is not None:
        latest = latest_ticket(tickets, out["customer_id"], moments, window_days)
        out["ticket_category"] = latest["ticket_category"].fillna(NO_TICKET).to_numpy()
        out["ticket_days"] = latest["ticket_days"].fillna(0).to_numpy(float)
    return out
