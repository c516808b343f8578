"""A randomized retention campaign with known per-customer effects, to check uplift models.

Four kinds of customer, from RFM-like features (recency_days, frequency, monetary,
tenure_days, app_user):

- persuadables: lapsing regulars (recency 45-180 days, 2+ orders); the campaign brings
  many back (+PERSUADABLE points of conversion);
- sleeping dogs: very recent regulars (recency < 30 days, 4+ orders); the campaign
  annoys them and they buy less (SLEEPING_DOG points, negative);
- sure things: other recent buyers, who buy anyway (+SURE_THING points);
- lost causes: gone for more than 300 days, whom nothing changes (0).

The baseline chance to buy falls with recency and rises with frequency, so a response model
(who buys when treated?) ranks sure things and sleeping dogs first, and a churn-risk score
ranks lost causes first: neither finds the persuadables. ``effect`` is each customer's true
uplift, so a model's recovery is measured exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import whole_number
from ..randomness import generator

PERSUADABLE, SLEEPING_DOG, SURE_THING = 0.20, -0.12, 0.02
FEATURES = ["recency_days", "frequency", "monetary", "tenure_days", "app_user"]


def _segments(x: pd.DataFrame) -> np.ndarray:
    recency, frequency = x["recency_days"].to_numpy(), x["frequency"].to_numpy()
    kinds = np.full(len(x), "sure thing", dtype=object)
    kinds[(recency >= 45) & (recency <= 180) & (frequency >= 2)] = "persuadable"
    kinds[(recency < 30) & (frequency >= 4)] = "sleeping dog"
    kinds[recency > 300] = "lost cause"
    return kinds


@dataclass(frozen=True)
class PlantedCampaign:
    """units: one row per customer: customer_id, the FEATURES, segment (planted kind),
    treated (0/1, randomized 50/50), converted (0/1 outcome), effect (true uplift in
    conversion probability), baseline (true chance to convert untreated), value (margin
    of a conversion). truth: the planted effect per segment."""

    units: pd.DataFrame
    truth: dict[str, float]


def planted_campaign(n: int = 20_000, random_state: int = 0) -> PlantedCampaign:
    """Simulate ``n`` customers of a randomized retention campaign (see module docstring)."""
    whole_number("n", n)
    rng = generator(random_state)
    recency = np.round(rng.gamma(1.2, 110, n), 0)
    frequency = 1 + rng.poisson(np.exp(rng.normal(0.8, 0.7, n)))
    monetary = np.round(rng.gamma(2.0, 30, n) * (1 + 0.1 * frequency), 2)
    tenure = np.round(recency + rng.gamma(2.0, 200, n), 0)
    app = (rng.random(n) < 0.35).astype(int)
    x = pd.DataFrame({"recency_days": recency, "frequency": frequency, "monetary": monetary,
                      "tenure_days": tenure, "app_user": app})  # fmt: skip
    logit = -0.4 - 0.012 * recency + 0.25 * np.minimum(frequency, 10) + 0.2 * app
    baseline = 1 / (1 + np.exp(-logit))
    segment = _segments(x)
    lift = {"persuadable": PERSUADABLE, "sleeping dog": SLEEPING_DOG,
            "sure thing": SURE_THING, "lost cause": 0.0}  # fmt: skip
    effect = np.clip(baseline + np.vectorize(lift.get)(segment), 0, 1) - baseline
    treated = (rng.random(n) < 0.5).astype(int)
    converted = (rng.random(n) < baseline + treated * effect).astype(int)
    units = x.assign(
        customer_id=[f"U{i:07d}" for i in range(n)], segment=segment, treated=treated,
        converted=converted, effect=effect, baseline=baseline,
        value=np.round(0.3 * monetary, 2),
    )  # fmt: skip
    truth = units.groupby("segment")["effect"].mean().to_dict()
    return PlantedCampaign(units[["customer_id", *units.columns.drop("customer_id")]], truth)
