"""Shapley-value attribution over channel coalitions.

Input: for each set of channels T, the conversion rate r(T) of the journeys that used
exactly the channels of T.

**Worth of a coalition (Zhao et al. 2018, "Shapley value methods for attribution modeling
in online advertising").** The worth of a coalition S is the sum of the rates of every
channel set contained in S: v(S) = Σ_{T ⊆ S} r(T). A coalition is worth what all journeys
made of its channels achieve, not only the journeys that used every one of them. With this
worth, the r(T) are the coalitions' dividends (Harsanyi 1963), and the Shapley value has a
closed form: φ_i = Σ_{T ∋ i} r(T) / |T|. It is exact for any number of channels, and the
values add up to v(all channels).

``worth="rate"`` takes v(S) = r(S), the rate of S alone, as some write-ups do. The
Shapley value then follows from its definition, over all coalitions: exactly up to
``MAX_EXACT`` channels, and by sampling random channel orders beyond (an approximation;
``n_orders`` and ``random_state`` set it).
"""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pandas as pd

from ..errors import ParameterError, whole_number
from ..randomness import RandomState, generator

WORTHS = ("zhao", "rate")
MAX_EXACT = 15


def shapley_attribution(
    coalition_rates,
    worth: str = "zhao",
    n_orders: int = 20_000,
    random_state: RandomState = 0,
) -> pd.DataFrame:
    """Shapley value of each channel.

    coalition_rates: a mapping from a frozenset of channels to the conversion rate of the
        journeys that used exactly those channels (sets not listed have rate 0).
    worth: "zhao" (default; v(S) = sum of the rates of the sets inside S) or "rate"
        (v(S) = the rate of S alone).
    n_orders, random_state: with worth="rate" and more than 15 channels, the number of
        random channel orders sampled, and their seed.
    Returns one row per channel, largest value first: ``channel``, ``shapley_value``,
    ``share`` (of the sum of values). ``attrs["exact"]`` says whether no sampling was used.
    """
    rates = _check(coalition_rates)
    if worth not in WORTHS:
        raise ParameterError(f"worth={worth!r}: use 'zhao' (Zhao et al. 2018) or 'rate'.")
    channels = sorted(set().union(*rates))
    exact = True
    if worth == "zhao":
        values = {c: sum(r / len(s) for s, r in rates.items() if c in s) for c in channels}
    elif len(channels) <= MAX_EXACT:
        values = _exact(channels, lambda s: rates.get(frozenset(s), 0.0))
    else:
        values = _sampled(channels, rates, n_orders, generator(random_state))
        exact = False
    out = pd.DataFrame({"channel": channels, "shapley_value": [values[c] for c in channels]})
    total = out["shapley_value"].sum()
    out["share"] = out["shapley_value"] / total if total else np.nan
    out = out.sort_values(["shapley_value", "channel"], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["exact"] = exact
    return out


def _exact(channels: list[str], value) -> dict[str, float]:
    """The Shapley value from its definition: every coalition without i, weighted."""
    n = len(channels)
    weights = [factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)]
    out = {}
    for i in channels:
        others = [c for c in channels if c != i]
        total = 0.0
        for k in range(n):
            for subset in itertools.combinations(others, k):
                total += weights[k] * (value((*subset, i)) - value(subset))
        out[i] = total
    return out


def _sampled(channels: list[str], rates: dict, n_orders: int, rng) -> dict[str, float]:
    """Mean marginal worth of each channel over random orders (Castro et al. 2009)."""
    whole_number("n_orders", n_orders, of="orders")
    totals = dict.fromkeys(channels, 0.0)
    for _ in range(n_orders):
        order = rng.permutation(len(channels))
        before = 0.0
        members: list[str] = []
        for position in order:
            members.append(channels[position])
            now = rates.get(frozenset(members), 0.0)
            totals[channels[position]] += now - before
            before = now
    return {c: t / n_orders for c, t in totals.items()}


def _check(coalition_rates) -> dict[frozenset, float]:
    if isinstance(coalition_rates, pd.Series):
        coalition_rates = coalition_rates.to_dict()
    if not isinstance(coalition_rates, dict) or not coalition_rates:
        raise ParameterError(
            "coalition_rates must map frozensets of channels to conversion rates, e.g. "
            "{frozenset({'email'}): 0.2, frozenset({'email', 'search'}): 0.3}."
        )
    rates = {}
    for key, rate in coalition_rates.items():
        members = frozenset([key] if isinstance(key, str) else key)
        if not members or not all(isinstance(c, str) for c in members):
            raise ParameterError(f"coalition {key!r}: a non-empty set of channel names.")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not np.isfinite(rate):
            raise ParameterError(f"the rate of {sorted(members)} is {rate!r}: give a number.")
        rates[members] = rates.get(members, 0.0) + float(rate)
    return rates
