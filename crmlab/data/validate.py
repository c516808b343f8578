"""Validation of a whole data set against the contract, reporting every violation at once."""

from __future__ import annotations

import datetime
import warnings
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .container import CRMData
from .contract import BUILTIN_RULES, REQUIRED_TABLES, ROW_RULES, TABLES, schema_for
from .cross_checks import balance_notes, line_total_notes, number_lines, points_signs
from .dates import DEFAULT_DATES, DateColumnError, DateRule
from .normalize import as_utc, normalize_table
from .pandera_quiet import pa
from .violations import Violation, example_keys, raise_if_any

OnError = Literal["raise", "quarantine"]

# Tables are checked parents first, so that foreign keys can point at validated parents.
_ORDER = (
    "customers",
    "campaigns",
    "products",
    "orders",
    "order_lines",
    "touchpoints",
    "assignments",
    "tickets",
    "surveys",
    "loyalty_events",
    "memberships",
)
# Tables other tables point to (their single-column keys are collected for foreign keys).
_REFERENCED = {target for spec in TABLES.values() for target in spec.references.values()}


def resolve_as_of(as_of) -> pd.Timestamp:
    """A user's as_of (str, date, Timestamp; naive means UTC) as a UTC Timestamp."""
    if isinstance(as_of, datetime.date):
        parsed = pd.Timestamp(as_of)
        return parsed.tz_localize("UTC") if parsed.tzinfo is None else parsed.tz_convert("UTC")
    try:
        parsed = as_utc(pd.Series([as_of], dtype=object)).iloc[0]
    except DateColumnError as exc:
        raise ParameterError(f"as_of={as_of!r}: {exc.problem}") from None
    if pd.isna(parsed):
        raise ParameterError(f"as_of={as_of!r} is not a date or timestamp (try '2024-12-31').")
    return parsed


def validate(
    data: CRMData, as_of=None, on_error: OnError = "raise", dates: DateRule = DEFAULT_DATES
) -> CRMData:
    """Normalize types and check every contract rule; return the validated data.

    as_of: the data set's "now"; defaults to ``data.as_of``, else the current time.
        No event timestamp may be after it.
    on_error: "raise" (default) raises one ``DataContractError`` listing every violation.
        "quarantine" removes the offending rows, records them in ``result.rejected``
        (table, row, key, column, rule) and warns with their count. Problems that are not
        about particular rows (a missing column or table, an empty table) always raise.
    dates: how text timestamps are read: one format per column, inferred from all values
        unless declared; ambiguous or mixed columns are refused (``crmlab.data.dates``).

    Orders without a status column: negative amounts become refunds (``mark_refunds``).
    Order lines without line numbers are numbered in row order; redeem/expire points given
    as positive sizes become negative changes. Lines that do not add up to their order and
    points balances below zero are reported in ``notes``, not rejected
    (``crmlab.data.cross_checks``).
    """
    if on_error not in ("raise", "quarantine"):
        raise ParameterError(f"on_error={on_error!r}: use 'raise' or 'quarantine'.")
    if as_of is not None:
        as_of = resolve_as_of(as_of)
    elif data.as_of is not None:
        as_of = resolve_as_of(data.as_of)
    else:  # the one place "now" is allowed: a sanity bound when the data declares none
        as_of = pd.Timestamp.now(tz="UTC")

    tables: dict[str, pd.DataFrame] = {}
    violations: list[Violation] = []
    notes = list(data.notes)
    for name, frame in data.tables().items():
        if len(frame) == 0:
            violations.append(
                Violation(name, "*", "table is empty (remove it if there is no data)", 0)
            )
        frame, found = normalize_table(name, _index_to_column(name, frame), dates)
        tables[name] = frame
        violations += found
    repairs = {"orders": mark_refunds, "order_lines": number_lines, "loyalty_events": points_signs}
    for name, repair in repairs.items():
        if name in tables:
            tables[name], note = repair(tables[name])
            notes += [note] if note else []
    if "customers" not in tables and {"customer_id", "ordered_at"} <= set(tables.get("orders", ())):
        tables["customers"] = customers_from_orders(tables["orders"])
        notes.append("customers table derived from orders (first_seen_at = first order)")
    for name in REQUIRED_TABLES:
        if name not in tables:
            violations.append(Violation(name, "*", "required table is missing", 0))

    quarantine = on_error == "quarantine"
    rejected: list[pd.DataFrame] = []
    known_ids: dict[str, pd.Series] = {}
    for name in _ORDER:
        if name not in tables:
            continue
        found = [v for v in violations if v.table == name]
        found += _schema_violations(name, tables[name], as_of, known_ids, found)
        if quarantine:
            tables[name], gone = _set_aside(name, tables[name], found)
            rejected.append(gone)
        if name in _REFERENCED and TABLES[name].key[0] in tables[name]:
            known_ids[name] = tables[name][TABLES[name].key[0]].dropna()
        violations = [v for v in violations if v.table != name] + found

    if not quarantine:
        raise_if_any(violations, data.source)
    raise_if_any([v for v in violations if not v.row_level], data.source)
    rejected_rows = pd.concat(rejected, ignore_index=True) if rejected else None
    if quarantine and rejected_rows is not None and len(rejected_rows):
        counts = rejected_rows.drop_duplicates(["table", "row"])["table"].value_counts()
        summary = ", ".join(f"{t}: {n:,}" for t, n in counts.items())
        warnings.warn(
            f"quarantined rows that break the data contract ({summary}); see .rejected",
            stacklevel=2,
        )
    notes += _cross_table_notes(tables)
    return data.replace(**tables, as_of=as_of, rejected=rejected_rows, notes=notes)


def _cross_table_notes(tables: dict[str, pd.DataFrame]) -> list[str]:
    """What is reported rather than rejected (``crmlab.data.cross_checks``)."""
    notes = []
    if "orders" in tables and "order_lines" in tables:
        notes += line_total_notes(tables["orders"], tables["order_lines"])
    if "loyalty_events" in tables:
        notes += balance_notes(tables["loyalty_events"])
    return notes


def mark_refunds(orders: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Orders without a status column: negative amounts are refunds (status 'refunded'),
    the others completed, so a cancellation is never counted as a purchase."""
    if "status" in orders.columns or "amount" not in orders.columns:
        return orders, None
    negative = orders["amount"] < 0
    orders = orders.assign(status=np.where(negative, "refunded", "completed"))
    if not negative.any():
        return orders, None
    return orders, (
        f"orders has no status column: {int(negative.sum()):,} order(s) with a negative amount "
        "are refunds (status 'refunded'), not purchases"
    )


def customers_from_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """A minimal customers table: one row per customer in orders, first seen at first order."""
    first = orders.groupby("customer_id", sort=True)["ordered_at"].min()
    return pd.DataFrame(
        {"customer_id": first.index.astype("str"), "first_seen_at": first.reset_index(drop=True)}
    )


def _index_to_column(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Keep a meaningful index (e.g. customer_id) as a column; otherwise renumber rows."""
    names = [n for n in frame.index.names if n is not None]
    spec_columns = set(TABLES[table].column_names)
    if names and set(names) <= spec_columns and not set(names) & set(frame.columns):
        return frame.reset_index()
    return frame.reset_index(drop=True)


def _schema_violations(
    table: str,
    frame: pd.DataFrame,
    as_of: pd.Timestamp,
    known_ids: dict[str, pd.Series],
    type_violations: list[Violation],
) -> list[Violation]:
    schema = schema_for(table, as_of, known_ids)
    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    # A value that failed type coercion is now missing; do not report it a second time.
    already = {(v.column, label) for v in type_violations for label in v.rows}
    unreadable = {v.column for v in type_violations if not v.row_level}  # e.g. ambiguous dates
    spec = TABLES[table]
    row_rule_columns = {error: "/".join(needs) for needs, error, _ in ROW_RULES.get(table, [])}
    out = []
    # Column checks are grouped per column; frame-level checks list each involved column
    # (one row per cell), so they are grouped per check only.
    per_column = cases["schema_context"].eq("Column")
    cases = cases.assign(
        group=cases["check"].where(~per_column, cases["column"] + ":" + cases["check"])
    )
    for _, group in cases.groupby("group", sort=False):
        rule = group["check"].iloc[0]
        if rule == "column_in_dataframe":
            for column in group["failure_case"]:
                out.append(Violation(table, str(column), BUILTIN_RULES[rule], len(frame)))
            continue
        if rule in row_rule_columns:
            column = row_rule_columns[rule]
        elif rule == "multiple_fields_uniqueness":
            column = "/".join(spec.key)
        else:
            column = str(group["column"].iloc[0])
        if column in unreadable:
            continue
        if group["index"].isna().all():  # the check itself raised: never pass silently
            case = str(group["failure_case"].iloc[0])[:200]
            out.append(
                Violation(
                    table,
                    str(group["column"].iloc[0]),
                    f"{rule} (check could not run: {case})",
                    len(frame),
                )
            )
            continue
        rows = pd.Index(pd.unique(group["index"].dropna()))
        rows = pd.Index([r for r in rows if (column, r) not in already])
        if len(rows) == 0:
            continue
        label = BUILTIN_RULES.get(rule, rule)
        if rule == "not_nullable":
            label = f"{column} is missing"
        elif "uniqueness" in rule:
            label = f"duplicate {column}"
        shown = column if per_column.loc[group.index].all() else None  # a value, not a row rule
        examples = example_keys(frame, rows, spec.key, shown)
        out.append(Violation(table, column, label, len(rows), examples, rows))
    return out


def _set_aside(
    table: str, frame: pd.DataFrame, found: list[Violation]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table into the rows that pass and a record of those that do not."""
    records = []
    key = TABLES[table].key
    for v in found:
        for label in v.rows:
            records.append(
                {
                    "table": table,
                    "row": int(frame.index.get_loc(label)),
                    "key": "/".join(str(frame.at[label, k]) for k in key if k in frame),
                    "column": v.column,
                    "rule": v.rule,
                }
            )
    gone = pd.DataFrame(records, columns=["table", "row", "key", "column", "rule"])
    bad = pd.Index(pd.unique(pd.Series([r for v in found for r in v.rows], dtype=object)))
    return frame.drop(index=bad).reset_index(drop=True), gone
