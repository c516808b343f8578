"""SQL helpers shared by crmlab.data and crmlab.features: quoting, order-independent sums,
durations, and fetching DuckDB results as pandas. The SQL they write runs on DuckDB and,
translated (``engines.spark_sql``), on Spark."""

from __future__ import annotations

import warnings

import pandas as pd


def sql_identifier(name: str) -> str:
    """A name (column, table) as a double-quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """Text as a single-quoted SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (drivers append long context below it)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def to_pandas(result) -> pd.DataFrame:
    """A DuckDB result as pandas, without DuckDB's own pandas-3 deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return result.df()


# DuckDB sums DOUBLEs in parallel, in an order that changes from run to run, so the last
# bits of a total change too (4e-12 on a customer's spend, which gradient boosting turns
# into a different contact list). Money and other float totals are therefore summed as
# DECIMAL(38, 9) — integer arithmetic, the same total in any order — and converted to
# DOUBLE once. Values are rounded to 1e-9 first, far below a cent.
EXACT = "DECIMAL(38, 9)"


def exact_sum(expression: str, where: str | None = None) -> str:
    """SQL for an order-independent sum of a float expression (optionally filtered)."""
    return f"CAST({exact_part(expression, where)} AS DOUBLE)"


def exact_part(expression: str, where: str | None = None) -> str:
    """``exact_sum`` before its conversion to DOUBLE: a DECIMAL, to add to others exactly."""
    condition = f" FILTER (WHERE {where})" if where else ""
    return f"sum(CAST({expression} AS {EXACT})){condition}"


def exact_avg(expression: str, where: str | None = None) -> str:
    """SQL for an order-independent mean of a float expression (NULL for no rows), DOUBLE
    (Spark would keep a DECIMAL mean)."""
    condition = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(avg(CAST({expression} AS {EXACT})){condition} AS DOUBLE)"


def days_between(start: str, end: str) -> str:
    """SQL for the days from timestamp ``start`` to ``end``, to the microsecond, as DOUBLE
    (the same on DuckDB and Spark: ``epoch`` of an interval has no Spark equivalent)."""
    return f"(epoch_us({end}) - epoch_us({start})) / 86400e6"


def exact_stddev_samp(expression: str) -> str:
    """SQL for an order-independent sample standard deviation (NULL below two rows)."""
    n = f"count({expression})"
    total, squares = exact_sum(expression), exact_sum(f"({expression}) * ({expression})")
    return (
        f"CASE WHEN {n} > 1 THEN sqrt(greatest(({squares} - {total} * {total} / {n}) "
        f"/ ({n} - 1), 0)) END"
    )


# 10^6 days (about 2,700 years) before 1970, so that integer division floors (DuckDB's ``//``
# and Spark's ``DIV`` truncate towards zero) for any timestamp after the year -770.
_DAY_US = 86_400_000_000
_SHIFT_DAYS = 1_000_000


def day_number(timestamp: str, period: str = "day") -> str:
    """SQL for the UTC day (days since 1970-01-01) on which a timestamp's period starts: its
    own day for ``period="day"``, the Monday of its ISO week for ``"week"``. An integer:
    grouping by it is cheaper than by ``date_trunc``'s timestamp, and differences of two
    are days."""
    day = f"((epoch_us({timestamp}) + {_SHIFT_DAYS * _DAY_US}) // {_DAY_US} - {_SHIFT_DAYS})"
    if period == "day":
        return day
    if period == "week":  # 1970-01-01 was a Thursday, 3 days after a Monday
        whole_weeks = _SHIFT_DAYS // 7 * 7  # keeps the dividend of % positive
        return f"({day} - ({day} + {whole_weeks + 3}) % 7)"
    raise ValueError(f"period must be 'day' or 'week', not {period!r}")
