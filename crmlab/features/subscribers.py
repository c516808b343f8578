"""A subscriber table as churn snapshots: one row per subscriber, a churn flag, features.

Telecom, insurance and software exports often come this way (one cross-sectional snapshot,
no order history). ``subscriber_snapshots`` reads the label however it is written ("T"/"F",
"Yes"/"No", "True."/"False.", 1/0), types every other column, and keeps out of the features
what must never be one, each with the reason the report lists:

- the id column and the columns the caller names (``exclude_columns``);
- personal data: a column named like a phone, e-mail, name or address with more than a few
  distinct values, or whose values are e-mail addresses or phone numbers;
- identifiers: every value a different whole number, or near-unique text;
- likely leaks: a column named after churn ("Churn Reason", "churn_score"), filled in only
  for one outcome, or whose every value belongs to one outcome;
- dates (turn them into durations first), constant or empty columns, and categories with
  more than ``MAX_LEVELS`` distinct values.

Numbers written as text (a "Total Charges" column with a blank for new subscribers) are
read as numbers, blanks as missing; the model imputes missing numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..data.normalize import as_boolean, as_number, looks_like_key, lost_values
from ..data.personal import looks_like_contact, personal_column_kind
from ..data.violations import MAX_EXAMPLES, Violation, format_violations
from ..errors import DataContractError, ParameterError
from .snapshots import Snapshots

TABLE = "subscribers"
MAX_LEVELS = 60  # more distinct values than this is not a category (US states: 51)
MIN_PER_CLASS = 10  # churners and stayers each, to train and test a model at all
PERSONAL_MAX_LEVELS = 10  # a "phone_service" yes/no flag is a feature, a "phone" column is not
MISSING_CATEGORY = "(missing)"

# Label spellings read without being told (after trimming, lower case, a trailing "." dropped).
CHURNED_WORDS = frozenset(
    {"yes", "y", "true", "t", "1", "churned", "churn", "left", "lost", "cancelled", "canceled"}
)
STAYED_WORDS = frozenset(
    {"no", "n", "false", "f", "0", "stayed", "active", "retained", "current", "existing"}
)
_DATE_SHAPED = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?\s*$")


def subscriber_snapshots(
    table: pd.DataFrame,
    label: str,
    churned_values: Iterable | None = None,
    id_column: str | None = None,
    exclude_columns: Iterable[str] = (),
    stayed_values: Iterable | None = None,
    consent_column: str | None = None,
) -> Snapshots:
    """Churn snapshots from a one-row-per-subscriber table (``crmlab.data.read_flat`` reads
    CSV, Parquet, .xlsx or a built-in name).

    label: the column that says who churned. churned_values: the values meaning churned
        (compared as trimmed, case-insensitive text: ``["T"]``, ``["yes", 1]``); None reads
        the usual spellings (yes/no, true/false, t/f, 1/0, churned/active). stayed_values:
        the values meaning stayed; None: the one other value, or the usual spellings.
        Rows whose label is blank are left out and counted in ``unlabelled``.
    id_column: the subscriber id (text; must be unique and present); None numbers the rows.
    exclude_columns: columns never to use as features, beyond those excluded automatically.
    consent_column: the marketing-consent column (yes/no, true/false, 1/0; missing means
        no), kept as ``consent_marketing`` for ``privacy.marketable``, never a feature.
    Returns ``Snapshots`` (no cutoff; ``churned`` 0/1) whose ``excluded`` lists every column
    left out with the reason. Raises ``ParameterError`` for unknown column names and
    ``DataContractError`` for a label that is constant or has values that are neither
    churned nor stayed, too few churners or stayers, or duplicated/missing ids.
    """
    _check_columns(table, [label], "label")
    for parameter, column in (("id_column", id_column), ("consent_column", consent_column)):
        if column is not None:
            _check_columns(table, [column], parameter)
    exclude = list(exclude_columns or [])
    _check_columns(table, exclude, "exclude_columns")

    churned, labelled = _label(table[label], label, churned_values, stayed_values)
    rows = table.loc[labelled]
    churned = churned.loc[labelled]
    ids = _ids(rows, id_column)
    _check_classes(churned, label)

    out = {"customer_id": ids, "churned": churned.astype("int64")}
    numeric, categorical, excluded = [], [], []
    told = {id_column: "subscriber id (id_column)"} if id_column else {}
    told |= {c: "excluded by you (exclude_columns)" for c in exclude}
    if consent_column:
        told[consent_column] = "marketing consent (decides who may be contacted)"
        out["consent_marketing"] = as_boolean(rows[consent_column]).fillna(False).astype(bool)
    for column in [c for c in table.columns if c != label]:
        if column in told:
            excluded.append((str(column), told[column]))
            continue
        kind, values = _feature(str(column), rows[column], churned)
        if kind == "numeric":
            numeric.append(str(column))
        elif kind == "categorical":
            categorical.append(str(column))
        else:
            excluded.append((str(column), kind))
            continue
        out[str(column)] = values
    frame = pd.DataFrame(out).reset_index(drop=True)
    meaning = churned_values or sorted(rows.loc[churned, label].unique(), key=str)
    return Snapshots(
        frame,
        tuple(numeric),
        tuple(categorical),
        label=f"{label} in {_shown(meaning)}",
        excluded=tuple(excluded),
        unlabelled=int((~labelled).sum()),
    )


def _check_columns(table: pd.DataFrame, names: list, parameter: str) -> None:
    absent = [n for n in names if n not in table.columns]
    if absent:
        raise ParameterError(
            f"{parameter} names {absent}, which the subscriber table lacks; its columns are "
            f"{[str(c) for c in table.columns]}."
        )


def _token(value) -> str:
    """A label value as comparable text: 1, 1.0, "1" and " 1 " are the same; "True." is true."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().casefold().rstrip(".").strip()


def _shown(values) -> str:
    return "{" + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values) + "}"


def _label(
    values: pd.Series, name: str, churned_values, stayed_values
) -> tuple[pd.Series, pd.Series]:
    """(churned as bool, labelled) per row; raises for constant labels and unknown values."""
    tokens = values.map(_token, na_action="ignore")
    labelled = tokens.notna() & (tokens != "") & (tokens != "nan")
    seen = set(tokens[labelled].unique())
    if not seen:
        raise DataContractError(f"label column {name!r} is empty: nothing says who churned.")
    if churned_values is not None:
        churned_set = {_token(v) for v in churned_values}
        if not churned_set & seen:
            raise DataContractError(
                f"none of churned_values {_shown(churned_values)} occurs in label column "
                f"{name!r}; its values are {_examples(values[labelled])}."
            )
    else:
        churned_set = seen & CHURNED_WORDS
    if stayed_values is not None:
        stayed_set = {_token(v) for v in stayed_values}
    elif churned_values is not None and len(seen - churned_set) == 1:
        stayed_set = seen - churned_set
    else:
        stayed_set = seen & STAYED_WORDS
    unknown = labelled & ~tokens.isin(churned_set | stayed_set)
    if len(seen) == 1:
        raise DataContractError(
            f"label column {name!r} has one value ({_examples(values[labelled])}) in all "
            f"{int(labelled.sum()):,} labelled rows: nothing to learn who churns from."
        )
    if unknown.any():
        rule = (
            "values must mean churned or stayed: pass churned_values (and stayed_values) "
            f"to say which; churned now {_shown(sorted(churned_set))}, stayed "
            f"{_shown(sorted(stayed_set))}"
        )
        problem = _violation(name, rule, values.index[unknown], _examples(values[unknown]))
        raise DataContractError(format_violations([problem], "the subscriber table"), [problem])
    return tokens.isin(churned_set) & labelled, labelled


def _examples(values: pd.Series) -> list[str]:
    return [str(v) for v in values.drop_duplicates().head(MAX_EXAMPLES)]


def _violation(column: str, rule: str, rows: pd.Index, examples: list[str]) -> Violation:
    return Violation(TABLE, str(column), rule, len(rows), examples, rows)


def _ids(rows: pd.DataFrame, id_column: str | None) -> pd.Series:
    if id_column is None:
        return pd.Series([str(i + 1) for i in range(len(rows))], index=rows.index, dtype="str")
    ids = rows[id_column]
    problems = []
    if ids.isna().any():
        missing = ids.index[ids.isna()]
        problems.append(_violation(id_column, "every subscriber needs an id", missing, []))
    text = ids.astype("str").str.strip()
    twice = ids.notna() & text.duplicated(keep=False)
    if twice.any():
        problems.append(
            _violation(
                id_column,
                "one row per subscriber (duplicated id)",
                ids.index[twice],
                _examples(text[twice]),
            )
        )
    if problems:
        raise DataContractError(format_violations(problems, "the subscriber table"), problems)
    return text.astype("str")


def _check_classes(churned: pd.Series, label: str) -> None:
    n_churned, n_stayed = int(churned.sum()), int((~churned).sum())
    if min(n_churned, n_stayed) < MIN_PER_CLASS:
        raise DataContractError(
            f"label {label!r}: {n_churned:,} churned and {n_stayed:,} stayed; a model needs at "
            f"least {MIN_PER_CLASS} of each to learn and to be tested."
        )


def _feature(name: str, values: pd.Series, churned: pd.Series) -> tuple[str, pd.Series | None]:
    """("numeric" | "categorical", the values as modelled) or (the reason to exclude, None)."""
    present = values.dropna()
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        present = present[present.astype("str").str.strip() != ""]
    n_distinct = present.nunique()
    personal = personal_column_kind(name)
    if personal and n_distinct > PERSONAL_MAX_LEVELS:
        return f"personal data (the name says {personal.replace('_', ' ')})", None
    if "churn" in name.casefold():
        return "named after churn: probably recorded with or after the outcome (a leak)", None
    if n_distinct == 0:
        return "empty", None
    leak = _one_outcome(values, churned)
    if leak:
        return leak, None
    if n_distinct == 1:
        return "the same value in every row", None
    if pd.api.types.is_datetime64_any_dtype(values):
        return "a date: turn it into a duration (e.g. months as a customer) first", None
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        number = as_number(values)
        return _numeric_or_key(number)
    text = values.astype("str").where(values.notna())
    number = as_number(text)
    if not len(lost_values(text.mask(text.str.strip() == ""), number)):
        return _numeric_or_key(number)
    sample = present.astype("str").head(200)
    if sample.map(looks_like_contact).mean() >= 0.5:
        return "personal data (values are e-mail addresses or phone numbers)", None
    if sample.str.match(_DATE_SHAPED).mean() >= 0.9:
        return "a date: turn it into a duration (e.g. months as a customer) first", None
    if n_distinct > MAX_LEVELS:
        if n_distinct > 0.5 * len(present):
            return f"near-unique text ({n_distinct:,} values): an identifier or free text", None
        return (
            f"{n_distinct:,} distinct values: too many for a category (at most {MAX_LEVELS})",
            None,
        )
    return "categorical", text.str.strip().fillna(MISSING_CATEGORY)


def _numeric_or_key(number: pd.Series) -> tuple[str, pd.Series | None]:
    if looks_like_key(number):
        return "every value a different whole number: an identifier", None
    return "numeric", number.astype("float64")


def _one_outcome(values: pd.Series, churned: pd.Series) -> str | None:
    """A reason when the column gives the outcome away: filled in for one outcome only, or
    every value (with enough rows to tell) seen with one outcome only."""
    missing = values.isna()
    if missing.any() and ((missing == churned).all() or (missing == ~churned).all()):
        return "filled in for one outcome only: recorded with or after the outcome (a leak)"
    counts = pd.crosstab(values.astype("str"), churned)
    if (
        counts.shape[1] == 2
        and len(counts) < 0.1 * len(values)
        and ((counts == 0).any(axis=1)).all()
    ):
        return "every value seen with one outcome only: recorded with or after it (a leak)"
    return None
