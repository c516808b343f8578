"""Type coercion at the contract boundary: IDs to strings, timestamps to UTC, numbers to floats.

Coercion never drops a value silently: a value that cannot be converted becomes missing
*and* is reported as a ``Violation`` naming the column and showing the raw values.
Naive timestamps are taken to be UTC (or the declared time zone); aware ones are converted
to UTC. A date column is read with one format chosen from all its values (``dates``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .contract import TABLES, ColumnSpec
from .dates import DEFAULT_DATES, DateColumnError, DateRule, parse_timestamps
from .violations import MAX_EXAMPLES, Violation, example_keys

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def as_id(values: pd.Series) -> pd.Series:
    """IDs as strings: integer-valued numbers lose their '.0', text is stripped."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("str")
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.round(whole)).all():
            values = values.astype("Int64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("str")
    out = values.astype("str").str.strip()
    return out.mask(out == "")


def as_utc(values: pd.Series, rule: DateRule = DEFAULT_DATES) -> pd.Series:
    """Timestamps as timezone-aware UTC; unreadable values become NaT.

    Text and numbers are read with one format for the whole column (``crmlab.data.dates``);
    raises ``DateColumnError`` when the column is ambiguous or mixes formats.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values):
        return values.dt.tz_localize(rule.timezone).dt.tz_convert("UTC")
    return parse_timestamps(values, rule)


def as_number(values: pd.Series) -> pd.Series:
    """Numbers as float (booleans 0/1; blank text and unreadable values become NaN)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("str").str.strip()
    return pd.to_numeric(text.mask(text == ""), errors="coerce").astype(float)


def looks_like_key(values: pd.Series, min_rows: int = 20) -> bool:
    """True when a numeric column is every row a different whole number (an account number,
    a user id): an identifier, never a feature or an outcome. Booleans and columns with
    fewer than ``min_rows`` values are never keys."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(present) or len(present) < min_rows or not present.is_unique:
        return False
    return bool((present == np.round(present)).all())


def _as_integer(values: pd.Series) -> pd.Series:
    number = as_number(values)
    whole = number.where(number == np.round(number))
    return whole.astype("Int64")


def as_boolean(values: pd.Series) -> pd.Series:
    """True/False from booleans or text (yes/no, true/false, 1/0, ...); anything else missing."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    text = values.astype("str").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("str")


_CONVERTERS = {
    "id": as_id,
    "timestamp": as_utc,
    "number": as_number,
    "integer": _as_integer,
    "boolean": as_boolean,
    "text": _as_text,
}

_TYPE_RULES = {
    "id": "must be text",
    "timestamp": "cannot be read as a timestamp",
    "number": "is not a number",
    "integer": "is not a whole number",
    "boolean": "is not true/false (or yes/no, 1/0)",
    "text": "must be text",
}


def lost_values(before: pd.Series, after: pd.Series) -> pd.Index:
    """Rows whose value was present before coercion and is missing after it."""
    present = before.notna()
    if before.dtype == object or pd.api.types.is_string_dtype(before):
        present &= before.astype("str").str.strip() != ""
    return before.index[present & after.isna()]


def normalize_table(
    table: str, frame: pd.DataFrame, dates: DateRule = DEFAULT_DATES
) -> tuple[pd.DataFrame, list[Violation]]:
    """Coerce the canonical columns of one table; report every value that did not convert.

    dates: how text timestamps are read (one format per column, ``crmlab.data.dates``).
    """
    spec = TABLES[table]
    out = frame.copy()
    out.columns = [str(c).strip() for c in out.columns]
    violations: list[Violation] = []
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        before = out[col.name]
        if col.kind == "timestamp":
            try:
                after = as_utc(before, dates)
            except DateColumnError as exc:
                examples = [repr(e) for e in exc.examples]
                violations.append(Violation(table, col.name, exc.problem, len(before), examples))
                out[col.name] = pd.Series(pd.NaT, index=before.index, dtype="datetime64[ns, UTC]")
                continue
        else:
            after = _CONVERTERS[col.kind](before)
        bad = lost_values(before, after)
        if len(bad):
            violations.append(_type_violation(table, col, out, before, bad))
        out[col.name] = after
    return out, violations


def _type_violation(
    table: str, col: ColumnSpec, frame: pd.DataFrame, raw: pd.Series, bad: pd.Index
) -> Violation:
    keys = example_keys(frame, bad, TABLES[table].key)
    shown = [f"{k}={raw[label]!r}" for k, label in zip(keys, bad[:MAX_EXAMPLES], strict=False)]
    return Violation(table, col.name, f"{col.name} {_TYPE_RULES[col.kind]}", len(bad), shown, bad)
