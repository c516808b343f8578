"""Ticket times (Kaplan-Meier, open tickets censored), service KPIs and the backlog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from crmlab import voice
from crmlab.errors import DataContractError, ParameterError
from crmlab.voice.kaplan_meier import km_quantiles, km_share_by, km_steps

AS_OF = pd.Timestamp("2024-06-30", tz="UTC")
START = pd.Timestamp("2024-01-01", tz="UTC")

# Freireich et al. (1963) leukaemia remission times in weeks, the textbook Kaplan-Meier
# example (Kleinbaum & Klein, Survival Analysis): 6-MP arm (0 = censored) and placebo arm.
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def _tickets_from(weeks, events, arm) -> pd.DataFrame:
    """Tickets whose resolution takes the given weeks; censored ones are open at AS_OF."""
    weeks = np.asarray(weeks, float)
    opened = AS_OF - pd.to_timedelta(np.where(events, 60, weeks), unit="W")
    resolved = opened + pd.to_timedelta(weeks, unit="W")
    return pd.DataFrame(
        {
            "ticket_id": [f"{arm}{i}" for i in range(len(weeks))],
            "opened_at": opened,
            "first_response_at": opened,
            "resolved_at": resolved.where(np.asarray(events, bool)),
            "arm": arm,
        }
    )


def test_medians_reproduce_the_freireich_textbook_values():
    tickets = pd.concat(
        [_tickets_from(SIX_MP, SIX_MP_EVENT, "6-MP"), _tickets_from(PLACEBO, [1] * 21, "placebo")]
    )
    table = voice.ticket_times(tickets, AS_OF, by="arm", time_unit="W").set_index("arm")
    assert table.loc["6-MP", "resolution_p50"] == pytest.approx(23)  # published: 23 weeks
    assert table.loc["placebo", "resolution_p50"] == pytest.approx(8)  # published: 8 weeks
    assert table.loc["6-MP", "open"] == 12 and table.loc["placebo", "open"] == 0
    assert np.isnan(table.loc["6-MP", "resolution_p90"])  # never reached: too many open


def test_vectorized_curves_match_statsmodels_group_by_group():
    rng = np.random.default_rng(1)
    n = 3000
    groups = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n)})
    durations = np.round(rng.exponential(10, n), 1)  # ties on purpose
    events = rng.random(n) < 0.7
    curves = km_steps(groups, durations, events)
    quantiles = km_quantiles(curves, [0.25, 0.5, 0.75]).set_index("g")
    within = km_share_by(curves, 12.0).set_index("g")
    for label in "abc":
        mine = (groups["g"] == label).to_numpy()
        reference = SurvfuncRight(durations[mine], events[mine].astype(int))
        for q, column in ((0.25, "p25"), (0.5, "p50"), (0.75, "p75")):
            assert quantiles.loc[label, column] == pytest.approx(reference.quantile(q))
        shown = reference.surv_prob[reference.surv_times <= 12.0][-1]
        assert within.loc[label, "within"] == pytest.approx(1 - shown)


def _service(n=2000, seed=2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    opened = START + pd.to_timedelta(rng.uniform(0, 180, n), unit="D")
    answer = opened + pd.to_timedelta(rng.exponential(6, n), unit="h")
    resolve = answer + pd.to_timedelta(rng.exponential(200, n), unit="h")
    return pd.DataFrame(
        {
            "ticket_id": [f"K{i}" for i in range(n)],
            "opened_at": opened,
            "category": rng.choice(["delivery", "billing"], n),
            "first_response_at": answer,
            "resolved_at": resolve,
            "reopens": rng.choice([0, 0, 0, 1], n),
            "satisfaction": rng.integers(1, 6, n).astype(float),
        }
    )


def test_open_tickets_are_censored_not_dropped():
    tickets = _service()
    as_of = pd.Timestamp("2024-03-01", tz="UTC")
    censored = voice.ticket_times(tickets, as_of).iloc[0]
    full = voice.ticket_times(tickets, "2025-01-01").iloc[0]
    known = tickets[tickets["opened_at"] <= as_of]
    closed = known[known["resolved_at"] <= as_of]
    naive = ((closed["resolved_at"] - closed["opened_at"]).dt.total_seconds() / 3600).median()
    assert censored["tickets"] == len(known) and censored["open"] > 50
    # the closed-only median leaves out the slow tickets; Kaplan-Meier does not
    assert naive < censored["resolution_p50"]
    truth = full["resolution_p50"]
    assert abs(censored["resolution_p50"] - truth) < abs(naive - truth)


def test_resolving_counts_as_the_first_answer_and_future_moments_are_unknown():
    tickets = pd.DataFrame(
        {
            "ticket_id": ["a", "b", "c"],
            "opened_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"], utc=True),
            "first_response_at": pd.to_datetime([None, "2024-01-05", None], utc=True),
            "resolved_at": pd.to_datetime(["2024-01-02", "2024-01-20", None], utc=True),
        }
    )
    durations = voice.ticket_durations(tickets, "2024-01-10", time_unit="D")
    assert list(durations.index) == [0, 1]  # c was opened after as_of
    assert durations.loc[0, "first_response"] == 1 and durations.loc[0, "answered"]
    assert durations.loc[1, "resolution"] == 9 and not durations.loc[1, "resolved"]


def test_kpis_by_category_and_month():
    tickets = _service()
    table = voice.ticket_kpis(
        tickets, "2024-06-30", by="category", period="M", resolution_target=48
    )
    assert list(table.columns[:2]) == ["month", "category"]
    assert len(table) == 12 and table["tickets"].sum() == len(tickets)
    overall = voice.ticket_kpis(tickets, "2025-01-01", resolution_target=48).iloc[0]
    hours = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    assert overall["resolution_within_target"] == pytest.approx((hours <= 48).mean())
    assert overall["reopen_rate"] == pytest.approx((tickets["reopens"] > 0).mean())
    assert overall["satisfaction"] == pytest.approx(tickets["satisfaction"].mean())
    without = voice.ticket_kpis(tickets.drop(columns=["reopens"]), "2025-01-01").iloc[0]
    assert np.isnan(without["reopen_rate"])  # unknown, not zero


def test_backlog_lists_what_is_open_and_how_old():
    tickets = _service()
    as_of = pd.Timestamp("2024-03-01", tz="UTC")
    table = voice.backlog(tickets, as_of, by="category", target=24)
    still = tickets[(tickets["opened_at"] <= as_of) & (tickets["resolved_at"] > as_of)]
    assert table["open"].sum() == len(still)
    ages = (as_of - still["opened_at"]).dt.total_seconds() / 3600
    assert table["over_target"].sum() == (ages > 24).sum()
    assert table["oldest"].max() == pytest.approx(ages.max())


def test_bad_tickets_and_arguments():
    tickets = _service(10)
    tickets.loc[3, "resolved_at"] = tickets.loc[3, "opened_at"] - pd.Timedelta(hours=1)
    with pytest.raises(DataContractError, match="1 ticket\\(s\\) have resolved_at before"):
        voice.ticket_times(tickets, "2025-01-01")
    with pytest.raises(ParameterError, match="quantiles=\\(0.5, 1.5\\)"):
        voice.ticket_times(_service(10), "2025-01-01", quantiles=(0.5, 1.5))
    with pytest.raises(ParameterError, match="resolution_target=0"):
        voice.ticket_kpis(_service(10), "2025-01-01", resolution_target=0)
    with pytest.raises(ParameterError, match="time_unit='s'"):
        voice.ticket_times(_service(10), "2025-01-01", time_unit="s")
