"""What an uplift model learns from: each customer's standing on a given day.

Only what was known on that day enters (orders before ``as_of``), so the features of a
campaign's customers are taken on its first send day and the model never sees the outcome
window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..segment import rfm

UNIT_FEATURES = ["recency_days", "n_orders", "revenue", "tenure_days"]


def unit_features(data, customer_ids, as_of) -> pd.DataFrame:
    """recency_days (days since the last order; since first seen for customers who never
    bought), n_orders, revenue (net of refunds) and tenure_days (days since first seen),
    all from orders before ``as_of``; one row per id, in the order given (index
    customer_id). Customers the data set does not know are refused with examples."""
    as_of = resolve_as_of(as_of)
    ids = pd.Index(pd.unique(np.asarray(customer_ids, dtype=object)), name="customer_id")
    customers = data.customers.set_index("customer_id")
    unknown = ids.difference(customers.index)
    if len(unknown):
        raise ParameterError(
            f"{len(unknown):,} customer id(s) are not in the customers table, e.g. "
            f"{list(unknown[:3])}."
        )
    seen = customers["first_seen_at"].reindex(ids)
    tenure = ((as_of - seen) / pd.Timedelta(days=1)).clip(lower=0).to_numpy(float)
    before = data.orders[data.orders["ordered_at"] < as_of]
    scores = rfm(before, as_of=as_of)[["recency_days", "n_orders", "revenue"]]
    table = scores.reindex(ids)
    table["recency_days"] = table["recency_days"].fillna(pd.Series(tenure, index=ids))
    table[["n_orders", "revenue"]] = table[["n_orders", "revenue"]].fillna(0)
    table["tenure_days"] = tenure
    return table[UNIT_FEATURES].astype(float)
