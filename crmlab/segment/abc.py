"""ABC classes, the Pareto (Lorenz) table and the Gini coefficient of customer value."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ParameterError

DEFAULT_CUTS = {"count": (0.05, 0.20), "value": (0.80, 0.95)}


def _ranked(values: pd.Series, name: str = "values") -> pd.Series:
    """Values sorted best first (ties by index, so the order is reproducible)."""
    if not isinstance(values, pd.Series) or values.empty:
        raise ParameterError(f"{name} must be a non-empty Series of customer values.")
    if values.isna().any():
        raise ParameterError(f"{name} has {int(values.isna().sum())} missing value(s).")
    negative = values[values < 0]
    if len(negative):
        raise ParameterError(
            f"{name} has {len(negative)} negative value(s) (e.g. customer "
            f"{negative.index[0]}: {negative.iloc[0]}); shares of value need values >= 0."
        )
    frame = pd.DataFrame(
        {"value": values.astype(float), "key": values.index.astype(str)}, index=values.index
    )
    return frame.sort_values(["value", "key"], ascending=[False, True])["value"]


def abc(
    values: pd.Series,
    cuts: tuple[float, float] | None = None,
    basis: Literal["count", "value"] = "count",
) -> pd.DataFrame:
    """ABC class per customer, best customers first.

    values: customer value (e.g. total revenue), indexed by customer.
    basis="count": classes by share of customers: with the default cuts (0.05, 0.20) the
        top 5% are A, the next 15% B, the remaining 80% C.
    basis="value": classes by cumulative share of value: with the default cuts (0.80, 0.95)
        customers are A until 80% of all value is reached (the customer crossing 80% is A),
        then B until 95%, then C.
    Returns value, rank (1 = best), customer_share and value_share (cumulative, 0..1] and
    abc_class, one row per customer in rank order.
    """
    if basis not in DEFAULT_CUTS:
        raise ParameterError(f"basis={basis!r}: use 'count' or 'value'.")
    cuts = DEFAULT_CUTS[basis] if cuts is None else tuple(cuts)
    if len(cuts) != 2 or not 0 < cuts[0] < cuts[1] < 1:
        raise ParameterError(f"cuts={cuts!r}: give two increasing shares between 0 and 1.")
    ranked = _ranked(values)
    n, total = len(ranked), ranked.sum()
    out = pd.DataFrame({"value": ranked})
    out["rank"] = np.arange(1, n + 1)
    out["customer_share"] = out["rank"] / n
    out["value_share"] = ranked.cumsum() / total if total > 0 else out["customer_share"]
    if basis == "count":
        position = out["customer_share"]
    else:  # share reached *before* this customer: whoever crosses a cut still belongs above it
        position = out["value_share"].shift(fill_value=0.0) + 1e-12
    out["abc_class"] = pd.Categorical(
        np.select([position <= cuts[0], position <= cuts[1]], ["A", "B"], "C"),
        categories=["A", "B", "C"],
        ordered=True,
    )
    return out


def abc_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per ABC class: customers, share of customers, value, share of value."""
    grouped = table.groupby("abc_class", observed=False)["value"]
    out = pd.DataFrame({"customers": grouped.size(), "value": grouped.sum()})
    out.insert(1, "share_customers", out["customers"] / out["customers"].sum())
    out["share_value"] = out["value"] / out["value"].sum() if out["value"].sum() else 0.0
    return out.reset_index()


def pareto_table(values: pd.Series, points: int = 100) -> pd.DataFrame:
    """The Pareto (Lorenz) curve: share of value held by the top share of customers.

    Returns ``points`` + 1 rows: customer_share 0, 1/points, ..., 1 and the value_share held
    by that top share (linear between customers); the row at 0.2 is the "80/20" number.
    """
    ranked = _ranked(values)
    n = len(ranked)
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n])
    total = ranked.sum()
    y = np.concatenate([[0.0], ranked.cumsum().to_numpy() / total]) if total > 0 else x
    grid = np.linspace(0, 1, points + 1)
    return pd.DataFrame({"customer_share": grid, "value_share": np.interp(grid, x, y)})


def gini(values: pd.Series) -> float:
    """Gini coefficient of customer value: 0 = everyone equal, (n-1)/n = one customer has all."""
    ranked = np.sort(_ranked(values).to_numpy())  # ascending for the formula
    n, total = len(ranked), ranked.sum()
    if total == 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * ranked) / (n * total) - (n + 1) / n)
