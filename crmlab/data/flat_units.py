"""Experiments exported from elsewhere: a flat table with one row per unit.

An analyst often gets an experiment as a CSV from another tool (one row per user: the arm
plus outcome columns). ``read_units`` renames its columns to the names
``crmlab.experiment.analyze`` and the campaign notebook use, and checks it with the same
care as the CRM tables: every problem is a ``Violation`` of the table "units".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataContractError, ParameterError
from .flat_files import read_flat
from .normalize import as_number, lost_values
from .violations import MAX_EXAMPLES, Violation, format_violations

TABLE = "units"


def read_units(
    source: str | Path | pd.DataFrame,
    columns: dict[str, str] | None = None,
    variant: str = "variant",
    unit: str | None = "customer_id",
    sep: str = ",",
) -> pd.DataFrame:
    """Read a flat per-unit experiment table (CSV, Parquet, .xlsx or a DataFrame).

    columns: mapping from the file's column names to crmlab's (e.g. ``{"group": "variant",
        "user": "customer_id", "bought": "converted", "spend": "revenue"}``); unmapped
        columns keep their names.
    variant: the arm column after renaming; unit: the unit id column after renaming (None if
        the table has none). Other columns are metrics, made numeric (booleans become 0/1),
        or labels (e.g. a segment) when no value in them is a number; a column mixing numbers
        with other text is an error. Empty cells stay missing and ``analyze`` names them if a
        metric uses them.
    Raises ``ParameterError`` for a missing file or column, ``DataContractError`` listing
    non-numeric values, empty arms and duplicated units.
    """
    frame = read_flat(source, sep, what="per-unit table")
    columns = dict(columns or {})
    absent = [c for c in columns if c not in frame]
    if absent:
        raise ParameterError(
            f"columns mapping names {absent}, which the table lacks; its columns are "
            f"{list(frame.columns)}."
        )
    frame = frame.rename(columns=columns)
    if variant not in frame:
        raise ParameterError(
            f"no {variant!r} column after renaming; map the arm column to it, e.g. "
            f"columns={{'group': {variant!r}}}. Columns: {list(frame.columns)}."
        )
    problems: list[Violation] = []
    if frame[variant].isna().any():
        rows = frame.index[frame[variant].isna()]
        problems.append(_violation(variant, "every unit needs an arm", rows))
    frame[variant] = frame[variant].astype("str")
    if unit is not None and unit in frame:
        frame[unit] = frame[unit].astype("str")
        twice = frame[unit].duplicated(keep=False)
        if twice.any():
            rows = frame.index[twice]
            examples = list(frame.loc[rows, unit].unique()[:MAX_EXAMPLES])
            problems.append(
                _violation(unit, "one row per unit (duplicated unit id)", rows, examples)
            )
    ids = {variant} | ({unit} if unit else set())
    for name in [c for c in frame.columns if c not in ids]:
        values, bad = _numeric(frame[name])
        if bad is not None:
            rows, examples = bad
            problems.append(_violation(name, "metric values must be numbers", rows, examples))
        else:
            frame[name] = values
    if problems:
        raise DataContractError(format_violations(problems, "the per-unit table"), problems)
    return frame


def _violation(column: str, rule: str, rows: pd.Index, examples: list | None = None):
    shown = examples if examples is not None else [f"(row {r})" for r in rows[:MAX_EXAMPLES]]
    return Violation(TABLE, column, rule, len(rows), [str(e) for e in shown], rows)


def _numeric(column: pd.Series) -> tuple[pd.Series, tuple[pd.Index, list] | None]:
    """The column as float (or unchanged if it holds labels only), or (rows, examples) of
    the values that are not numbers in an otherwise numeric column."""
    values = as_number(column)
    lost = lost_values(column, values)
    if len(lost) and values.isna().all():
        return column, None  # a label column, e.g. a segment
    if len(lost):
        return values, (lost, list(column.loc[lost].unique()[:MAX_EXAMPLES]))
    return values, None
