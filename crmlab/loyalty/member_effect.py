"""The member effect: how much more members spend per order after joining, against
comparable non-members over the same months (difference in differences). Observational.

Members are not a random sample: frequent, big spenders join more. Comparing members with
non-members therefore mixes the program's effect with who joins. The difference in
differences compares each member with themselves (mean order value in the ``window_days``
after joining minus before), and subtracts the same change among non-members, so that
stable differences between people cancel:

    effect = (mean Δ of members − weighted mean Δ of non-members) / members' mean before

Design choices, each a guard against a known bias:

* **At checkout**: members usually join at a purchase, so their after-window starts with an
  order. Non-members get a *pseudo-join* at one of their own orders (drawn at random), so
  both windows are built alike.
* **Same months**: non-members are weighted so that their pseudo-join months have the
  members' distribution (seasonal baskets cancel).
* **Mean order value, not spend**: a sample mean is unbiased whatever the number of orders;
  a log ratio would not be (fewer orders, lower mean log).

The interval is a bootstrap over people (Poisson weights). What remains is the assumption
of parallel trends: without the program, members' order values would have changed as
non-members' did. Nothing in the data can prove it; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from ..intervals import check_alpha
from ..randomness import RandomState, generator
from .inputs import require
from .program import as_periods

OBSERVATIONAL = (
    "Observational: members chose to join. The difference in differences removes stable "
    "differences between members and non-members, not changes that coincide with joining "
    "(it assumes order values would otherwise have moved alike)."
)


@dataclass
class MemberEffect:
    """The estimated member effect on order value.

    effect, ci_low, ci_high: relative change of mean order value caused by joining (0.10 is
        +10%), with a bootstrap interval at 1 - alpha.
    naive: members' mean order value after joining relative to non-members' (what a
        simple comparison shows; includes who joins).
    means: group (members, non-members) × period (before, after) mean order values, in the
        data's currency; n_members, n_controls: people compared.
    """

    effect: float
    ci_low: float
    ci_high: float
    alpha: float
    naive: float
    means: pd.DataFrame
    n_members: int
    n_controls: int
    window_days: int
    notes: list[str] = field(default_factory=list)


def member_effect(
    orders: pd.DataFrame,
    memberships: pd.DataFrame,
    as_of,
    window_days: int = 180,
    alpha: float = 0.05,
    n_boot: int = 200,
    random_state: RandomState = 0,
) -> MemberEffect:
    """Estimate the member effect on order value (see the module docstring).

    orders: the contract's orders (completed purchases are used; refunds are not);
    memberships: joining is each member's first ``from_at``.
    window_days: length of the before and after windows around joining (days); only people
        with an order in both, and whose after-window ends by ``as_of``, are compared.
    """
    if not isinstance(window_days, int | np.integer) or window_days < 7:
        raise ParameterError(f"window_days={window_days!r}: give a whole number of days >= 7.")
    alpha = check_alpha(alpha)
    as_of = resolve_as_of(as_of)
    require(orders, "orders", ("customer_id", "ordered_at", "amount"), numbers=("amount",))
    require(memberships, "memberships", ("customer_id", "from_at"))
    sales = orders[_completed(orders)][["customer_id", "ordered_at", "amount"]]
    joined = memberships.groupby("customer_id")["from_at"].min()
    rng = generator(random_state)
    members = _windows(sales[sales["customer_id"].isin(joined.index)], joined, window_days, as_of)
    others = sales[~sales["customer_id"].isin(joined.index)]
    pseudo = _pseudo_joins(rng, others, window_days, as_of)
    controls = _windows(others, pseudo, window_days, as_of)
    if len(members) < 20 or len(controls) < 20:
        raise ParameterError(
            f"member_effect: {len(members):,} members and {len(controls):,} non-members have "
            f"orders both {window_days} days before and after (pseudo-)joining; at least 20 "
            "of each are needed (try a shorter window_days)."
        )
    controls["weight"] = _same_months(members["joined"], controls["joined"])
    members["weight"] = 1.0

    def estimate(m_w: np.ndarray, c_w: np.ndarray) -> float:
        m_w, c_w = m_w * members["weight"].to_numpy(), c_w * controls["weight"].to_numpy()
        m_change = np.average(members["after"] - members["before"], weights=m_w)
        c_change = np.average(controls["after"] - controls["before"], weights=c_w)
        return (m_change - c_change) / np.average(members["before"], weights=m_w)

    point = estimate(np.ones(len(members)), np.ones(len(controls)))
    low = high = np.nan
    if n_boot:
        draws = [
            estimate(rng.poisson(1.0, len(members)), rng.poisson(1.0, len(controls)))
            for _ in range(n_boot)
        ]
        low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    means = pd.DataFrame(
        {
            "before": [
                members["before"].mean(),
                np.average(controls["before"], weights=controls["weight"]),
            ],
            "after": [
                members["after"].mean(),
                np.average(controls["after"], weights=controls["weight"]),
            ],
        },
        index=pd.Index(["members", "non-members"], name="group"),
    )
    naive = means.loc["members", "after"] / means.loc["non-members", "after"] - 1
    notes = [OBSERVATIONAL]
    left_out = len(joined) - len(members)
    if left_out:
        notes.append(
            f"{left_out:,} of {len(joined):,} members are not compared: no order in one of the "
            f"windows, or joined less than {window_days} days before as_of"
        )
    return MemberEffect(
        float(point),
        float(low),
        float(high),
        alpha,
        float(naive),
        means,
        len(members),
        len(controls),
        int(window_days),
        notes,
    )


def _completed(orders: pd.DataFrame) -> pd.Series:
    if "status" in orders:
        return orders["status"].eq("completed")
    return orders["amount"] > 0


def _pseudo_joins(rng, sales: pd.DataFrame, window_days: int, as_of) -> pd.Series:
    """One of each non-member's orders, at random, among those with room for both
    windows: their pseudo-join moment."""
    window = pd.Timedelta(days=window_days)
    start = sales["ordered_at"].min()
    room = sales[(sales["ordered_at"] - window >= start) & (sales["ordered_at"] + window <= as_of)]
    order = rng.permutation(len(room))
    drawn = room.iloc[order].drop_duplicates("customer_id")
    return drawn.set_index("customer_id")["ordered_at"].sort_index()


def _windows(sales: pd.DataFrame, joined: pd.Series, window_days: int, as_of) -> pd.DataFrame:
    """Per person: joined, mean order value before and after (NaN-free: people without an
    order in either window, or whose after-window passes as_of, are left out)."""
    window = pd.Timedelta(days=window_days)
    at = joined.reindex(sales["customer_id"]).to_numpy()
    when = sales["ordered_at"].to_numpy()
    before = (when >= at - window) & (when < at)
    after = (when >= at) & (when < at + window)
    side = np.where(before, "before", np.where(after, "after", None))
    kept = sales.assign(side=side)[side != None]  # noqa: E711 (elementwise)
    means = kept.groupby(["customer_id", "side"])["amount"].mean().unstack()
    means = means.reindex(columns=["before", "after"]).dropna()
    means["joined"] = joined.reindex(means.index)
    return means[means["joined"] + window <= as_of].reset_index()


def _same_months(members: pd.Series, controls: pd.Series) -> np.ndarray:
    """Weights that give the controls the members' distribution of (pseudo-)join months;
    months without members weigh nothing."""
    m, c = as_periods(members), as_periods(controls)
    target = m.value_counts(normalize=True)
    have = c.value_counts(normalize=True)
    ratio = (target / have).fillna(0.0)
    return ratio.reindex(c).fillna(0.0).to_numpy()
