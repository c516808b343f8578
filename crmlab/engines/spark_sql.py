"""crmlab's DuckDB SQL translated for Apache Spark: sqlglot plus a few tested rewrites.

sqlglot does most of the work (quoting, ``arg_max`` -> ``max_by``, ``TIMESTAMPTZ`` ->
``TIMESTAMP``, ``date_diff('day', ...)``, null ordering). crmlab adds what it gets wrong or
cannot know:

- ``$name`` parameters become literals (Spark SQL has no DuckDB-style parameters);
- a decimal literal such as ``86400.0`` or ``1/3.0`` is DECIMAL in Spark, so arithmetic with
  it is rounded to a few places: every such literal is cast to DOUBLE, as in DuckDB;
- ``epoch_us(t)`` (microseconds since 1970) becomes ``unix_micros(t)``; ``to_days(n)``
  becomes ``make_dt_interval(n)``;
- table names are mapped to the engine's private temporary views;
- ``timezone(zone, t)`` (a wall time in a zone) keeps DuckDB's reading of the repeated hour
  when clocks go back; ``try_strptime(t, layout)`` becomes ``try_to_timestamp`` with the
  layout as Spark's datetime pattern (``spark_datetime_pattern``).

Whatever has no faithful Spark form is a ``TranslationError`` here, never a silent
difference: subscripts (``list(...)[1]``, ``max_by(x, t, n)[2]``), ASOF joins, PIVOT,
UNNEST / generate_series, DuckDB session variables, and any function not known to work the
same on both engines (``SPARK_FUNCTIONS``).
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import sqlglot
from sqlglot import exp

from ..errors import CRMLabError

# Functions sqlglot leaves as written that mean the same in DuckDB and Spark.
SPARK_FUNCTIONS = frozenset({"UNIX_MICROS", "MAKE_DT_INTERVAL", "MIN_BY", "MAX_BY"})
_RENAMED = {"EPOCH_US": "UNIX_MICROS"}
_REWRITTEN = {"TIMEZONE", "TRY_STRPTIME"}  # rewritten below (_local_time, _strptime)
# The clock changes a wall time can repeat across: 1 h nearly everywhere, 30 min on Lord
# Howe Island, 2 h at Troll station.
_CLOCK_CHANGES = ((0, 1, 0), (0, 0, 30), (0, 2, 0))
# strftime directives and Spark's datetime pattern letters: (alone, next to another field)
_PATTERNS = {
    "Y": ("yyyy", "yyyy"),
    "m": ("M", "MM"),
    "d": ("d", "dd"),
    "H": ("H", "HH"),
    "I": ("h", "hh"),
    "M": ("m", "mm"),
    "S": ("s", "ss"),
    "f": ("SSSSSS", "SSSSSS"),
    "b": ("MMM", "MMM"),
    "B": ("MMMM", "MMMM"),
    "p": ("a", "a"),
}
_PLAIN = set(" /:-.,")  # literal characters Spark's patterns take unquoted
_WALL = "crmlab_wall_time"  # the lambda variable of _local_time


class TranslationError(CRMLabError):
    """A query uses a construct crmlab cannot run the same way on Spark."""


def to_spark(sql: str, params: dict | None = None, names: dict[str, str] | None = None) -> str:
    """``sql`` (DuckDB dialect, ``$name`` parameters) as Spark SQL with the parameters
    inlined and tables renamed by ``names`` (see the module docstring)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise TranslationError(f"cannot parse the query: {error}") from None
    _refuse_unsupported(tree)
    # two passes: a node replaced in a pass is not descended into, so the functions
    # wrapping a parameter are rewritten after the parameter is
    tree = tree.transform(lambda node: _substitute(node, params or {}, names or {}))
    tree = tree.transform(_rename_functions)
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.UnsupportedError as error:
        raise TranslationError(f"no Spark form for: {error}") from None


def _refuse_unsupported(tree: exp.Expression) -> None:
    for node in tree.walk():
        problem = None
        if isinstance(node, exp.Bracket):
            problem = f"subscript {node.sql('duckdb')} (Spark loses a list's ORDER BY)"
        elif isinstance(node, exp.Join) and "ASOF" in _join_words(node):
            problem = "ASOF join (use a window function or a range join)"
        elif isinstance(node, exp.Pivot | exp.Unnest | exp.GenerateSeries | exp.Explode):
            problem = f"{type(node).__name__.upper()} ({node.sql('duckdb')[:60]})"
        elif isinstance(node, exp.Anonymous):
            name = node.name.upper()
            if name not in SPARK_FUNCTIONS and name not in _RENAMED and name not in _REWRITTEN:
                problem = f"function {name}() (not known to mean the same on Spark)"
        if problem:
            raise TranslationError(f"cannot translate to Spark SQL: {problem}.")


def _join_words(join: exp.Join) -> str:
    return " ".join(str(join.args.get(k) or "") for k in ("method", "kind", "side")).upper()


def _substitute(node: exp.Expression, params: dict, names: dict[str, str]) -> exp.Expression:
    if isinstance(node, exp.Placeholder):
        if node.name not in params:
            raise TranslationError(f"the query uses ${node.name}, which was not given.")
        return literal(params[node.name])
    if isinstance(node, exp.Literal) and not node.is_string and _is_decimal(node.this):
        return exp.cast(node.copy(), exp.DataType.build("DOUBLE"))
    if isinstance(node, exp.Table) and not node.db and node.name in names:
        # aliased by the name the query uses (its own alias, else the table's name)
        return exp.to_table(names[node.name]).as_(node.alias_or_name)
    return node


def _rename_functions(node: exp.Expression) -> exp.Expression:
    name = node.name.upper() if isinstance(node, exp.Anonymous) else None
    if name in _RENAMED:
        return exp.Anonymous(this=_RENAMED[name], expressions=node.expressions)
    if name == "TIMEZONE":
        return _local_time(*node.expressions)
    if name == "TRY_STRPTIME":
        return _strptime(*node.expressions)
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[node.this])
    return node


def _string(node: exp.Expression, what: str) -> str:
    if not (isinstance(node, exp.Literal) and node.is_string):
        raise TranslationError(f"{what} must be written as text, not {node.sql('duckdb')}.")
    return node.this


def _local_time(zone: exp.Expression, naive: exp.Expression) -> exp.Expression:
    """DuckDB's ``timezone(zone, naive)``: a naive TIMESTAMP as local time in ``zone``.

    Spark's ``to_utc_timestamp`` reads a wall time that occurs twice (clocks going back) as
    the earlier instant, DuckDB as the later one; the later one is the earlier plus the
    clock change, when that instant shows the same wall time.

    The wall time is named once, in a lambda over a one-element array: written out in each
    of the seven places the test uses it, a parsed date column (itself a CASE over every
    date family) made a 17 kB query 160 kB, which sqlglot and Spark's analyzer took ~1 s
    each to handle."""
    zone_name = _string(zone, "a time zone")
    naive = naive.transform(_rename_functions)  # a replaced node is not descended into
    if zone_name.upper() == "UTC":
        return exp.cast(naive, exp.DataType.build("TIMESTAMP", dialect="spark"))
    zone = exp.Literal.string(zone_name)
    wall = exp.column(_WALL)
    earlier = exp.Anonymous(this="TO_UTC_TIMESTAMP", expressions=[wall.copy(), zone.copy()])
    case = exp.Case()
    for days_hours_minutes in _CLOCK_CHANGES:
        change = exp.Anonymous(
            this="MAKE_DT_INTERVAL",
            expressions=[exp.Literal.number(n) for n in (*days_hours_minutes, 0)],
        )
        later = exp.Add(this=earlier.copy(), expression=change)
        shown = exp.Anonymous(this="FROM_UTC_TIMESTAMP", expressions=[later.copy(), zone.copy()])
        case = case.when(exp.EQ(this=shown, expression=wall.copy()), later)
    local = exp.Lambda(this=case.else_(earlier), expressions=[exp.to_identifier(_WALL)])
    each = exp.Anonymous(this="TRANSFORM", expressions=[exp.Array(expressions=[naive]), local])
    return exp.Anonymous(this="ELEMENT_AT", expressions=[each, exp.Literal.number(1)])


def _strptime(text: exp.Expression, layout: exp.Expression) -> exp.Expression:
    """DuckDB's ``try_strptime(text, '%d/%m/%Y')`` as Spark's ``try_to_timestamp``."""
    pattern = spark_datetime_pattern(_string(layout, "a date_format"))
    text = text.transform(_rename_functions)
    return exp.Anonymous(this="TRY_TO_TIMESTAMP", expressions=[text, exp.Literal.string(pattern)])


def spark_datetime_pattern(layout: str) -> str:
    """A strptime layout (``%d/%m/%Y %H:%M``) as Spark's datetime pattern (``d/M/yyyy
    H:mm``). One letter where DuckDB reads one or two digits; two letters where the field
    touches another one (``%Y%m%d`` -> ``yyyyMMdd``), as DuckDB then reads two. Directives
    Spark reads differently are refused: ``%y`` (Spark puts 69 in 2069, DuckDB in 1969),
    ``%z`` and anything not in the table above."""
    tokens = re.findall(r"%.|[^%]+|%", layout)
    out = []
    for i, token in enumerate(tokens):
        if token == "%%":
            out.append("'%'")
        elif token.startswith("%"):
            if token[1:] not in _PATTERNS:
                raise TranslationError(
                    f"date_format {layout!r}: {token} has no Spark equivalent that reads the "
                    f"same way (Spark can read {', '.join('%' + k for k in _PATTERNS)})."
                )
            neighbours = tokens[i - 1 : i] + tokens[i + 1 : i + 2]
            touching = any(t.startswith("%") and t != "%%" for t in neighbours)
            out.append(_PATTERNS[token[1:]][touching])
        elif set(token) <= _PLAIN:
            out.append(token)
        else:
            out.append("'" + token.replace("'", "''") + "'")
    return "".join(out)


def _is_decimal(text: str) -> bool:
    return "." in text and "e" not in text.lower()


def literal(value) -> exp.Expression:
    """A Python / pandas value as a Spark SQL literal."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if math.isinf(value):
            raise TranslationError("an infinite parameter has no SQL literal.")
        return exp.cast(exp.Literal.number(repr(value)), exp.DataType.build("DOUBLE"))
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        text = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
        return exp.cast(exp.Literal.string(f"{text}+00:00"), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, pd.Timedelta | dt.timedelta):
        micros = int(pd.Timedelta(value) / pd.Timedelta(microseconds=1))
        days, rest = divmod(micros, 86_400_000_000)
        seconds = f"{rest // 1_000_000}.{rest % 1_000_000:06d}"
        return exp.Anonymous(
            this="MAKE_DT_INTERVAL",
            expressions=[
                exp.Literal.number(days),
                exp.Literal.number(0),
                exp.Literal.number(0),
                exp.Literal.number(seconds),
            ],
        )
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TranslationError(f"no SQL literal for a parameter of type {type(value).__name__}.")
