"""A planted journey world: journeys walked on a known Markov chain, so that what each
attribution method converges to is known exactly, and a method can be checked against it.

A journey starts at ``(start)``, moves to a channel, then from channel to channel, and ends
in ``(conversion)`` or ``(null)``, each step drawn from ``transitions``. Removing a channel
means a journey that would have gone to it ends there without converting: the causal
model Markov attribution assumes. Exact truths of the chain (``truth()``):

* ``removal_effect`` and ``markov_credit``: the chain's removal effects (absorbing-chain
  algebra, as ``markov_attribution``) and their shares. Markov attribution on simulated
  journeys estimates these.
* ``shapley_share``: Zhao et al.'s Shapley value of the chain's exact coalition rates
  (r(T) = P(conversion | the journey used exactly the channels T), from a chain whose
  states also remember the channels visited), as shares.
* ``first_touch_share``, ``last_touch_share``: what first- and last-touch attribution
  converge to, P(first channel = c | conversion) and P(last channel = c | conversion).
  Where they differ from ``markov_credit`` the rule is biased for this world: the default
  chain's social channel opens most converting journeys and almost never closes one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.container import CRMData
from ..data.validate import resolve_as_of, validate
from ..errors import ParameterError, whole_number
from ..randomness import RandomState, generator
from .markov import CONVERSION, NULL, START, Chain
from .shapley import shapley_attribution

ENDS = (CONVERSION, NULL)
# Social opens journeys and rarely closes them; search and app close them; email is in
# between; store is reached only through search. (Rows add up to 1.)
DEFAULT_TRANSITIONS: dict[str, dict[str, float]] = {
    START: {"social": 0.45, "search": 0.30, "email": 0.15, "app": 0.10},
    "social": {"social": 0.10, "search": 0.35, "email": 0.15, "app": 0.05, CONVERSION: 0.01,
               NULL: 0.34},
    "search": {"search": 0.10, "email": 0.10, "app": 0.15, "store": 0.05, CONVERSION: 0.25,
               NULL: 0.35},
    "email": {"search": 0.10, "email": 0.10, "app": 0.10, CONVERSION: 0.20, NULL: 0.50},
    "app": {"app": 0.10, "search": 0.05, "email": 0.05, CONVERSION: 0.30, NULL: 0.50},
    "store": {CONVERSION: 0.40, NULL: 0.60},
}  # fmt: skip
MAX_STEPS = 60  # a walk still going after this many touches ends without a conversion


@dataclass(frozen=True)
class PlantedJourneys:
    """A journey world on a known chain (see the module docstring).

    transitions: for ``(start)`` and each channel, the probabilities of the next channel,
        ``(conversion)`` and ``(null)``; each row adds up to 1, and ``(start)`` leads to
        channels only.
    """

    transitions: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {s: dict(row) for s, row in DEFAULT_TRANSITIONS.items()}
    )  # a copy: changing one world's rows leaves the default as it is

    def __post_init__(self) -> None:
        _check(self.transitions)

    @property
    def channels(self) -> list[str]:
        return sorted(s for s in self.transitions if s != START)

    def truth(self) -> pd.DataFrame:
        """One row per channel: removal_effect, markov_credit, shapley_share,
        first_touch_share, last_touch_share (exact; see the module docstring)."""
        channels = self.channels
        effects, base = self._chain().removal_effects(channels)
        shapley = shapley_attribution(self.coalition_rates()).set_index("channel")["share"]
        visits = self._visits()  # expected visits to each channel from the start
        p = self._matrix()
        at = {c: i for i, c in enumerate(channels)}
        reach = self._absorption()[:, 0]  # P(conversion | at channel c)
        first = np.array([self.transitions[START].get(c, 0.0) * reach[at[c]] for c in channels])
        last = np.array([visits[at[c]] * p[at[c], len(channels)] for c in channels])
        return pd.DataFrame(
            {
                "channel": channels,
                "removal_effect": effects,
                "markov_credit": effects / effects.sum(),
                "shapley_share": shapley.reindex(channels).fillna(0.0).to_numpy(),
                "first_touch_share": first / base,
                "last_touch_share": last / base,
            }
        )

    def conversion_probability(self) -> float:
        """P(a journey converts)."""
        return self._chain().conversion_probability()

    def _chain(self) -> Chain:
        """The planted chain as ``markov_attribution``'s absorbing chain."""
        rows = self.transitions.items()
        return Chain.from_counts({(s,): {(t,): p for t, p in row.items()} for s, row in rows})

    def coalition_rates(self) -> dict[frozenset, float]:
        """Exact r(T) = P(conversion | the journey used exactly the channels T), for every T
        a journey can use: absorption in a chain whose states are (channel, channels seen)."""
        states = [
            (c, frozenset(seen))
            for k in range(1, len(self.channels) + 1)
            for seen in itertools.combinations(self.channels, k)
            for c in seen
        ]
        index = {s: i for i, s in enumerate(states)}
        sets = sorted({seen for _, seen in states}, key=sorted)
        column = {(end, seen): j for j, (end, seen) in enumerate(itertools.product(ENDS, sets))}
        q = np.zeros((len(states), len(states)))
        r = np.zeros((len(states), len(column)))
        for (channel, seen), i in index.items():
            for target, p in self.transitions[channel].items():
                if target in ENDS:
                    r[i, column[(target, seen)]] += p
                else:
                    q[i, index[(target, seen | {target})]] += p
        absorbed = np.linalg.solve(np.eye(len(states)) - q, r)
        start = np.zeros(len(states))
        for channel, p in self.transitions[START].items():
            start[index[(channel, frozenset([channel]))]] += p
        ends = start @ absorbed
        rates = {}
        for seen in sets:
            won, lost = ends[column[(CONVERSION, seen)]], ends[column[(NULL, seen)]]
            if won + lost > 1e-12:
                rates[seen] = float(won / (won + lost))
        return rates

    def simulate(
        self,
        n_journeys: int = 20_000,
        start="2024-01-01",
        as_of="2024-12-31",
        mean_gap_days: float = 0.5,
        random_state: RandomState = 0,
    ) -> CRMData:
        """A data set of ``n_journeys`` customers with one journey each: customers,
        touchpoints (one per step; steps 1 hour + an exponential gap of mean
        ``mean_gap_days`` apart) and an order 5 minutes after the last touch of every
        converting journey. Journeys start uniformly between ``start`` and 90 days before
        ``as_of``, so that every one has ended by then. Same random_state, same data."""
        whole_number("n_journeys", n_journeys, of="journeys")
        rng = generator(random_state)
        start, as_of = resolve_as_of(start), resolve_as_of(as_of)
        latest = as_of - pd.Timedelta(days=90)
        if latest <= start:
            raise ParameterError(f"start={start:%Y-%m-%d}: give at least 90 days before as_of.")
        walker, step, channel, converted = self.walk(n_journeys, rng)
        names = np.array(self.channels)
        span = (latest - start).total_seconds()
        begins = start + pd.to_timedelta(rng.random(n_journeys) * span, unit="s")
        gaps = 3600 + rng.exponential(mean_gap_days * 86_400, len(walker))
        offsets = pd.Series(np.where(step == 0, 0.0, gaps)).groupby(walker).cumsum().to_numpy()
        occurred = begins[walker] + pd.to_timedelta(offsets, unit="s")
        ids = np.char.add("J", np.arange(n_journeys).astype(str))
        touchpoints = pd.DataFrame(
            {
                "touchpoint_id": np.char.add("T", np.arange(len(walker)).astype(str)),
                "customer_id": ids[walker],
                "occurred_at": occurred,
                "channel": names[channel],
                "kind": "visit",
            }
        )
        last = touchpoints.groupby(walker)["occurred_at"].max()
        won = np.flatnonzero(converted)
        orders = pd.DataFrame(
            {
                "order_id": np.char.add("O", won.astype(str)),
                "customer_id": ids[won],
                "ordered_at": last.to_numpy()[won] + pd.Timedelta(minutes=5),
                "amount": np.round(rng.gamma(4.0, 20.0, len(won)), 2),
                "status": "completed",
            }
        )
        customers = pd.DataFrame({"customer_id": ids, "first_seen_at": begins})
        data = CRMData(
            customers=customers,
            orders=orders,
            touchpoints=touchpoints,
            as_of=as_of,
            source=f"planted journeys (n_journeys={n_journeys:,}, random_state={random_state!r})",
        )
        return validate(data)

    def walk(self, n: int, rng: np.random.Generator):
        """Walk ``n`` journeys at once: (journey, step, channel index) of every touch, in
        journey and step order, and whether each journey converted."""
        p = self._matrix()  # rows: channels; columns: channels, conversion, null
        k = len(self.channels)
        cumulative = np.cumsum(p, axis=1)
        first = np.array([self.transitions[START].get(c, 0.0) for c in self.channels])
        state = np.minimum(np.searchsorted(np.cumsum(first), rng.random(n), side="right"), k - 1)
        alive = np.arange(n)
        journeys, steps, channels = [alive], [np.zeros(n, dtype=int)], [state]
        converted = np.zeros(n, dtype=bool)
        for step in range(1, MAX_STEPS + 1):
            draws = rng.random(len(alive))
            nxt = (draws[:, None] >= cumulative[state]).sum(axis=1)
            nxt = np.minimum(nxt, k + 1)
            converted[alive[nxt == k]] = True
            going = nxt < k
            if step == MAX_STEPS or not going.any():
                break
            alive, state = alive[going], nxt[going]
            journeys.append(alive)
            steps.append(np.full(len(alive), step))
            channels.append(state)
        walker = np.concatenate(journeys)
        order = np.lexsort((np.concatenate(steps), walker))
        return (
            walker[order],
            np.concatenate(steps)[order],
            np.concatenate(channels)[order],
            converted,
        )

    def _matrix(self) -> np.ndarray:
        """Channel rows; columns: channels, conversion, null."""
        targets = [*self.channels, *ENDS]
        return np.array([[self.transitions[c].get(t, 0.0) for t in targets] for c in self.channels])

    def _absorption(self) -> np.ndarray:
        """P(conversion), P(null) from each channel."""
        p, k = self._matrix(), len(self.channels)
        return np.linalg.solve(np.eye(k) - p[:, :k], p[:, k:])

    def _visits(self) -> np.ndarray:
        """Expected visits to each channel by one journey (the fundamental matrix)."""
        p, k = self._matrix(), len(self.channels)
        start = np.array([self.transitions[START].get(c, 0.0) for c in self.channels])
        return np.linalg.solve((np.eye(k) - p[:, :k]).T, start)


def _check(transitions) -> None:
    if not isinstance(transitions, Mapping) or START not in transitions:
        raise ParameterError(f"transitions must map {START!r} and each channel to a row.")
    channels = {s for s in transitions if s != START}
    for source, row in transitions.items():
        unknown = set(row) - channels - set(ENDS)
        if unknown:
            raise ParameterError(
                f"transitions[{source!r}] leads to {sorted(unknown)}: give each a row of its own."
            )
        values = np.array(list(row.values()), dtype=float)
        if (values < 0).any() or not np.isclose(values.sum(), 1.0):
            raise ParameterError(
                f"transitions[{source!r}]: probabilities >= 0 that add up to 1 "
                f"(they add up to {values.sum():g})."
            )
    if set(transitions[START]) & set(ENDS):
        raise ParameterError(f"transitions[{START!r}] must lead to channels only.")
