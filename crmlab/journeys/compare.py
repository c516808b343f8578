"""Every attribution method side by side, each channel's credit with a bootstrap interval.

Credit is a share of the conversions (each method's shares add up to 1). Intervals are
percentile intervals over journeys resampled with replacement (``n_boot`` resamples of as
many journeys as there are): converting and non-converting journeys alike, so they carry
the uncertainty of the paths, the transition counts and the coalition rates.

Methods: the five rules (``rule_based_attribution``), ``markov`` (first-order removal
effects) and ``shapley`` (Zhao et al.'s worth, values as shares).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError, whole_number
from ..features.journeys import split_path
from ..intervals import check_alpha
from ..randomness import RandomState, generator
from .markov import WalkCounts
from .rules import MODELS, touch_weights

METHODS = (*MODELS, "markov", "shapley")
COMPARE_COLUMNS = ["method", "channel", "credit", "ci_low", "ci_high"]


def compare_attribution(
    journeys,
    methods: tuple[str, ...] = METHODS,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: RandomState = 0,
    half_life_days: float = 7.0,
    position_weights: tuple[float, float] = (0.4, 0.4),
) -> pd.DataFrame:
    """One row per method and channel: ``method``, ``channel``, ``credit`` (share of the
    conversions), ``ci_low``, ``ci_high`` (the 1 − alpha bootstrap interval).

    journeys: ``features.journeys(...)``. methods: any of first, last, linear, time_decay,
        position, markov, shapley. n_boot: resamples of the journeys (0: no intervals).
    half_life_days, position_weights: as in ``rule_based_attribution``.
    Same journeys and random_state, same numbers.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ParameterError(f"methods={methods!r}: choose from {', '.join(METHODS)}.")
    whole_number("n_boot", n_boot, low=0, of="resamples")
    alpha = check_alpha(alpha)
    table = journeys.table
    if not table["converted"].any():
        raise ParameterError("no journey converts: there is nothing to attribute.")
    channels = sorted({c for p in table["path"] for c in split_path(p)})
    weights = _resample_counts(len(table), n_boot, generator(random_state))
    shares = {}
    for method in methods:
        if method == "markov":
            shares[method] = _markov(table, channels, weights)
        elif method == "shapley":
            shares[method] = _shapley(table, channels, weights)
        else:
            touches = touch_weights(journeys, method, half_life_days, position_weights)
            shares[method] = _rule(table, touches, channels, weights)
    rows = []
    for method, found in shares.items():
        low, high = (
            np.quantile(found[1:], [alpha / 2, 1 - alpha / 2], axis=0)
            if n_boot
            else np.full((2, len(channels)), np.nan)
        )
        rows.append(
            pd.DataFrame(
                {
                    "method": method,
                    "channel": channels,
                    "credit": found[0],
                    "ci_low": low,
                    "ci_high": high,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[COMPARE_COLUMNS]


def _resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot + 1, n): row 0 counts every journey once; each further row counts how often
    each journey was drawn in one resample of n with replacement. Counting n uniform draws
    gives the multinomial counts that ``rng.multinomial`` would, in a third of the time."""
    weights = np.empty((n_boot + 1, n))
    weights[0] = 1.0
    for row in weights[1:]:
        row[:] = np.bincount(rng.integers(0, n, size=n), minlength=n)
    return weights


def _normalised(values: np.ndarray) -> np.ndarray:
    totals = values.sum(axis=1, keepdims=True)
    return np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)


def _rule(table, touches, channels, weights) -> np.ndarray:
    """Per resample, each channel's share of the rule's credit."""
    row = pd.Index(table["journey_id"]).get_indexer(touches["journey_id"])
    column = pd.Index(channels).get_indexer(touches["channel"])
    per_journey = np.zeros((len(table), len(channels)))
    np.add.at(per_journey, (row, column), touches["weight"].to_numpy())
    return _normalised(weights @ per_journey)


def _markov(table, channels, weights) -> np.ndarray:
    """Per resample, Markov credit: the walks' transitions are indexed once, and each
    resample's chain is one weighted count of them."""
    codes, paths = pd.factorize(table["path"])
    won = table["converted"].to_numpy(float)
    walks = WalkCounts([split_path(p) for p in paths], order=1)
    out = np.zeros((len(weights), len(channels)))
    for i, w in enumerate(weights):
        wins = np.bincount(codes, w * won, len(paths))
        losses = np.bincount(codes, w * (1 - won), len(paths))
        effects, _ = walks.chain(wins, losses).removal_effects(channels)
        out[i] = effects
    return _normalised(out)


def _shapley(table, channels, weights) -> np.ndarray:
    """Zhao et al.'s closed form per resample: φ_i = Σ_{T ∋ i} r(T) / |T|, as shares."""
    sets = table["path"].map(lambda p: frozenset(split_path(p)))
    codes, uniques = pd.factorize(sets)
    members = np.array([[c in s for c in channels] for s in uniques], dtype=float)
    split = members / members.sum(axis=1, keepdims=True)
    won = table["converted"].to_numpy(float)
    wins = np.vstack([np.bincount(codes, w * won, len(uniques)) for w in weights])
    seen = np.vstack([np.bincount(codes, w, len(uniques)) for w in weights])
    rates = np.divide(wins, seen, out=np.zeros_like(wins), where=seen > 0)
    return _normalised(rates @ split)
