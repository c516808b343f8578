"""Baskets: which items each order holds, as a sparse order x item matrix built by the SQL
engine (a million orders never become a dense table in pandas)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..engines import connect
from ..errors import ParameterError
from ..sql import sql_identifier


@dataclass(frozen=True)
class Baskets:
    """Orders as rows of a sparse boolean matrix. matrix: orders x items (CSR, True where the
    order holds the item). orders: the order ids, in row order. items: the item ids (or
    names), in column order."""

    matrix: sparse.csr_matrix
    orders: pd.Index
    items: pd.Index


def baskets(
    order_lines: pd.DataFrame, order: str = "order_id", item: str = "product_id", engine=None
) -> Baskets:
    """The distinct (order, item) pairs of ``order_lines`` as a sparse ``Baskets`` matrix;
    quantities do not matter (an order holds an item or not). engine: where the SQL runs."""
    missing = [c for c in (order, item) if c not in order_lines.columns]
    if missing:
        raise ParameterError(
            f"order_lines lacks {missing}; its columns are {[str(c) for c in order_lines.columns]}."
        )
    with connect(engine) as sql:
        sql.register("lines", order_lines[[order, item]])
        pairs = sql.frame(
            f"""
            WITH pairs AS (
                SELECT DISTINCT {sql_identifier(order)} AS o, {sql_identifier(item)} AS i
                FROM lines WHERE {sql_identifier(order)} IS NOT NULL
                             AND {sql_identifier(item)} IS NOT NULL)
            SELECT dense_rank() OVER (ORDER BY o) - 1 AS row,
                   dense_rank() OVER (ORDER BY i) - 1 AS col, o, i
            FROM pairs
            """
        )
    rows, cols = pairs["row"].to_numpy(np.int64), pairs["col"].to_numpy(np.int64)
    n_orders = int(rows.max()) + 1 if len(rows) else 0
    n_items = int(cols.max()) + 1 if len(cols) else 0
    matrix = sparse.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(n_orders, n_items))
    orders = pd.Index(pairs.drop_duplicates("row").sort_values("row")["o"].to_numpy())
    items = pd.Index(pairs.drop_duplicates("col").sort_values("col")["i"].to_numpy())
    return Baskets(matrix, orders, items)


def baskets_from_lists(transactions) -> Baskets:
    """``Baskets`` from a list of item lists (one list per order; repeats count once)."""
    if isinstance(transactions, str) or not all(
        isinstance(t, list | tuple | set | frozenset) for t in transactions
    ):
        raise ParameterError(
            "transactions must be a list of item lists (one per order) or an order_lines table."
        )
    lines = pd.DataFrame(
        [(n, str(item)) for n, items in enumerate(transactions) for item in items],
        columns=["order_id", "product_id"],
    )
    return baskets(lines)
