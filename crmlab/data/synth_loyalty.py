"""The loyalty program of the synthetic world, with planted truth for ``crmlab.loyalty``.

* **Who joins**: a person joins with chance ``JOIN_BASE + JOIN_SLOPE × s``, where ``s`` is
  the mean of their percentile ranks in purchase rate and expected order value: frequent,
  big spenders join more, so comparing members with non-members overstates the program.
* **When**: at the checkout of their k-th order, k = 1 + Poisson(``JOIN_ORDER_MEAN``); people
  with fewer orders never join.
* **Member effect**: every order from joining on is worth ``1 + MEMBER_UPLIFT`` times what it
  would have been.
* **Points**: ``WELCOME_BONUS`` on joining (kind adjust), ``POINTS_PER_POUND`` per pound of
  each later order (earn); a refund takes its points back as far as the balance allows
  (adjust). A share ``REDEEMER_SHARE`` of members redeem: at an order with at least
  ``VOUCHER_POINTS`` on the balance they redeem that many with chance ``REDEEM_CHANCE``.
  Points expire ``EXPIRY_DAYS`` after they were issued, oldest first (FIFO).
* **Tiers**: bronze on joining; silver or gold as soon as the points earned over the last
  365 days reach ``TIERS``; at each anniversary of joining the tier falls to what the last
  365 days support.
* **Breakage truth**: members' purchases go on after ``as_of`` (the same BG/NBD process) until
  every point issued before ``as_of`` is redeemed, taken back or expired; the share never
  redeemed is ``truth.params["loyalty"]["breakage"]`` (also: ``expired_share``,
  ``redeemed_share``, ``taken_back_share``).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from .synth_time import DAY, stamp

JOIN_BASE, JOIN_SLOPE, JOIN_ORDER_MEAN = 0.05, 0.6, 1.0
MEMBER_UPLIFT = 0.10
WELCOME_BONUS = 100
POINTS_PER_POUND = 1
VOUCHER_POINTS = 300
REDEEMER_SHARE, REDEEM_CHANCE = 0.7, 0.7
EXPIRY_DAYS = 365
TIERS = {"bronze": 0, "silver": 1_000, "gold": 3_000}  # points earned over the last 365 days
JOIN_LEAD = pd.Timedelta(minutes=2)  # joined at checkout, just before the order
_SECOND = 1 / 86_400  # in days: a redemption follows the earn of its order


def enrol(rng, people: pd.DataFrame, orders: pd.DataFrame, order_shape: float):
    """Choose members and when they join; raise their orders from joining on.

    orders: person, ordered_at, amount. Returns (orders, joins: person -> joined_at).
    """
    value = order_shape / people["nu"]
    score = (people["lam"].rank(pct=True) + value.rank(pct=True)).to_numpy() / 2
    joins = rng.random(len(people)) < JOIN_BASE + JOIN_SLOPE * score
    k = 1 + rng.poisson(JOIN_ORDER_MEAN, len(people))
    ordered = orders.sort_values(["person", "ordered_at"], kind="stable")
    rank = ordered.groupby("person").cumcount() + 1
    at_k = ordered[rank.to_numpy() == k[ordered["person"].to_numpy()]]
    at_k = at_k[joins[at_k["person"].to_numpy()]]
    joined_at = pd.Series(
        (at_k["ordered_at"] - JOIN_LEAD).to_numpy(), index=at_k["person"].to_numpy()
    ).sort_index()
    since = joined_at.reindex(orders["person"]).to_numpy()
    member_order = orders["ordered_at"].to_numpy() >= since  # NaT compares False
    amount = orders["amount"].where(~member_order, (orders["amount"] * (1 + MEMBER_UPLIFT)))
    return orders.assign(amount=amount.round(2)), joined_at


class _Account:
    """One member's points, oldest first, and what became of the points issued before
    ``as_of``. Times are day numbers (floats) from the world's origin."""

    def __init__(self, end_day: float):
        self.lots: deque[list] = deque()  # [issued day, points left]
        self.end_day = end_day
        self.balance = 0.0
        self.events: list[tuple] = []
        self.fate = {"issued": 0.0, "redeemed": 0.0, "expired": 0.0, "taken_back": 0.0}

    def expire_until(self, day: float) -> None:
        while self.lots and self.lots[0][0] + EXPIRY_DAYS <= day:
            issued, left = self.lots.popleft()
            self.balance -= left
            if left > 0:
                self._record(issued + EXPIRY_DAYS, "expire", -left, None)
                if issued <= self.end_day:
                    self.fate["expired"] += left

    def add(self, day: float, kind: str, points: float, order_id) -> None:
        self.expire_until(day)
        self.lots.append([day, points])
        self.balance += points
        self._record(day, kind, points, order_id)
        if day <= self.end_day:
            self.fate["issued"] += points

    def take(self, day: float, kind: str, points: float, order_id) -> None:
        """Take points oldest first (a redemption or a refund's points)."""
        self.expire_until(day)
        points = min(points, self.balance)
        if points <= 0:
            return
        self._record(day, kind, -points, order_id)
        self.balance -= points
        need = points
        while need > 0:
            lot = self.lots[0]
            used = min(lot[1], need)
            lot[1] -= used
            need -= used
            if lot[0] <= self.end_day:
                self.fate["redeemed" if kind == "redeem" else "taken_back"] += used
            if lot[1] <= 0:
                self.lots.popleft()

    def _record(self, day, kind, points, order_id) -> None:
        if day <= self.end_day:
            self.events.append((day, kind, float(points), order_id))


def program(
    rng,
    people: pd.DataFrame,
    orders: pd.DataFrame,
    joined_at: pd.Series,
    end: pd.Timestamp,
    order_shape: float,
):
    """(loyalty_events, memberships, truth) for the members chosen by ``enrol``.

    orders: the world's final orders (person, order_id, ordered_at, amount, status).
    """
    origin = people.attrs["origin"]
    end_day = (end - origin) / DAY
    mine = orders[orders["person"].isin(joined_at.index)]
    mine = mine.sort_values(["person", "ordered_at", "order_id"], kind="stable")
    person_of = mine["person"].to_numpy()
    bounds = np.searchsorted(person_of, joined_at.index.to_numpy(), side="left")
    ends = np.searchsorted(person_of, joined_at.index.to_numpy(), side="right")
    day_of = ((mine["ordered_at"] - origin) / DAY).to_numpy(float)
    ids, amounts = mine["order_id"].to_numpy(), mine["amount"].to_numpy(float)
    refunded = (mine["status"] == "refunded").to_numpy()
    joined_days = ((joined_at - origin) / DAY).to_numpy(float)
    redeemer = rng.random(len(joined_at)) < REDEEMER_SHARE
    dropout = people["dropout_day"].to_numpy()
    lam, nu, p_drop = (people[c].to_numpy() for c in ("lam", "nu", "p"))
    horizon = end_day + EXPIRY_DAYS + 1
    events, spans = [], []
    fate = {"issued": 0.0, "redeemed": 0.0, "expired": 0.0, "taken_back": 0.0}
    for i, person in enumerate(joined_at.index):
        joined, account = joined_days[i], _Account(end_day)
        account.add(joined, "adjust", WELCOME_BONUS, None)
        rows = range(bounds[i], ends[i])
        past = [(day_of[r], ids[r], amounts[r], refunded[r]) for r in rows if day_of[r] >= joined]
        future = []
        if np.isnan(dropout[person]):
            future = _future_orders(
                rng, lam[person], nu[person], p_drop[person], end_day, horizon, order_shape
            )
        earned, earning_orders = [], set()  # (day, points) for the tiers
        for day, order_id, amount, is_refund in past + future:
            if is_refund:
                if "O" + order_id[1:] in earning_orders:  # the refunded order earned points
                    account.take(
                        day, "adjust", float(np.floor(-amount * POINTS_PER_POUND)), order_id
                    )
                continue
            points = float(np.floor(amount * POINTS_PER_POUND))
            if points > 0:
                account.add(day, "earn", points, order_id)
                earned.append((day, points))
                earning_orders.add(order_id)
            if redeemer[i] and account.balance >= VOUCHER_POINTS and rng.random() < REDEEM_CHANCE:
                account.take(day + _SECOND, "redeem", VOUCHER_POINTS, order_id)
        account.expire_until(np.inf)
        events += [(person, *e) for e in account.events]
        spans += [(person, *s) for s in _tier_spans(joined, earned, end_day)]
        for key, value in account.fate.items():
            fate[key] += value
    loyalty_events = pd.DataFrame(events, columns=["person", "day", "kind", "points", "order_id"])
    loyalty_events.insert(1, "occurred_at", stamp(origin, loyalty_events.pop("day")))
    memberships = pd.DataFrame(spans, columns=["person", "tier", "from_day", "to_day"])
    memberships.insert(2, "from_at", stamp(origin, memberships.pop("from_day")))
    memberships.insert(3, "to_at", stamp(origin, memberships.pop("to_day")))
    truth = {
        "member_uplift": MEMBER_UPLIFT,
        "members": len(joined_at),
        "join": {"base": JOIN_BASE, "slope": JOIN_SLOPE, "order_mean": JOIN_ORDER_MEAN},
        "welcome_bonus": WELCOME_BONUS,
        "points_per_pound": POINTS_PER_POUND,
        "voucher_points": VOUCHER_POINTS,
        "redeemer_share": REDEEMER_SHARE,
        "redeem_chance": REDEEM_CHANCE,
        "expiry_days": EXPIRY_DAYS,
        "tiers": dict(TIERS),
        "points_issued_before_as_of": fate["issued"],
        # breakage: issued points never redeemed (expired or taken back)
        "breakage": 1 - fate["redeemed"] / fate["issued"],
        "expired_share": fate["expired"] / fate["issued"],
        "redeemed_share": fate["redeemed"] / fate["issued"],
        "taken_back_share": fate["taken_back"] / fate["issued"],
    }
    return loyalty_events, memberships, truth


def _future_orders(rng, lam, nu, p_drop, end_day, horizon, order_shape: float) -> list[tuple]:
    """A living member's purchases after ``as_of``: the same BG/NBD process (Poisson at
    ``lam`` per week, dropout with chance ``p`` after each) and Gamma-Gamma amounts."""
    out, day = [], end_day
    while True:
        day += 7 * rng.exponential(1 / lam)
        if day > horizon:
            return out
        amount = rng.gamma(order_shape, 1 / nu) * (1 + MEMBER_UPLIFT)
        out.append((day, None, round(float(amount), 2), False))
        if rng.random() < p_drop:
            return out


def _tier_spans(joined: float, earned: list[tuple], end_day: float) -> list[tuple]:
    """(tier, from day, to day) spans up to ``end_day``: upgrades when the last 365 days'
    points reach a threshold, downgrades only at anniversaries of joining."""
    names, thresholds = list(TIERS), np.array(list(TIERS.values()))
    days = np.array([d for d, _ in earned])
    running = np.concatenate([[0.0], np.cumsum([p for _, p in earned])])

    def supported(day: float) -> int:
        recent = (
            running[np.searchsorted(days, day, "right")]
            - running[np.searchsorted(days, day - 365, "right")]
        )
        return int(np.searchsorted(thresholds, recent, "right") - 1)

    moments = [(d, "earn") for d in days if d <= end_day]
    moments += [
        (joined + 365 * k, "anniversary") for k in range(1, int((end_day - joined) // 365) + 1)
    ]
    moments.sort()
    spans, tier, since = [], 0, joined
    for day, why in moments:
        level = supported(day)
        new = max(tier, level) if why == "earn" else level
        if new != tier and day == since:  # two changes at one moment: the later one counts
            tier = new
        elif new != tier:
            spans.append((names[tier], since, day))
            tier, since = new, day
    spans.append((names[tier], since, np.nan))
    return spans
