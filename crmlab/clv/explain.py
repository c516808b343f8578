"""Tables behind the customer-value report: parameters, R x F grids, retention targets."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from .model import CLVModel

PARAMETER_MEANINGS = {
    "r": "shape of purchase rates across customers",
    "alpha": "scale of purchase rates (time units)",
    "a": "dropout probability: Beta shape a",
    "b": "dropout probability: Beta shape b",
    "s": "shape of lifetimes across customers",
    "beta": "scale of lifetimes (time units)",
    "p": "spend per purchase: Gamma shape",
    "q": "spend level across customers: Gamma shape",
    "v": "spend level across customers: Gamma scale (gamma in the papers)",
}


def parameter_table(model: CLVModel) -> pd.DataFrame:
    """Every fitted parameter with its standard error, 95% interval and meaning."""
    parts = [("purchases", model.params, model.standard_errors)]
    if model.spend_params is not None:
        parts.append(("spend", model.spend_params, model.spend_standard_errors))
    rows = []
    for part, params, errors in parts:
        for name, value in params.items():
            se = float(errors[name])
            rows.append(
                {
                    "model part": part,
                    "parameter": name,
                    "estimate": float(value),
                    "std. error": se,
                    "lower 95%": float(value) - 1.96 * se,
                    "upper 95%": float(value) + 1.96 * se,
                    "meaning": PARAMETER_MEANINGS.get(name, ""),
                }
            )
    return pd.DataFrame(rows)


def recency_frequency_grid(
    model: CLVModel,
    quantity: Literal["p_alive", "expected_purchases"] = "p_alive",
    t: float | None = None,
    max_frequency: int = 10,
    steps: int = 10,
) -> pd.DataFrame:
    """P(alive) or expected purchases in the next t units for a customer observed for the
    longest T in the data, by frequency (rows) and recency (columns, in model units)."""
    T = float(model.summary["T"].max())
    recencies = np.linspace(0, T, steps + 1)
    rows = {}
    for f in range(max_frequency + 1):
        # without repeat purchases recency is 0 by definition, whatever the column says
        grid = pd.DataFrame(
            {"frequency": float(f), "recency": recencies if f else 0 * recencies, "T": T}
        )
        values = (
            model.p_alive(grid)
            if quantity == "p_alive"
            else model.expected_purchases(t if t is not None else T, grid)
        )
        rows[f] = values.to_numpy()
    table = pd.DataFrame.from_dict(rows, orient="index", columns=np.round(recencies, 1))
    table.index.name, table.columns.name = "frequency", f"recency ({model.time_unit})"
    return table.iloc[::-1]


def retention_targets(
    values: pd.DataFrame,
    p_alive_before: pd.Series,
    top_share: float = 0.2,
    min_drop: float = 0.1,
    n: int = 25,
) -> pd.DataFrame:
    """High-value customers whose P(alive) fell: in the top ``top_share`` by CLV, P(alive)
    down by at least ``min_drop`` since the earlier date; the n most valuable first."""
    frame = values.join(p_alive_before.rename("p_alive_before"), how="inner")
    frame["p_alive_change"] = frame["p_alive"] - frame["p_alive_before"]
    cut = frame["clv"].quantile(1 - top_share)
    chosen = frame[(frame["clv"] >= cut) & (frame["p_alive_change"] <= -min_drop)]
    columns = ["clv", "p_alive_before", "p_alive", "p_alive_change", "expected_purchases"]
    return chosen.sort_values("clv", ascending=False).head(n)[columns]
