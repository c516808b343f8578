"""Program KPIs, time to a tier, and the member effect (recovered on the synthetic world)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.data.synth_loyalty import MEMBER_UPLIFT, TIERS
from crmlab.errors import ParameterError
from crmlab.loyalty import breakage, member_effect, program_kpis, time_to_tier

AS_OF = pd.Timestamp("2024-06-30", tz="UTC")


def _events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "kind", "points"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame.insert(0, "event_id", [f"e{i}" for i in range(len(frame))])
    return frame


def _spans(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "tier", "from_at", "to_at"])
    for c in ("from_at", "to_at"):
        frame[c] = pd.to_datetime(frame[c], utc=True)
    return frame


def test_kpis_count_flows_members_and_activity_by_month():
    events = _events(
        [
            ("a", "2024-01-05", "earn", 200),
            ("a", "2024-02-10", "redeem", -150),
            ("b", "2024-02-01", "earn", 100),
            ("b", "2024-02-02", "adjust", -20),
            ("b", "2024-03-01", "expire", -80),
        ]
    )
    spans = _spans([("a", "bronze", "2024-01-05", None), ("b", "bronze", "2024-02-01", None)])
    kpis = program_kpis(events, spans, "2024-03-31").set_index("month")
    assert kpis["new_members"].tolist() == [1, 1, 0]
    assert kpis["members"].tolist() == [1, 2, 2]
    assert kpis["active_members"].tolist() == [1, 2, 0]
    assert kpis.loc["2024-02", ["issued", "redeemed", "taken_back"]].tolist() == [100, 150, 20]
    assert kpis.loc["2024-03", "expired"] == 80
    assert kpis.loc["2024-02", "redemption_rate"] == 1.5  # old points spent
    with pytest.raises(ParameterError, match="period"):
        program_kpis(events, spans, "2024-03-31", period="Q")


def test_time_to_tier_counts_members_not_there_yet_as_censored():
    spans = _spans(
        [
            ("a", "bronze", "2024-01-01", "2024-01-11"),
            ("a", "silver", "2024-01-11", None),
            ("b", "bronze", "2024-01-01", "2024-01-31"),
            ("b", "gold", "2024-01-31", None),
            ("c", "bronze", "2024-01-01", None),
            ("d", "bronze", "2024-06-20", None),
        ]
    )
    table = time_to_tier(spans, "silver", TIERS, AS_OF, quantiles=(0.25, 0.5))
    assert table[["members", "reached"]].iloc[0].tolist() == [4, 2]
    # reached at 10 and 30 days; c censored at 181 days, d at 10 (after a's upgrade)
    # KM: S(10) = 1 - 1/4 = 0.75, S(30) = 0.75 * (1 - 1/2) = 0.375
    assert table["p25"].iloc[0] == 10 and table["p50"].iloc[0] == 30
    with pytest.raises(ParameterError, match="platinum"):
        time_to_tier(spans, "platinum", TIERS, AS_OF)


def test_member_effect_recovers_the_planted_uplift_and_shows_the_naive_bias(program_world):
    w = program_world
    found = member_effect(w.orders, w.memberships, w.as_of, random_state=2)
    assert found.ci_low <= MEMBER_UPLIFT <= found.ci_high
    assert found.ci_high - found.ci_low < 0.15
    # frequent, big spenders join more: a plain comparison is far above the effect
    assert found.naive > found.ci_high + 0.1
    assert "Observational" in found.notes[0]
    assert found.means.loc["non-members", "after"] == pytest.approx(
        found.means.loc["non-members", "before"], rel=0.05
    )


def test_member_effect_needs_enough_people_and_a_sane_window(world):
    with pytest.raises(ParameterError, match="window_days"):
        member_effect(world.orders, world.memberships, world.as_of, window_days=2)
    with pytest.raises(ParameterError, match="at least 20"):
        member_effect(world.orders, world.memberships.head(5), world.as_of)


def test_tables_without_the_needed_columns_get_a_crmlab_error():
    events = _events([("a", "2024-01-05", "earn", 200)])
    spans = _spans([("a", "bronze", "2024-01-05", None)]).drop(columns="from_at")
    orders = pd.DataFrame({"customer_id": ["a"], "ordered_at": [AS_OF], "amount": ["12,50"]})
    with pytest.raises(ParameterError, match="memberships lacks from_at"):
        program_kpis(events, spans, AS_OF)
    with pytest.raises(ParameterError, match="memberships lacks from_at"):
        time_to_tier(spans, "silver", TIERS, AS_OF)
    with pytest.raises(ParameterError, match=r"orders.amount holds .* \(e.g. '12,50'\)"):
        member_effect(orders, spans, AS_OF)
    with pytest.raises(ParameterError, match="loyalty_events.points holds"):
        program_kpis(events.assign(points=["200"]), spans, AS_OF)
    with pytest.raises(ParameterError, match="no issued points"):
        breakage(events.iloc[:0], AS_OF)
