"""Rule-based attribution: each converting journey's conversion is shared among its touches
by a fixed rule, then summed per channel.

Rules (a journey of n touches, touch k = 1..n, the conversion at time t):

* ``first``: all to touch 1. ``last``: all to touch n.
* ``linear``: 1/n to each touch.
* ``time_decay``: weights 2^(-(t - t_k) / half-life), normalised within the journey
  (a touch one half-life before the conversion counts half as much as one at it).
* ``position``: 40% to the first touch, 40% to the last, the remaining 20% shared by the
  touches between (``position_weights``); one touch gets all, two get half each.

These are baselines: they share what happened, they do not estimate what a channel caused
(compare ``markov_attribution`` and ``shapley_attribution``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError

MODELS = ("first", "last", "linear", "time_decay", "position")
RULE_COLUMNS = ["channel", "conversions_attributed", "value_attributed", "credit"]


def rule_based_attribution(
    journeys,
    model: str = "last",
    half_life_days: float = 7.0,
    position_weights: tuple[float, float] = (0.4, 0.4),
) -> pd.DataFrame:
    """Conversions (and their value) shared among channels by ``model``.

    journeys: ``features.journeys(...)`` (its ``table`` and ``touches``).
    half_life_days: time_decay's half-life, in days. position_weights: position's shares
        of the first and the last touch (the rest goes to the touches between).
    Returns one row per channel, largest share first: ``channel``,
    ``conversions_attributed`` (summing to the journeys' conversions),
    ``value_attributed`` (summing to their value), ``credit`` (shares summing to 1).
    """
    touches = touch_weights(journeys, model, half_life_days, position_weights)
    weight = touches["weight"].to_numpy()
    shares = pd.DataFrame(
        {
            "channel": touches["channel"].to_numpy(),
            "conversions_attributed": weight,
            "value_attributed": weight * touches["value"].to_numpy(),
        }
    )
    out = shares.groupby("channel", as_index=False).sum()
    total = out["conversions_attributed"].sum()
    out["credit"] = out["conversions_attributed"] / total if total else np.nan
    out = out.sort_values(["credit", "channel"], ascending=[False, True], kind="stable")
    return out[RULE_COLUMNS].reset_index(drop=True)


def touch_weights(
    journeys,
    model: str = "last",
    half_life_days: float = 7.0,
    position_weights: tuple[float, float] = (0.4, 0.4),
) -> pd.DataFrame:
    """The touches of converting journeys with their ``weight`` under ``model`` (each
    journey's weights add up to 1), and the journey's ``value``."""
    if model not in MODELS:
        raise ParameterError(f"model={model!r}: use one of {', '.join(MODELS)}.")
    if not isinstance(half_life_days, int | float) or not half_life_days > 0:
        raise ParameterError(f"half_life_days={half_life_days!r}: a number of days > 0.")
    first_share, last_share = _check_positions(position_weights)
    won = journeys.table.loc[journeys.table["converted"], ["journey_id", "value", "ended_at"]]
    touches = journeys.touches.merge(won, on="journey_id")
    n = touches.groupby("journey_id")["position"].transform("max").to_numpy()
    k = touches["position"].to_numpy()
    if model == "first":
        weight = (k == 1).astype(float)
    elif model == "last":
        weight = (k == n).astype(float)
    elif model == "linear":
        weight = 1.0 / n
    elif model == "time_decay":
        age = (touches["ended_at"] - touches["occurred_at"]).dt.total_seconds() / 86_400
        raw = pd.Series(np.power(2.0, -age.to_numpy() / half_life_days), index=touches.index)
        weight = (raw / raw.groupby(touches["journey_id"]).transform("sum")).to_numpy()
    else:
        middle = (1 - first_share - last_share) / np.maximum(n - 2, 1)
        weight = np.select(
            [n == 1, n == 2, k == 1, k == n], [1.0, 0.5, first_share, last_share], middle
        )
    return touches.assign(weight=weight)


def _check_positions(weights) -> tuple[float, float]:
    try:
        first, last = (float(w) for w in weights)
    except (TypeError, ValueError):
        raise ParameterError(
            f"position_weights={weights!r}: two shares, first and last touch, e.g. (0.4, 0.4)."
        ) from None
    if first < 0 or last < 0 or first + last > 1:
        raise ParameterError(f"position_weights={weights!r}: shares >= 0 that add up to at most 1.")
    return first, last
