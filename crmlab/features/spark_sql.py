"""crmlab's DuckDB SQL translated for Apache Spark: sqlglot plus a few tested rewrites.

sqlglot does most of the work (quoting, ``arg_max`` -> ``max_by``, ``TIMESTAMPTZ`` ->
``TIMESTAMP``, ``date_diff('day', ...)``, null ordering). crmlab adds what it gets wrong or
cannot know:

- ``$name`` parameters become literals (Spark SQL has no DuckDB-style parameters);
- a decimal literal such as ``86400.0`` or ``1/3.0`` is DECIMAL in Spark, so arithmetic with
  it is rounded to a few places: every such literal is cast to DOUBLE, as in DuckDB;
- ``epoch_us(t)`` (microseconds since 1970) becomes ``unix_micros(t)``; ``to_days(n)``
  becomes ``make_dt_interval(n)``;
- table names are mapped to the engine's private temporary views.

Whatever has no faithful Spark form is a ``TranslationError`` here, never a silent
difference: subscripts (``list(...)[1]``, ``max_by(x, t, n)[2]``), ASOF joins, PIVOT,
UNNEST / generate_series, DuckDB session variables, and any function not known to work the
same on both engines (``SPARK_FUNCTIONS``).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import sqlglot
from sqlglot import exp

from ..errors import CRMLabError

# Functions sqlglot leaves as written that mean the same in DuckDB and Spark.
SPARK_FUNCTIONS = frozenset({"UNIX_MICROS", "MAKE_DT_INTERVAL", "MIN_BY", "MAX_BY"})
_RENAMED = {"EPOCH_US": "UNIX_MICROS"}


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
            if name not in SPARK_FUNCTIONS and name not in _RENAMED:
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
    if isinstance(node, exp.Anonymous) and node.name.upper() in _RENAMED:
        return exp.Anonymous(this=_RENAMED[node.name.upper()], expressions=node.expressions)
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[node.this])
    return node


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
