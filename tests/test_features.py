"""customer_summary / calibration_holdout equal lifetimes' definitions, computed in DuckDB."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

from crmlab.datasets import cdnow
from crmlab.errors import DataContractError, ParameterError
from crmlab.features import (
    CustomerSummary,
    calibration_holdout,
    customer_summary,
    monthly_new_customers,
    monthly_orders,
)

LIFETIMES_COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def random_orders(seed: int, n: int = 3_000, customers: int = 300) -> pd.DataFrame:
    """Orders with times of day, many same-day repeats, one-order customers and refunds."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2021-01-01", tz="UTC")
    at = start + pd.to_timedelta(rng.integers(0, 500 * 24 * 60, n), unit="min")
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": rng.integers(0, customers, n).astype(str),
            "ordered_at": at,
            "amount": rng.gamma(2, 20, n).round(2),
            "status": "completed",
        }
    )
    same_day = orders.sample(300, random_state=seed).assign(
        order_id=lambda d: d["order_id"] + "b",
        ordered_at=lambda d: d["ordered_at"].dt.floor("D") + pd.Timedelta(hours=23),
    )
    singles = pd.DataFrame(
        {
            "order_id": ["s1", "s2"],
            "customer_id": ["single1", "single2"],
            "ordered_at": [start + pd.Timedelta(days=3), start + pd.Timedelta(days=400)],
            "amount": [9.99, 0.0],
            "status": "completed",
        }
    )
    return pd.concat([orders, same_day, singles], ignore_index=True)


def lifetimes_summary(orders: pd.DataFrame, as_of: str, freq: str, mult: float = 1) -> pd.DataFrame:
    """lifetimes' own utility on the purchases up to as_of (naive UTC, as lifetimes wants)."""
    purchases = orders[orders["status"] != "refunded"].assign(
        ordered_at=lambda d: d["ordered_at"].dt.tz_localize(None)
    )
    purchases = purchases[purchases["ordered_at"] <= pd.Timestamp(as_of)]
    out = summary_data_from_transaction_data(
        purchases,
        "customer_id",
        "ordered_at",
        "amount",
        observation_period_end=as_of,
        freq=freq,
        freq_multiplier=mult,
    )
    return out.sort_index()


def reference_summary(orders: pd.DataFrame, as_of: str, freq: str) -> pd.DataFrame:
    """An independent, obviously-correct loop over customers (no pandas period machinery)."""
    as_of_ts = pd.Timestamp(as_of, tz="UTC")

    def period(ts: pd.Timestamp) -> pd.Timestamp:
        day = ts.floor("D")
        return day - pd.Timedelta(days=day.weekday()) if freq == "W" else day

    unit = 7 if freq == "W" else 1
    spent: dict[str, dict[pd.Timestamp, float]] = defaultdict(lambda: defaultdict(float))
    for row in orders.itertuples():
        if row.status != "refunded" and row.ordered_at <= as_of_ts:
            spent[row.customer_id][period(row.ordered_at)] += row.amount
    rows = {}
    for customer, periods in spent.items():
        days = sorted(periods)
        repeat = [periods[d] for d in days[1:]]
        rows[customer] = {
            "frequency": len(days) - 1,
            "recency": (days[-1] - days[0]).days / unit,
            "T": (period(as_of_ts) - days[0]).days / unit,
            "monetary_value": sum(repeat) / len(repeat) if repeat else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index().astype(float)


@pytest.mark.parametrize("freq", ["D", "W"])
@pytest.mark.parametrize("as_of", ["2022-03-31", "2021-09-15 12:00"])
def test_summary_equals_lifetimes_and_reference(freq, as_of):
    orders = random_orders(seed=1)
    ours = customer_summary(orders, as_of, time_unit=freq, period=freq).table
    theirs = lifetimes_summary(orders, as_of, freq)
    reference = reference_summary(orders, as_of, freq)
    assert list(ours.index) == list(theirs.index) == list(reference.index)
    np.testing.assert_allclose(ours[LIFETIMES_COLUMNS], theirs[LIFETIMES_COLUMNS], rtol=1e-12)
    np.testing.assert_allclose(ours[LIFETIMES_COLUMNS], reference[LIFETIMES_COLUMNS], rtol=1e-12)


def test_refunds_are_not_purchases_but_are_counted():
    orders = random_orders(seed=2)
    refund = pd.DataFrame(
        {
            "order_id": ["r1"],
            "customer_id": ["single1"],
            "ordered_at": [pd.Timestamp("2021-02-01", tz="UTC")],
            "amount": [-9.99],
            "status": ["refunded"],
        }
    )
    with_refund = customer_summary(pd.concat([orders, refund]), "2022-01-01").table
    without = customer_summary(orders, "2022-01-01").table
    pd.testing.assert_frame_equal(with_refund[LIFETIMES_COLUMNS], without[LIFETIMES_COLUMNS])
    assert with_refund.loc["single1", "n_refunds"] == 1
    assert with_refund.loc["single1", "refund_amount"] == pytest.approx(9.99)


def test_plain_rfm_fields():
    orders = random_orders(seed=3)
    summary = customer_summary(orders, "2022-06-01")
    one = orders[orders["customer_id"] == "7"]
    row = summary.table.loc["7"]
    assert row["n_orders"] == len(one)
    assert row["revenue"] == pytest.approx(one["amount"].sum())
    assert row["first_order_at"] == one["ordered_at"].min()
    assert row["last_order_at"] == one["ordered_at"].max()
    expected_days = (pd.Timestamp("2022-06-01", tz="UTC") - one["ordered_at"].max()) / pd.Timedelta(
        days=1
    )
    assert row["days_since_last_order"] == pytest.approx(expected_days)
    assert (summary.as_of, summary.time_unit, summary.period) == (
        pd.Timestamp("2022-06-01", tz="UTC"),
        "D",
        "D",
    )
    assert summary.table.attrs == {}  # nothing rides along silently


def test_the_unit_travels_with_the_summary_and_cannot_be_lost():
    orders = random_orders(seed=3)
    days = customer_summary(orders, "2022-06-01", time_unit="D")
    weeks = customer_summary(orders, "2022-06-01", time_unit="W")
    np.testing.assert_allclose(days.in_unit("W").table["T"], weeks.table["T"])
    np.testing.assert_allclose(weeks.in_unit("D").table["recency"], days.table["recency"])
    months = days.in_unit("M")
    assert months.time_unit == "M" and months.unit_name == "months"
    np.testing.assert_allclose(months.table["T"] * 365.25 / 12, days.table["T"])
    with pytest.raises(FrozenInstanceError):
        days.time_unit = "W"
    with pytest.raises(ParameterError, match="time_unit='weeks'"):
        customer_summary(orders, "2022-06-01", time_unit="weeks")


def test_a_summary_made_elsewhere_is_checked_when_wrapped():
    frame = pd.DataFrame({"frequency": [1.0, 0.0], "recency": [3.0, 0.0], "T": [5.0, 2.0]})
    wrapped = CustomerSummary.from_frame(frame, "2022-01-01", time_unit="W")
    assert wrapped.time_unit == "W" and len(wrapped) == 2
    with pytest.raises(ParameterError, match="recency > T"):
        CustomerSummary.from_frame(frame.assign(T=[1.0, 2.0]), "2022-01-01", time_unit="W")
    with pytest.raises(ParameterError, match="lacks|needs column"):
        CustomerSummary.from_frame(frame.drop(columns="T"), "2022-01-01", time_unit="W")


def test_summaries_can_be_saved_as_parquet(tmp_path):
    orders = random_orders(seed=3)
    customer_summary(orders, "2022-06-01").table.to_parquet(tmp_path / "s.parquet")
    both = calibration_holdout(orders, "2022-01-01", "2022-06-01")
    both.lifetimes_frame().to_parquet(tmp_path / "c.parquet")
    assert len(pd.read_parquet(tmp_path / "c.parquet")) == len(both.calibration)


def test_nothing_after_as_of_is_used():
    orders = random_orders(seed=4)
    as_of = pd.Timestamp("2021-08-01 10:30", tz="UTC")
    before = customer_summary(orders[orders["ordered_at"] <= as_of], as_of).table
    moved = orders.copy()
    later = moved["ordered_at"] > as_of
    assert later.any()
    moved.loc[later, "amount"] *= 3  # change the future...
    pd.testing.assert_frame_equal(customer_summary(moved, as_of).table, before)  # ...nothing moves


def test_full_cdnow_equals_lifetimes():
    orders = cdnow().orders
    ours = customer_summary(orders, "1998-06-30", time_unit="W", period="W").table
    theirs = lifetimes_summary(orders, "1998-06-30", "W")
    np.testing.assert_allclose(
        ours[LIFETIMES_COLUMNS], theirs.loc[ours.index, LIFETIMES_COLUMNS], rtol=1e-12
    )


@pytest.mark.parametrize("freq", ["D", "W"])
def test_calibration_holdout_equals_lifetimes(freq):
    orders = random_orders(seed=5)
    ours = calibration_holdout(orders, "2021-10-31", "2022-04-30", freq, freq).lifetimes_frame()
    naive = orders.assign(ordered_at=orders["ordered_at"].dt.tz_localize(None))
    theirs = calibration_and_holdout_data(
        naive,
        "customer_id",
        "ordered_at",
        "2021-10-31",
        "2022-04-30",
        freq=freq,
        monetary_value_col="amount",
    ).sort_index()
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_allclose(ours.to_numpy(float), theirs.to_numpy(float), rtol=1e-12)


def test_parquet_files_give_the_same_summary(tmp_path):
    orders = random_orders(seed=6)
    orders.iloc[:2000].to_parquet(tmp_path / "part1.parquet")
    orders.iloc[2000:].to_parquet(tmp_path / "part2.parquet")
    from_files = customer_summary(str(tmp_path / "*.parquet"), "2022-01-01", "W", "W").table
    pd.testing.assert_frame_equal(
        from_files, customer_summary(orders, "2022-01-01", "W", "W").table, check_dtype=False
    )


def test_parquet_written_by_pandas_with_nanosecond_timestamps(tmp_path):
    """pandas writes nanoseconds by default; DuckDB refused to compare them with as_of.
    They are truncated to the microsecond as when the frame itself is given (a plain CAST
    would round 999 ns up), before 1970 too."""
    orders = random_orders(seed=6)
    orders["ordered_at"] = orders["ordered_at"].astype("datetime64[ns, UTC]")
    orders["ordered_at"] += pd.Timedelta(nanoseconds=999)
    orders.loc[orders.index[::7], "ordered_at"] -= pd.Timedelta(days=365 * 60)
    orders.to_parquet(tmp_path / "orders.parquet")
    pd.testing.assert_frame_equal(
        customer_summary(str(tmp_path / "orders.parquet"), "2022-01-01").table,
        customer_summary(orders, "2022-01-01").table,
        check_dtype=False,
    )


@settings(max_examples=25, deadline=None)
@given(
    days=st.lists(st.integers(0, 120), min_size=1, max_size=30),
    customers=st.lists(st.sampled_from("abc"), min_size=30, max_size=30),
    freq=st.sampled_from(["D", "W"]),
)
def test_summary_matches_reference_on_arbitrary_logs(days, customers, freq):
    orders = pd.DataFrame(
        {
            "customer_id": customers[: len(days)],
            "ordered_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, unit="D"),
            "amount": np.arange(1, len(days) + 1, dtype=float),
            "status": "completed",
        }
    )
    ours = customer_summary(orders, "2024-05-01", freq, freq).table[LIFETIMES_COLUMNS]
    reference = reference_summary(orders, "2024-05-01", freq)
    np.testing.assert_allclose(ours, reference.loc[ours.index], rtol=1e-12)
    assert (ours["recency"] <= ours["T"]).all() and (ours["frequency"] <= ours["recency"] * 7).all()


def test_monthly_tables(tiny):
    from crmlab.data import validate

    data = validate(tiny)
    monthly = monthly_orders(data)
    jan = monthly.iloc[0]
    assert (jan["orders"], jan["revenue"], jan["refunds"], jan["customers"]) == (3, 35.0, 20.0, 2)
    assert monthly_new_customers(data)["new_customers"].tolist() == [2, 1]


def test_clear_errors():
    orders = random_orders(seed=7)
    with pytest.raises(ParameterError, match="period='M'"):
        customer_summary(orders, "2022-01-01", period="M")
    with pytest.raises(DataContractError, match="lacks column.*amount"):
        customer_summary(orders.drop(columns="amount"), "2022-01-01")
    with pytest.raises(DataContractError, match="not timestamps"):
        customer_summary(orders.assign(ordered_at=orders["ordered_at"].astype(str)), "2022-01-01")
    with pytest.raises(ParameterError, match="must be after calibration_end"):
        calibration_holdout(orders, "2022-01-01", "2021-01-01")
    with pytest.raises(ParameterError, match="no purchases between"):
        calibration_holdout(orders, "2023-01-01", "2023-06-01")


def test_sufficient_statistics_are_the_sums_per_group():
    from crmlab.features import sufficient_statistics

    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {
            "arm": rng.choice(["a", "b"], 500),
            "y": rng.normal(size=500),
            "x": rng.integers(0, 5, 500),
        }
    )
    stats = sufficient_statistics(frame, "arm", ["y", "x"])
    b = frame[frame["arm"] == "b"]
    assert stats.loc["b", "n"] == len(b)
    assert stats.loc["b", "s_y"] == pytest.approx(b["y"].sum())
    assert stats.loc["b", "s_y*x"] == pytest.approx((b["y"] * b["x"]).sum())
    assert stats.loc["b", "s_x*x"] == pytest.approx((b["x"] ** 2).sum())


@settings(max_examples=60, deadline=None)
@given(
    microseconds=st.integers(-200 * 365 * 86_400_000_000, 200 * 365 * 86_400_000_000),
    period=st.sampled_from(["day", "week"]),
)
def test_day_number_is_the_day_date_trunc_starts_the_period_on(microseconds, period):
    """The summary groups by integer day numbers; they must be DuckDB's date_trunc (UTC day,
    ISO week from Monday) to the day, before 1970 too, where integer division truncates."""
    import duckdb

    from crmlab.sql import day_number

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ours, truncated = con.execute(
        f"SELECT {day_number('t', period)}, "
        f"date_diff('day', TIMESTAMPTZ '1970-01-01 00:00:00+00', date_trunc('{period}', t)) "
        "FROM (SELECT make_timestamptz($us) AS t)",
        {"us": microseconds},
    ).fetchone()
    assert ours == truncated
