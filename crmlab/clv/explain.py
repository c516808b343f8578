"""Tables behind the customer-value report: parameters, R x F grids, retention targets."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..features import CustomerSummary
from ..intervals import log_scale_interval
from ..units import TimeUnit
from .boundary import DROPOUT_LEVEL
from .model import MODEL_NAMES, CLVModel

ALIVE = 0.95  # "alive for sure" in the fit notes

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
    "mean_spend": "average spend per purchase (Gamma-Gamma without spread between customers)",
}


def parameter_table(model: CLVModel, alpha: float = 0.05) -> pd.DataFrame:
    """Every fitted parameter: model_part, parameter, estimate, standard_error, ci_low and
    ci_high (level 1 - alpha, computed on the log scale because every parameter is positive:
    never below zero) and meaning. Rates are per the model's time unit.

    For a model fitted with method="bayes": estimate is the posterior mean, standard_error
    the posterior standard deviation and the interval the equal-tailed credible interval."""
    parts = [("purchases", model.params, model.standard_errors)]
    if model.spend_params is not None:
        parts.append(("spend", model.spend_params, model.spend_standard_errors))
    rows = []
    for part, params, errors in parts:
        for name, value in params.items():
            se = float(errors[name])
            if model.method == "bayes":
                low, high = model.credible_interval(part, name, alpha)
            else:
                low, high = log_scale_interval(float(value), se, alpha)
            rows.append(
                {
                    "model_part": part,
                    "parameter": name,
                    "estimate": float(value),
                    "standard_error": se,
                    "ci_low": float(low),
                    "ci_high": float(high),
                    "meaning": PARAMETER_MEANINGS.get(name, ""),
                }
            )
    return pd.DataFrame(rows)


def recency_frequency_grid(
    model: CLVModel,
    quantity: Literal["p_alive", "expected_purchases"] = "p_alive",
    horizon: float | None = None,
    time_unit: TimeUnit | None = None,
    max_frequency: int = 10,
    steps: int = 10,
) -> pd.DataFrame:
    """P(alive), or expected purchases in the next ``horizon`` ``time_unit``s (default: the
    longest T in the data), for a customer observed for that longest T, by frequency (rows)
    and recency (columns, in the model's time unit)."""
    summary = model.summary
    T = float(summary.table["T"].max())
    recencies = np.linspace(0, T, steps + 1)
    rows = {}
    for f in range(max_frequency + 1):
        # without repeat purchases recency is 0 by definition, whatever the column says
        table = pd.DataFrame(
            {"frequency": float(f), "recency": recencies if f else 0 * recencies, "T": T}
        )
        grid = CustomerSummary(table, summary.as_of, summary.time_unit, summary.period)
        if quantity == "p_alive":
            values = model.p_alive(grid)
        elif horizon is None:
            values = model.expected_purchases(T, model.time_unit, grid)
        else:
            if time_unit is None:
                raise ParameterError("give the horizon's time_unit ('D', 'W' or 'M').")
            values = model.expected_purchases(horizon, time_unit, grid)
        rows[f] = values.to_numpy()
    table = pd.DataFrame.from_dict(rows, orient="index", columns=np.round(recencies, 1))
    table.index.name, table.columns.name = "frequency", f"recency ({model.unit_name})"
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


def fit_notes(model: CLVModel, nearly_everyone: float = 0.9) -> list[str]:
    """What a reader must know about the fit, in plain sentences (empty when nothing):
    a refit where lifetimes failed, dropout at its boundary (the no-dropout limit), P(alive)
    above 0.95 for at least ``nearly_everyone`` of the customers, no evidence of dropout,
    spend without spread between customers (Gamma-Gamma's limit), and weakly identified
    parameters."""
    d, name = model.diagnostics, MODEL_NAMES[model.model]
    notes = []
    if d.fitted_by == "crmlab":
        notes.append(
            f"lifetimes could not fit {name} ({d.refit_reason}); crmlab refitted it by "
            "bounded maximum likelihood."
        )
    if d.limit:
        notes.append(
            f"{name}'s dropout parameters ({', '.join(d.at_boundary)}) are at their boundary: "
            "the data show no evidence of customers leaving within this window. Predictions "
            "use the no-dropout limit (NBD): P(alive) = 1 for everyone, and each customer's "
            "expected purchases follow their own purchase rate."
        )
    else:
        notes += _alive_notes(model, name, nearly_everyone)
    if d.spend_limit:
        notes.append(
            "Spend per purchase varies too little between customers for Gamma-Gamma to tell "
            "them apart: every customer's expected spend is the average spend per purchase "
            f"({model.spend_params['mean_spend']:,.2f})."
        )
    if d.weak:
        notes.append(
            f"Weakly identified: {', '.join(d.weak)} (standard error larger than the estimate, "
            "or none): the data barely pin these down; read their values with caution."
        )
    return notes


def _alive_notes(model: CLVModel, name: str, nearly_everyone: float) -> list[str]:
    notes = []
    share = float((model.p_alive() > ALIVE).mean())
    if share >= nearly_everyone:
        notes.append(
            f"P(alive) ≈ 1 for nearly everyone ({share:.0%} of customers above {ALIVE}): the "
            "data show little evidence of customers leaving within this window."
        )
    if model.diagnostics.dropout_p_value >= DROPOUT_LEVEL:
        notes.append(
            f"{name} fits no better than a model without dropout (likelihood-ratio test "
            f"p = {model.diagnostics.dropout_p_value:.2g}): read P(alive) with caution."
        )
    return notes
