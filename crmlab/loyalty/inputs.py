"""Checks of the tables the loyalty functions are given, so that a missing column or a
column of text where numbers belong is one clear crmlab error, not a pandas KeyError."""

from __future__ import annotations

import pandas as pd

from ..errors import ParameterError


def require(frame: pd.DataFrame, table: str, columns, numbers=()) -> None:
    """ParameterError unless ``frame`` has ``columns``, and ``numbers`` among them are
    numeric (as ``load`` leaves them)."""
    missing = [c for c in columns if c not in frame]
    if missing:
        raise ParameterError(
            f"{table} lacks {', '.join(missing)}; it needs {', '.join(columns)} "
            "(docs/data_contract.md)."
        )
    for column in numbers:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            examples = ", ".join(map(repr, frame[column].dropna().astype(str).unique()[:3]))
            raise ParameterError(
                f"{table}.{column} holds {frame[column].dtype} values (e.g. {examples}), not "
                "numbers; load the table with crmlab.data.load, which types it."
            )
