"""Time units: the one explicit way durations are measured in crmlab.

``time_unit`` is "h" (hours), "D" (days), "W" (weeks of 7 days) or "M" (months of
365.25 / 12 days); hours are for service times (first response, resolution).
Every function that takes or returns a duration either has a ``time_unit`` argument or
says its unit in the parameter name (``horizon_days``); nothing carries a unit silently.

``period`` is a different idea: the calendar bucket in which several purchases of one
customer count as one ("D" = calendar day, "W" = ISO week Monday..Sunday, "M" = month).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from .errors import ParameterError

TimeUnit = Literal["h", "D", "W", "M"]
DAYS_PER_UNIT: dict[str, float] = {"h": 1 / 24, "D": 1.0, "W": 7.0, "M": 365.25 / 12}
UNIT_NAMES: dict[str, str] = {"h": "hours", "D": "days", "W": "weeks", "M": "months"}


def days_per_unit(time_unit: str, name: str = "time_unit") -> float:
    """Length of one ``time_unit`` in days; a ParameterError names the accepted values."""
    if time_unit not in DAYS_PER_UNIT:
        raise ParameterError(
            f"{name}={time_unit!r}: use 'h' (hours), 'D' (days), 'W' (weeks) or 'M' (months of "
            "365.25/12 days)."
        )
    return DAYS_PER_UNIT[time_unit]


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """A duration expressed in ``from_unit`` re-expressed in ``to_unit``."""
    return value * days_per_unit(from_unit) / days_per_unit(to_unit)


def check_days(value, name: str, allow_zero: bool = False) -> float:
    """A duration in days that must be a number > 0 (>= 0 with allow_zero); fractions of a
    day are honoured, never truncated."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not (value >= 0 if allow_zero else value > 0):
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(
            f"{name}={value!r} must be a number of days {bound} (fractions of a day are kept)."
        )
    return float(value)


def days_interval(days: float) -> pd.Timedelta:
    """A duration in days as a timedelta (a DuckDB INTERVAL parameter), to the microsecond."""
    return pd.Timedelta(microseconds=round(days * 86_400_000_000))


# Units of reported quantities (the ``unit`` column of metric/value tables). Shares are
# fractions printed as percentages; every other unit names what is counted or measured
# ("customers", "weeks", "purchases per customer", a currency code) and prints as a number.
SHARE, RELATIVE_CHANGE = "share", "relative change"


def format_quantity(value, unit: str) -> str:
    """``value`` as stakeholders read it in ``unit``: shares as 12.3%, relative changes as
    +2.0%, whole numbers with thousands separators (23,570), other numbers with two
    decimals (1,944.37); missing values as an empty string."""
    if value is None or pd.isna(value):
        return ""
    if unit == SHARE:
        return f"{value:.1%}"
    if unit == RELATIVE_CHANGE:
        return f"{value:+.1%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
