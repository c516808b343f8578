"""One-table exports: a CSV, Parquet or Excel file with one row per unit (a subscriber, a
user in a test), or a built-in table by name. Read with pandas' own typing; the callers
(``flat_units``, ``features.subscriber_snapshots``) decide what each column means."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import DataContractError, ParameterError
from .load import find_path

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


def builtin_tables() -> dict[str, Callable[[], pd.DataFrame]]:
    """Built-in one-row-per-unit tables by name (shipped inside installed packages)."""
    from .datasets import telco_table

    return {"telco": telco_table}


def read_flat(
    source: str | Path | pd.DataFrame, sep: str = ",", what: str = "table"
) -> pd.DataFrame:
    """A flat table from a DataFrame (copied), a built-in name (``builtin_tables``) or a
    .csv/.tsv/.txt (separated by ``sep``), .parquet or .xlsx (first sheet) file.

    what: how error messages name the table ("per-unit table", "subscriber table").
    Raises ``ParameterError`` for a missing file or an unknown kind, ``DataContractError``
    for a file that cannot be read.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    builtins = builtin_tables()
    if isinstance(source, str) and source in builtins:
        return builtins[source]()
    path = find_path(Path(source))
    if not path.is_file():
        raise ParameterError(
            f"{what} {str(source)!r} does not exist (give a .csv, .parquet or .xlsx file, or "
            f"one of the built-in tables {sorted(builtins)})."
        )
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    if suffix not in (*TEXT_SUFFIXES, ".parquet", ".xlsx"):
        raise ParameterError(f"{path.name}: give a .csv, .parquet or .xlsx file.")
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".xlsx":
            return pd.read_excel(path)
        return pd.read_csv(path, sep=sep)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataContractError(
            f"{path.name} is not a readable {sep!r}-separated table ({type(exc).__name__}: "
            f"{exc}); check the file and the sep parameter."
        ) from exc
    except Exception as exc:  # pyarrow/openpyxl raise many types; all mean "not readable"
        raise DataContractError(
            f"{path.name} is not a readable {suffix[1:]} file ({type(exc).__name__}: {exc})."
        ) from exc
