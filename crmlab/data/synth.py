"""A synthetic CRM world with known ground truth, so every analysis has something true to find.

The generative story (all randomness from one ``numpy.random.Generator`` from ``random_state``):

* Customers are acquired across the period, more of them over time and around December.
* Each customer buys as in the BG/NBD model: repeat purchases arrive as a Poisson process with
  rate ``lambda ~ Gamma(r, alpha)`` per week; after each repeat purchase the customer drops out
  with probability ``p ~ Beta(a, b)``. Purchases run in "operational time" that a mild yearly
  seasonality (peak in December) maps to calendar time, so purchase counts follow BG/NBD
  exactly while calendar timing is seasonal.
* Order values follow Gamma-Gamma: ``z ~ Gamma(shape p, rate nu)``, ``nu ~ Gamma(q, rate gamma)``.
* Customers who drop out complain more (tickets), refund more and give low NPS scores around
  their last purchase; engagement (web/app views, e-mail opens, store visits) stops with them.
* Service and surveys (``synth_voice``): slowly handled tickets make some customers leave,
  a complaint surge in one category, NPS answers with known drivers.
* Four randomized campaigns: one clean, one whose effect differs by acquisition channel,
  one with lost control-group assignment records (a sample-ratio mismatch), and a win-back
  e-mail whose effect depends on each customer's standing, with persuadables and sleeping
  dogs (``synth_uplift``). Their true effects are recorded from both potential outcomes of
  every assigned customer.
* Fake personal data (names, e-mails, phones), and for a known set of people a second customer
  record from another channel with variant spellings (for identity resolution), plus a few
  placeholder contact details shared by unrelated customers. Most second records also carry
  a real-world mistake (a typo, a missing field, a birth date off by a day, ...), and some
  households share one phone (``synth_identity``).

``generate(...).truth`` (a ``Truth``) records all of it: ``params`` (scalars, campaign effects)
and ``tables`` — ``customers`` (latent lambda, p, nu, dropout time per person) and
``duplicates`` (duplicate customer_id -> original customer_id) and ``identity_errors``
(customer_id, error: what was planted where), ``uplift`` (each CMP04 customer's kind and
true effect on conversion).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..randomness import RandomState, generator
from .container import CRMData, Truth
from .synth_baskets import order_lines
from .synth_identity import plant_errors
from .synth_loyalty import enrol, program
from .synth_time import DAY, stamp
from .synth_uplift import win_back_campaign
from .synth_voice import service_tickets, survey_answers
from .validate import resolve_as_of, validate

SYNTHETIC_CURRENCY = "GBP"  # a British world: UK cities, phone numbers and postcodes
SIGNUP_CHANNELS = ("web", "app", "store", "phone")
SIGNUP_SHARES = (0.40, 0.30, 0.22, 0.08)
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Emma",
    "François",
    "Grace",
    "Hugo",
    "Isabel",
    "Jack",
    "Katarzyna",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Renée",
    "Sofia",
    "Tomás",
    "Uma",
    "Victor",
    "Wei",
    "Zoë",
    "Åsa",
    "Björn",
    "José",
    "Łukasz",
    "Mohammed",
    "Nora",
    "Oscar",
)
LAST_NAMES = (
    "Smith",
    "Jones",
    "Müller",
    "García",
    "Nowak",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Brown",
    "Taylor",
    "Wilson",
    "Martin",
    "Lefèvre",
    "Novák",
    "Jensen",
    "O'Brien",
    "Silva",
    "Costa",
    "Schmidt",
    "Nguyen",
    "Khan",
    "Patel",
    "Larsen",
    "Fischer",
    "Moreau",
    "Ward",
    "Hughes",
)
DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "example.org", "mail.com")
CITIES = ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "York")


@dataclass(frozen=True)
class WorldParams:
    """The planted model parameters (time unit: weeks)."""

    r: float = 0.75  # BG/NBD: shape of the purchase-rate distribution
    alpha: float = 6.0  # BG/NBD: rate (weeks) of the purchase-rate distribution
    a: float = 0.8  # BG/NBD: dropout probability ~ Beta(a, b)
    b: float = 3.0
    p: float = 6.0  # Gamma-Gamma: shape of one order's value
    q: float = 4.0  # Gamma-Gamma: shape of the spend-rate distribution
    gamma: float = 40.0  # Gamma-Gamma: rate; mean order value = p * gamma / (q - 1) = 80
    seasonality: float = 0.2  # relative amplitude of the yearly cycle (peak mid-December)
    refund_rate: float = 0.03  # share of orders refunded (0.10 near a customer's dropout)
    duplicate_share: float = 0.03  # share of people with a second customer record
    placeholder_share: float = 0.002  # share of customers with a placeholder e-mail / phone
    identity_error_share: float = 0.6  # share of duplicate records with typos or gaps
    family_phone_share: float = 0.02  # share of same-surname pairs sharing one phone


def generate(
    n_customers: int = 20_000,
    start="2023-01-01",
    end="2024-12-31",
    random_state: RandomState = 0,
    params: WorldParams | None = None,
) -> CRMData:
    """Generate a synthetic CRM world; deterministic for a given int ``random_state``.

    n_customers: number of people acquired in [start, end - 30 days] (duplicates add records).
    start, end: the observed period (dates, UTC); ``end`` becomes the data set's ``as_of``.
    params: planted model parameters (``WorldParams``); the defaults give about six orders
        per customer over two years with a mean order value near 80.
    """
    params = params or WorldParams()
    start, end = resolve_as_of(start), resolve_as_of(end)
    if not isinstance(n_customers, int | np.integer) or n_customers < 10:
        raise ParameterError(f"n_customers={n_customers!r}: give an integer of at least 10.")
    if end - start < pd.Timedelta(days=90):
        raise ParameterError(f"start={start:%Y-%m-%d}, end={end:%Y-%m-%d}: need >= 90 days.")
    rng = generator(random_state)
    clock = _SeasonalClock(start, end, params.seasonality)
    people = _people(rng, n_customers, start, end, clock, params)
    orders = _purchases(rng, people, clock, params, end)
    # the service world draws from its own stream, so adding to it leaves the rest as it was
    voice_rng = rng.spawn(1)[0]
    tickets, orders, voice_truth = service_tickets(voice_rng, people, orders, end)
    campaigns, assignments, contacts, extra_orders, effects = _campaigns(
        rng, people, orders, start, end, params
    )
    loyalty_rng = rng.spawn(1)[0]  # the program's own stream, as the service world's
    win_back = win_back_campaign(
        rng.spawn(1)[0],  # its own stream too (spawned after the program's: that one stays)
        people,
        orders,
        _day_number(orders["ordered_at"], people),
        (start - people.attrs["origin"]) / DAY + 0.70 * (end - start).days,
        params.p,
    )
    row, assigned, contacted, won_back, skipped, uplift_truth, effects["CMP04"] = win_back
    orders = pd.concat([orders[~skipped], extra_orders, won_back], ignore_index=True)
    campaigns = pd.concat([campaigns, pd.DataFrame([row])], ignore_index=True)
    assignments = pd.concat([assignments, assigned], ignore_index=True)
    contacts = pd.concat([contacts, contacted], ignore_index=True)
    orders, joined_at = enrol(loyalty_rng, people, orders, params.p)
    orders = _order_details(rng, orders, people, params, end)
    products, lines, taste, basket_truth = order_lines(loyalty_rng, orders, people)
    units = lines["quantity"].abs().groupby(lines["order_id"]).sum()
    orders["n_items"] = units.reindex(orders["order_id"]).to_numpy()
    points, spans, loyalty_truth = program(loyalty_rng, people, orders, joined_at, end, params.p)
    customers = _customers(rng, people, params)
    touchpoints = pd.concat([_engagement(rng, people, end), contacts], ignore_index=True)
    surveys = survey_answers(voice_rng, orders, people, tickets, customers, end)
    customers, orders, touchpoints, duplicates = _duplicate_records(
        rng, customers, orders, touchpoints, params
    )
    customers, identity_errors = plant_errors(  # last: the draws above stay as they were
        rng, customers, duplicates, params.identity_error_share, params.family_phone_share
    )
    surveys = _numbered(_sorted(surveys, "answered_at", "customer_id"), "S", "response_id")
    truth_columns = [c for c in surveys.columns if c.startswith("_truth_")]
    comment_truth = surveys[["response_id", *truth_columns]].dropna(subset=truth_columns[:1])
    truth = Truth(
        params={
            **asdict(params),
            "time_unit": "weeks",
            "n_customers": n_customers,
            "random_state": repr(random_state),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "campaigns": effects,
            "voice": voice_truth,
            "products": basket_truth,
            "loyalty": loyalty_truth,
        },
        tables={
            "customers": _truth_customers(people),
            "duplicates": duplicates,
            "identity_errors": identity_errors,
            "comments": comment_truth.rename(columns=lambda c: c.removeprefix("_truth_")),
            "members": pd.DataFrame(
                {
                    "customer_id": people["customer_id"].to_numpy()[joined_at.index],
                    "joined_at": joined_at.to_numpy(),
                }
            ),
            "taste": taste,
            "uplift": uplift_truth,
        },
    )
    data = CRMData(
        customers=customers,
        orders=_sorted(orders, "ordered_at", "order_id")[ORDER_COLUMNS],
        touchpoints=_numbered(
            _sorted(touchpoints, "occurred_at", "customer_id"), "T", "touchpoint_id"
        ),
        campaigns=campaigns,
        assignments=assignments,
        tickets=_numbered(
            _sorted(tickets.drop(columns="person"), "opened_at", "customer_id"), "K", "ticket_id"
        ),
        surveys=surveys.drop(columns=truth_columns),
        products=products,
        order_lines=lines,
        loyalty_events=_numbered(_by_customer(points, people), "L", "event_id"),
        memberships=_by_customer(spans, people).sort_values(["customer_id", "from_at"]),
        as_of=end,
        currency=SYNTHETIC_CURRENCY,
        source=f"synthetic world (random_state={random_state!r}, n_customers={n_customers:,})",
        truth=truth,
    )
    return validate(data)


class _SeasonalClock:
    """Maps operational weeks to calendar time under a yearly intensity 1 + A cos(...)."""

    def __init__(self, start: pd.Timestamp, end: pd.Timestamp, amplitude: float):
        self.start = start
        days = np.arange(0, (end - start).days + 2, dtype=float)
        doy = (start + pd.to_timedelta(days, unit="D")).day_of_year.to_numpy()
        intensity = 1 + amplitude * np.cos(2 * np.pi * (doy - 349) / 365.25)
        self.days = days
        self.cum = np.concatenate([[0.0], np.cumsum(intensity[:-1])])  # operational days

    def to_operational(self, t_days: np.ndarray) -> np.ndarray:
        return np.interp(t_days, self.days, self.cum)

    def to_calendar(self, op_days: np.ndarray) -> np.ndarray:
        return np.interp(op_days, self.cum, self.days)


def _people(rng, n, start, end, clock, params: WorldParams) -> pd.DataFrame:
    span = (end - start).days - 30
    grid = np.arange(span)
    doy = (start + pd.to_timedelta(grid, unit="D")).day_of_year.to_numpy()
    weight = (1 + 0.8 * grid / span) * (1 + 0.3 * np.cos(2 * np.pi * (doy - 349) / 365.25))
    acquired_day = rng.choice(grid, size=n, p=weight / weight.sum()) + rng.uniform(0.35, 0.9, n)
    op_start = clock.to_operational(acquired_day)
    op_end = clock.to_operational(np.array([(end - start).days]))[0]
    people = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(1, n + 1)],
            "acquired_day": acquired_day,
            "op_start": op_start,
            "T_weeks": (op_end - op_start) / 7,  # observation length in operational weeks
            "lam": rng.gamma(params.r, 1 / params.alpha, n),  # purchases per week
            "p": rng.beta(params.a, params.b, n),
            "nu": rng.gamma(params.q, 1 / params.gamma, n),
            "signup_channel": rng.choice(SIGNUP_CHANNELS, n, p=SIGNUP_SHARES),
        }
    )
    people.attrs["origin"] = start  # day numbers below count from here
    return people


def _purchases(rng, people: pd.DataFrame, clock, params, end) -> pd.DataFrame:
    """First purchase at acquisition, then BG/NBD repeat purchases until dropout or `end`."""
    n = len(people)
    possible = rng.poisson(people["lam"] * people["T_weeks"])  # events of the Poisson clock
    until_dropout = rng.geometric(people["p"])  # repeat purchases up to and incl. the last
    who = np.repeat(np.arange(n), possible)
    when = rng.random(len(who)) * people["T_weeks"].to_numpy()[who]
    order = np.lexsort((when, who))
    who, when = who[order], when[order]
    rank = np.arange(len(who)) - np.repeat(np.cumsum(possible) - possible, possible)
    keep = rank < until_dropout[who]
    who, when = who[keep], when[keep]
    dead = until_dropout <= possible
    last_op = np.zeros(n)
    np.maximum.at(last_op, who, when)
    people["n_repeat"] = np.bincount(who, minlength=n)
    people["dropout_day"] = np.where(
        dead, clock.to_calendar(people["op_start"] + last_op * 7), np.nan
    )
    repeat_day = clock.to_calendar(people["op_start"].to_numpy()[who] + when * 7)
    day = np.concatenate([people["acquired_day"].to_numpy(), repeat_day])
    cust = np.concatenate([np.arange(n), who])
    at = clock.start + pd.to_timedelta(np.minimum(day, (end - clock.start).days), unit="D")
    orders = pd.DataFrame({"person": cust, "ordered_at": at.round("s")})
    orders["amount"] = rng.gamma(params.p, 1 / people["nu"].to_numpy()[cust]).round(2)
    return orders


def _order_details(rng, orders, people, params, end) -> pd.DataFrame:
    """Channels, items, margin, ids; then refund rows (more of them near a dropout)."""
    n = len(orders)
    preferred = people["signup_channel"].to_numpy()[orders["person"]]
    other = rng.choice(SIGNUP_CHANNELS, n, p=SIGNUP_SHARES)
    orders["channel"] = np.where(rng.random(n) < 0.75, preferred, other)
    orders["n_items"] = 1 + rng.poisson(orders["amount"] / 40)
    orders["margin"] = (orders["amount"] * rng.uniform(0.15, 0.45, n)).round(2)
    orders["status"] = "completed"
    orders = orders.sort_values(["ordered_at", "person"], kind="stable").reset_index(drop=True)
    orders["order_id"] = [f"O{i:08d}" for i in range(1, n + 1)]
    near = _near_dropout(orders["person"], orders["ordered_at"], people, before=60, after=1)
    refunded = rng.random(n) < np.where(near, 0.10, params.refund_rate)
    refund_at = orders["ordered_at"] + pd.to_timedelta(rng.uniform(1, 20, n), unit="D").round("s")
    refunded &= refund_at <= end
    refunds = orders[refunded].copy()
    refunds["ordered_at"] = refund_at[refunded]
    full = rng.random(len(refunds)) < 0.8
    refunds["amount"] = -np.where(full, refunds["amount"], (refunds["amount"] * 0.5).round(2))
    refunds["margin"] = -refunds["margin"]
    refunds["status"] = "refunded"
    refunds["order_id"] = "R" + refunds["order_id"].str[1:]
    orders = pd.concat([orders, refunds], ignore_index=True)
    orders["customer_id"] = people["customer_id"].to_numpy()[orders["person"]]
    return orders


def _near_dropout(person, at, people, before: float, after: float) -> np.ndarray:
    """True where `at` lies within [dropout - before days, dropout + after days]."""
    dropout = people["dropout_day"].to_numpy()[np.asarray(person)]
    day = _day_number(at, people)
    return (day >= dropout - before) & (day <= dropout + after)


def _day_number(at: pd.Series, people: pd.DataFrame) -> np.ndarray:
    origin = people.attrs["origin"]
    return ((at - origin) / DAY).to_numpy(dtype=float)


def _customers(rng, people: pd.DataFrame, params: WorldParams) -> pd.DataFrame:
    n = len(people)
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    number = np.arange(1, n + 1)
    local = [
        f"{_ascii(f).lower()}.{_ascii(s).lower().replace(chr(39), '')}{k}"
        for f, s, k in zip(first, last, number, strict=True)
    ]
    email = pd.Series(local) + "@" + rng.choice(DOMAINS, n)
    mobile = (number * 7919 + 1_234_567) % 100_000_000  # unique for n < 1e8
    # UK mobile numbers (074xx xxxxxx: valid, 10 national digits), unique per customer
    phone = pd.Series([f"+44 74{m // 1_000_000:02d} {m % 1_000_000:06d}" for m in mobile])
    placeholder = rng.random(n) < params.placeholder_share
    email[placeholder] = "noreply@example.com"
    phone[placeholder] = "0000 000000"
    origin = people.attrs["origin"]
    first_seen = people["acquired_day"] - rng.uniform(0, 14, n)
    age_days = rng.uniform(18, 80, n) * 365.25
    return pd.DataFrame(
        {
            "customer_id": people["customer_id"],
            "first_seen_at": stamp(origin, first_seen),
            "name": pd.Series(first) + " " + pd.Series(last),
            "email": email,
            "phone": phone,
            "birth_date": (origin - pd.to_timedelta(age_days, unit="D")).normalize(),
            "gender": rng.choice(["female", "male", "other"], n, p=[0.49, 0.49, 0.02]),
            "city": rng.choice(CITIES, n),
            "signup_channel": people["signup_channel"],
            "consent_marketing": rng.random(n) < 0.8,
            "consent_analytics": rng.random(n) < 0.95,
            "deletion_requested": rng.random(n) < 0.005,
        }
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _events_between(rng, who, start_day, end_day, rate_per_week) -> tuple[np.ndarray, np.ndarray]:
    """Poisson events per person between start and end day: (person index, day)."""
    length = np.clip(end_day - start_day, 0, None)
    count = rng.poisson(rate_per_week * length / 7)
    person = np.repeat(who, count)
    day = np.repeat(start_day, count) + rng.random(count.sum()) * np.repeat(length, count)
    return person, day


def _engagement(rng, people, end) -> pd.DataFrame:
    """Customer-initiated touchpoints while active, a trickle after dropout."""
    origin = people.attrs["origin"]
    end_day = (end - origin) / DAY
    alive_until = people["dropout_day"].fillna(end_day).to_numpy()
    who = np.arange(len(people))
    rate = 0.3 + 3 * people["lam"].to_numpy()
    p1, d1 = _events_between(rng, who, people["acquired_day"].to_numpy(), alive_until, rate)
    p2, d2 = _events_between(rng, who, alive_until, np.full(len(who), end_day), 0.1 * rate)
    person, day = np.concatenate([p1, p2]), np.concatenate([d1, d2])
    kinds = np.array(["view", "view", "email_open", "click", "visit", "call"])
    channels = np.array(["web", "app", "email", "email", "store", "phone"])
    pick = rng.choice(len(kinds), len(person), p=[0.35, 0.25, 0.2, 0.1, 0.07, 0.03])
    return pd.DataFrame(
        {
            "customer_id": people["customer_id"].to_numpy()[person],
            "occurred_at": stamp(origin, day),
            "channel": channels[pick],
            "kind": kinds[pick],
            "initiator": "customer",
            "campaign_id": None,
        }
    )


_CAMPAIGNS = (
    # id, name, channel, start as share of the period, uplift by signup channel, lost control share
    ("CMP01", "Spring coupon e-mail", "email", 0.45, {"*": 0.06}, 0.0, 0.02, 500.0),
    ("CMP02", "Loyalty app push", "app", 0.62, {"app": 0.12, "*": 0.02}, 0.0, 0.01, 300.0),
    ("CMP03", "Win-back SMS", "sms", 0.80, {"*": 0.04}, 0.15, 0.08, 800.0),
)
WINDOW_DAYS = 14
ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "ordered_at",
    "amount",
    "channel",
    "n_items",
    "margin",
    "status",
]


def _campaigns(rng, people, orders, start, end, params):
    """Randomized 50/50 campaigns; treated active customers may place one extra order.

    Both potential outcomes of every assigned customer are known, so the true effects are
    exact for the assigned population: conversion = share with an order within 14 days of
    assignment; revenue = order value in that window.
    """
    origin = people.attrs["origin"]
    span_days = (end - start).days
    rows, assigned, contacts, extras, effects = [], [], [], [], {}
    order_day = _day_number(orders["ordered_at"], people)
    for cid, name, channel, at_share, uplift, lost_control, cost, fixed in _CAMPAIGNS:
        day0 = (start - origin) / DAY + at_share * span_days
        eligible = np.flatnonzero(people["acquired_day"].to_numpy() < day0 - 7)
        chosen = rng.choice(eligible, size=int(0.4 * len(eligible)), replace=False)
        chosen.sort()
        treated = rng.random(len(chosen)) < 0.5
        day = day0 + rng.uniform(0, 3, len(chosen))
        dropout = people["dropout_day"].to_numpy()[chosen]
        extra_day = day + rng.uniform(0.1, WINDOW_DAYS - 0.5, len(chosen))
        active = np.isnan(dropout) | (dropout > extra_day)  # still buying when it would land
        rate = np.array(
            [uplift.get(ch, uplift["*"]) for ch in people["signup_channel"].to_numpy()[chosen]]
        )
        responds = active & (rng.random(len(chosen)) < rate)
        extra_amount = rng.gamma(params.p, 1 / people["nu"].to_numpy()[chosen]).round(2)
        natural_revenue, natural_conv = _window_outcomes(orders, order_day, chosen, day)
        effects[cid] = {
            "name": name,
            "window_days": WINDOW_DAYS,
            "uplift_probability": uplift,
            "true_conversion_effect": float(np.mean(responds * (1 - natural_conv))),
            "true_revenue_effect": float(np.mean(responds * extra_amount)),
            "control_conversion": float(np.mean(natural_conv)),
            "control_revenue": float(np.mean(natural_revenue)),
            "lost_control_share": lost_control,
            "heterogeneous_by": "signup_channel" if len(uplift) > 1 else None,
        }
        keep = ~(~treated & (rng.random(len(chosen)) < lost_control))  # planted SRM
        at = stamp(origin, day)
        ids = people["customer_id"].to_numpy()[chosen]
        assigned.append(
            pd.DataFrame(
                {
                    "campaign_id": cid,
                    "customer_id": ids[keep],
                    "variant": np.where(treated, "treatment", "control")[keep],
                    "assigned_at": at[keep],
                }
            )
        )
        contacts.append(
            pd.DataFrame(
                {
                    "customer_id": ids[treated],
                    "occurred_at": at[treated],
                    "channel": channel,
                    "kind": "campaign_contact",
                    "initiator": "company",
                    "campaign_id": cid,
                }
            )
        )
        extra = treated & responds
        extras.append(
            pd.DataFrame(
                {
                    "person": chosen[extra],
                    "ordered_at": stamp(origin, extra_day[extra]),
                    "amount": extra_amount[extra],
                }
            )
        )
        rows.append(
            {
                "campaign_id": cid,
                "name": name,
                "channel": channel,
                "start_at": stamp(origin, [day0])[0],
                "end_at": stamp(origin, [day0 + WINDOW_DAYS])[0],
                "cost_per_contact": cost,
                "fixed_cost": fixed,
                "objective": "conversion within 14 days",
                "control_variant": "control",
            }
        )
    extra_orders = pd.concat(extras, ignore_index=True)
    extra_orders = extra_orders[extra_orders["ordered_at"] <= end]
    return (
        pd.DataFrame(rows),
        pd.concat(assigned, ignore_index=True),
        pd.concat(contacts, ignore_index=True),
        extra_orders,
        effects,
    )


def _window_outcomes(orders, order_day, chosen, day) -> tuple[np.ndarray, np.ndarray]:
    """Revenue and conversion of each chosen person in (day, day + window] without treatment."""
    frame = pd.DataFrame(
        {
            "person": orders["person"].to_numpy(),
            "day": order_day,
            "amount": orders["amount"].to_numpy(),
        }
    )
    start = pd.Series(day, index=chosen)
    frame = frame[frame["person"].isin(chosen)]
    offset = frame["day"].to_numpy() - start.reindex(frame["person"]).to_numpy()
    inside = frame[(offset > 0) & (offset <= WINDOW_DAYS)]
    revenue = inside.groupby("person")["amount"].sum().reindex(chosen, fill_value=0.0)
    return revenue.to_numpy(), (revenue.index.isin(inside["person"])).astype(float)


def _duplicate_records(rng, customers, orders, touchpoints, params):
    """A second customer record for some people, from their store or phone channel.

    The duplicate takes over that person's orders and touchpoints in the chosen channel and
    carries variant spellings of their name, e-mail and phone.
    """
    n = len(customers)
    k = round(params.duplicate_share * n)
    originals = np.sort(rng.choice(n, size=k, replace=False))
    source = customers.iloc[originals].reset_index(drop=True)
    dup = source.copy()
    dup["customer_id"] = [f"D{i:07d}" for i in range(1, k + 1)]
    dup["signup_channel"] = rng.choice(["store", "phone"], k)
    style = rng.integers(0, 3, k)
    dup["name"] = [_variant_name(nm, s) for nm, s in zip(source["name"], style, strict=True)]
    dup["email"] = [_variant_email(e, s) for e, s in zip(source["email"], style, strict=True)]
    dup["phone"] = [_variant_phone(p, s) for p, s in zip(source["phone"], style, strict=True)]
    mapping = pd.Series(dup["customer_id"].to_numpy(), index=source["customer_id"].to_numpy())
    channel_of = pd.Series(dup["signup_channel"].to_numpy(), index=source["customer_id"].to_numpy())
    moved = orders["customer_id"].isin(mapping.index) & (
        orders["channel"].to_numpy() == channel_of.reindex(orders["customer_id"]).to_numpy()
    )
    orders.loc[moved, "customer_id"] = mapping.reindex(orders.loc[moved, "customer_id"]).to_numpy()
    tp_moved = touchpoints["customer_id"].isin(mapping.index) & (
        touchpoints["channel"].to_numpy()
        == channel_of.reindex(touchpoints["customer_id"]).to_numpy()
    )
    touchpoints.loc[tp_moved, "customer_id"] = mapping.reindex(
        touchpoints.loc[tp_moved, "customer_id"]
    ).to_numpy()
    first_moved = orders[moved].groupby("customer_id")["ordered_at"].min()
    seen = first_moved.reindex(dup["customer_id"]).reset_index(drop=True)
    fallback = source["first_seen_at"].reset_index(drop=True)
    dup["first_seen_at"] = seen.astype(fallback.dtype).fillna(fallback).to_numpy()
    customers = pd.concat([customers, dup], ignore_index=True)
    duplicates = pd.DataFrame(
        {"customer_id": dup["customer_id"], "original_customer_id": source["customer_id"]}
    )
    return customers, orders, touchpoints, duplicates


def _variant_name(name: str, style: int) -> str:
    if style == 0:
        return _ascii(name).upper()
    if style == 1:
        first, _, last = name.partition(" ")
        return f"{last}, {first}"
    return "  " + name.lower() + " "


def _variant_email(email: str, style: int) -> str:
    if email.startswith("noreply@"):
        return email
    local, _, domain = email.partition("@")
    if style == 0:
        return email.upper()
    if style == 1 and domain == "gmail.com":
        return f"{local.replace('.', '')}+store@{domain}"
    return f" {local}@{domain.upper()}"


def _variant_phone(phone: str, style: int) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("44"):
        national = "0" + digits[2:]
        return [national, f"(0{digits[2:5]}) {digits[5:]}", f"+{digits}"][style]
    return phone


def _truth_customers(people: pd.DataFrame) -> pd.DataFrame:
    origin = people.attrs["origin"]
    dropout = origin + pd.to_timedelta(people["dropout_day"], unit="D")
    return pd.DataFrame(
        {
            "customer_id": people["customer_id"],
            "lam_per_week": people["lam"],
            "p_dropout": people["p"],
            "nu": people["nu"],
            "acquired_at": stamp(origin, people["acquired_day"]),
            "dropout_at": dropout.dt.round("s"),
            "n_repeat_purchases": people["n_repeat"],
            "dropout_cause": people["dropout_cause"],
        }
    )


def _by_customer(frame: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """A per-person frame keyed by customer_id, in time order."""
    ids = people["customer_id"].to_numpy()[frame["person"].to_numpy()]
    out = frame.drop(columns="person").assign(customer_id=ids)
    when = "occurred_at" if "occurred_at" in out else "from_at"
    out = out[["customer_id", *[c for c in out.columns if c != "customer_id"]]]
    return _sorted(out, when, "customer_id")


def _sorted(frame: pd.DataFrame, *by: str) -> pd.DataFrame:
    return frame.sort_values(list(by), kind="stable").reset_index(drop=True)


def _numbered(frame: pd.DataFrame, prefix: str, column: str) -> pd.DataFrame:
    ids = [f"{prefix}{i:08d}" for i in range(1, len(frame) + 1)]
    return frame.assign(**{column: ids})[[column, *frame.columns]]
