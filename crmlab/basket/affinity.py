"""Category affinity by segment: which categories a group of customers buys more of than
customers in general.

For group g and category c, ``share`` is the group's spend (or lines, or buyers) in c over
its spend in all categories, and the **index** is 100 x share(g, c) / share(all, c): 100 is
the average customer, 150 means the group puts half as much again of its basket into c.
With ``measure="buyers"`` the share is the part of the group's customers who bought c.

Intervals treat customers as the sampling units (a customer's lines are not independent
draws): the index is a ratio of two ratio estimators, and its variance on the log scale is
the linearisation (Taylor / Woodruff) variance summed over customers, using each customer's
influence on log share(g, c) minus their influence on log share(all, c). The interval is
index x exp(±z·se), never below 0. ``significant`` says the interval leaves out 100.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engines import connect
from ..errors import ParameterError
from ..intervals import check_alpha, z_value

MEASURES = {  # what one customer contributes to a category
    "spend": "greatest(sum(amount), 0)",
    "lines": "greatest(sum(CASE WHEN quantity > 0 THEN 1 ELSE -1 END), 0)",
    "buyers": "CASE WHEN sum(quantity) > 0 THEN 1 ELSE 0 END",
}
AFFINITY_COLUMNS = [
    "group",
    "category",
    "customers",
    "share",
    "share_all",
    "index",
    "ci_low",
    "ci_high",
    "significant",
]


def affinity(
    lines: pd.DataFrame,
    groups: pd.Series,
    measure: str = "spend",
    alpha: float = 0.05,
    engine=None,
) -> pd.DataFrame:
    """Category index of every group against all customers, with intervals.

    lines: purchase lines (``features.purchase_lines``): customer_id, category, quantity,
        amount. Refund lines count against what they took back (net per customer and
        category, never below 0).
    groups: each customer's group (a Series indexed by customer_id, e.g. RFM ``segment``).
        Customers without a group count in "all" but in no group.
    measure: "spend" (share of the group's net spend), "lines" (share of its lines) or
        "buyers" (share of its customers who bought the category).
    Categories should be a few dozen at most: the per-customer table is customers x
    categories, dense (1M customers x 50 categories: 0.4 GB).
    Returns one row per group and category: ``group``, ``category``, ``customers`` (in the
    group with a purchase), ``share``, ``share_all``, ``index`` (100 = average),
    ``ci_low``, ``ci_high``, ``significant``; groups in their own order (categoricals keep
    theirs), categories by overall share.
    """
    if measure not in MEASURES:
        raise ParameterError(f"measure={measure!r}: use one of {', '.join(MEASURES)}.")
    z = z_value(check_alpha(alpha))
    missing = [c for c in ("customer_id", "category", "quantity", "amount") if c not in lines]
    if missing:
        raise ParameterError(
            f"lines lack {missing}: pass features.purchase_lines(data) (its columns are "
            f"{[str(c) for c in lines.columns]})."
        )
    if not isinstance(groups, pd.Series):
        raise ParameterError("groups must be a Series of group labels indexed by customer_id.")
    per_customer = _per_customer(lines, measure, engine)
    if per_customer.empty:
        raise ParameterError("the lines hold no purchase: nothing to compare.")
    wide = per_customer.pivot_table(
        index="customer_id", columns="category", values="y", aggfunc="sum", fill_value=0.0
    )
    wide = wide[wide.sum(axis=1) > 0]
    y = wide.to_numpy(float)
    x = y.sum(axis=1) if measure != "buyers" else np.ones(len(y))
    label = groups.reindex(wide.index)
    tables = [
        _one_group(name, y, x, (label == name).to_numpy(), z, wide.columns).assign(_order=i)
        for i, name in enumerate(_group_order(groups))
        if (label == name).any()
    ]
    if not tables:
        raise ParameterError("no customer of groups has a purchase in lines: check the keys.")
    out = pd.concat(tables, ignore_index=True)
    order = pd.Series(y.sum(axis=0) / x.sum(), index=wide.columns).sort_values(ascending=False)
    out["category"] = pd.Categorical(out["category"], categories=order.index, ordered=True)
    out = out.sort_values(["_order", "category"], kind="stable").drop(columns="_order")
    out["category"] = out["category"].astype(str)
    return out[AFFINITY_COLUMNS].reset_index(drop=True)


def _per_customer(lines: pd.DataFrame, measure: str, engine) -> pd.DataFrame:
    with connect(engine) as sql:
        sql.register("lines", lines[["customer_id", "category", "quantity", "amount"]])
        return sql.frame(
            f"""
            SELECT customer_id, CAST(category AS VARCHAR) AS category,
                   CAST({MEASURES[measure]} AS DOUBLE) AS y
            FROM lines WHERE customer_id IS NOT NULL
            GROUP BY customer_id, category
            """
        )


def _group_order(groups: pd.Series) -> list:
    if isinstance(groups.dtype, pd.CategoricalDtype):
        return [c for c in groups.cat.categories if (groups == c).any()]
    return list(pd.unique(groups.dropna()))


def _one_group(name, y: np.ndarray, x: np.ndarray, inside: np.ndarray, z: float, categories):
    """Index, log-scale standard error and interval of one group against everyone."""
    y_all, x_all = y.sum(axis=0), x.sum()
    y_in, x_in = y[inside].sum(axis=0), x[inside].sum()
    share_all, share_in = y_all / x_all, y_in / x_in
    with np.errstate(divide="ignore", invalid="ignore"):
        # influence of each customer on log share: (y_i - share * x_i) / total of y
        influence = -(y - share_all * x[:, None]) / y_all
        influence[inside] += (y[inside] - share_in * x[inside, None]) / y_in
        n = len(y)
        se = np.sqrt(n / (n - 1) * ((influence - influence.mean(axis=0)) ** 2).sum(axis=0))
        index = 100 * share_in / share_all
        spread = np.exp(z * se)
    low, high = index / spread, index * spread
    significant = (low > 100) | (high < 100)
    return pd.DataFrame(
        {
            "group": str(name),
            "category": list(categories),
            "customers": int(inside.sum()),
            "share": share_in,
            "share_all": share_all,
            "index": index,
            "ci_low": np.where(y_in > 0, low, 0.0),
            "ci_high": np.where(y_in > 0, high, np.nan),
            "significant": significant & (y_in > 0),
        }
    )
