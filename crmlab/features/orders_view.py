"""One SQL engine with the order views every feature query starts from.

Views: ``orders_source`` (the given orders); ``order_rows`` (every row, with ``is_refund``
and ``purchase_amount``: the amount net of the refunds that name the order once those are
known, NULL unless the row is a purchase); ``purchases`` (the rows that are purchases, with
that amount), ``refund_rows`` and ``all_rows``. This is the single definition of "a
purchase" in crmlab; summaries, snapshots, experiment units, retention curves and
journeys' conversions all read it. A query that needs purchases and refunds together reads
``order_rows`` once rather than two views.

``purchases`` and ``order_rows`` have customer_id, ordered_at and amount, plus order_id and
channel where the orders have them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.container import CRMData
from ..engines import DuckDBEngine, connect, is_embedded, is_spark
from ..errors import DataContractError, ParameterError
from ..sql import exact_sum

OrdersSource = pd.DataFrame | CRMData | str | Path
NEEDED = ("customer_id", "ordered_at", "amount")


class OrdersView:
    """``with OrdersView(orders, engine) as view:`` — an engine (``crmlab.engines``) with
    the views above; ``view.frame(sql, params)`` runs a query, ``view.known_at(moment)``
    sets when refunds become known.

    orders: contract orders as a DataFrame, a CRMData, or a path / glob of Parquet files
        (or, on Spark, a Spark DataFrame or a catalogue table name such as "sales.orders").
    engine: None (embedded DuckDB), a SparkSession or a Spark Connect address.
    memory_limit: the embedded DuckDB's working memory (e.g. "1GB"; beyond it, work spills
        to a temporary folder); None: DuckDB's default, 80% of RAM. Ignored on Spark.
    """

    def __init__(self, orders: OrdersSource, engine=None, memory_limit: str | None = None):
        self.orders = orders
        self._engine_arg = engine
        self._memory_limit = memory_limit

    def __enter__(self) -> OrdersView:
        embedded = is_embedded(self._engine_arg)
        self.engine = DuckDBEngine(self._memory_limit) if embedded else connect(self._engine_arg)
        try:
            self.columns = self._register()
            self.known_at(None)
            self.engine.create_view(
                "refund_rows",
                "SELECT customer_id, ordered_at, amount FROM order_rows WHERE is_refund",
            )
            self.engine.create_view(
                "all_rows", "SELECT customer_id, ordered_at, amount FROM orders_source"
            )
        except Exception:
            self.engine.close()
            raise
        return self

    def _register(self) -> set[str]:
        source = self.orders.orders if isinstance(self.orders, CRMData) else self.orders
        if isinstance(source, pd.DataFrame):
            check_columns(source.columns, "the orders DataFrame")
            if not pd.api.types.is_datetime64_any_dtype(source["ordered_at"]):
                raise DataContractError(
                    f"orders.ordered_at holds {source['ordered_at'].dtype} values, not "
                    "timestamps; pass the data through crmlab.data.validate() or load() first."
                )
        elif not isinstance(source, str | Path) and not is_spark(source, "DataFrame"):
            raise ParameterError(
                f"orders must be a DataFrame, CRMData or Parquet path, not {type(source).__name__}"
            )
        columns = set(self.engine.register("orders_source", source))
        check_columns(columns, "the orders" if isinstance(source, pd.DataFrame) else str(source))
        return columns

    @property
    def nets_refunds(self) -> bool:
        """Do refunds that name their order (``refund_of``) net against it? When not, each
        row's ``purchase_amount`` is its ``amount`` or NULL for a refund."""
        return nets_refunds(self.columns)

    def frame(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """A query's result as pandas."""
        return self.engine.frame(sql, params)

    def known_at(self, moment: pd.Timestamp | None) -> None:
        """(Re)define ``order_rows`` and ``purchases``: a refund naming its order nets against
        it once it is known, at or before ``moment`` (None: every refund in the data)."""
        self.engine.create_view("order_rows", _order_rows_sql(self.columns, moment))
        carried = "".join(f", {c}" for c in PASSED_ON if c in self.columns)
        self.engine.create_view(
            "purchases",
            f"SELECT customer_id, ordered_at, purchase_amount AS amount{carried} "
            "FROM order_rows WHERE purchase_amount IS NOT NULL",
        )

    def __exit__(self, *exc) -> None:
        self.engine.close()


PASSED_ON = ("order_id", "channel")  # carried into ``purchases`` where the orders have them


def _order_rows_sql(columns: set[str], moment: pd.Timestamp | None) -> str:
    refund = is_refund(columns)
    carried = "".join(f", {c}" for c in PASSED_ON if c in columns)
    if not nets_refunds(columns):
        return (
            f"SELECT customer_id, ordered_at, amount{carried}, {refund} AS is_refund, "
            f"CASE WHEN {refund} THEN NULL ELSE amount END AS purchase_amount "
            "FROM orders_source"
        )
    known = f"AND ordered_at <= TIMESTAMPTZ '{moment.isoformat()}'" if moment is not None else ""
    net = "o.amount + coalesce(l.refunded, 0)"
    # an order refunded in full is no purchase
    return f"""
        WITH linked AS (
            SELECT refund_of AS order_id, {exact_sum("amount")} AS refunded
            FROM orders_source
            WHERE {refund} AND refund_of IS NOT NULL {known}
            GROUP BY refund_of)
        SELECT o.customer_id, o.ordered_at, o.amount{carried.replace(", ", ", o.")},
               {is_refund(columns, "o.")} AS is_refund,
               CASE WHEN NOT {is_refund(columns, "o.")} AND {net} > 0 THEN {net} END
                   AS purchase_amount
        FROM orders_source o LEFT JOIN linked l ON l.order_id = o.order_id"""


def nets_refunds(columns) -> bool:
    """Can a refund name the order it undoes (columns refund_of and order_id)?"""
    return "refund_of" in columns and "order_id" in columns


def is_refund(columns, alias: str = "") -> str:
    """SQL: is this order row a refund? Without a status column a negative amount is one
    (as ``data.validate`` marks it)."""
    if "status" in columns:
        return f"coalesce({alias}status = 'refunded', false)"
    return f"coalesce({alias}amount < 0, false)"


def check_columns(columns, where: str) -> None:
    """DataContractError unless customer_id, ordered_at and amount are present."""
    missing = [c for c in NEEDED if c not in set(columns)]
    if missing:
        raise DataContractError(
            f"{where} lacks column(s) {', '.join(missing)}; orders need customer_id, "
            "ordered_at (timestamp) and amount (see docs/data_contract.md)."
        )
