"""Channel effectiveness: what each channel reaches, how often the journeys it is part of
convert, what it costs, and what it returns on the revenue attributed to it.

Per channel (journeys from ``features.journeys``):

* journeys, reach: journeys with a touch on the channel, and their distinct customers;
* conversions, conversion_rate: how many of those journeys converted, and the share;
* revenue_touched: the value of those conversions. Channels share journeys, so these do
  not add up across channels;
* new_customer_share: of those conversions, the share that were the customer's first
  purchase (``features.orders_view``'s definition, as the journeys use);
* revenue_attributed: the converted value shared by ``attribution``'s credit (Markov
  removal effects by default), which does add up;
* cost: campaign costs on the channel, fixed cost + cost per contact × contacts (treated
  assignments, controls are not contacted), for campaigns starting by as_of; empty
  without campaigns on the channel;
* cost_per_conversion = cost / conversions, roi = (revenue_attributed - cost) / cost
  (on revenue, not margin).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .markov import markov_attribution

EFFECT_COLUMNS = [
    "channel",
    "journeys",
    "reach",
    "conversions",
    "conversion_rate",
    "revenue_touched",
    "new_customer_share",
    "revenue_attributed",
    "cost",
    "cost_per_conversion",
    "roi",
]


def channel_effectiveness(journeys, data, attribution: pd.DataFrame | None = None):
    """One row per channel (see the module docstring), most journeys first.

    journeys: ``features.journeys(data, ...)``. data: the same data set (its campaigns
        and assignments give the costs). attribution: a table with ``channel`` and
        ``credit`` (shares summing to 1), e.g. from ``rule_based_attribution``; None uses
        ``markov_attribution`` of the journeys' paths.
    """
    touched = journeys.touches[["journey_id", "channel"]].drop_duplicates()
    table = journeys.table.set_index("journey_id")
    touched = touched.join(
        table[["customer_id", "converted", "first_purchase", "value"]], on="journey_id"
    )
    touched["new"] = touched["first_purchase"] & touched["converted"]
    grouped = touched.groupby("channel")
    out = pd.DataFrame(
        {
            "journeys": grouped["journey_id"].nunique(),
            "reach": grouped["customer_id"].nunique(),
            "conversions": grouped["converted"].sum(),
            "revenue_touched": grouped["value"].sum(),
            "new": grouped["new"].sum(),
        }
    )
    out["conversion_rate"] = out["conversions"] / out["journeys"]
    out["new_customer_share"] = np.where(
        out["conversions"] > 0, out["new"] / out["conversions"].clip(lower=1), np.nan
    )
    if attribution is None:
        attribution = markov_attribution(journeys.paths())
    if not {"channel", "credit"} <= set(attribution.columns):
        raise ParameterError("attribution must be a table with channel and credit columns.")
    converted_value = float(table.loc[table["converted"], "value"].sum())
    credit = attribution.set_index("channel")["credit"].reindex(out.index).fillna(0.0)
    out["revenue_attributed"] = credit * converted_value
    out["cost"] = _costs(data, journeys.as_of).reindex(out.index)
    out["cost_per_conversion"] = out["cost"] / out["conversions"].where(out["conversions"] > 0)
    out["roi"] = (out["revenue_attributed"] - out["cost"]) / out["cost"].where(out["cost"] > 0)
    out = out.reset_index().sort_values(["journeys", "channel"], ascending=[False, True])
    return out[EFFECT_COLUMNS].reset_index(drop=True)


def _costs(data, as_of) -> pd.Series:
    """Campaign costs per channel: fixed + per contact x treated contacts."""
    campaigns, assignments = data.campaigns, data.assignments
    if campaigns is None or len(campaigns) == 0:
        return pd.Series(dtype=float)
    chosen = campaigns[campaigns["start_at"] <= as_of].set_index("campaign_id")
    contacts = pd.Series(0, index=chosen.index, dtype=float)
    if assignments is not None and len(assignments):
        control = chosen.get("control_variant", pd.Series("control", index=chosen.index))
        arms = assignments.join(control.rename("control"), on="campaign_id")
        treated = arms[arms["variant"] != arms["control"].fillna("control")]
        contacts = treated.groupby("campaign_id").size().reindex(chosen.index, fill_value=0)
    per_contact = chosen.get("cost_per_contact", pd.Series(0.0, index=chosen.index)).fillna(0)
    fixed = chosen.get("fixed_cost", pd.Series(0.0, index=chosen.index)).fillna(0)
    cost = fixed + per_contact * contacts.astype(float)
    return cost.groupby(chosen["channel"]).sum()
