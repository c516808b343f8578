"""Date columns are read one way per column (from all values) or refused with examples."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab.data import load
from crmlab.data.dates import DateColumnError, DateRule, parse_timestamps
from crmlab.data.validate import resolve_as_of
from crmlab.errors import DataContractError, ParameterError


def _parse(values, **rule):
    return list(parse_timestamps(pd.Series(values, dtype=object), DateRule(**rule)))


def _utc(text):
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2011-12-09", "2011-12-09 08:30:00+01:00"], ["2011-12-09", "2011-12-09 07:30"]),
        (["2011-12-09T08:30:00Z"], ["2011-12-09 08:30"]),
        (["1/12/2010 08:26", "13/1/2011 10:00"], ["2010-12-01 08:26", "2011-01-13 10:00"]),
        (["12/1/2010 08:26", "1/13/2011 10:00"], ["2010-12-01 08:26", "2011-01-13 10:00"]),
        (["01.12.2010", "31.01.2011"], ["2010-12-01", "2011-01-31"]),
        (["2010/12/01", "2010/12/02"], ["2010-12-01", "2010-12-02"]),
        (["12/01/10", "12/31/99"], ["2010-12-01", "1999-12-31"]),
        (["19970101", "19970215"], ["1997-01-01", "1997-02-15"]),
        (["1300000000"], ["2011-03-13 07:06:40"]),
        (["1300000000123"], ["2011-03-13 07:06:40.123"]),
        (["03-Jan-2011", "15-Feb-2011"], ["2011-01-03", "2011-02-15"]),
        (["Jan 3 1997", "Feb 15 1997"], ["1997-01-03", "1997-02-15"]),
    ],
)
def test_one_family_per_column(values, expected):
    assert _parse(values) == [_utc(e) for e in expected]


def test_the_whole_column_decides_day_first():
    # 1/12/2010 alone is ambiguous; 13/1/2011 in the same column proves day-first.
    assert _parse(["1/12/2010", "13/1/2011"])[0] == _utc("2010-12-01")
    assert _parse(["1/12/2010", "1/13/2011"])[0] == _utc("2010-01-12")


def test_ambiguous_column_is_refused_with_examples_and_the_key_to_set():
    with pytest.raises(DateColumnError, match="ambiguous.*dayfirst") as info:
        _parse(["1/12/2010", "2/12/2010"])
    assert "1/12/2010" in info.value.examples
    assert _parse(["1/12/2010"], dayfirst=True) == [_utc("2010-12-01")]
    assert _parse(["1/12/2010"], dayfirst=False) == [_utc("2010-01-12")]
    assert _parse(["1/12/2010 08:26"], date_format="%m/%d/%Y %H:%M") == [_utc("2010-01-12 08:26")]


def test_mixed_orders_and_mixed_formats_are_refused():
    with pytest.raises(DateColumnError, match="mixed day/month order") as info:
        _parse(["13/1/2011", "1/13/2011"])
    assert {"13/1/2011", "1/13/2011"} <= set(info.value.examples)
    with pytest.raises(DateColumnError, match="mixed date formats.*iso.*numeric"):
        _parse(["2011-12-09", "1/12/2010"])


def test_unreadable_values_are_not_a_format_but_stay_missing():
    assert _parse(["2011-12-09", "n/a", "31/31/2024", None]) == [
        _utc("2011-12-09"),
        pd.NaT,
        pd.NaT,
        pd.NaT,
    ]


def test_naive_values_in_a_declared_time_zone():
    assert _parse(["2011-07-09 08:30"], timezone="Europe/London") == [_utc("2011-07-09 07:30")]
    assert _parse(["2011-07-09 08:30+00:00"], timezone="Europe/London") == [
        _utc("2011-07-09 08:30")
    ]
    with pytest.raises(ParameterError, match="time zone"):
        _parse(["2011-07-09"], timezone="Mars/Olympus")


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.dates(pd.Timestamp("1970-01-01").date(), pd.Timestamp("2060-12-31").date()),
        min_size=1,
        max_size=20,
    ),
    st.booleans(),
)
def test_declared_order_round_trips(days, dayfirst):
    layout = "%d/%m/%Y" if dayfirst else "%m/%d/%Y"
    text = [d.strftime(layout) for d in days]
    assert _parse(text, dayfirst=dayfirst) == [_utc(d.isoformat()) for d in days]


def test_load_refuses_an_ambiguous_column_and_reads_it_when_declared(orders_folder):
    folder = orders_folder(
        order_id=["o1", "o2"],
        customer_id=["c1", "c2"],
        ordered_at=["1/12/2010", "2/12/2010"],
        amount=[10, 20],
    )
    with pytest.raises(DataContractError, match="ordered_at.*ambiguous") as info:
        load(folder, as_of="2011-12-09")
    report = info.value.report().set_index(["table", "column"])
    assert "'1/12/2010'" in report.at[("orders", "ordered_at"), "examples"]
    data = load(folder, as_of="2011-12-09", dayfirst=True)
    assert data.orders["ordered_at"].tolist() == [_utc("2010-12-01"), _utc("2010-12-02")]


def test_as_of_must_be_one_date():
    assert resolve_as_of("2011-12-09") == _utc("2011-12-09")
    assert resolve_as_of(pd.Timestamp("2011-12-09 01:00", tz="Europe/London")) == _utc(
        "2011-12-09 01:00"
    )
    with pytest.raises(ParameterError, match="ambiguous"):
        resolve_as_of("1/12/2010")


def test_offsets_in_every_spelling_and_month_names_in_any_case():
    assert _parse(["2011-07-09 08:30Z", "2011-07-09 08:30+01", "2011-07-09 08:30 +0100"]) == [
        _utc("2011-07-09 08:30"),
        _utc("2011-07-09 07:30"),
        _utc("2011-07-09 07:30"),
    ]
    assert _parse(["2011-07-09T08:30:00-05:30"]) == [_utc("2011-07-09 14:00")]
    assert _parse(["3 JANUARY 2011", "sep 30 2023 01:30", "Sept 30 2023"]) == [
        _utc("2011-01-03"),
        _utc("2023-09-30 01:30"),
        pd.NaT,  # not a month name crmlab knows: unreadable, reported
    ]


def test_a_repeated_local_hour_is_the_later_instant_and_a_skipped_one_moves_on():
    london = {"timezone": "Europe/London"}
    # clocks go back at 02:00 BST on 29 Oct 2023: 01:30 happens twice, at 00:30 and 01:30 UTC
    assert _parse(["2023-10-29 01:30"], **london) == [_utc("2023-10-29 01:30")]
    # clocks go forward at 01:00 GMT on 26 Mar 2023: 01:30 does not exist
    assert _parse(["2023-03-26 01:30"], **london) == [_utc("2023-03-26 01:30")]


def test_a_number_too_long_for_a_day_or_month_is_not_cut_to_fit():
    assert _parse(["123/1/2010", "12/1/2010"], dayfirst=True) == [pd.NaT, _utc("2010-01-12")]
