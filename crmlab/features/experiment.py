"""Experiment units and their sufficient statistics: the SQL behind ``crmlab.experiment``.

Units may be a pandas DataFrame or, on Spark, a Spark DataFrame: the checks and the
statistics are SQL, so ten million units never have to be in pandas."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data.container import CRMData
from ..engines import connect
from ..errors import ParameterError
from ..sql import days_between, exact_sum, sql_identifier
from ..units import check_days, days_interval
from .inputs import table_view
from .orders_view import OrdersView

UNITS_MEMORY = "1GB"  # DuckDB's working memory for a read-out without the units
UNIT_COLUMNS = (
    "customer_id", "variant", "assigned_at", "converted", "n_orders", "revenue", "sessions",
    "pre_orders", "pre_revenue", "days_to_first_order",
)  # fmt: skip


def experiment_units(
    data: CRMData,
    campaign_id: str,
    window_days: float = 14,
    pre_days: float = 90,
    engine=None,
) -> pd.DataFrame:
    """One row per customer assigned to a campaign, with outcomes and pre-period covariates.

    Outcomes count completed orders in (assigned_at, assigned_at + window_days]: n_orders,
    revenue, converted (at least one order); sessions = customer-initiated web/app views and
    store visits in the same window (0 without touchpoints). Covariates: pre_orders and
    pre_revenue in (assigned_at - pre_days, assigned_at]. Columns: customer_id, variant,
    assigned_at, converted, n_orders, revenue, sessions, pre_orders, pre_revenue,
    days_to_first_order (empty without an order in the window). engine: where the SQL runs
    (``crmlab.engines``); with Spark, the data set's tables may be Spark DataFrames.
    For a read-out alone, ``campaign_statistics`` skips the per-unit table.
    """
    with OrdersView(_orders(data), engine) as view:
        params = _campaign_units(view, data, campaign_id, window_days, pre_days)
        out = view.frame(f"{_UNITS_SQL} ORDER BY a.customer_id", params)
    out["assigned_at"] = pd.to_datetime(out["assigned_at"], utc=True)
    out["converted"] = out["converted"].astype(int)
    for col in ("n_orders", "sessions", "pre_orders"):
        out[col] = out[col].astype("int64")
    return out


def campaign_statistics(
    data: CRMData,
    campaign_id: str,
    columns: list[str],
    window_days: float = 14,
    pre_days: float = 90,
    engine=None,
    memory_limit: str | None = UNITS_MEMORY,
) -> tuple[UnitChecks, pd.DataFrame]:
    """``checked_statistics`` of a campaign's experiment units (``experiment_units``, same
    arguments), computed in the engine that builds them: the units are a table there, and
    only the per-arm sums reach pandas, so memory does not grow with a pandas copy of every
    unit. columns: unit columns the metrics read (see ``UNIT_COLUMNS``). memory_limit: the
    embedded DuckDB's working memory (beyond it, work spills to a temporary folder; None:
    80% of RAM); ignored on Spark. With 1 GB, 10 million units read out in 1.3 GB in all
    (bench/experiment.py)."""
    unknown = [c for c in columns if c not in UNIT_COLUMNS]
    if unknown:
        raise ParameterError(
            f"column(s) {unknown} are not experiment-unit columns; a campaign's units have "
            f"{list(UNIT_COLUMNS)}."
        )
    with OrdersView(_orders(data), engine, memory_limit) as view:
        params = _campaign_units(view, data, campaign_id, window_days, pre_days)
        view.engine.create_table("units_source", _UNITS_SQL, params)
        return (
            _checks(view.engine, "variant", columns, "customer_id"),
            _sums(view.engine, "variant", columns),
        )


def _orders(data: CRMData):
    if data.assignments is None:
        raise ParameterError("the data set has no assignments table: no experiment to read.")
    return data.orders


def _campaign_units(
    view: OrdersView, data: CRMData, campaign_id: str, window_days: float, pre_days: float
) -> dict:
    """Register the campaign's assignments and the touchpoints next to the order views;
    returns the parameters of ``_UNITS_SQL``."""
    window = days_interval(check_days(window_days, "window_days"))
    pre = days_interval(check_days(pre_days, "pre_days", allow_zero=True))
    table_view(
        view.engine,
        "assignments_source",
        data.assignments,
        "assignments",
        dict.fromkeys(["customer_id", "campaign_id", "variant", "assigned_at"]),
    )
    known = view.frame("SELECT DISTINCT campaign_id FROM assignments_source ORDER BY campaign_id")[
        "campaign_id"
    ].tolist()
    if campaign_id not in known:
        raise ParameterError(f"campaign_id={campaign_id!r} is unknown; campaigns: {known}.")
    table_view(
        view.engine,
        "touchpoints_source",
        data.touchpoints,
        "touchpoints",
        dict.fromkeys(["customer_id", "occurred_at", "kind"]),
    )
    return {"campaign": campaign_id, "window": window, "pre": pre}


_AFTER = "p.ordered_at > a.assigned_at AND p.ordered_at <= a.assigned_at + $window"
_BEFORE = "p.ordered_at <= a.assigned_at AND p.ordered_at > a.assigned_at - $pre"
_UNITS_SQL = f"""
    WITH a AS (SELECT customer_id, variant, assigned_at FROM assignments_source
               WHERE campaign_id = $campaign),
    o AS (
        SELECT a.customer_id,
               count(*) FILTER (WHERE {_AFTER}) AS n_orders,
               coalesce({exact_sum("p.amount", _AFTER)}, 0) AS revenue,
               count(*) FILTER (WHERE {_BEFORE}) AS pre_orders,
               coalesce({exact_sum("p.amount", _BEFORE)}, 0) AS pre_revenue,
               min({days_between("a.assigned_at", "p.ordered_at")}) FILTER (
                   WHERE {_AFTER}) AS days_to_first_order
        FROM a JOIN purchases p USING (customer_id)
        GROUP BY a.customer_id),
    s AS (
        SELECT a.customer_id, count(*) AS sessions
        FROM a JOIN touchpoints_source t USING (customer_id)
        WHERE t.kind IN ('view', 'visit') AND t.occurred_at > a.assigned_at
          AND t.occurred_at <= a.assigned_at + $window
        GROUP BY a.customer_id)
    SELECT a.customer_id, a.variant, a.assigned_at,
           coalesce(o.n_orders, 0) > 0 AS converted,
           coalesce(o.n_orders, 0) AS n_orders, coalesce(o.revenue, 0) AS revenue,
           coalesce(s.sessions, 0) AS sessions,
           coalesce(o.pre_orders, 0) AS pre_orders,
           coalesce(o.pre_revenue, 0) AS pre_revenue, o.days_to_first_order
    FROM a LEFT JOIN o USING (customer_id) LEFT JOIN s USING (customer_id)"""


def sufficient_statistics(
    frame: pd.DataFrame, group: str, columns: list[str], engine=None
) -> pd.DataFrame:
    """Per group: n, and for the columns every sum s_a and sum of products s_a*b (a <= b in
    the given order) — all a two-sample test needs, computed in one SQL pass. Rows without
    a group are left out. frame: a pandas DataFrame, or a Spark DataFrame with a Spark
    engine. engine: where the SQL runs (``crmlab.engines``)."""
    with connect(engine) as sql:
        _register_units(sql, frame, group, columns)
        return _sums(sql, group, columns)


@dataclass(frozen=True)
class UnitChecks:
    """What ``experiment.analyze`` checks before trusting a units table.

    arms: units per arm (arm -> n, sorted by arm; units without an arm are not counted).
    missing: missing values per metric column (only columns with some).
    repeated: a unit id found on more than one row (None when every id is unique)."""

    arms: dict
    missing: dict[str, int]
    repeated: object | None


def unit_checks(
    frame, group: str, columns: list[str], unit: str | None = None, engine=None
) -> UnitChecks:
    """Arm sizes, missing metric values and a repeated unit id, in one engine session.

    frame: one row per unit (a pandas DataFrame, or a Spark DataFrame with a Spark engine).
    group: the arm column; columns: the metric columns; unit: the unit id column or None.
    engine: where the SQL runs (``crmlab.engines``)."""
    with connect(engine) as sql:
        _register_units(sql, frame, group, columns, unit)
        return _checks(sql, group, columns, unit)


def checked_statistics(
    frame, group: str, columns: list[str], unit: str | None = None, engine=None
) -> tuple[UnitChecks, pd.DataFrame]:
    """``unit_checks`` and ``sufficient_statistics`` with the units registered once: on
    Spark a pandas table travels to the cluster once."""
    with connect(engine) as sql:
        _register_units(sql, frame, group, columns, unit)
        return _checks(sql, group, columns, unit), _sums(sql, group, columns)


def _register_units(sql, frame, group: str, columns: list[str], unit: str | None = None):
    kept = [group, *columns] + ([unit] if unit and unit not in (group, *columns) else [])
    sql.register("units_source", frame[kept] if isinstance(frame, pd.DataFrame) else frame)


def _sums(sql, group: str, columns: list[str]) -> pd.DataFrame:
    terms = ["count(*)::DOUBLE AS n"]
    for i, a in enumerate(columns):
        terms.append(f'{exact_sum(f"{sql_identifier(a)}::DOUBLE")} AS "s_{a}"')
        for b in columns[i:]:
            product = f"{sql_identifier(a)}::DOUBLE * {sql_identifier(b)}::DOUBLE"
            terms.append(f'{exact_sum(product)} AS "s_{a}*{b}"')
    g = sql_identifier(group)
    out = sql.frame(
        f"SELECT {g} AS grp, {', '.join(terms)} FROM units_source WHERE {g} IS NOT NULL "
        "GROUP BY grp ORDER BY grp"
    )
    return out.set_index("grp")


def _checks(sql, group: str, columns: list[str], unit: str | None) -> UnitChecks:
    g = sql_identifier(group)
    arms = sql.frame(
        f"SELECT {g} AS arm, count(*) AS n FROM units_source WHERE {g} IS NOT NULL "
        "GROUP BY arm ORDER BY arm"
    )
    found = {}
    if columns:
        counts = ", ".join(
            f"count(*) - count({sql_identifier(c)}) AS {sql_identifier(c)}" for c in columns
        )
        found = sql.frame(f"SELECT {counts} FROM units_source").iloc[0].to_dict()
    repeated = None
    if unit:
        u = sql_identifier(unit)
        twice = sql.frame(
            f"SELECT {u} AS unit FROM units_source WHERE {u} IS NOT NULL GROUP BY {u} "
            f"HAVING count(*) > 1 ORDER BY {u} LIMIT 1"
        )
        repeated = None if twice.empty else twice["unit"].iloc[0]
    return UnitChecks(
        arms=dict(zip(arms["arm"], arms["n"].astype("int64"), strict=True)),
        missing={c: int(n) for c, n in found.items() if n},
        repeated=repeated,
    )
