"""A data set's tables as engine views with the columns a query reads, wherever they live.

A ``CRMData`` usually holds pandas tables; with a Spark engine its tables may instead be
Spark DataFrames (or catalogue tables read with ``spark.table``), which then never leave
the cluster. Either way the engine sees a view ``<name>`` with exactly the columns asked
for: a column the table lacks takes its stated stand-in (e.g. no ``channel``: 'unknown'),
and an absent optional table is an empty one with the contract's types.
"""

from __future__ import annotations

import pandas as pd

from ..data.contract import empty_table
from ..engines import Engine
from ..errors import DataContractError
from ..sql import sql_identifier

Columns = dict[str, str | None]  # column -> SQL stand-in when absent (None: required)


def table_view(sql: Engine, name: str, table, contract_table: str, columns: Columns) -> set[str]:
    """Register ``table`` (pandas, Spark DataFrame or None) as view ``name`` with
    ``columns``; returns the columns the table really has (empty for an absent table)."""
    if table is None:
        sql.register(name, empty_table(contract_table, list(columns)))
        return set()
    if isinstance(table, pd.DataFrame):
        present = set(table.columns)
        sql.register(f"{name}_raw", table[[c for c in columns if c in present]])
    else:
        present = set(sql.register(f"{name}_raw", table))
    select = []
    for column, stand_in in columns.items():
        quoted = sql_identifier(column)
        if column in present:
            select.append(quoted)
        elif stand_in is None:
            raise DataContractError(
                f"{contract_table} lacks column {column}, which this analysis needs "
                "(see docs/data_contract.md)."
            )
        else:
            select.append(f"{stand_in} AS {quoted}")
    sql.create_view(name, f"SELECT {', '.join(select)} FROM {name}_raw")
    return present
