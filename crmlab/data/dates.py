"""Date columns: one format per column, chosen from the whole column, or refused.

Parsing value by value guesses each value on its own, so ``1/12/2010`` (1 December) and
``13/1/2011`` can end up month-first and day-first in one column without a word. Here a
column is read in one of these families, decided once from all its values:

- ``iso``: ISO 8601 (``2011-12-09``, ``2011-12-09 08:30[:00[.123]]``, ``T`` separator),
  with or without an offset (``Z``, ``+01:00``);
- ``numeric``: day, month and year separated by ``/``, ``-`` or ``.`` (``1/12/2010 08:26``),
  year first (``2010/12/01``) or last (4 or 2 digits). The day/month order comes from the
  data: a first number above 12 proves day-first, a second number above 12 month-first.
  When no value decides it the column is *ambiguous* and refused unless ``dayfirst`` (or
  ``date_format``) is declared; when values prove both orders it is refused as mixed;
- ``compact``: ``YYYYMMDD`` (``19970101``, as in the CDNOW log);
- ``epoch``: seconds (below 1e11), milliseconds (below 1e14) or microseconds since 1970;
- ``named``: a month name (``03-Jan-2011``, ``Jan 3 1997``, ``3 January 2011``).

Values of two families in one column are refused with examples of each. Values that fit no
family (``n/a``) are not a format: they stay unreadable and are reported as such by the
caller, counted, with examples. Naive values are local times in ``timezone`` (default UTC);
values with an offset keep it. The result is always UTC.

Everything runs as SQL in DuckDB, so the importer parses a 20-million-row column without
pandas and ``load`` (through ``parse_timestamps``) uses exactly the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from ..errors import ParameterError
from ..sql import sql_literal

# A numeric date: first, separator, second, separator, last, optional time.
_NUMERIC = (
    r"^(\d{1,4})([/.-])(\d{1,2})[/.-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)
_ISO = (
    r"^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_NUMBER = r"^\d+(?:\.\d+)?$"
_COMPACT = r"^(?:19|20)\d{6}$"
_NAMED_FORMATS = (
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
)
_TIMES = ("", " %H:%M", " %H:%M:%S")
FAMILIES = ("iso", "numeric", "compact", "epoch", "named")
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class DateRule:
    """How the date columns of one table are read.

    date_format: one strptime format for every value (``%m/%d/%Y %H:%M``); wins over all
        inference. dayfirst: the order of day and month in numeric dates when the data does
        not decide it. timezone: the zone of naive values (IANA name, e.g. Europe/London).
    """

    date_format: str | None = None
    dayfirst: bool | None = None
    timezone: str = "UTC"


DEFAULT_DATES = DateRule()


class DateColumnError(Exception):
    """A date column cannot be read one way: ambiguous, mixed, or a bad declared format.

    ``problem`` is a sentence (what is wrong, what to declare); ``examples`` raw values.
    """

    def __init__(self, problem: str, examples: list[str]):
        super().__init__(problem)
        self.problem = problem
        self.examples = examples


def text_value(column: str) -> str:
    """SQL: a column as trimmed text, NULL when blank. Trims only values that start or end
    with a space (twice as fast as trimming every value of a 20M-row column)."""
    v = f"CAST({column} AS VARCHAR)"
    return f"nullif(CASE WHEN {v} LIKE ' %' OR {v} LIKE '% ' THEN trim({v}) ELSE {v} END, '')"


def _family_case(v: str) -> str:
    """SQL: the family a (trimmed, non-empty) text value belongs to, or NULL."""
    named = " OR ".join(
        f"try_strptime({v}, {sql_literal(d + t)}) IS NOT NULL"
        for d in _NAMED_FORMATS
        for t in _TIMES
    )
    return f"""CASE
        WHEN {v} IS NULL THEN NULL
        WHEN regexp_full_match({v}, {sql_literal(_ISO)}) THEN 'iso'
        WHEN regexp_full_match({v}, {sql_literal(_COMPACT)})
             AND try_strptime({v}, '%Y%m%d') IS NOT NULL THEN 'compact'
        WHEN regexp_full_match({v}, {sql_literal(_NUMBER)}) THEN 'epoch'
        WHEN regexp_full_match({v}, {sql_literal(_NUMERIC)})
             AND ({_numeric_sql(v, True)} IS NOT NULL OR {_numeric_sql(v, False)} IS NOT NULL)
             THEN 'numeric'
        WHEN {named} THEN 'named'
        END"""


def _part(v: str, group: int) -> str:
    return f"regexp_extract({v}, {sql_literal(_NUMERIC)}, {group})"


def _column_stats(con, relation: str, column: str) -> pd.DataFrame:
    """One row per family present: count, examples, and the day/month evidence of numeric
    values (first number > 12, second number > 12, first number has four digits)."""
    first, second = (f"try_cast({_part('v', i)} AS INTEGER)" for i in (1, 3))
    day_month = f"family = 'numeric' AND length({_part('v', 1)}) < 4"
    # Evidence per distinct value first, then counted: a first number above 12 proves
    # day-first, a second number above 12 month-first; four digits first is year-first.
    sql = f"""
        WITH t AS (SELECT v, {_family_case("v")} AS family
                   FROM (SELECT DISTINCT {text_value(column)} AS v FROM {relation})
                   WHERE v IS NOT NULL),
        e AS (SELECT *, {day_month} AND {first} > 12 AS proves_day,
                        {day_month} AND {second} > 12 AS proves_month,
                        family = 'numeric' AND length({_part("v", 1)}) = 4 AS proves_year
              FROM t)
        SELECT coalesce(family, 'unreadable') AS family, count(*) AS n,
               list(v ORDER BY v)[1:{MAX_EXAMPLES}] AS examples,
               count(*) FILTER (WHERE proves_day) AS day_first,
               list(v ORDER BY v) FILTER (WHERE proves_day)[1:{MAX_EXAMPLES}]
                   AS day_first_examples,
               count(*) FILTER (WHERE proves_month) AS month_first,
               list(v ORDER BY v) FILTER (WHERE proves_month)[1:{MAX_EXAMPLES}]
                   AS month_first_examples,
               count(*) FILTER (WHERE proves_year) AS year_first,
               max(try_cast(v AS DOUBLE)) FILTER (WHERE family = 'epoch') AS largest
        FROM e GROUP BY ALL ORDER BY family
    """
    return con.sql(sql).to_arrow_table().to_pandas()


def timestamp_sql(con, relation: str, column: str, rule: DateRule = DEFAULT_DATES) -> str:
    """A SQL expression (over ``relation``'s rows) that turns ``column`` into TIMESTAMPTZ.

    The format is chosen once from the whole column (see the module docstring); values the
    chosen format cannot read become NULL, for the caller to count and report.
    Raises ``DateColumnError`` for an ambiguous or mixed column, ``ParameterError`` for an
    unknown time zone.
    """
    check_timezone(con, rule.timezone)
    v = text_value(column)
    if rule.date_format:
        return _local(f"try_strptime({v}, {sql_literal(rule.date_format)})", rule.timezone)
    stats = _column_stats(con, relation, column)
    families = stats[stats["family"] != "unreadable"].set_index("family")
    if len(families) > 1:
        shown = "; ".join(
            f"{f}: {', '.join(map(repr, families.at[f, 'examples'][:3]))}" for f in families.index
        )
        raise DateColumnError(
            f"mixed date formats in one column ({shown}); make the column use one format, "
            "or declare date_format to read one of them (the others are then reported)",
            [e for f in families.index for e in families.at[f, "examples"][:2]],
        )
    if families.empty:
        return "CAST(NULL AS TIMESTAMPTZ)"
    family = families.index[0]
    row = families.loc[family]
    if family == "iso":
        naive = _local(f"try_cast({v} AS TIMESTAMP)", rule.timezone)
        return (
            f"CASE WHEN regexp_matches({v}, {sql_literal(_OFFSET)}) "
            f"THEN try_cast({v} AS TIMESTAMPTZ) ELSE {naive} END"
        )
    if family == "compact":
        return _local(f"try_strptime({v}, '%Y%m%d')", rule.timezone)
    if family == "epoch":
        scale = 1 if row["largest"] < 1e11 else 1e3 if row["largest"] < 1e14 else 1e6
        return f"to_timestamp(try_cast({v} AS DOUBLE) / {scale:g})"
    if family == "named":
        return _local(_named_sql(con, relation, v), rule.timezone)
    return _local(_numeric_sql(v, _dayfirst(row, rule)), rule.timezone)


def _dayfirst(row: pd.Series, rule: DateRule) -> bool:
    """The day/month order of a numeric column, from the data or the rule."""
    day, month = int(row["day_first"]), int(row["month_first"])
    if day and month:
        raise DateColumnError(
            "mixed day/month order in one column: "
            f"{', '.join(map(repr, row['day_first_examples'][:3]))} can only be day-first, "
            f"{', '.join(map(repr, row['month_first_examples'][:3]))} only month-first; "
            "fix the export, or declare date_format to read one of them",
            list(row["day_first_examples"][:2]) + list(row["month_first_examples"][:2]),
        )
    if rule.dayfirst is not None:
        return rule.dayfirst
    if day or month:
        return bool(day)
    if int(row["year_first"]) == int(row["n"]):
        return False  # year first: year/month/day, the only order in use
    raise DateColumnError(
        "ambiguous dates: every value reads both day-first and month-first (e.g. "
        f"{', '.join(map(repr, row['examples'][:3]))}); declare dayfirst: true or false "
        "(or a date_format such as '%d/%m/%Y %H:%M')",
        list(row["examples"]),
    )


def _numeric_sql(v: str, dayfirst: bool) -> str:
    """Rebuild a numeric date as ISO text and cast it (no per-format strptime)."""
    a, b, c = (f"try_cast({_part(v, i)} AS INTEGER)" for i in (1, 3, 4))
    time = _part(v, 5)
    year_first = f"length({_part(v, 1)}) = 4"
    day, month = (a, b) if dayfirst else (b, a)
    century = f"CASE WHEN {c} < 69 THEN 2000 ELSE 1900 END"  # Python's %y convention
    year = f"(CASE WHEN {c} < 100 THEN {c} + {century} ELSE {c} END)"
    text = (
        f"CASE WHEN {year_first} THEN printf('%04d-%02d-%02d', {a}, {b}, {c}) "
        f"ELSE printf('%04d-%02d-%02d', {year}, {month}, {day}) END"
    )
    return f"try_cast({text} || CASE WHEN {time} = '' THEN '' ELSE ' ' || {time} END AS TIMESTAMP)"


def _named_sql(con, relation: str, v: str) -> str:
    """The one month-name format that reads most values of the column."""
    formats = [d + t for d in _NAMED_FORMATS for t in _TIMES]
    counts = ", ".join(f"count(try_strptime({v}, {sql_literal(f)}))" for f in formats)
    row = con.sql(f"SELECT {counts} FROM {relation}").fetchall()[0]
    best = formats[max(range(len(formats)), key=lambda i: row[i])]
    return f"try_strptime({v}, {sql_literal(best)})"


def _local(naive: str, timezone: str) -> str:
    """SQL: a naive TIMESTAMP taken as local time in ``timezone``, as TIMESTAMPTZ."""
    return f"timezone({sql_literal(timezone)}, {naive})"


def check_timezone(con, timezone: str) -> None:
    """Refuse an unknown IANA time zone name with a ParameterError."""
    known = con.execute(
        "SELECT count(*) FROM pg_timezone_names() WHERE name = $tz", {"tz": timezone}
    ).fetchall()[0][0]
    if not known:
        raise ParameterError(
            f"timezone={timezone!r} is not a time zone name; use an IANA name such as "
            "'UTC' or 'Europe/London'."
        )


def parse_timestamps(values: pd.Series, rule: DateRule = DEFAULT_DATES) -> pd.Series:
    """Text (or numbers) as UTC timestamps, one format for the whole series.

    Unreadable values become NaT (the caller reports them). Raises ``DateColumnError``
    for an ambiguous or mixed column.
    """
    distinct = pd.Series(values.dropna().astype("str").unique(), dtype="str")
    if distinct.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("dates_source", pd.DataFrame({"v": distinct}))
        expression = timestamp_sql(con, "dates_source", "v", rule)
        parsed = con.sql(f"SELECT v, {expression} AS t FROM dates_source").to_arrow_table()
    finally:
        con.close()
    lookup = parsed.to_pandas().set_index("v")["t"]
    out = values.astype("str").map(lookup).where(values.notna())
    return pd.to_datetime(out, utc=True)
