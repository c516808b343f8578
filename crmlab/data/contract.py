"""The canonical CRM tables: one place that says what every column means and which rules hold.

Everything else derives from ``TABLES``: the pandera schemas used by validation, the type
coercion at load time, and the table in ``docs/data_contract.md`` (a test keeps the
document in sync with this module).

Conventions: timestamps are timezone-aware UTC, IDs are strings, money is a float in
one currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .membership import is_in
from .pandera_quiet import pa

Kind = Literal["id", "timestamp", "number", "integer", "boolean", "text"]

ORDER_STATUSES = ("completed", "refunded")
INITIATORS = ("customer", "company")
POINT_KINDS = ("earn", "redeem", "expire", "adjust")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a canonical table."""

    name: str
    kind: Kind
    meaning: str
    required: bool = False
    rule: str = ""  # value rule in words, shown in the docs and in violation reports
    pii: bool = False  # personal data: never shown in stakeholder reports
    event_time: bool = False  # a moment something happened: must not be after `as_of`


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its key, columns, and the tables its columns point to."""

    name: str
    meaning: str
    key: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    references: dict[str, str] = field(default_factory=dict)  # column -> referenced table

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: Kind, meaning: str, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, meaning, **kw)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        TableSpec(
            "customers",
            "One row per customer (a person or account known to the business).",
            key=("customer_id",),
            columns=(
                _c("customer_id", "id", "Customer identifier.", required=True, rule="unique"),
                _c(
                    "first_seen_at",
                    "timestamp",
                    "When the customer was first known (signup or first contact).",
                    required=True,
                    event_time=True,
                ),
                _c("name", "text", "Full name.", pii=True),
                _c("email", "text", "E-mail address.", pii=True),
                _c("phone", "text", "Phone number, any format.", pii=True),
                _c("birth_date", "timestamp", "Date of birth.", pii=True, event_time=True),
                _c("gender", "text", "Self-declared gender, free text."),
                _c("city", "text", "City of residence."),
                _c("signup_channel", "text", "Channel of acquisition (web, app, store, ...)."),
                _c("consent_marketing", "boolean", "Customer allows marketing contact."),
                _c("consent_analytics", "boolean", "Customer allows analytical use of data."),
                _c("deletion_requested", "boolean", "Customer asked for erasure (GDPR art. 17)."),
            ),
        ),
        TableSpec(
            "orders",
            "One row per order; refunds are extra rows with a negative amount.",
            key=("order_id",),
            columns=(
                _c("order_id", "id", "Order identifier.", required=True, rule="unique"),
                _c("customer_id", "id", "Who ordered.", required=True, rule="in customers"),
                _c("ordered_at", "timestamp", "When.", required=True, event_time=True),
                _c(
                    "amount",
                    "number",
                    "Order value in the data set's currency; negative for refunds.",
                    required=True,
                    rule="finite; negative only with status 'refunded'",
                ),
                _c("channel", "text", "Sales channel (web, app, store, phone, ...)."),
                _c("n_items", "integer", "Number of items.", rule=">= 0"),
                _c("margin", "number", "Gross margin of the order, same currency.", rule="finite"),
                _c(
                    "status",
                    "text",
                    "Order status; absent means every row is completed.",
                    rule="one of completed, refunded; refunded rows have amount < 0",
                ),
                _c(
                    "refund_of",
                    "id",
                    "For a refund: the order it cancels or reduces (its value nets against it).",
                    rule="an order_id of this table; only on refunded rows",
                ),
            ),
            references={"customer_id": "customers"},
        ),
        TableSpec(
            "products",
            "One row per product (an item a customer can buy).",
            key=("product_id",),
            columns=(
                _c("product_id", "id", "Product identifier (SKU).", required=True, rule="unique"),
                _c("name", "text", "Product name as customers see it.", required=True),
                _c("category", "text", "Product category.", required=True),
                _c(
                    "margin",
                    "number",
                    "Gross margin of one unit sold, same currency as amounts.",
                ),
            ),
        ),
        TableSpec(
            "order_lines",
            "One row per line of an order: a product, how many, at what price.",
            key=("order_id", "line_number"),
            columns=(
                _c("order_id", "id", "The order.", required=True, rule="in orders"),
                _c(
                    "line_number",
                    "integer",
                    "Position of the line in its order; numbered 1, 2, ... in row order "
                    "when absent.",
                    rule=">= 1; unique within the order",
                ),
                _c("product_id", "id", "What was bought.", required=True, rule="in products"),
                _c(
                    "quantity",
                    "number",
                    "Units (or weight); negative on the lines of a refund.",
                    required=True,
                ),
                _c("unit_price", "number", "Price of one unit.", required=True, rule=">= 0"),
                _c("category", "text", "Product category, when there is no products table."),
            ),
            references={"order_id": "orders", "product_id": "products"},
        ),
        TableSpec(
            "touchpoints",
            "One row per interaction between customer and company on any channel.",
            key=("touchpoint_id",),
            columns=(
                _c("touchpoint_id", "id", "Touchpoint identifier.", required=True, rule="unique"),
                _c("customer_id", "id", "Who.", required=True, rule="in customers"),
                _c("occurred_at", "timestamp", "When.", required=True, event_time=True),
                _c("channel", "text", "web, app, email, store, phone, ...", required=True),
                _c("kind", "text", "view, click, email_open, call, visit, ...", required=True),
                _c("initiator", "text", "Who started it.", rule="one of customer, company"),
                _c("campaign_id", "id", "Campaign that caused it, if any."),
            ),
            references={"customer_id": "customers"},
        ),
        TableSpec(
            "campaigns",
            "One row per marketing campaign.",
            key=("campaign_id",),
            columns=(
                _c("campaign_id", "id", "Campaign identifier.", required=True, rule="unique"),
                _c("name", "text", "Human-readable name.", required=True),
                _c("channel", "text", "Channel used to contact customers.", required=True),
                _c(
                    "start_at",
                    "timestamp",
                    "First day of the campaign.",
                    required=True,
                    event_time=True,
                ),
                _c(
                    "end_at",
                    "timestamp",
                    "Last day of the campaign.",
                    required=True,
                    rule=">= start_at",
                ),
                _c("cost_per_contact", "number", "Cost of contacting one customer.", rule=">= 0"),
                _c("fixed_cost", "number", "Fixed cost of the campaign.", rule=">= 0"),
                _c("objective", "text", "What the campaign is meant to change."),
                _c("control_variant", "text", "Name of the control arm in `assignments`."),
            ),
        ),
        TableSpec(
            "assignments",
            "One row per customer assigned to a campaign arm (one arm per customer and campaign).",
            key=("campaign_id", "customer_id"),
            columns=(
                _c("campaign_id", "id", "Campaign.", required=True, rule="in campaigns"),
                _c("customer_id", "id", "Customer.", required=True, rule="in customers"),
                _c(
                    "variant",
                    "text",
                    "Arm, e.g. control / treatment.",
                    required=True,
                    rule="one per customer and campaign",
                ),
                _c(
                    "assigned_at",
                    "timestamp",
                    "When the customer was assigned.",
                    required=True,
                    event_time=True,
                ),
            ),
            references={"customer_id": "customers", "campaign_id": "campaigns"},
        ),
        TableSpec(
            "tickets",
            "One row per customer-service ticket.",
            key=("ticket_id",),
            columns=(
                _c("ticket_id", "id", "Ticket identifier.", required=True, rule="unique"),
                _c("customer_id", "id", "Who complained.", required=True, rule="in customers"),
                _c(
                    "opened_at",
                    "timestamp",
                    "When the ticket was opened.",
                    required=True,
                    event_time=True,
                ),
                _c("category", "text", "Topic: delivery, billing, product, ...", required=True),
                _c(
                    "first_response_at",
                    "timestamp",
                    "First answer by the company.",
                    event_time=True,
                    rule=">= opened_at",
                ),
                _c(
                    "resolved_at",
                    "timestamp",
                    "When it was closed; empty while open.",
                    event_time=True,
                    rule=">= opened_at",
                ),
                _c("channel", "text", "How the customer got in touch: email, phone, chat, ..."),
                _c("text", "text", "What the customer wrote (may hold personal data).", pii=True),
                _c("reopens", "integer", "Times the ticket was reopened after a resolution."),
                _c("satisfaction", "number", "Satisfaction with the resolution.", rule="1..5"),
            ),
            references={"customer_id": "customers"},
        ),
        TableSpec(
            "surveys",
            "One row per survey response (NPS, CSAT).",
            key=("response_id",),
            columns=(
                _c("response_id", "id", "Response identifier.", required=True, rule="unique"),
                _c("customer_id", "id", "Who answered.", required=True, rule="in customers"),
                _c("answered_at", "timestamp", "When.", required=True, event_time=True),
                _c("nps", "integer", "Likelihood to recommend.", required=True, rule="0..10"),
                _c("csat", "integer", "Customer satisfaction score.", rule="1..5"),
                _c("comment", "text", "Free-text comment (may hold personal data).", pii=True),
            ),
            references={"customer_id": "customers"},
        ),
        TableSpec(
            "loyalty_events",
            "One row per change of a customer's points balance in the loyalty program.",
            key=("event_id",),
            columns=(
                _c("event_id", "id", "Event identifier.", required=True, rule="unique"),
                _c("customer_id", "id", "Whose balance.", required=True, rule="in customers"),
                _c("occurred_at", "timestamp", "When.", required=True, event_time=True),
                _c(
                    "kind",
                    "text",
                    "earn, redeem, expire or adjust.",
                    required=True,
                    rule="one of earn, redeem, expire, adjust",
                ),
                _c(
                    "points",
                    "number",
                    "Change of the balance: positive adds, negative takes away.",
                    required=True,
                    rule="earn > 0; redeem and expire < 0",
                ),
                _c(
                    "order_id", "id", "The order that earned or spent the points.", rule="in orders"
                ),
            ),
            references={"customer_id": "customers", "order_id": "orders"},
        ),
        TableSpec(
            "memberships",
            "One row per span of a customer's tier in the loyalty program; a customer without "
            "rows is not a member.",
            key=("customer_id", "from_at"),
            columns=(
                _c("customer_id", "id", "The member.", required=True, rule="in customers"),
                _c("tier", "text", "Tier name (e.g. bronze, silver, gold).", required=True),
                _c(
                    "from_at",
                    "timestamp",
                    "Start of the span; the first one is when the customer joined.",
                    required=True,
                    event_time=True,
                ),
                _c(
                    "to_at",
                    "timestamp",
                    "End of the span (exclusive); empty while current.",
                    rule="> from_at; spans of one customer do not overlap",
                ),
            ),
            references={"customer_id": "customers"},
        ),
    ]
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# The pandas dtype each kind of column has after validation (crmlab.data.normalize).
KIND_DTYPES = {
    "id": "str",
    "text": "str",
    "timestamp": "datetime64[us, UTC]",
    "number": "float64",
    "integer": "Int64",
    "boolean": "boolean",
}


def empty_table(table: str, columns: list[str]) -> pd.DataFrame:
    """A table with no rows and the validated dtypes: a stand-in for an absent optional
    table, so SQL over it still type-checks."""
    spec = TABLES[table]
    return pd.DataFrame({c: pd.Series(dtype=KIND_DTYPES[spec.column(c).kind]) for c in columns})


REQUIRED_TABLES: tuple[str, ...] = ("customers", "orders")
PII_COLUMNS: dict[str, list[str]] = {
    name: [c.name for c in spec.columns if c.pii] for name, spec in TABLES.items()
}

# Friendly names for pandera's built-in checks (they become the `rule` of a violation).
BUILTIN_RULES = {
    "column_in_dataframe": "required column is missing",
    "not_nullable": "required value is missing",
    "field_uniqueness": "key is not unique",
    "multiple_fields_uniqueness": "key is not unique",
}


def _range_check(lo: float | None, hi: float | None, rule: str) -> pa.Check:
    # (not named `in_range`: pandera dispatches checks by function name)
    def within_bounds(s: pd.Series) -> pd.Series:
        ok = pd.Series(True, index=s.index)
        if lo is not None:
            ok &= s >= lo
        if hi is not None:
            ok &= s <= hi
        return ok

    return pa.Check(within_bounds, error=rule)


def _finite(column: str) -> pa.Check:
    return pa.Check(
        lambda s: pd.Series(np.isfinite(s.to_numpy(float)), index=s.index),
        error=f"{column} must be a finite number",
    )


def _not_after(column: str, as_of: pd.Timestamp) -> pa.Check:
    return pa.Check(lambda s: s <= as_of, error=f"{column} is after as_of ({as_of:%Y-%m-%d %H:%M})")


def _member_of(column: str, table: str, ids: Iterable[str]) -> pa.Check:
    known = pd.Series(ids if isinstance(ids, pd.Series) else list(ids)).dropna().astype("str")
    known = known.unique()
    return pa.Check(lambda s: is_in(s, known), error=f"{column} not found in {table}")


def _rows(check, error: str, needs: tuple[str, ...]) -> pa.Check:
    """A row-wise check over several columns; rows missing any needed value pass."""

    def run(df: pd.DataFrame) -> pd.Series:
        if not set(needs) <= set(df.columns):
            return pd.Series(True, index=df.index)
        present = df[list(needs)].notna().all(axis=1)
        return ~present | check(df).fillna(True).astype(bool)

    return pa.Check(run, error=error)


def _overlaps_previous(spans: pd.DataFrame) -> pd.Series:
    """Whether a membership span starts before the customer's previous span ended (an open
    previous span, without to_at, never ends)."""
    if "to_at" not in spans:
        spans = spans.assign(
            to_at=pd.Series(pd.NaT, index=spans.index, dtype=spans["from_at"].dtype)
        )
    ordered = spans.sort_values(["customer_id", "from_at"], kind="stable")
    previous_end = ordered.groupby("customer_id", sort=False)["to_at"].shift()
    has_previous = ordered["customer_id"].eq(ordered["customer_id"].shift())
    open_ended = previous_end.isna()
    overlaps = has_previous & (open_ended | (previous_end > ordered["from_at"]))
    return overlaps.reindex(spans.index)


# Rules that involve several columns of a row (or rows of one customer); the reported
# column is "a/b".
ROW_RULES: dict[str, list[tuple[tuple[str, ...], str, object]]] = {
    "orders": [
        (
            ("amount", "status"),
            "negative amount needs status 'refunded'",
            lambda d: (d["amount"] >= 0) | (d["status"] == "refunded"),
        ),
        (
            ("amount", "status"),
            "status 'refunded' needs a negative amount",
            lambda d: (d["status"] != "refunded") | (d["amount"] < 0),
        ),
        (
            ("refund_of", "order_id"),
            "refund_of is not an order_id of orders",
            lambda d: is_in(d["refund_of"], d["order_id"]),
        ),
        (
            ("refund_of", "status"),
            "refund_of needs status 'refunded'",
            lambda d: d["status"] == "refunded",
        ),
    ],
    "campaigns": [
        (
            ("start_at", "end_at"),
            "end_at is before start_at",
            lambda d: d["end_at"] >= d["start_at"],
        ),
    ],
    "loyalty_events": [
        (
            ("kind", "points"),
            "earn needs points > 0",
            lambda d: (d["kind"] != "earn") | (d["points"] > 0),
        ),
        (
            ("kind", "points"),
            "redeem and expire need points < 0",
            lambda d: ~d["kind"].isin(("redeem", "expire")) | (d["points"] < 0),
        ),
    ],
    "memberships": [
        (
            ("from_at", "to_at"),
            "to_at is not after from_at",
            lambda d: d["to_at"] > d["from_at"],
        ),
        (
            ("customer_id", "from_at"),
            "spans of one customer overlap",
            lambda d: ~_overlaps_previous(d),
        ),
    ],
    "tickets": [
        (
            ("opened_at", "resolved_at"),
            "resolved_at is before opened_at",
            lambda d: d["resolved_at"] >= d["opened_at"],
        ),
        (
            ("opened_at", "first_response_at"),
            "first_response_at is before opened_at",
            lambda d: d["first_response_at"] >= d["opened_at"],
        ),
    ],
}

# Value rules of single columns, beyond type, nullability and keys.
_VALUE_RULES: dict[tuple[str, str], pa.Check] = {
    ("orders", "n_items"): _range_check(0, None, "n_items must be >= 0"),
    ("orders", "status"): pa.Check(
        lambda s: s.isin(ORDER_STATUSES), error="status must be one of: completed, refunded"
    ),
    ("touchpoints", "initiator"): pa.Check(
        lambda s: s.isin(INITIATORS), error="initiator must be one of: customer, company"
    ),
    ("campaigns", "cost_per_contact"): _range_check(0, None, "cost_per_contact must be >= 0"),
    ("campaigns", "fixed_cost"): _range_check(0, None, "fixed_cost must be >= 0"),
    ("tickets", "satisfaction"): _range_check(1, 5, "satisfaction must be in 1..5"),
    ("tickets", "reopens"): _range_check(0, None, "reopens must be >= 0"),
    ("order_lines", "line_number"): _range_check(1, None, "line_number must be >= 1"),
    ("order_lines", "unit_price"): _range_check(0, None, "unit_price must be >= 0"),
    ("loyalty_events", "kind"): pa.Check(
        lambda s: s.isin(POINT_KINDS), error="kind must be one of: earn, redeem, expire, adjust"
    ),
    ("surveys", "nps"): _range_check(0, 10, "nps must be in 0..10"),
    ("surveys", "csat"): _range_check(1, 5, "csat must be in 1..5"),
}


def schema_for(
    table: str,
    as_of: pd.Timestamp,
    known_ids: dict[str, Iterable[str]] | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of one canonical table.

    ``as_of`` bounds every event timestamp; ``known_ids`` maps a referenced table name to
    its IDs (foreign-key checks are skipped for tables not given). Types are not checked
    here: ``crmlab.data.normalize`` has already coerced them and reported what failed.
    """
    spec = TABLES[table]
    known_ids = known_ids or {}
    columns = {}
    for col in spec.columns:
        checks: list[pa.Check] = []
        if col.kind == "number":
            checks.append(_finite(col.name))
        if col.event_time:
            checks.append(_not_after(col.name, as_of))
        if (table, col.name) in _VALUE_RULES:
            checks.append(_VALUE_RULES[table, col.name])
        target = spec.references.get(col.name)
        if target is not None and target in known_ids:
            checks.append(_member_of(col.name, target, known_ids[target]))
        columns[col.name] = pa.Column(
            dtype=None,
            checks=checks,
            required=col.required,
            nullable=not col.required,
            unique=len(spec.key) == 1 and col.name == spec.key[0],
        )
    frame_checks = [_rows(check, error, needs) for needs, error, check in ROW_RULES.get(table, [])]
    return pa.DataFrameSchema(
        columns,
        checks=frame_checks,
        unique=list(spec.key) if len(spec.key) > 1 else None,
        strict=False,  # extra columns are kept and passed through
        name=table,
    )


def contract_markdown() -> str:
    """The contract as Markdown tables (the body of docs/data_contract.md)."""
    lines: list[str] = []
    for spec in TABLES.values():
        required = "required" if spec.name in REQUIRED_TABLES else "optional"
        lines += [
            f"### `{spec.name}` ({required} table)",
            "",
            spec.meaning + f" Key: `{', '.join(spec.key)}`.",
            "",
            "| column | type | required | meaning | rule |",
            "|---|---|---|---|---|",
        ]
        for c in spec.columns:
            rule = c.rule
            if c.event_time:
                rule = "; ".join(filter(None, [rule, "not after as_of"]))
            if c.kind == "number" and "finite" not in rule:
                rule = "; ".join(filter(None, [rule, "finite"]))
            ref = spec.references.get(c.name)
            if ref and "in " + ref not in rule:
                rule = "; ".join(filter(None, [rule, f"in {ref}"]))
            meaning = c.meaning + (" **PII**" if c.pii else "")
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else ''} | {meaning} | {rule} |"
            )
        lines.append("")
    return "\n".join(lines)
