"""Who to call: the retention contact list that fits a budget, ranked by value at risk.

value at risk = P(churn) x value (CLV or recent spend, in money);
expected saved value = value at risk x save_rate (the share of would-be churners a contact
keeps: an assumption to take from past retention tests);
expected net = expected saved value - cost_per_contact.
Customers are taken in order of value at risk while the net is positive and the budget lasts,
and only customers who may be marketed to (``crmlab.data.privacy.marketable``).

Without a value (``value=None``: a subscriber table with no charge column) customers are
ranked by P(churn) and taken while the budget lasts; expected_saved then counts customers
kept (P(churn) x save_rate), and the money figures (net, ROI) are not defined (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.privacy import pseudonymize
from ..errors import ParameterError


@dataclass(frozen=True)
class ContactList:
    """table: customer_key, p_churn, value, value_at_risk, expected_saved, expected_net,
    cumulative_cost; riskiest value first. contacted, cost, expected_saved, expected_net and
    roi total the list; no_consent counts scored customers left out for lack of consent.
    saved_unit: "money" (expected_saved in the data's currency) or "customers" (no value
    was given: expected_saved counts customers kept)."""

    table: pd.DataFrame
    contacted: int
    cost: float
    expected_saved: float
    expected_net: float
    roi: float
    no_consent: int
    saved_unit: str = "money"


def targets(
    scores: pd.DataFrame,
    value: pd.Series | None,
    budget: float,
    cost_per_contact: float,
    save_rate: float,
    key: str,
    marketable: pd.Series,
) -> ContactList:
    """The contact list within ``budget`` (see the module docstring).

    scores: customer_id and p_churn (one row per customer). value: money per customer_id, or
        None to rank by risk alone (see the module docstring).
    key: the pseudonymization key (``crmlab.data.privacy.pseudonym_key``); the list carries
        ``customer_key`` only, never the raw id.
    marketable: True/False per customer_id (``crmlab.data.privacy.marketable``); customers
        it does not mark True are left out. Required: consent is never assumed silently.
    """
    if budget < 0 or cost_per_contact < 0:
        raise ParameterError("budget and cost_per_contact must be >= 0.")
    if not 0 < save_rate <= 1:
        raise ParameterError(f"save_rate={save_rate} must be in (0, 1].")
    missing = {"customer_id", "p_churn"} - set(scores.columns)
    if missing:
        raise ParameterError(
            f"scores lacks column(s) {sorted(missing)}; build it with churn.scores_frame."
        )
    if scores["customer_id"].duplicated().any():
        raise ParameterError("scores has a customer more than once; score one snapshot.")
    table = scores[["customer_id", "p_churn"]].copy()
    by_risk = value is None
    table["value"] = np.nan if by_risk else table["customer_id"].map(value)
    missing = 0 if by_risk else int(table["value"].isna().sum())
    if missing:
        raise ParameterError(f"{missing} scored customer(s) have no value; fill them (e.g. 0).")
    if not isinstance(marketable, pd.Series):
        raise ParameterError(
            "marketable must be a Series customer_id -> True/False; build it with "
            "crmlab.data.privacy.marketable(customers, consent='recorded')."
        )
    allowed = table["customer_id"].map(marketable).fillna(False).astype(bool)
    no_consent = int((~allowed).sum())
    table = table[allowed.to_numpy()]
    # without a value, the risk itself ranks (and expected_saved counts customers kept)
    table["value_at_risk"] = table["p_churn"] if by_risk else table["p_churn"] * table["value"]
    table["expected_saved"] = table["value_at_risk"] * save_rate
    table["expected_net"] = np.nan if by_risk else table["expected_saved"] - cost_per_contact
    table = table.sort_values("value_at_risk", ascending=False, kind="stable")
    if not by_risk:
        table = table[table["expected_net"] > 0]
    n = len(table) if cost_per_contact == 0 else int(min(len(table), budget // cost_per_contact))
    chosen = table.iloc[:n].copy()
    chosen["cumulative_cost"] = cost_per_contact * np.arange(1, n + 1)
    chosen.insert(0, "customer_key", pseudonymize(chosen["customer_id"], key).to_numpy())
    chosen = chosen.drop(columns="customer_id").reset_index(drop=True)
    cost = cost_per_contact * n
    saved = float(chosen["expected_saved"].sum())
    return ContactList(
        chosen,
        contacted=n,
        cost=cost,
        expected_saved=saved,
        expected_net=np.nan if by_risk else saved - cost,
        roi=(saved - cost) / cost if cost and not by_risk else np.nan,
        no_consent=no_consent,
        saved_unit="customers" if by_risk else "money",
    )
