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

Everything runs as SQL written once for both engines (``crmlab.engines``): on DuckDB for
``load`` (through ``parse_timestamps``) and the embedded import, on Spark when an import
runs there, so a 20-million-row column is parsed without pandas and by the same rules.
Each value is rebuilt as ISO text and cast (regular expressions and casts mean the same on
both engines; per-format parsers do not). A wall time that occurs twice, when clocks go
back, is read as the later instant (DuckDB's rule, kept on Spark).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import pandas as pd

from ..engines import DuckDBEngine, Engine
from ..errors import ParameterError
from ..sql import sql_literal

# A numeric date: first, separator, second, separator, last, optional time.
_NUMERIC = (
    r"^(\d{1,4})([/.-])(\d{1,2})[/.-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)
# ISO 8601: date, optional time, optional offset (groups: 1 date, 2 time, 3 offset).
_ISO = (
    r"^(\d{4}-\d{1,2}-\d{1,2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_NUMBER = r"^\d+(?:\.\d+)?$"
_COMPACT = r"^(?:19|20)\d{6}$"
_TIME = r"(?:[ T]+(\d{1,2}:\d{2}(?::\d{2})?))?$"
# A month name: day first (03-Jan-2011, 3 January 2011) or month first (Jan 3, 1997);
# groups: day, month, year, time.
_NAMED_DAY_FIRST = r"^(\d{1,2})[- ]([A-Za-z]{3,9})[- ](\d{4})" + _TIME
_NAMED_MONTH_FIRST = r"^([A-Za-z]{3,9}) (\d{1,2}),? (\d{4})" + _TIME
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_MONTHS += ("september", "october", "november", "december")
FAMILIES = ("iso", "numeric", "compact", "epoch", "named")
MAX_EXAMPLES = 5
_COLUMNS = itertools.count(1)  # names the per-column tables of distinct values


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


def _matches(v: str, pattern: str) -> str:
    return f"regexp_matches({v}, {sql_literal(pattern)})"


def _group(v: str, pattern: str, group: int) -> str:
    """SQL: a regular expression's group ('' when it did not take part), on both engines."""
    return f"regexp_extract({v}, {sql_literal(pattern)}, {group})"


def _digits(number: str, width: int) -> str:
    """SQL: a whole number as text with leading zeros to ``width`` (never cut shorter)."""
    text = f"CAST({number} AS VARCHAR)"
    return f"lpad({text}, CAST(greatest(length({text}), {width}) AS INTEGER), '0')"


def _timestamp(year: str, month: str, day: str, time: str) -> str:
    """SQL: a naive TIMESTAMP from numbers and an optional 'HH:MM[:SS]' text (NULL when
    the date does not exist, e.g. 30 February). Built as ISO text and cast, which both
    engines read the same way."""
    date = f"{_digits(year, 4)} || '-' || {_digits(month, 2)} || '-' || {_digits(day, 2)}"
    return f"try_cast({date} || CASE WHEN {time} = '' THEN '' ELSE ' ' || {time} END AS TIMESTAMP)"


def _family_case(v: str) -> str:
    """SQL: the family a (trimmed, non-empty) text value belongs to, or NULL."""
    return f"""CASE
        WHEN {v} IS NULL THEN NULL
        WHEN {_matches(v, _ISO)} THEN 'iso'
        WHEN {_matches(v, _COMPACT)} AND {_compact_sql(v)} IS NOT NULL THEN 'compact'
        WHEN {_matches(v, _NUMBER)} THEN 'epoch'
        WHEN {_matches(v, _NUMERIC)}
             AND ({_numeric_sql(v, True)} IS NOT NULL OR {_numeric_sql(v, False)} IS NOT NULL)
             THEN 'numeric'
        WHEN {_named_sql(v)} IS NOT NULL THEN 'named'
        END"""


def _column_stats(engine: Engine, relation: str, column: str) -> pd.DataFrame:
    """One row per family present: count, examples, and the day/month evidence of numeric
    values (first number > 12, second number > 12, first number has four digits)."""
    first, second = (f"try_cast({_group('v', _NUMERIC, i)} AS INTEGER)" for i in (1, 3))
    day_month = f"family = 'numeric' AND length({_group('v', _NUMERIC, 1)}) < 4"
    # Evidence per distinct value first, then counted: a first number above 12 proves
    # day-first, a second number above 12 month-first; four digits first is year-first.
    values = f"date_values_{next(_COLUMNS)}"
    engine.create_table(
        values,
        f"""SELECT v, family,
                   coalesce({day_month} AND {first} > 12, false) AS proves_day,
                   coalesce({day_month} AND {second} > 12, false) AS proves_month,
                   coalesce(family = 'numeric' AND length({_group("v", _NUMERIC, 1)}) = 4,
                            false) AS proves_year
            FROM (SELECT v, coalesce({_family_case("v")}, 'unreadable') AS family
                  FROM (SELECT DISTINCT {text_value(column)} AS v FROM {relation}) AS d
                  WHERE v IS NOT NULL) AS t""",
    )
    stats = engine.frame(
        f"""SELECT family, count(*) AS n,
                   count(*) FILTER (WHERE proves_day) AS day_first,
                   count(*) FILTER (WHERE proves_month) AS month_first,
                   count(*) FILTER (WHERE proves_year) AS year_first,
                   max(try_cast(v AS DOUBLE)) FILTER (WHERE family = 'epoch') AS largest
            FROM {values} GROUP BY family ORDER BY family"""
    )
    # the first few values of each family (and of each kind of evidence), in text order
    examples = engine.frame(
        f"""SELECT family, kind, v FROM (
                SELECT family, kind, v,
                       row_number() OVER (PARTITION BY family, kind ORDER BY v) AS rank
                FROM (SELECT family, 'examples' AS kind, v FROM {values}
                      UNION ALL SELECT family, 'day_first_examples', v FROM {values}
                                WHERE proves_day
                      UNION ALL SELECT family, 'month_first_examples', v FROM {values}
                                WHERE proves_month) AS k) AS r
            WHERE rank <= {MAX_EXAMPLES} ORDER BY family, kind, v"""
    )
    for kind in ("examples", "day_first_examples", "month_first_examples"):
        chosen = examples[examples["kind"] == kind]
        lists = chosen.groupby("family")["v"].agg(list)
        stats[kind] = [lists.get(f, []) for f in stats["family"]]
    return stats


def timestamp_sql(
    engine: Engine, relation: str, column: str, rule: DateRule = DEFAULT_DATES
) -> str:
    """A SQL expression (over ``relation``'s rows) that turns ``column`` into TIMESTAMPTZ.

    engine: where ``relation`` is (``crmlab.engines``); the expression runs there, on
    DuckDB as written, on Spark translated. The format is chosen once from the whole column
    (see the module docstring); values the chosen format cannot read become NULL, for the
    caller to count and report.
    Raises ``DateColumnError`` for an ambiguous or mixed column, ``ParameterError`` for an
    unknown time zone.
    """
    check_timezone(rule.timezone)
    v = text_value(column)
    if rule.date_format:
        return _local(f"try_strptime({v}, {sql_literal(rule.date_format)})", rule.timezone)
    stats = _column_stats(engine, relation, column)
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
        return _iso_sql(v, rule.timezone)
    if family == "compact":
        return _local(_compact_sql(v), rule.timezone)
    if family == "epoch":
        scale = 1 if row["largest"] < 1e11 else 1e3 if row["largest"] < 1e14 else 1e6
        micros = f"try_cast(round(try_cast({v} AS DOUBLE) * {int(1e6 / scale)}) AS BIGINT)"
        return _local(f"make_timestamp({micros})", "UTC")
    if family == "named":
        return _local(_named_sql(v), rule.timezone)
    return _local(_numeric_sql(v, _dayfirst(row, rule)), rule.timezone)


def _iso_sql(v: str, timezone: str) -> str:
    """ISO 8601 text as TIMESTAMPTZ: with an offset (Z, +01, +0100, +01:00) at that
    offset, otherwise local time in ``timezone``."""
    date, time, offset = (_group(v, _ISO, i) for i in (1, 2, 3))
    # with seconds always: DuckDB reads no offset after a bare HH:MM
    seconds = (
        f"CASE WHEN {time} = '' THEN '00:00:00' "
        f"WHEN length({time}) <= 5 THEN {time} || ':00' ELSE {time} END"
    )
    local = f"{date} || ' ' || {seconds}"
    minutes = f"CASE WHEN length({offset}) = 3 THEN '00' ELSE right({offset}, 2) END"
    canonical = (
        f"CASE WHEN {offset} = 'Z' THEN '+00:00' ELSE left({offset}, 3) || ':' || {minutes} END"
    )
    naive = _local(f"try_cast({local} AS TIMESTAMP)", timezone)
    return (
        f"CASE WHEN {offset} = '' THEN {naive} "
        f"ELSE try_cast({local} || {canonical} AS TIMESTAMPTZ) END"
    )


def _compact_sql(v: str) -> str:
    """YYYYMMDD as a naive TIMESTAMP."""
    return _timestamp(
        *(f"substr({v}, {start}, {n})" for start, n in ((1, 4), (5, 2), (7, 2))), "''"
    )


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
    """A numeric date as a naive TIMESTAMP (rebuilt as ISO text, no per-format parsing)."""
    a, b, c = (f"try_cast({_group(v, _NUMERIC, i)} AS INTEGER)" for i in (1, 3, 4))
    time = _group(v, _NUMERIC, 5)
    day, month = (a, b) if dayfirst else (b, a)
    century = f"CASE WHEN {c} < 69 THEN 2000 ELSE 1900 END"  # Python's %y convention
    year = f"(CASE WHEN {c} < 100 THEN {c} + {century} ELSE {c} END)"
    return (
        f"CASE WHEN length({_group(v, _NUMERIC, 1)}) = 4 THEN {_timestamp(a, b, c, time)} "
        f"ELSE {_timestamp(year, month, day, time)} END"
    )


def _month(name: str) -> str:
    """SQL: the number of a month name (January or Jan, any case), else NULL."""
    cases = " ".join(
        f"WHEN lower({name}) IN ({sql_literal(m)}, {sql_literal(m[:3])}) THEN {i}"
        for i, m in enumerate(_MONTHS, start=1)
    )
    return f"CASE {cases} END"


def _named_sql(v: str) -> str:
    """A date with a month name (03-Jan-2011, 3 January 2011, Jan 3, 1997) as a naive
    TIMESTAMP."""
    day_first = _timestamp(
        _group(v, _NAMED_DAY_FIRST, 3),
        _month(_group(v, _NAMED_DAY_FIRST, 2)),
        _group(v, _NAMED_DAY_FIRST, 1),
        _group(v, _NAMED_DAY_FIRST, 4),
    )
    month_first = _timestamp(
        _group(v, _NAMED_MONTH_FIRST, 3),
        _month(_group(v, _NAMED_MONTH_FIRST, 1)),
        _group(v, _NAMED_MONTH_FIRST, 2),
        _group(v, _NAMED_MONTH_FIRST, 4),
    )
    return (
        f"CASE WHEN {_matches(v, _NAMED_DAY_FIRST)} THEN {day_first} "
        f"WHEN {_matches(v, _NAMED_MONTH_FIRST)} THEN {month_first} END"
    )


def _local(naive: str, timezone: str) -> str:
    """SQL: a naive TIMESTAMP taken as local time in ``timezone``, as TIMESTAMPTZ. A wall
    time that occurs twice (the hour clocks go back) is the later instant, DuckDB's rule,
    which the Spark translation keeps."""
    return f"timezone({sql_literal(timezone)}, {naive})"


@functools.cache
def _timezone_names() -> frozenset[str]:
    import duckdb

    con = duckdb.connect()
    try:
        return frozenset(
            r[0] for r in con.execute("SELECT name FROM pg_timezone_names()").fetchall()
        )
    finally:
        con.close()


def check_timezone(timezone: str) -> None:
    """Refuse an unknown IANA time zone name with a ParameterError."""
    if timezone not in _timezone_names():
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
    with DuckDBEngine() as engine:
        engine.register("dates_source", pd.DataFrame({"v": distinct}))
        expression = timestamp_sql(engine, "dates_source", "v", rule)
        parsed = engine.query(f"SELECT v, {expression} AS t FROM dates_source")
    lookup = parsed.to_pandas().set_index("v")["t"]
    out = values.astype("str").map(lookup).where(values.notna())
    return pd.to_datetime(out, utc=True)
