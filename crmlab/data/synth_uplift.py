"""CMP04, a win-back e-mail whose effect differs from customer to customer.

What the campaign does depends on where a customer stands on the send day (days since the
last order, orders so far), the four kinds uplift models are built to tell apart:

- persuadables, lapsing regulars (45-180 days since the last order, 2+ orders) who have
  not left for good: a third come back for an extra order in the window;
- sleeping dogs, very recent regulars (under 30 days, 4+ orders): the reminder annoys them
  and 60% skip the orders they would have placed in the window;
- sure things, everyone else still buying: 2% place an extra order;
- lost causes, gone for over 300 days, never bought, or already gone for good (the world's
  dropout, which no feature shows): nothing changes.

No one orders after their dropout, as everywhere in the world.

Both potential outcomes of every assigned customer are drawn, so each one's true effect on
conversion in the 14-day window is known (``truth.tables["uplift"]``). The campaign draws
from its own random stream: the rest of the world's draws stay as they were (the orders
it adds or removes change only what follows from orders).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .synth_time import stamp

WINDOW_DAYS = 14
PERSUADED, ANNOYED, SURE_THING = 0.35, 0.60, 0.02
CAMPAIGN = {
    "campaign_id": "CMP04",
    "name": "Win-back e-mail",
    "channel": "email",
    "cost_per_contact": 0.05,
    "fixed_cost": 200.0,
    "objective": "conversion within 14 days",
    "control_variant": "control",
}


def _kinds(recency: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    kinds = np.full(len(recency), "sure thing", dtype=object)
    kinds[(recency >= 45) & (recency <= 180) & (frequency >= 2)] = "persuadable"
    kinds[(recency < 30) & (frequency >= 4)] = "sleeping dog"
    kinds[(recency > 300) | (frequency == 0)] = "lost cause"
    return kinds


def win_back_campaign(
    rng, people: pd.DataFrame, orders: pd.DataFrame, order_day, day0: float, spend_shape: float
):
    """The campaign sent from day ``day0`` (see the module docstring).

    spend_shape: the Gamma-Gamma shape of one order's value (``WorldParams.p``).
    Returns (campaign row, assignments, contacts, extra orders, a mask of the orders the
    treated sleeping dogs skip, truth per assigned customer, effects by kind).
    """
    origin = people.attrs["origin"]
    eligible = np.flatnonzero(people["acquired_day"].to_numpy() < day0 - 7)
    chosen = np.sort(rng.choice(eligible, size=int(0.4 * len(eligible)), replace=False))
    treated = rng.random(len(chosen)) < 0.5
    day = day0 + rng.uniform(0, 3, len(chosen))
    person = orders["person"].to_numpy()
    before = order_day < day0
    count = np.bincount(person[before], minlength=len(people))[chosen]
    last = pd.Series(order_day[before]).groupby(person[before]).max()
    recency = day - last.reindex(chosen).to_numpy()
    dropout = people["dropout_day"].to_numpy()[chosen]
    kinds = _kinds(np.nan_to_num(recency, nan=np.inf), count)
    kinds[dropout < day] = "lost cause"  # gone for good before the e-mail
    # orders each chosen person places in the window without the campaign
    position = pd.Series(np.arange(len(chosen)), index=chosen)
    at = position.reindex(person).to_numpy()
    known = ~np.isnan(at)
    offset = np.full(len(orders), np.nan)
    offset[known] = order_day[known] - day[at[known].astype(int)]
    in_window = known & (offset > 0) & (offset <= WINDOW_DAYS)
    natural = np.bincount(at[in_window].astype(int), minlength=len(chosen)) > 0
    # both potential outcomes: who would come back, who would skip, when
    extra_day = day + rng.uniform(0.1, WINDOW_DAYS - 0.5, len(chosen))
    active = np.isnan(dropout) | (dropout > extra_day)  # still buying when it would land
    u = rng.random(len(chosen))
    comes = active & (
        ((kinds == "persuadable") & (u < PERSUADED)) | ((kinds == "sure thing") & (u < SURE_THING))
    )
    skips = (kinds == "sleeping dog") & (u < ANNOYED)
    extra_amount = rng.gamma(spend_shape, 1 / people["nu"].to_numpy()[chosen]).round(2)
    converted_if_treated = (natural & ~skips) | comes
    effect = converted_if_treated.astype(float) - natural
    skipped = np.zeros(len(orders), dtype=bool)
    skipped[in_window] = (treated & skips)[at[in_window].astype(int)]
    ids = people["customer_id"].to_numpy()[chosen]
    sent = stamp(origin, day)
    assignments = pd.DataFrame({"campaign_id": "CMP04", "customer_id": ids,
                                "variant": np.where(treated, "treatment", "control"),
                                "assigned_at": sent})  # fmt: skip
    contacts = pd.DataFrame({"customer_id": ids[treated], "occurred_at": sent[treated],
                             "channel": "email", "kind": "campaign_contact",
                             "initiator": "company", "campaign_id": "CMP04"})  # fmt: skip
    extra = treated & comes
    extras = pd.DataFrame({"person": chosen[extra], "ordered_at": stamp(origin, extra_day[extra]),
                           "amount": extra_amount[extra]})  # fmt: skip
    row = {**CAMPAIGN, "start_at": stamp(origin, [day0])[0],
           "end_at": stamp(origin, [day0 + WINDOW_DAYS])[0]}  # fmt: skip
    truth = pd.DataFrame({"customer_id": ids, "kind": kinds, "effect": effect,
                          "recency_days": recency, "n_orders": count})  # fmt: skip
    effects = {
        "name": CAMPAIGN["name"],
        "window_days": WINDOW_DAYS,
        "true_conversion_effect": float(effect.mean()),
        "control_conversion": float(natural.mean()),
        "effect_by_kind": truth.groupby("kind")["effect"].mean().to_dict(),
        "share_by_kind": truth["kind"].value_counts(normalize=True).to_dict(),
        "lost_control_share": 0.0,
        "heterogeneous_by": "recency and frequency on the send day (truth table uplift)",
    }
    return row, assignments, contacts, extras, skipped, truth, effects
