"""Per-customer aggregates computed as SQL in DuckDB: the one place heavy aggregation happens.

The SQL is plain (GROUP BY, FILTER, min_by, date_trunc) so that the same queries can later
run on Apache Spark; models then fit on the compact per-customer tables returned here.

Definitions (identical to the ``lifetimes`` package's utilities):
  - purchases are completed orders (rows with status 'refunded' are not purchases; without
    a status column, rows with a negative amount) at or before ``as_of``. A refund whose
    ``refund_of`` names an order, known at or before ``as_of``, nets against that order's
    value; an order refunded in full is no purchase. All purchases of one customer in one
    period (day for ``freq="D"``, ISO week Monday..Sunday for ``freq="W"``) collapse into
    one purchase whose value is their sum;
  - ``frequency``: number of periods with a purchase, minus one (repeat purchases);
  - ``recency``: periods between the first and the last purchase;
  - ``T``: periods between the first purchase and the period containing ``as_of``;
  - ``monetary_value``: mean value of the repeat purchase periods (0 without repeats);
  - times are divided by ``freq_multiplier`` (``freq="D", freq_multiplier=7`` measures weeks
    at daily resolution, as in the published CDNOW analyses).
One deliberate difference: lifetimes also counts purchases made *after* ``as_of`` when they
fall in the same period as ``as_of``; crmlab never looks past ``as_of``.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Literal

import duckdb
import pandas as pd

from .data._duckdb import sql_identifier, to_pandas
from .data.container import CRMData
from .data.contract import empty_table
from .data.validate import resolve_as_of
from .errors import DataContractError, ParameterError

Freq = Literal["D", "W"]
_UNIT = {"D": ("day", 1), "W": ("week", 7)}  # date_trunc unit, days per period
_NEEDED = ("customer_id", "ordered_at", "amount")

OrdersSource = pd.DataFrame | CRMData | str | Path

# DuckDB sums DOUBLEs in parallel, in an order that changes from run to run, so the last
# bits of a total change too (4e-12 on a customer's spend, which gradient boosting turns
# into a different contact list). Money and other float totals are therefore summed as
# DECIMAL(38, 9) — integer arithmetic, the same total in any order — and converted to
# DOUBLE once. Values are rounded to 1e-9 first, far below a cent.
EXACT = "DECIMAL(38, 9)"


def exact_sum(expression: str, where: str | None = None) -> str:
    """SQL for an order-independent sum of a float expression (optionally filtered)."""
    condition = f" FILTER (WHERE {where})" if where else ""
    return f"CAST(sum(CAST({expression} AS {EXACT})){condition} AS DOUBLE)"


def exact_avg(expression: str, where: str | None = None) -> str:
    """SQL for an order-independent mean of a float expression (NULL for no rows)."""
    condition = f" FILTER (WHERE {where})" if where else ""
    return f"avg(CAST({expression} AS {EXACT})){condition}"


def exact_stddev_samp(expression: str) -> str:
    """SQL for an order-independent sample standard deviation (NULL below two rows)."""
    n = f"count({expression})"
    total, squares = exact_sum(expression), exact_sum(f"({expression}) * ({expression})")
    return (
        f"CASE WHEN {n} > 1 THEN sqrt(greatest(({squares} - {total} * {total} / {n}) "
        f"/ ({n} - 1), 0)) END"
    )


def customer_summary(
    orders: OrdersSource,
    as_of,
    freq: Freq = "D",
    freq_multiplier: float = 1,
    monetary: bool = True,
) -> pd.DataFrame:
    """Per-customer frequency / recency / T / monetary_value (lifetimes' definitions) and RFM.

    orders: contract orders as a DataFrame, a CRMData, or a path / glob of Parquet files
        (read by DuckDB without loading them into pandas).
    as_of: the end of the observation period (naive means UTC); later orders are ignored.
    freq: "D" (days) or "W" (ISO weeks) — the time unit of recency and T.
    freq_multiplier: divide recency and T by this (e.g. 7 with "D" for weeks).
    monetary: include ``monetary_value``.

    Returns one row per customer with a purchase at or before as_of, indexed by
    ``customer_id`` (sorted), with columns frequency, recency, T, [monetary_value], n_orders,
    total_amount (purchases), first_order_at, last_order_at, days_since_last_order,
    n_refunds, refund_amount (a positive number) and net_amount (every order and refund
    at or before as_of: what the customer paid in the end; may be below zero when a refund
    is for an order before the data starts). ``.attrs`` records freq, freq_multiplier and
    as_of (ISO).
    """
    unit, days = _check_freq(freq, freq_multiplier)
    as_of = resolve_as_of(as_of)
    with _OrdersView(orders) as con:
        _known_at(con, as_of)
        summary = to_pandas(
            con.execute(_summary_sql(unit, days * freq_multiplier), {"as_of": as_of})
        )
    summary = _finish(summary)
    if not monetary:
        summary = summary.drop(columns="monetary_value")
    # attrs stay JSON-serializable so the summary can be saved (pandas writes them to Parquet)
    summary.attrs.update(freq=freq, freq_multiplier=freq_multiplier, as_of=as_of.isoformat())
    return summary


def calibration_holdout(
    orders: OrdersSource,
    calibration_end,
    observation_end,
    freq: Freq = "D",
    freq_multiplier: float = 1,
    monetary: bool = True,
) -> pd.DataFrame:
    """Calibration-period summary plus what each customer did in the holdout period.

    Same definitions as ``lifetimes.utils.calibration_and_holdout_data``: columns
    frequency_cal, recency_cal, T_cal, [monetary_value_cal] (``customer_summary`` at
    calibration_end), frequency_holdout (number of periods with a purchase in
    (calibration_end, observation_end]), [monetary_value_holdout] (mean value of the holdout
    orders, not of periods: lifetimes' convention) and duration_holdout (periods between the
    period of calibration_end and that of observation_end, divided by freq_multiplier).
    Customers whose first purchase is in the holdout are not included.
    """
    unit, days = _check_freq(freq, freq_multiplier)
    cal_end, obs_end = resolve_as_of(calibration_end), resolve_as_of(observation_end)
    if obs_end <= cal_end:
        raise ParameterError(
            f"observation_end ({obs_end:%Y-%m-%d}) must be after calibration_end "
            f"({cal_end:%Y-%m-%d})."
        )
    scale = days * freq_multiplier
    with _OrdersView(orders) as con:
        _known_at(con, cal_end)
        cal = _finish(to_pandas(con.execute(_summary_sql(unit, scale), {"as_of": cal_end})))
        _known_at(con, obs_end)
        holdout = to_pandas(
            con.execute(
                f"""
            SELECT customer_id,
                   count(DISTINCT date_trunc('{unit}', ordered_at)) AS frequency_holdout,
                   {exact_avg("amount")} AS monetary_value_holdout
            FROM purchases
            WHERE ordered_at > $cal_end AND ordered_at <= $obs_end
            GROUP BY customer_id
            """,
                {"cal_end": cal_end, "obs_end": obs_end},
            )
        )
        duration = con.execute(
            f"SELECT date_diff('day', date_trunc('{unit}', $cal_end::TIMESTAMPTZ),"
            f" date_trunc('{unit}', $obs_end::TIMESTAMPTZ)) / {scale}",
            {"cal_end": cal_end, "obs_end": obs_end},
        ).fetchone()[0]
    if holdout.empty:
        raise ParameterError(
            f"no purchases between calibration_end ({cal_end:%Y-%m-%d}) and observation_end "
            f"({obs_end:%Y-%m-%d}): choose an earlier calibration_end."
        )
    columns = ["frequency", "recency", "T"] + (["monetary_value"] if monetary else [])
    out = cal[columns].add_suffix("_cal")
    holdout = holdout.set_index("customer_id")
    out = out.join(holdout[["frequency_holdout", "monetary_value_holdout"]], how="left")
    out = out.fillna({"frequency_holdout": 0.0, "monetary_value_holdout": 0.0})
    out["frequency_holdout"] = out["frequency_holdout"].astype(float)
    if not monetary:
        out = out.drop(columns="monetary_value_holdout")
    out["duration_holdout"] = float(duration)
    out.attrs.update(
        freq=freq,
        freq_multiplier=freq_multiplier,
        calibration_end=cal_end.isoformat(),
        observation_end=obs_end.isoformat(),
    )
    return out


def monthly_orders(orders: OrdersSource) -> pd.DataFrame:
    """Orders per calendar month (UTC): month, orders, customers, revenue, refunds.

    ``orders`` and ``revenue`` count completed orders; ``refunds`` is the refunded amount
    (a positive number) booked in the month; ``customers`` is the number of distinct buyers.
    """
    with _OrdersView(orders) as con:
        out = to_pandas(
            con.execute(
                f"""
            WITH p AS (SELECT date_trunc('month', ordered_at) AS month, count(*) AS orders,
                              count(DISTINCT customer_id) AS customers,
                              {exact_sum("amount")} AS revenue
                       FROM purchases GROUP BY month),
                 r AS (SELECT date_trunc('month', ordered_at) AS month,
                              -{exact_sum("amount")} AS refunds
                       FROM refund_rows GROUP BY month)
            SELECT month, coalesce(orders, 0) AS orders, coalesce(customers, 0) AS customers,
                   coalesce(revenue, 0) AS revenue, coalesce(refunds, 0) AS refunds
            FROM p FULL JOIN r USING (month) ORDER BY month
            """
            )
        )
    out["month"] = pd.to_datetime(out["month"], utc=True)
    return out


def purchase_tracking(orders: OrdersSource, end, freq: Freq = "D", cohort_end=None) -> pd.DataFrame:
    """Per period up to ``end``: customers making their first purchase, and repeat purchases.

    Purchases are collapsed per customer and period as in ``customer_summary``; a repeat
    purchase is any purchase period of a customer after their first. cohort_end: only count
    customers whose first purchase is at or before it (default: everyone). Returns period
    (start, UTC), first_purchases, repeat_purchases; empty periods are included as zeros.
    """
    unit, _ = _check_freq(freq, 1)
    end = resolve_as_of(end)
    cohort_end = end if cohort_end is None else resolve_as_of(cohort_end)
    with _OrdersView(orders) as con:
        out = to_pandas(
            con.execute(
                f"""
            WITH p AS (SELECT DISTINCT customer_id, date_trunc('{unit}', ordered_at) AS period
                       FROM purchases WHERE ordered_at <= $end),
                 f AS (SELECT customer_id, min(period) AS first FROM p GROUP BY customer_id
                       HAVING min(period) <= $cohort_end),
                 grid AS (SELECT unnest(generate_series((SELECT min(first) FROM f),
                                        date_trunc('{unit}', $end::TIMESTAMPTZ),
                                        INTERVAL 1 {unit})) AS period),
                 firsts AS (SELECT first AS period, count(*) AS n FROM f GROUP BY first),
                 repeats AS (SELECT p.period, count(*) AS n FROM p JOIN f USING (customer_id)
                             WHERE p.period > f.first GROUP BY p.period)
            SELECT grid.period, coalesce(firsts.n, 0) AS first_purchases,
                   coalesce(repeats.n, 0) AS repeat_purchases
            FROM grid LEFT JOIN firsts USING (period) LEFT JOIN repeats USING (period)
            ORDER BY grid.period
            """,
                {"end": end, "cohort_end": cohort_end},
            )
        )
    out["period"] = pd.to_datetime(out["period"], utc=True)
    return out


def experiment_units(
    data: CRMData, campaign_id: str, window_days: float = 14, pre_days: float = 90
) -> pd.DataFrame:
    """One row per customer assigned to a campaign, with outcomes and pre-period covariates.

    Outcomes count completed orders in (assigned_at, assigned_at + window_days]: n_orders,
    revenue, converted (at least one order); sessions = customer-initiated web/app views and
    store visits in the same window (0 without touchpoints). Covariates: pre_orders and
    pre_revenue in (assigned_at - pre_days, assigned_at]. Columns: customer_id, variant,
    assigned_at, converted, n_orders, revenue, sessions, pre_orders, pre_revenue,
    days_to_first_order (empty without an order in the window).
    """
    if data.assignments is None:
        raise ParameterError("the data set has no assignments table: no experiment to read.")
    known = sorted(data.assignments["campaign_id"].unique())
    if campaign_id not in known:
        raise ParameterError(f"campaign_id={campaign_id!r} is unknown; campaigns: {known}.")
    if window_days <= 0 or pre_days < 0:
        raise ParameterError(f"window_days={window_days!r} must be > 0, pre_days >= 0.")
    touchpoints = data.touchpoints
    if touchpoints is None:
        touchpoints = empty_table("touchpoints", ["customer_id", "occurred_at", "kind"])
    with _OrdersView(data.orders) as con:
        con.register("assignments_source", data.assignments)
        con.register("touchpoints_source", touchpoints[["customer_id", "occurred_at", "kind"]])
        after = "p.ordered_at > a.assigned_at AND p.ordered_at <= a.assigned_at + to_days($window)"
        before = "p.ordered_at <= a.assigned_at AND p.ordered_at > a.assigned_at - to_days($pre)"
        out = to_pandas(
            con.execute(
                f"""
            WITH a AS (SELECT customer_id, variant, assigned_at FROM assignments_source
                       WHERE campaign_id = $campaign),
            o AS (
                SELECT a.customer_id,
                       count(*) FILTER (WHERE p.ordered_at > a.assigned_at
                           AND p.ordered_at <= a.assigned_at + to_days($window)) AS n_orders,
                       coalesce({exact_sum("p.amount", after)}, 0) AS revenue,
                       count(*) FILTER (WHERE p.ordered_at <= a.assigned_at
                           AND p.ordered_at > a.assigned_at - to_days($pre)) AS pre_orders,
                       coalesce({exact_sum("p.amount", before)}, 0) AS pre_revenue,
                       min(epoch(p.ordered_at - a.assigned_at) / 86400.0) FILTER (
                           WHERE p.ordered_at > a.assigned_at
                           AND p.ordered_at <= a.assigned_at + to_days($window))
                           AS days_to_first_order
                FROM a JOIN purchases p USING (customer_id)
                GROUP BY a.customer_id),
            s AS (
                SELECT a.customer_id, count(*) AS sessions
                FROM a JOIN touchpoints_source t USING (customer_id)
                WHERE t.kind IN ('view', 'visit') AND t.occurred_at > a.assigned_at
                  AND t.occurred_at <= a.assigned_at + to_days($window)
                GROUP BY a.customer_id)
            SELECT a.customer_id, a.variant, a.assigned_at,
                   coalesce(o.n_orders, 0) > 0 AS converted,
                   coalesce(o.n_orders, 0) AS n_orders, coalesce(o.revenue, 0) AS revenue,
                   coalesce(s.sessions, 0) AS sessions,
                   coalesce(o.pre_orders, 0) AS pre_orders,
                   coalesce(o.pre_revenue, 0) AS pre_revenue, o.days_to_first_order
            FROM a LEFT JOIN o USING (customer_id) LEFT JOIN s USING (customer_id)
            ORDER BY a.customer_id
            """,
                {"campaign": campaign_id, "window": int(window_days), "pre": int(pre_days)},
            )
        )
    out["assigned_at"] = pd.to_datetime(out["assigned_at"], utc=True)
    out["converted"] = out["converted"].astype(int)
    for col in ("n_orders", "sessions", "pre_orders"):
        out[col] = out[col].astype("int64")
    return out


def sufficient_statistics(frame: pd.DataFrame, group: str, columns: list[str]) -> pd.DataFrame:
    """Per group: n, and for the columns every sum s_a and sum of products s_a*b (a <= b in
    the given order) — all a two-sample test needs, computed in one SQL pass."""
    terms = ["count(*)::DOUBLE AS n"]
    for i, a in enumerate(columns):
        terms.append(f'{exact_sum(f"{sql_identifier(a)}::DOUBLE")} AS "s_{a}"')
        for b in columns[i:]:
            product = f"{sql_identifier(a)}::DOUBLE * {sql_identifier(b)}::DOUBLE"
            terms.append(f'{exact_sum(product)} AS "s_{a}*{b}"')
    con = duckdb.connect()
    try:
        con.register("units_source", frame[[group, *columns]])
        out = to_pandas(
            con.execute(
                f'SELECT "{group}" AS grp, {", ".join(terms)} FROM units_source GROUP BY grp'
            )
        )
    finally:
        con.close()
    return out.set_index("grp")


def monthly_new_customers(customers: pd.DataFrame | CRMData) -> pd.DataFrame:
    """Customers by the calendar month (UTC) of ``first_seen_at``: month, new_customers."""
    frame = customers.customers if isinstance(customers, CRMData) else customers
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("customers_source", frame[["customer_id", "first_seen_at"]])
        out = to_pandas(
            con.execute(
                "SELECT date_trunc('month', first_seen_at) AS month, count(*) AS new_customers "
                "FROM customers_source GROUP BY month ORDER BY month"
            )
        )
    finally:
        con.close()
    out["month"] = pd.to_datetime(out["month"], utc=True)
    return out


def _check_freq(freq: str, freq_multiplier: float) -> tuple[str, int]:
    if freq not in _UNIT:
        raise ParameterError(f"freq={freq!r}: use 'D' (days) or 'W' (ISO weeks).")
    if not freq_multiplier > 0:
        raise ParameterError(f"freq_multiplier={freq_multiplier!r} must be a positive number.")
    return _UNIT[freq]


def _summary_sql(unit: str, scale: float) -> str:
    # min_by picks the first period's value without a window function (Spark has it too).
    return f"""
    WITH periods AS (
        SELECT customer_id,
               date_trunc('{unit}', ordered_at) AS period,
               {exact_sum("amount")} AS amount,
               count(*) AS n_orders,
               min(ordered_at) AS first_at,
               max(ordered_at) AS last_at
        FROM purchases
        WHERE ordered_at <= $as_of
        GROUP BY customer_id, period
    ),
    per_customer AS (
        SELECT customer_id,
               count(*) - 1 AS frequency,
               date_diff('day', min(period), max(period)) / {scale} AS recency,
               date_diff('day', min(period), date_trunc('{unit}', $as_of::TIMESTAMPTZ))
                   / {scale} AS T,
               CASE WHEN count(*) > 1
                    THEN ({exact_sum("amount")} - min_by(amount, period)) / (count(*) - 1)
                    ELSE 0 END AS monetary_value,
               sum(n_orders) AS n_orders,
               {exact_sum("amount")} AS total_amount,
               min(first_at) AS first_order_at,
               max(last_at) AS last_order_at,
               epoch($as_of::TIMESTAMPTZ - max(last_at)) / 86400.0 AS days_since_last_order
        FROM periods
        GROUP BY customer_id
    ),
    refunds AS (
        SELECT customer_id, count(*) AS n_refunds, -{exact_sum("amount")} AS refund_amount
        FROM refund_rows
        WHERE ordered_at <= $as_of
        GROUP BY customer_id
    ),
    net AS (
        SELECT customer_id, {exact_sum("amount")} AS net_amount
        FROM all_rows
        WHERE ordered_at <= $as_of
        GROUP BY customer_id
    )
    SELECT p.*, coalesce(r.n_refunds, 0) AS n_refunds,
           coalesce(r.refund_amount, 0) AS refund_amount, n.net_amount
    FROM per_customer p LEFT JOIN refunds r USING (customer_id) LEFT JOIN net n USING (customer_id)
    ORDER BY customer_id
    """


def _finish(summary: pd.DataFrame) -> pd.DataFrame:
    summary = summary.set_index("customer_id")
    for col in (
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "total_amount",
        "refund_amount",
        "net_amount",
    ):
        summary[col] = summary[col].astype(float)
    for col in ("n_orders", "n_refunds"):
        summary[col] = summary[col].astype("int64")
    for col in ("first_order_at", "last_order_at"):
        summary[col] = pd.to_datetime(summary[col], utc=True)
    return summary


class _OrdersView:
    """A DuckDB connection with views `purchases` and `refund_rows` over the given orders."""

    def __init__(self, orders: OrdersSource):
        self.orders = orders

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        source = self.orders.orders if isinstance(self.orders, CRMData) else self.orders
        if isinstance(source, pd.DataFrame):
            _check_columns(source.columns, "the orders DataFrame")
            if not pd.api.types.is_datetime64_any_dtype(source["ordered_at"]):
                raise DataContractError(
                    f"orders.ordered_at holds {source['ordered_at'].dtype} values, not "
                    "timestamps; pass the data through crmlab.data.validate() or load() first."
                )
            con.register("orders_source", source)
            columns = set(source.columns)
        elif isinstance(source, (str, Path)):
            if not glob.glob(str(source)):
                raise DataContractError(f"no Parquet files at {source}")
            con.read_parquet(str(source)).create_view("orders_source")
            columns = {r[0] for r in con.execute("DESCRIBE orders_source").fetchall()}
            _check_columns(columns, str(source))
        else:
            raise ParameterError(
                f"orders must be a DataFrame, CRMData or Parquet path, not {type(source).__name__}"
            )
        is_refund = _is_refund(columns)
        con.execute(
            "CREATE VIEW refund_rows AS SELECT customer_id, ordered_at, amount FROM orders_source "
            f"WHERE {is_refund}"
        )
        con.execute(
            "CREATE VIEW all_rows AS SELECT customer_id, ordered_at, amount FROM orders_source"
        )
        if "refund_of" in columns and "order_id" in columns:
            # A refund naming its order nets against it once it is known (at or before the
            # `known_at` variable each query sets): an order refunded in full is no purchase.
            con.execute("SET VARIABLE known_at = NULL")
            con.execute(
                f"""CREATE VIEW purchases AS
                WITH linked AS (
                    SELECT refund_of AS order_id, {exact_sum("amount")} AS refunded
                    FROM orders_source
                    WHERE {is_refund} AND refund_of IS NOT NULL
                      AND ordered_at <= coalesce(getvariable('known_at'), ordered_at)
                    GROUP BY refund_of)
                SELECT o.customer_id, o.ordered_at, o.amount + coalesce(l.refunded, 0) AS amount
                FROM orders_source o LEFT JOIN linked l USING (order_id)
                WHERE NOT {_is_refund(columns, "o.")}
                  AND o.amount + coalesce(l.refunded, 0) > 0"""
            )
        else:
            con.execute(
                "CREATE VIEW purchases AS SELECT customer_id, ordered_at, amount "
                f"FROM orders_source WHERE NOT {is_refund}"
            )
        self.con = con
        return con

    def __exit__(self, *exc) -> None:
        self.con.close()


def _is_refund(columns, alias: str = "") -> str:
    """SQL: is this order row a refund? Without a status column a negative amount is one
    (as ``data.validate`` marks it)."""
    if "status" in columns:
        return f"coalesce({alias}status = 'refunded', false)"
    return f"coalesce({alias}amount < 0, false)"


def _known_at(con, moment: pd.Timestamp) -> None:
    """Refunds that name their order net against it only once they are known."""
    con.execute(f"SET VARIABLE known_at = TIMESTAMPTZ '{moment.isoformat()}'")


def _check_columns(columns, where: str) -> None:
    missing = [c for c in _NEEDED if c not in set(columns)]
    if missing:
        raise DataContractError(
            f"{where} lacks column(s) {', '.join(missing)}; orders need customer_id, "
            "ordered_at (timestamp) and amount (see docs/data_contract.md)."
        )
