"""Markov-chain attribution with removal effects, computed exactly (absorbing chains).

Journeys are walks from a start state through channel states to one of two absorbing
states, conversion or null (the journey ended without one). Transition probabilities are
the observed transition counts, row-normalised: a path ``A > B`` seen with 3 conversions
and 1 non-conversion adds 4 to start→A and to A→B, 3 to B→conversion and 1 to B→null.

P(conversion) is the probability of absorption in conversion from the start state,
B = (I − Q)⁻¹ R, with Q the transient-to-transient and R the transient-to-absorbing
block of the transition matrix (Kemeny & Snell 1960). The **removal effect** of a channel
is the share of that probability lost when the channel is removed (every transition into
it goes to null instead): 1 − P(conversion without c) / P(conversion). Credit is each
channel's removal effect over the sum of all removal effects, and a channel's attributed
conversions are its credit × all observed conversions (Anderl et al. 2016; the
ChannelAttribution R package's convention).

Some libraries instead normalise the removal effects within each journey and sum credit
journey by journey; they give other numbers for the same paths. crmlab follows the global
normalisation above.

With ``order=k`` a state is the last k channels seen (a higher-order chain); removing a
channel removes every state that contains it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError, whole_number
from ..features.journeys import split_path

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
MARKOV_COLUMNS = ["channel", "removal_effect", "credit", "conversions_attributed"]


def markov_attribution(paths: pd.DataFrame, order: int = 1) -> pd.DataFrame:
    """Removal effects and credit per channel from journey paths.

    paths: one row per distinct path with ``path`` (channels joined by " > ", first touch
        first), ``conversions`` and ``non_conversions`` (journeys of that path that ended
        with and without a conversion).
    order: the chain's memory, in channels (1: the next step depends on the current
        channel only).
    Returns one row per channel, largest credit first: ``channel``, ``removal_effect``
    (0..1), ``credit`` (shares summing to 1), ``conversions_attributed`` (summing to the
    observed conversions). ``attrs["conversion_probability"]`` is P(conversion) of the
    fitted chain.
    """
    steps, conversions, failures = _check(paths, order)
    chain = Chain.from_walks(steps, conversions, failures, order)
    channels = sorted({c for walk in steps for c in walk})
    effects, base = chain.removal_effects(channels)
    credit = effects / effects.sum() if effects.sum() > 0 else np.zeros(len(effects))
    out = pd.DataFrame(
        {
            "channel": channels,
            "removal_effect": effects,
            "credit": credit,
            "conversions_attributed": credit * float(conversions.sum()),
        }
    )
    out = out.sort_values(["credit", "channel"], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["conversion_probability"] = base
    return out


class Chain:
    """An absorbing chain: transition weights between states (tuples of the last ``order``
    channels; ``(START,)``, ``(CONVERSION,)``, ``(NULL,)``), normalised per row."""

    def __init__(self, counts: dict[tuple, dict[tuple, float]]):
        self.counts = counts
        self.transient = sorted(counts, key=lambda s: (s != (START,), s))
        self.index = {s: i for i, s in enumerate(self.transient)}

    @classmethod
    def from_walks(cls, steps: list[list[str]], conversions, failures, order: int) -> Chain:
        """Transition counts of walks (``conversions``/``failures`` journeys each)."""
        counts: dict[tuple, dict[tuple, float]] = {}

        def add(source, target, weight):
            if weight > 0:
                row = counts.setdefault(source, {})
                row[target] = row.get(target, 0.0) + weight

        for walk, wins, losses in zip(steps, conversions, failures, strict=True):
            total = wins + losses
            states = [tuple(walk[max(0, i - order + 1) : i + 1]) for i in range(len(walk))]
            previous = (START,)
            for state in states:
                add(previous, state, total)
                previous = state
            add(previous, (CONVERSION,), wins)
            add(previous, (NULL,), losses)
        return cls(counts)

    def removal_effects(self, channels: list[str]) -> tuple[np.ndarray, float]:
        """(1 − P(conversion without c) / P(conversion) for each channel c, P(conversion))."""
        base = self.conversion_probability()
        if base <= 0:
            raise ParameterError("no path converts: removal effects need conversions.")
        effects = [1 - self.conversion_probability(without=c) / base for c in channels]
        return np.array(effects), base

    def conversion_probability(self, without: str | None = None) -> float:
        """P(absorbed in conversion | start), with ``without`` removed (its states lead to
        null)."""
        n = len(self.transient)
        q = np.zeros((n, n))
        r = np.zeros(n)  # transient -> conversion
        for source, row in self.counts.items():
            if without is not None and without in source:
                continue  # a removed state absorbs into null: its row stays empty
            total = sum(row.values())
            i = self.index[source]
            for target, weight in row.items():
                if target == (CONVERSION,):
                    r[i] += weight / total
                elif target != (NULL,) and not (without is not None and without in target):
                    q[i, self.index[target]] += weight / total
        absorbed = np.linalg.solve(np.eye(n) - q, r)
        return float(absorbed[self.index[(START,)]])


def _check(paths: pd.DataFrame, order) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
    whole_number("order", order, of="channels")
    needed = ("path", "conversions", "non_conversions")
    if not isinstance(paths, pd.DataFrame) or not set(needed) <= set(paths.columns):
        raise ParameterError(
            f"paths must be a table with {', '.join(needed)} (one row per distinct path, "
            'channels joined by " > ").'
        )
    counts = paths[["conversions", "non_conversions"]].apply(pd.to_numeric, errors="coerce")
    bad = counts.isna().any(axis=1) | (counts < 0).any(axis=1)
    if bad.any():
        raise ParameterError(
            f"{int(bad.sum())} path row(s) have conversions or non_conversions that are not "
            f"counts >= 0, e.g. {paths.loc[bad, 'path'].head(3).tolist()}."
        )
    steps = [split_path(p) for p in paths["path"]]
    empty = [p for p, walk in zip(paths["path"], steps, strict=True) if not all(walk)]
    if empty:
        raise ParameterError(f"paths with an empty channel: {empty[:3]} (use 'A > B').")
    return steps, counts["conversions"].to_numpy(float), counts["non_conversions"].to_numpy(float)
