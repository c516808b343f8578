"""Privacy helpers shared by every stakeholder table.

Small-cell suppression: a group with fewer than ``min_size`` customers could point at
individuals, so its numbers are blanked (the row stays, flagged ``suppressed``).
"""

from __future__ import annotations

import hashlib
import hmac
import os

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
    for column in numeric:  # integers stay integers (nullable), so counts print as counts
        kind = "Int64" if pd.api.types.is_integer_dtype(out[column]) else float
        out[column] = out[column].astype(kind).mask(small)
    out["suppressed"] = small.to_numpy()
    return out


KEY_VARIABLE = "CRMLAB_PSEUDONYM_KEY"
DEMO_KEY = "crmlab-demo-key-not-secret"


def pseudonym_key(demo: bool = False) -> str:
    """The secret for pseudonymous customer keys, from the environment variable.

    demo=True allows a fixed, public key (for synthetic or public data only; reports say so).
    """
    key = os.environ.get(KEY_VARIABLE)
    if key:
        return key
    if demo:
        return DEMO_KEY
    raise ParameterError(
        f"set the environment variable {KEY_VARIABLE} to a secret before exporting customer "
        "keys (or choose demo mode for synthetic/public data)."
    )


def pseudonymize(ids: pd.Index | pd.Series, key: str) -> pd.Series:
    """Keyed hash (HMAC-SHA256, first 20 hex digits) of each customer id: stable, not reversible
    without the key. Returns a Series aligned with the input."""
    secret = key.encode()
    values = [hmac.new(secret, str(i).encode(), hashlib.sha256).hexdigest()[:20] for i in ids]
    index = ids.index if isinstance(ids, pd.Series) else ids
    return pd.Series(values, index=index, name="customer_key")


def mask_email(value: str | None) -> str | None:
    """``john.doe@gmail.com`` -> ``j***@gmail.com`` (for data-steward reports)."""
    if not value or "@" not in str(value):
        return None if not value else "***"
    local, _, domain = str(value).rpartition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str | None) -> str | None:
    """``+447400123456`` -> ``+44*******456``: country code and last three digits."""
    if not value:
        return None
    text = str(value)
    return text[:3] + "*" * max(0, len(text) - 6) + text[-3:] if len(text) > 6 else "***"


def mask_name(value: str | None) -> str | None:
    """``john smith`` -> ``J. S.``: initials only."""
    if not value:
        return None
    return " ".join(f"{word[0].upper()}." for word in str(value).split())
