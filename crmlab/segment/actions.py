"""Headline KPIs and the recommended action per RFM segment."""

from __future__ import annotations

import pandas as pd

from ..features import CustomerSummary
from ..units import SHARE, format_quantity
from ._summary import money, summary_at

# What marketing typically does with each segment (override freely in a notebook).
SEGMENT_ACTIONS = {
    "Champions": "Reward: early access, referral asks; no discounts needed",
    "Loyal": "Upsell and loyalty programme; ask for reviews",
    "Potential loyalist": "Membership or second-category offer to build the habit",
    "New": "Onboarding journey; make the second purchase easy",
    "Promising": "Brand content and a modest incentive for a repeat purchase",
    "Need attention": "Personalised, time-limited offer based on past purchases",
    "About to sleep": "Reactivation: recommendations, popular products, small discount",
    "At risk": "Win-back: personal message, strong offer, ask what went wrong",
    "Can't lose them": "Top-priority win-back by a person; they used to be worth most",
    "Hibernating": "Low-cost reminders only; exclude from expensive campaigns",
    "Lost": "Suppress from paid campaigns; occasional low-cost win-back test",
}


def headline_kpis(
    summary: CustomerSummary, active_days: float = 90, currency: str | None = None
) -> pd.DataFrame:
    """Customers, active customers, revenue, average order value and repeat rate.

    summary: ``crmlab.features.customer_summary`` output. Active = last purchase at most
    ``active_days`` before the summary's as_of. Repeat rate = share of customers with more
    than one purchase period. Revenue is net of refunds. One row per metric: metric, value,
    unit, shown (the value as text in its unit; amounts followed by ``currency`` if given).
    """
    summary = summary_at(summary, None)
    summary.require(["n_orders", "days_since_last_order"], "headline KPIs")
    revenue = money(summary).sum()
    table_in = summary.table
    orders = table_in["n_orders"].sum()
    table = pd.DataFrame(
        {
            "metric": [
                "customers",
                f"active customers (last {active_days:g} days)",
                "revenue",
                "average order value",
                "repeat rate",
            ],
            "value": [
                len(summary),
                int((table_in["days_since_last_order"] <= active_days).sum()),
                revenue,
                revenue / orders if orders else float("nan"),
                float((table_in["frequency"] > 0).mean()),
            ],
        }
    )
    amounts = currency or "money"
    table["unit"] = ["customers", "customers", amounts, amounts, SHARE]
    table["shown"] = [
        format_quantity(v, u) for v, u in zip(table["value"], table["unit"], strict=True)
    ]
    if currency:
        table.loc[table["unit"] == currency, "shown"] += f" {currency}"
    return table


def action_table(profiles: pd.DataFrame, actions: dict[str, str] = SEGMENT_ACTIONS) -> pd.DataFrame:
    """Per segment: customers, share of revenue, and the recommended action."""
    table = profiles[["segment", "customers", "share_customers", "share_revenue"]].copy()
    table["action"] = table["segment"].astype(str).map(actions).fillna("")
    return table
