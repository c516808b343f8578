"""crmlab's DuckDB SQL translated for Spark: one test per rewrite and per refusal (sqlglot
only; the parity tests run the translations on a real Spark)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.engines.spark_sql import TranslationError, spark_datetime_pattern, to_spark


def spark(sql: str, params: dict | None = None, names: dict | None = None) -> str:
    return to_spark(sql, params, names)


def test_decimal_literals_become_doubles():
    """Spark reads 86400.0 and 3.0 as DECIMAL and rounds what they touch."""
    assert spark("SELECT x / 86400.0, 1 / 3.0 FROM t") == (
        "SELECT x / CAST(86400.0 AS DOUBLE), 1 / CAST(3.0 AS DOUBLE) FROM t"
    )
    assert spark("SELECT x / 86400e6, 2 FROM t") == "SELECT x / 86400e6, 2 FROM t"


def test_parameters_become_literals():
    at = pd.Timestamp("2024-03-31 02:30:00.123456", tz="Europe/London")
    out = spark(
        "SELECT * FROM t WHERE a <= $at AND b < $days AND c = $name AND d = $x AND e IS $none",
        {
            "at": at,
            "days": pd.Timedelta(days=14, microseconds=5),
            "name": "it's",
            "x": 0.5,
            "none": None,
        },
    )
    assert "CAST('2024-03-31 01:30:00.123456+00:00' AS TIMESTAMP)" in out  # UTC
    assert "MAKE_DT_INTERVAL(14, 0, 0, 0.000005)" in out
    assert "c = 'it''s'" in out or "c = 'it\\'s'" in out
    assert "d = CAST(0.5 AS DOUBLE)" in out and "e IS NULL" in out


def test_parameters_inside_rewritten_functions_are_inlined_too():
    out = spark("SELECT epoch_us($at::TIMESTAMPTZ), to_days($n) FROM t", {"at": "x", "n": 3})
    assert out == "SELECT UNIX_MICROS(CAST('x' AS TIMESTAMP)), MAKE_DT_INTERVAL(3) FROM t"


def test_a_missing_parameter_is_an_error():
    with pytest.raises(TranslationError, match=r"\$as_of"):
        spark("SELECT * FROM t WHERE a <= $as_of")


def test_durations_and_intervals():
    out = spark(
        "SELECT (epoch_us(b) - epoch_us(a)) / 86400e6, a - to_days(90) FROM t",
    )
    assert out == (
        "SELECT (UNIX_MICROS(b) - UNIX_MICROS(a)) / 86400e6, a - MAKE_DT_INTERVAL(90) FROM t"
    )


def test_what_sqlglot_already_translates():
    out = spark(
        "SELECT arg_max(nps, at), x::TIMESTAMPTZ, date_diff('day', a, b), "
        "count(*) FILTER (WHERE ok) FROM t ORDER BY a"
    )
    assert "MAX_BY(nps, at)" in out and "CAST(x AS TIMESTAMP)" in out
    assert "DATEDIFF(DAY, a, b)" in out and "FILTER(WHERE ok)" in out.replace(" (", "(")
    assert out.endswith("ORDER BY a NULLS LAST")  # DuckDB's default null order


def test_tables_are_renamed_keeping_their_aliases():
    names = {"purchases": "crmlab_1_purchases"}
    assert spark("SELECT p.a FROM purchases p JOIN x USING (a)", names=names) == (
        "SELECT p.a FROM crmlab_1_purchases AS p JOIN x USING (a)"
    )
    assert spark("SELECT purchases.a FROM purchases", names=names) == (
        "SELECT purchases.a FROM crmlab_1_purchases AS purchases"
    )


@pytest.mark.parametrize(
    ("sql", "complaint"),
    [
        ("SELECT max_by(x, t, 2)[2] FROM s", "subscript"),
        ("SELECT list(x ORDER BY t)[1] FROM s", "subscript"),
        ("SELECT * FROM a ASOF JOIN b ON a.t >= b.t", "ASOF"),
        ("PIVOT t ON k USING sum(v)", "PIVOT"),
        ("SELECT unnest(generate_series(1, 3))", "UNNEST"),
        ("SELECT getvariable('known_at')", "GETVARIABLE"),
        ("SELECT SELECT", "parse"),
    ],
)
def test_constructs_without_a_faithful_spark_form_are_refused(sql, complaint):
    with pytest.raises(TranslationError, match=complaint):
        spark(sql)


@pytest.mark.parametrize(
    "engine",
    ["postgres://db", 42, "spark", {"spark": "host:15002"}, pd.DataFrame({"duckdb": [1]})],
)
def test_an_engine_crmlab_cannot_use_is_a_clear_error(engine, tiny):
    from crmlab.errors import ParameterError
    from crmlab.features import customer_summary

    with pytest.raises(ParameterError, match="SparkSession"):
        customer_summary(tiny, tiny.as_of, engine=engine)


@pytest.mark.parametrize(
    ("layout", "pattern"),
    [
        ("%d/%m/%Y %H:%M", "d/M/yyyy H:m"),  # one letter reads one or two digits, as DuckDB
        ("%Y%m%d", "yyyyMMdd"),  # touching fields: two digits each, as DuckDB then reads
        ("%d-%b-%Y at %I:%M %p", "d-MMM-yyyy' at 'h:m a"),  # letters are quoted
        ("%B %d, %Y %H:%M:%S.%f", "MMMM d, yyyy H:m:s.SSSSSS"),
        ("%d%%%m", "d'%'M"),
        ("%Y-%m-%d'T'", "yyyy-M-d'''T'''"),  # a quote in the layout is doubled
    ],
)
def test_a_declared_date_format_becomes_a_spark_pattern(layout, pattern):
    assert spark_datetime_pattern(layout) == pattern


def test_try_strptime_becomes_try_to_timestamp():
    assert spark("SELECT try_strptime(v, '%d/%m/%Y') FROM s") == (
        "SELECT TRY_TO_TIMESTAMP(v, 'd/M/yyyy') FROM s"
    )


@pytest.mark.parametrize(("layout", "directive"), [("%d/%m/%y", "%y"), ("%Y-%m-%d %z", "%z")])
def test_directives_spark_reads_differently_are_refused(layout, directive):
    with pytest.raises(TranslationError, match=f"{directive} has no Spark equivalent"):
        spark(f"SELECT try_strptime(v, '{layout}') FROM s")


def test_a_wall_time_in_a_zone_keeps_duckdbs_reading_of_the_repeated_hour():
    assert spark("SELECT timezone('UTC', t) FROM s") == "SELECT CAST(t AS TIMESTAMP) FROM s"
    london = spark("SELECT timezone('Europe/London', t + INTERVAL 1 DAY) FROM s")
    # the wall time is written once and named in a lambda: it can be a long expression
    assert london.startswith(
        "SELECT ELEMENT_AT(TRANSFORM(ARRAY(t + INTERVAL '1' DAY), crmlab_wall_time -> "
        "CASE WHEN FROM_UTC_TIMESTAMP(TO_UTC_TIMESTAMP(crmlab_wall_time, "
    )
    assert london.count("INTERVAL '1' DAY") == 1
    assert london.count("MAKE_DT_INTERVAL") == 6  # 1 h, 30 min, 2 h: tested and added
    assert london.endswith(
        "ELSE TO_UTC_TIMESTAMP(crmlab_wall_time, 'Europe/London') END), 1) FROM s"
    )
    with pytest.raises(TranslationError, match="time zone must be written as text"):
        spark("SELECT timezone(zone, t) FROM s")
