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
    """An absorbing chain over transient ``states`` (tuples of the last ``order`` channels,
    ``(START,)`` first): ``counts[i, j]`` is the weight of moving from state i to state j,
    then to conversion (column n) and to null (column n + 1); rows are normalised."""

    def __init__(self, states: list[tuple], counts: np.ndarray):
        self.states, self.counts = states, counts

    @classmethod
    def from_counts(cls, counts: dict[tuple, dict[tuple, float]]) -> Chain:
        """A chain from ``{state: {next state: weight}}`` (targets may be
        ``(CONVERSION,)`` and ``(NULL,)``)."""
        states = sorted(counts, key=lambda s: (s != (START,), s))
        index = {s: i for i, s in enumerate(states)}
        index[(CONVERSION,)], index[(NULL,)] = len(states), len(states) + 1
        matrix = np.zeros((len(states), len(states) + 2))
        for source, row in counts.items():
            for target, weight in row.items():
                matrix[index[source], index[target]] += weight
        return cls(states, matrix)

    @classmethod
    def from_walks(cls, steps: list[list[str]], conversions, failures, order: int) -> Chain:
        """Transition counts of walks (``conversions``/``failures`` journeys each)."""
        return WalkCounts(steps, order).chain(np.asarray(conversions), np.asarray(failures))

    def removal_effects(self, channels: list[str]) -> tuple[np.ndarray, float]:
        """(1 − P(conversion without c) / P(conversion) for each channel c, P(conversion))."""
        base = self.conversion_probability()
        if base <= 0:
            raise ParameterError("no path converts: removal effects need conversions.")
        effects = [1 - self.conversion_probability(without=c) / base for c in channels]
        return np.array(effects), base

    def conversion_probability(self, without: str | None = None) -> float:
        """P(absorbed in conversion | start), with ``without`` removed (every transition into
        a state holding it goes to null instead)."""
        n = len(self.states)
        totals = self.counts.sum(axis=1, keepdims=True)
        p = np.divide(self.counts, totals, out=np.zeros_like(self.counts), where=totals > 0)
        kept = np.array([without is None or without not in s for s in self.states])
        q = p[:, :n] * kept[None, :] * kept[:, None]
        r = p[:, n] * kept
        absorbed = np.linalg.solve(np.eye(n) - q, r)
        return float(absorbed[0])


class WalkCounts:
    """The transitions of a fixed set of walks, so that a chain for any weighting of the
    walks (a bootstrap resample) is one weighted count, not a loop over the walks."""

    def __init__(self, steps: list[list[str]], order: int):
        states: dict[tuple, int] = {(START,): 0}
        sources, targets, owners, lasts = [], [], [], []
        for w, walk in enumerate(steps):
            previous = 0
            for i in range(len(walk)):
                state = states.setdefault(tuple(walk[max(0, i - order + 1) : i + 1]), len(states))
                sources.append(previous)
                targets.append(state)
                owners.append(w)
                previous = state
            lasts.append(previous)
        self.states = list(states)
        self.sources, self.targets = np.array(sources, int), np.array(targets, int)
        self.owners, self.lasts = np.array(owners, int), np.array(lasts, int)

    def chain(self, conversions: np.ndarray, failures: np.ndarray) -> Chain:
        """The chain of these walks with ``conversions``/``failures`` journeys each."""
        n = len(self.states)
        counts = np.zeros((n, n + 2))
        np.add.at(counts, (self.sources, self.targets), (conversions + failures)[self.owners])
        np.add.at(counts, (self.lasts, n), conversions)
        np.add.at(counts, (self.lasts, n + 1), failures)
        used = counts.sum(axis=1) > 0
        used[0] = True
        keep = np.flatnonzero(used)  # states no walk of this weighting reaches are dropped
        columns = np.concatenate([keep, [n, n + 1]])
        return Chain([self.states[i] for i in keep], counts[np.ix_(keep, columns)])


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
