"""Data-quality overview of a data set: what is there, how complete, what broke the contract.

Pure functions of a ``CRMData``: tidy DataFrames out, no I/O.
"""

from __future__ import annotations

import pandas as pd

from .data.container import CRMData
from .data.contract import TABLES


def table_overview(data: CRMData) -> pd.DataFrame:
    """One row per canonical table: rows, columns, customers referenced, first/last event."""
    rows = []
    for name, spec in TABLES.items():
        frame = getattr(data, name)
        event = next((c.name for c in spec.columns if c.event_time), None)
        present = frame is not None
        stamps = (
            frame[event] if present and event in frame else pd.Series(dtype="datetime64[ns, UTC]")
        )
        rows.append(
            {
                "table": name,
                "present": present,
                "rows": len(frame) if present else 0,
                "columns": frame.shape[1] if present else 0,
                "customers": frame["customer_id"].nunique()
                if present and "customer_id" in frame
                else 0,
                "first_event": stamps.min(),
                "last_event": stamps.max(),
            }
        )
    return pd.DataFrame(rows)


def date_ranges(data: CRMData) -> pd.DataFrame:
    """Earliest and latest value of every timestamp column, with its number of missing values."""
    rows = []
    for name, frame in data.tables().items():
        for col in TABLES[name].columns:
            if col.kind == "timestamp" and col.name in frame and not col.pii:
                s = frame[col.name]
                rows.append(
                    {
                        "table": name,
                        "column": col.name,
                        "earliest": s.min(),
                        "latest": s.max(),
                        "missing": int(s.isna().sum()),
                    }
                )
    return pd.DataFrame(rows, columns=["table", "column", "earliest", "latest", "missing"])


def missing_values(data: CRMData) -> pd.DataFrame:
    """Missing values per column of every table: n_missing and share_missing (0..1)."""
    rows = []
    for name, frame in data.tables().items():
        for column in frame.columns:
            n = int(frame[column].isna().sum())
            rows.append(
                {
                    "table": name,
                    "column": column,
                    "n_missing": n,
                    "share_missing": n / len(frame) if len(frame) else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["table", "column", "n_missing", "share_missing"])


def contract_violations(data: CRMData) -> pd.DataFrame:
    """Rows set aside at load (``on_error="quarantine"``), counted per table, column and rule."""
    columns = ["table", "column", "rule", "n_rows"]
    if data.rejected is None or data.rejected.empty:
        return pd.DataFrame(columns=columns)
    counts = data.rejected.groupby(["table", "column", "rule"], sort=True).size()
    return counts.rename("n_rows").reset_index()[columns]
