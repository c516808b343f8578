"""Benchmark: voice-of-the-customer KPIs and monitoring on 1M survey answers and 5M tickets.

    python bench/voice.py [--answers 1_000_000] [--tickets 5_000_000]

Generates the two tables directly (vectorized, not timed; two years, five categories, three
channels, 2% of tickets still open), then times on this machine:
  1. scores: NPS and CSAT overall and by channel, the monthly NPS trend, this month against
     the last (``voice.nps``, ``csat``, ``trend``, ``period_change``);
  2. service: ``ticket_kpis`` by category x month, ``ticket_times`` by category and channel,
     ``backlog``; side by side, the same Kaplan-Meier medians from statsmodels'
     ``SurvfuncRight`` fitted group by group (the peer), with the ratio and a check that the
     medians agree;
  3. monitoring: ``daily_counts`` and ``surge_alerts`` per category, and the detractor share.
Target (issue 18): steps 1-3 under 60 s. Prints peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from crmlab import voice

START = pd.Timestamp("2023-01-01", tz="UTC")
AS_OF = pd.Timestamp("2024-12-31", tz="UTC")
CATEGORIES = np.array(["delivery", "billing", "product", "returns", "account"])
CHANNELS = np.array(["email", "phone", "chat"])


def _moments(rng, n: int) -> pd.Series:
    seconds = rng.uniform(0, (AS_OF - START).total_seconds(), n)
    return pd.Series(START + pd.to_timedelta(np.sort(seconds), unit="s"))


def make_answers(n: int, rng) -> pd.DataFrame:
    nps = np.clip(np.round(rng.normal(7.8, 2.2, n)), 0, 10).astype("int64")
    return pd.DataFrame(
        {
            "answered_at": _moments(rng, n),
            "nps": nps,
            "csat": np.clip(np.round(1 + nps / 2.5 + rng.normal(0, 0.5, n)), 1, 5).astype("int64"),
            "channel": rng.choice(["web", "app", "store", "phone"], n),
        }
    )


def make_tickets(n: int, rng) -> pd.DataFrame:
    opened = _moments(rng, n)
    category = rng.choice(CATEGORIES, n)
    hours = rng.lognormal(np.log(30), 1.0, n)
    resolved = opened + pd.to_timedelta(hours, unit="h")
    open_now = (rng.random(n) < 0.02) | (resolved > AS_OF)
    return pd.DataFrame(
        {
            "ticket_id": np.arange(n).astype(str),
            "opened_at": opened,
            "category": category,
            "channel": rng.choice(CHANNELS, n),
            "first_response_at": opened + pd.to_timedelta(rng.exponential(5, n), unit="h"),
            "resolved_at": resolved.where(~open_now),
            "reopens": (rng.random(n) < 0.05).astype("int64"),
            "satisfaction": rng.integers(1, 6, n).astype(float),
        }
    )


def peer_medians(tickets: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier medians the usual way: statsmodels, one group (category x month) at a
    time, for both clocks (first response and resolution)."""
    month = tickets["opened_at"].dt.tz_localize(None).dt.to_period("M").dt.start_time
    rows = []
    for (category, start), index in tickets.groupby(["category", month]).groups.items():
        part = tickets.loc[index]
        row = {"category": category, "month": start}
        for clock, column in (
            ("first_response", "first_response_at"),
            ("resolution", "resolved_at"),
        ):
            done = part[column].notna() & (part[column] <= AS_OF)
            end = part[column].where(done, AS_OF)
            hours = (end - part["opened_at"]).dt.total_seconds() / 3600
            row[f"{clock}_p50"] = SurvfuncRight(
                hours.to_numpy(), done.astype(int).to_numpy()
            ).quantile(0.5)
        rows.append(row)
    return pd.DataFrame(rows)


def timed(label: str, work):
    began = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - began
    print(f"  {label:<58} {seconds:7.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=5_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    answers, tickets = make_answers(args.answers, rng), make_tickets(args.tickets, rng)
    print(f"{args.answers:,} survey answers, {args.tickets:,} tickets (generation not timed)")
    total = 0.0

    def scores():
        voice.nps(answers)
        voice.nps(answers, by="channel")
        voice.csat(answers, by="channel")
        voice.trend(answers, "nps", "M")
        return voice.period_change(answers, AS_OF, "nps", by="channel")

    _, seconds = timed("1. NPS, CSAT by channel, monthly trend, month change", scores)
    total += seconds

    def service():
        voice.ticket_kpis(tickets, AS_OF, by="category", period="M")
        voice.backlog(tickets, AS_OF, by="category")
        return voice.ticket_times(tickets, AS_OF, by=["category", "channel"])

    _, seconds = timed("2. ticket KPIs by category x month, times, backlog", service)
    total += seconds
    peer, peer_seconds = timed(
        "   peer: statsmodels SurvfuncRight per category x month", lambda: peer_medians(tickets)
    )
    mine, mine_seconds = timed(
        "   crmlab ticket_times, the same medians",
        lambda: voice.ticket_times(tickets, AS_OF, by="category", period="M", quantiles=(0.5,)),
    )
    mine["month"] = mine["month"].dt.tz_localize(None)
    merged = peer.merge(mine, on=["category", "month"], suffixes=("_peer", ""))
    gap = (merged["resolution_p50"] - merged["resolution_p50_peer"]).abs().max()
    print(
        f"   ratio statsmodels / crmlab: {peer_seconds / mine_seconds:.1f}x "
        f"(largest median gap {gap:.2g} h)"
    )

    def monitoring():
        counts = voice.daily_counts(tickets, "opened_at", AS_OF, by="category")
        voice.surge_alerts(counts, "tickets", by="category")
        shares = voice.daily_shares(
            answers.assign(detractor=answers["nps"] <= 6), "answered_at", "detractor", AS_OF
        )
        return voice.surge_alerts(shares, "detractor share", value="share", n="n")

    _, seconds = timed("3. daily counts and surge alerts (categories, detractors)", monitoring)
    total += seconds
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"total steps 1-3: {total:.1f} s (target < 60 s); peak memory {peak:.1f} GB")


if __name__ == "__main__":
    main()
