"""The synthetic world's service and survey truth, recovered by crmlab.voice."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import voice


@pytest.fixture(scope="module")
def big_world(sample_size_world):
    return sample_size_world


def test_the_planted_surge_is_found_on_its_days_and_little_else(big_world):
    surge = big_world.truth.params["voice"]["surge"]
    counts = voice.daily_counts(big_world.tickets, "opened_at", big_world.as_of, by="category")
    alerts = voice.surge_alerts(counts, "complaints", by="category").alerts
    planted = pd.date_range(surge["first_day"], surge["last_day"], freq="D", tz="UTC")
    found = alerts[(alerts["category"] == surge["category"]) & alerts["day"].isin(planted)]
    assert len(found) >= len(planted) - 1
    false_alarms = alerts[~alerts.index.isin(found.index)]
    years = (big_world.as_of - big_world.tickets["opened_at"].min()).days / 365
    assert len(false_alarms) <= years  # at most one a year


def test_nps_drivers_come_out_in_the_planted_order(big_world):
    context = voice.survey_context(big_world.surveys, big_world.orders, big_world.tickets)
    result = voice.drivers(context, "nps", ["order_channel", "ticket_days", "ticket_category"])
    assert list(result.table["driver"]) == big_world.truth.params["voice"]["nps_driver_ranking"]
    effects = result.effects.set_index(["driver", "level"])["coefficient"]
    assert effects[("ticket_days", "")] < 0
    assert effects[("ticket_category", "delivery")] < effects[("ticket_category", "billing")]


def test_slow_handling_makes_customers_leave(big_world):
    truth = big_world.truth.tables["customers"]
    lost = truth[truth["dropout_cause"] == "slow service"]
    assert len(lost) == big_world.truth.params["voice"]["customers_lost_to_slow_service"] > 50
    durations = voice.ticket_durations(big_world.tickets, big_world.as_of, time_unit="h")
    tickets = big_world.tickets.assign(slow=(durations["resolution"] > 120).to_numpy())
    slow_customers = set(tickets.loc[tickets["slow"], "customer_id"])
    fast_customers = set(tickets.loc[~tickets["slow"], "customer_id"]) - slow_customers
    left = truth.set_index("customer_id")["dropout_at"].notna()
    assert left[list(slow_customers)].mean() > left[list(fast_customers)].mean()
    purchases = big_world.orders[big_world.orders["status"] == "completed"]
    last_order = purchases.groupby("customer_id")["ordered_at"].max()  # refunds come later
    dropout = truth.set_index("customer_id").loc[lost["customer_id"], "dropout_at"]
    seen = last_order.reindex(dropout.index).dropna()  # a duplicate record may hold them all
    assert (seen <= dropout[seen.index] + pd.Timedelta(days=1)).all()


def test_tickets_have_channels_reopens_and_open_ones(big_world):
    tickets = big_world.tickets
    assert set(tickets["channel"]) == {"email", "phone", "chat"}
    assert (tickets["reopens"] > 0).mean() == pytest.approx(0.06, abs=0.03)
    assert tickets["resolved_at"].isna().sum() > 0
    first_seen = big_world.customers.set_index("customer_id")["first_seen_at"]
    assert (tickets["opened_at"] >= first_seen.reindex(tickets["customer_id"]).to_numpy()).all()


def test_complaint_churn_points_the_planted_way(big_world):
    from crmlab.features import cutoff_schedule

    cutoffs = cutoff_schedule(big_world.as_of, 6, 60, 90)
    result = voice.complaint_churn(big_world, cutoffs, n_boot=40)
    table = result.table.set_index("group")
    assert list(table.index) == ["no complaint", "resolved fast", "resolved slowly", "still open"]
    slow, fast = table.loc["resolved slowly"], table.loc["resolved fast"]
    assert slow["adjusted_churn_rate"] > fast["adjusted_churn_rate"]
    assert slow["difference_ci_low"] > 0  # slow handling: more churn than no complaint
    assert slow["ci_low"] <= slow["adjusted_churn_rate"] <= slow["ci_high"]
    assert "Observational" in result.note
    again = voice.complaint_churn(big_world, cutoffs, n_boot=40)
    pd.testing.assert_frame_equal(result.table, again.table)  # same random_state, same numbers


def test_complaint_churn_needs_tickets_and_both_kinds_of_customer(big_world):
    from crmlab.errors import ParameterError

    with pytest.raises(ParameterError, match="needs the tickets table"):
        voice.complaint_churn(big_world.replace(tickets=None), [big_world.as_of])
    with pytest.raises(ParameterError, match="fast_within=0"):
        voice.complaint_churn(big_world, [big_world.as_of], fast_within=0)
