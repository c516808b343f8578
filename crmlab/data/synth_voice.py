"""The service and survey part of the synthetic world: tickets and NPS answers with planted
truth for ``crmlab.voice``.

* Tickets arrive at a low rate while a customer is active and in a burst around their
  dropout. Each has what the customer wrote (``synth_text.ticket_texts``), a contact channel
  (e-mail, phone, chat: first answers come at different speeds), a resolution time by
  category (lognormal), sometimes a reopening, a satisfaction rating; tickets still being
  worked on at the end are open.
* **Slow handling causes churn**: a customer whose ticket takes longer than
  ``SLOW_AFTER_HOURS`` to resolve (or is never resolved) leaves right then with chance
  ``SLOW_CHURN``, if they had not already; their later orders and tickets are removed.
* **A complaint surge**: for ``SURGE_DAYS`` days, ``SURGE_CATEGORY`` tickets come at
  ``SURGE_FACTOR`` times their usual rate.
* **Known NPS drivers**: an answer's expected score falls with a ticket in the 30 days before
  it (more for a delivery ticket) and with how long that ticket took, rises a little for
  store buyers, and falls near a customer's dropout (``NPS_EFFECTS``).

Everything is recorded in ``truth.params["voice"]`` and the customers' ``dropout_cause``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .recent import latest_ticket
from .synth_text import comments, ticket_texts
from .synth_time import DAY

TICKET_CATEGORIES = ("delivery", "billing", "product", "returns", "account")
TICKET_CHANNELS = ("email", "phone", "chat")
CHANNEL_SHARES = (0.5, 0.3, 0.2)
FIRST_RESPONSE_HOURS = {"email": 10.0, "phone": 0.5, "chat": 0.2}  # mean, exponential
RESOLUTION_MEDIAN_HOURS = {
    "delivery": 30.0,
    "billing": 20.0,
    "product": 60.0,
    "returns": 48.0,
    "account": 12.0,
}
RESOLUTION_SPREAD = 1.0  # sigma of log hours
ABANDONED_SHARE = 0.01  # tickets nobody ever resolves
BASE_RATE, BURST_RATE = 0.01, 0.5  # tickets per week: while active, and around a dropout
SLOW_AFTER_HOURS = 120.0
SLOW_CHURN = 0.35
SURGE_CATEGORY, SURGE_START_SHARE, SURGE_DAYS, SURGE_FACTOR = "delivery", 0.7, 5, 4.0
SURVEY_SHARE = 0.15  # of purchases followed by an NPS survey
CONTEXT_DAYS = 30  # a ticket this recent colours the answer
NPS_EFFECTS = {
    "baseline": 8.6,
    "ticket": -1.2,  # any ticket in the 30 days before answering
    "delivery_ticket": -1.0,  # on top, when that ticket was about delivery
    "per_day_to_resolve": -0.5,  # per day the ticket took (or has been open), up to 6 days
    "store_order": 0.4,  # the answer follows a store purchase
    "near_dropout": -3.5,  # within 45 days before the customer's dropout
    "noise_sd": 1.6,
}


def service_tickets(rng, people: pd.DataFrame, orders: pd.DataFrame, end: pd.Timestamp):
    """Tickets with planted handling times and the churn they cause.

    Returns (tickets, orders without the purchases of customers who left over slow
    service); ``people`` gains ``dropout_cause`` and an earlier ``dropout_day`` for them.
    """
    origin = people.attrs["origin"]
    end_day = (end - origin) / DAY
    acquired = people["acquired_day"].to_numpy()
    alive_until = people["dropout_day"].fillna(end_day).to_numpy()
    who = np.arange(len(people))
    p1, d1 = _events(rng, who, acquired, alive_until, BASE_RATE)
    dead = who[people["dropout_day"].notna().to_numpy()]
    drop = people["dropout_day"].to_numpy()[dead]
    start = np.maximum(drop - 21, acquired[dead])
    p2, d2 = _events(rng, dead, start, np.minimum(drop + 21, end_day), BURST_RATE)
    p3, d3, surge = _surge(rng, np.concatenate([d1, d2]), acquired, alive_until, end_day)
    person = np.concatenate([p1, p2, p3])
    day = np.concatenate([d1, d2, d3])
    near = np.concatenate(
        [np.zeros(len(p1), bool), np.ones(len(p2), bool), np.zeros(len(p3), bool)]
    )
    category = rng.choice(TICKET_CATEGORIES, len(person))
    category[len(p1) + len(p2) :] = SURGE_CATEGORY
    tickets = _handling(rng, person, day, near, category)
    tickets, orders, forced = _slow_service_churn(rng, tickets, orders, people, near, end_day)
    tickets = _timestamps(tickets, origin, end)
    tickets["customer_id"] = people["customer_id"].to_numpy()[tickets["person"]]
    tickets["text"] = pd.Series(ticket_texts(rng, tickets["category"].to_numpy()), dtype="str")
    surge_first = origin + pd.to_timedelta(surge, unit="D")
    truth = {
        "slow_after_hours": SLOW_AFTER_HOURS,
        "slow_churn": SLOW_CHURN,
        "customers_lost_to_slow_service": int(forced),
        "surge": {
            "category": SURGE_CATEGORY,
            "first_day": surge_first.strftime("%Y-%m-%d"),
            "last_day": (surge_first + (SURGE_DAYS - 1) * DAY).strftime("%Y-%m-%d"),
            "factor": SURGE_FACTOR,
        },
        "nps_effects": dict(NPS_EFFECTS),
        # the importance order of survey_context's drivers these effects imply ("none" is a
        # ticket category, so having a ticket at all is part of it)
        "nps_driver_ranking": ["ticket_category", "ticket_days", "order_channel"],
    }
    return tickets, orders, truth


def survey_answers(rng, orders, people, tickets, customers, end) -> pd.DataFrame:
    """NPS and CSAT answers after a share of purchases, scored by the planted drivers, with
    comments (``synth_text``); the comments' truth rides along in ``_truth_*`` columns."""
    purchases = orders[orders["status"] == "completed"]
    asked = purchases[rng.random(len(purchases)) < SURVEY_SHARE]
    answered = asked["ordered_at"] + pd.to_timedelta(rng.uniform(0.5, 5, len(asked)), unit="D")
    keep = (answered <= end).to_numpy()
    asked, answered = asked[keep].reset_index(drop=True), answered[keep].reset_index(drop=True)
    context = latest_ticket(tickets, asked["customer_id"], answered, CONTEXT_DAYS)
    origin = people.attrs["origin"]
    answer_day = ((answered - origin) / DAY).to_numpy(float)
    dropout = people["dropout_day"].to_numpy()[asked["person"].to_numpy()]
    near = (answer_day >= dropout - 45) & (answer_day <= dropout + 1)
    e = NPS_EFFECTS
    had = context["ticket_category"].notna().to_numpy()
    expected = (
        e["baseline"]
        + e["ticket"] * had
        + e["delivery_ticket"] * (context["ticket_category"] == "delivery").to_numpy()
        + e["per_day_to_resolve"] * np.minimum(context["ticket_days"].fillna(0).to_numpy(), 6)
        + e["store_order"] * (asked["channel"] == "store").to_numpy()
        + e["near_dropout"] * near
    )
    n = len(asked)
    nps = np.clip(np.round(rng.normal(expected, e["noise_sd"])), 0, 10).astype(int)
    csat = np.clip(np.round(1 + nps / 2.5 + rng.normal(0, 0.5, n)), 1, 5).astype(int)
    contacts = customers.set_index("customer_id").reindex(asked["customer_id"])
    texts, truth = comments(
        rng, nps, context["ticket_category"], contacts[["name", "email", "phone"]]
    )
    answers = pd.DataFrame(
        {
            "customer_id": asked["customer_id"].to_numpy(),
            "answered_at": answered.dt.round("s").to_numpy(),
            "nps": nps,
            "csat": csat,
            "comment": pd.Series(texts, dtype="str"),
        }
    )
    return pd.concat([answers, truth.add_prefix("_truth_")], axis=1)


def _events(rng, who, start_day, end_day, rate_per_week):
    length = np.clip(end_day - start_day, 0, None)
    count = rng.poisson(rate_per_week * length / 7)
    person = np.repeat(who, count)
    day = np.repeat(start_day, count) + rng.random(count.sum()) * np.repeat(length, count)
    return person, day


def _surge(rng, day, acquired, alive_until, end_day):
    """Extra tickets in the surge days, from customers active then: the category's usual
    daily volume (all tickets of the four weeks before, shared by the categories) times
    SURGE_FACTOR - 1."""
    first = np.floor(SURGE_START_SHARE * end_day)
    usual = np.sum((day >= first - 28) & (day < first)) / 28 / len(TICKET_CATEGORIES)
    extra = rng.poisson((SURGE_FACTOR - 1) * usual * SURGE_DAYS)
    active = np.flatnonzero((acquired <= first) & (alive_until >= first + SURGE_DAYS))
    who = rng.choice(active, extra)
    return who, first + rng.random(extra) * SURGE_DAYS, first


def _handling(rng, person, day, near, category) -> pd.DataFrame:
    n = len(person)
    channel = rng.choice(TICKET_CHANNELS, n, p=CHANNEL_SHARES)
    mean_answer = np.vectorize(FIRST_RESPONSE_HOURS.get)(channel)
    median = np.vectorize(RESOLUTION_MEDIAN_HOURS.get)(category) * np.where(near, 2.0, 1.0)
    resolution = rng.lognormal(np.log(median), RESOLUTION_SPREAD)
    answer = np.minimum(rng.exponential(mean_answer), resolution)
    abandoned = rng.random(n) < ABANDONED_SHARE
    slow = abandoned | (resolution > SLOW_AFTER_HOURS)
    reopens = (rng.random(n) < 0.05 + 0.10 * (resolution < 6)) * rng.integers(1, 3, n)
    satisfaction = np.clip(np.round(rng.normal(4.3 - 1.6 * slow - 0.8 * near, 0.8)), 1, 5)
    return pd.DataFrame(
        {
            "person": person,
            "day": day,
            "category": category,
            "channel": channel,
            "answer_hours": answer,
            "resolution_hours": np.where(abandoned, np.nan, resolution),
            "slow": slow,
            "reopens": reopens,
            "satisfaction": satisfaction,
        }
    )


def _slow_service_churn(rng, tickets, orders, people, near, end_day):
    """Customers who leave over a slowly handled ticket: earlier dropout, later orders and
    tickets removed. Only tickets of active customers (not the burst around a dropout that
    was coming anyway) can cause it."""
    done_day = tickets["day"] + tickets["resolution_hours"].fillna(SLOW_AFTER_HOURS) / 24
    leaves = tickets["slow"].to_numpy() & ~near & (rng.random(len(tickets)) < SLOW_CHURN)
    leaves &= (done_day <= end_day).to_numpy()  # leaving after the end has not happened yet
    forced = pd.Series(done_day[leaves].to_numpy(), index=tickets["person"][leaves].to_numpy())
    forced = forced.groupby(level=0).min()
    current = people["dropout_day"].to_numpy()[forced.index]
    earlier = forced[~(current <= forced.to_numpy())]  # NaN dropout: still active, so earlier
    people["dropout_cause"] = np.where(people["dropout_day"].notna(), "purchase process", None)
    people.loc[earlier.index, "dropout_day"] = earlier.to_numpy()
    people.loc[earlier.index, "dropout_cause"] = "slow service"
    origin = people.attrs["origin"]
    # only the leavers lose anything: comparing everyone's orders with their (unrounded)
    # dropout day would also cut purchase-process dropouts' last order, rounded to the second
    limit = np.full(len(people), np.inf)
    limit[earlier.index] = earlier.to_numpy()
    order_day = ((orders["ordered_at"] - origin) / DAY).to_numpy(float)
    keep = order_day <= limit[orders["person"].to_numpy()]
    ticket_keep = tickets["day"].to_numpy() <= limit[tickets["person"].to_numpy()] + 1
    orders = orders[keep].reset_index(drop=True)
    people["n_repeat"] = np.bincount(orders["person"], minlength=len(people)) - 1
    return tickets[ticket_keep].reset_index(drop=True), orders, len(earlier)


def _timestamps(tickets: pd.DataFrame, origin: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    opened = origin + pd.to_timedelta(tickets["day"], unit="D")
    answered = opened + pd.to_timedelta(tickets["answer_hours"], unit="h")
    resolved = opened + pd.to_timedelta(tickets["resolution_hours"], unit="h")
    still_open = resolved.isna() | (resolved > end)
    return pd.DataFrame(
        {
            "person": tickets["person"].to_numpy(),
            "opened_at": opened.dt.round("s"),
            "category": tickets["category"].to_numpy(),
            "channel": tickets["channel"].to_numpy(),
            "first_response_at": answered.where(answered <= end).dt.round("s"),
            "resolved_at": resolved.where(~still_open).dt.round("s"),
            "reopens": np.where(still_open, 0, tickets["reopens"]).astype("int64"),
            "satisfaction": np.where(still_open, np.nan, tickets["satisfaction"]),
        }
    )
