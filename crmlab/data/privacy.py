"""Privacy helpers shared by every stakeholder table.

Small-cell suppression: a group with fewer than ``min_size`` customers could point at
individuals, so its numbers are blanked (the row stays, flagged ``suppressed``).
"""

from __future__ import annotations

import pandas as pd

from ..errors import ParameterError

DEFAULT_MIN_CELL_SIZE = 10


def suppress_small_cells(
    table: pd.DataFrame,
    count_column: str = "customers",
    min_size: int = DEFAULT_MIN_CELL_SIZE,
    keep: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Blank every numeric value (count included) of rows with count < min_size.

    keep: columns left as they are (labels). Adds a boolean ``suppressed`` column.
    """
    if count_column not in table:
        raise ParameterError(f"count_column={count_column!r} is not a column of the table.")
    if not isinstance(min_size, int) or min_size < 1:
        raise ParameterError(f"min_size={min_size!r}: use a whole number >= 1.")
    out = table.copy()
    small = out[count_column] < min_size
    numeric = [c for c in out.select_dtypes("number").columns if c not in keep]
    out[numeric] = out[numeric].astype(float)
    out.loc[small, numeric] = float("nan")
    out["suppressed"] = small.to_numpy()
    return out
