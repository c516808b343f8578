"""From uplift to a decision: whom to treat, and what each targeting rule would earn.

A customer is worth treating when the campaign's expected gain is positive:
    gain = uplift x value - cost,
uplift the estimated change in the chance to convert (or in the outcome's unit with
value = 1), value what a conversion is worth (margin), cost the cost of one contact.
Sleeping dogs (negative uplift) are never treated, whatever their value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.activation import ActivationList, activation_list
from ..errors import ParameterError
from .evaluate import score_points


def expected_gain(uplift: pd.Series, value: pd.Series | float, cost: float) -> pd.Series:
    """uplift x value - cost per customer (value: a Series aligned on the same index, or
    one number for all)."""
    if not np.isfinite(cost) or cost < 0:
        raise ParameterError(f"cost={cost!r}: the cost of one contact, 0 or more.")
    if isinstance(value, pd.Series):
        missing = uplift.index.difference(value.index)
        if len(missing):
            raise ParameterError(
                f"value has no entry for {len(missing):,} customer(s) with an uplift, e.g. "
                f"{list(missing[:3])}."
            )
        value = value.reindex(uplift.index)
    return uplift * value - cost


def targeting_list(
    uplift: pd.Series,
    value: pd.Series | float,
    cost: float,
    marketable: pd.Series,
    key: str,
) -> ActivationList:
    """Customers worth treating (expected gain > 0), best first, as an activation list.

    uplift: estimated uplift per customer_id (``UpliftLearner.predict``). value, cost: see
    ``expected_gain``. marketable, key: consent per customer_id and the pseudonym secret,
    as for every activation list (``crmlab.data.activation_list``): customers without
    consent are left out and counted; ids leave as keyed pseudonyms.
    The table has customer_key, uplift, expected_gain.
    """
    gain = expected_gain(uplift, value, cost)
    chosen = gain[gain > 0].sort_values(ascending=False, kind="stable")
    columns = {"uplift": uplift.reindex(chosen.index), "expected_gain": chosen}
    return activation_list(columns, marketable, key)


def profit_curves(
    value_outcome, treatment, scores: dict[str, np.ndarray], cost: float
) -> pd.DataFrame:
    """What treating the top share of customers by each score would have earned, measured
    on held-out randomized units.

    value_outcome: each unit's outcome in money (e.g. converted x margin). At each share x
    targeted: incremental_value = the uplift curve of the value outcome (per customer of the
    base), contact_cost = x cost, profit = the difference. Returns score, share_targeted,
    incremental_value, contact_cost, profit (all per customer of the base).
    """
    if not np.isfinite(cost) or cost < 0:
        raise ParameterError(f"cost={cost!r}: the cost of one contact, 0 or more.")
    parts = []
    for name, score in scores.items():
        share, incremental, _ = score_points(value_outcome, treatment, score)
        parts.append(pd.DataFrame({"score": name, "share_targeted": share,
                                   "incremental_value": incremental, "contact_cost": share * cost,
                                   "profit": incremental - share * cost}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)
