"""Privacy: what every analysis and stakeholder table relies on.

- ``for_analysis`` (applied by ``load``): customers who asked for erasure are removed with
  all their rows; personal-data columns (the contract's PII columns) are dropped unless the
  caller needs them (identity resolution); an ``age_band`` replaces the birth date.
- ``marketable``: marketing uses (targeting lists, exports) only include customers with
  marketing consent.
- Small-cell suppression: a group with fewer than ``min_size`` customers could point at
  individuals, so its numbers are blanked (the row stays, flagged ``suppressed``).
- Pseudonyms: HMAC-SHA256 of the customer id with a secret key from the environment.
- Masking for data-steward reports: ``mask_email``, ``mask_phone``, ``mask_name``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os

import pandas as pd

from ..errors import ParameterError
from .membership import is_in

DEFAULT_MIN_CELL_SIZE = 10
AGE_BANDS = (18, 25, 35, 45, 55, 65)  # lower edges; "65+" is the last band


def age_band(birth_date: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Age band at ``as_of`` ("18-24", ..., "65+"; "under 18" and "unknown" where due)."""
    years = (as_of - pd.to_datetime(birth_date, utc=True)).dt.days / 365.25
    edges = [-float("inf"), *AGE_BANDS, float("inf")]
    inner = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(AGE_BANDS)]
    labels = ["under 18", *inner, f"{AGE_BANDS[-1]}+"]
    bands = pd.cut(years, edges, labels=labels, right=False).astype("str")
    return bands.where(years.notna(), "unknown")


def for_analysis(data, pii: bool = False, comments: bool = False):
    """The data set as analyses may see it (see the module docstring); notes say what changed.

    pii=True keeps the personal-data columns (only for identity resolution and similar
    data-steward work; never for stakeholder reports). comments=True keeps the free-text
    columns (survey comments, ticket texts) scrubbed of e-mails, phone numbers and the
    writer's name (``crmlab.data.scrub``), for reading what customers write.
    """
    from .contract import PII_COLUMNS, TABLES
    from .scrub import TEXT_COLUMNS, scrub_text, writer_names

    notes = list(data.notes)
    changes = {}
    customers = data.customers
    if customers is not None and "deletion_requested" in customers:
        erased = customers["customer_id"][
            customers["deletion_requested"].fillna(False).astype(bool)
        ]
        if len(erased):
            gone = set(erased)
            removed = []
            for name, frame in data.tables().items():
                if name == "campaigns" or "customer_id" not in frame:
                    continue
                keep = ~is_in(frame["customer_id"], gone)
                changes[name] = frame[keep].reset_index(drop=True)
                if name != "customers" and (~keep).sum():
                    removed.append(f"{int((~keep).sum()):,} {name}")
            kept_orders = changes.get("orders")
            for name, frame in data.tables().items():
                # tables that reach a customer only through an order (order_lines)
                by_order = TABLES[name].references.get("order_id") == "orders"
                if kept_orders is None or "customer_id" in frame or not by_order:
                    continue
                keep = is_in(frame["order_id"], kept_orders["order_id"])
                changes[name] = frame[keep].reset_index(drop=True)
                if (~keep).sum():
                    removed.append(f"{int((~keep).sum()):,} {name}")
            notes.append(
                f"removed {len(gone):,} customers who asked for erasure"
                + (f" and their {', '.join(removed)}" if removed else "")
            )
    if comments and not pii:
        customers = changes.get("customers", data.customers)
        kept = []
        for name, column in TEXT_COLUMNS.items():
            frame = changes.get(name, getattr(data, name))
            if frame is None or column not in frame:
                continue
            names = writer_names(customers, frame["customer_id"])
            changes[name] = frame.assign(**{column: scrub_text(frame[column], names)})
            kept.append(f"{int(frame[column].notna().sum()):,} {name}.{column}")
        if kept:
            notes.append(
                f"free text kept for reading, scrubbed of e-mails, phone numbers and the "
                f"writer's name: {', '.join(kept)}"
            )
    if not pii:
        dropped = []
        for name, columns in PII_COLUMNS.items():
            frame = changes.get(name, getattr(data, name))
            present = [c for c in columns if frame is not None and c in frame]
            if comments:
                present = [c for c in present if c != TEXT_COLUMNS.get(name)]
            present += extra_personal_columns(name, frame)
            if not present:
                continue
            if name == "customers" and "birth_date" in present and data.as_of is not None:
                frame = frame.assign(age_band=age_band(frame["birth_date"], data.as_of))
            changes[name] = frame.drop(columns=present)
            dropped += [f"{name}.{c}" for c in present]
        if dropped:
            free_text = any(d in (f"{t}.{c}" for t, c in TEXT_COLUMNS.items()) for d in dropped)
            notes.append(
                f"personal data not loaded for analysis: {', '.join(dropped)} "
                "(load(..., pii=True) keeps them for identity resolution"
                + ("; load(..., comments=True) keeps free text, scrubbed" if free_text else "")
                + ")"
            )
    return data.replace(**changes, notes=notes) if changes else data


def extra_personal_columns(table: str, frame: pd.DataFrame | None) -> list[str]:
    """Columns beyond the contract whose names say they hold personal data (``mobile``,
    ``first_name``, ``home_address``, ...): dropped for analysis like the contract's own."""
    from .contract import TABLES
    from .personal import personal_column_kind

    if frame is None:
        return []
    known = {c.name for c in TABLES[table].columns}
    return [c for c in frame.columns if c not in known and personal_column_kind(str(c))]


CONSENT_POLICIES = ("recorded", "assumed")


def marketable(customers: pd.DataFrame, consent: str = "recorded") -> pd.Series:
    """Whether each customer_id may receive marketing (True/False).

    consent="recorded" (the house rule): the ``consent_marketing`` column decides, missing
        means no; without the column nobody is marketable, because consent cannot be assumed.
    consent="assumed": everyone is marketable. Only for data whose owner has confirmed
        consent outside the data (a report catalogue entry says ``consent: assumed``, and
        the report says so).
    customers: a table with customer_id (the contract's customers, or any id list).
    """
    if consent not in CONSENT_POLICIES:
        raise ParameterError(f"consent={consent!r}: use 'recorded' (default) or 'assumed'.")
    ids = customers["customer_id"].to_numpy()
    if consent == "assumed":
        return pd.Series(True, index=ids, name="marketable")
    if "consent_marketing" not in customers:
        return pd.Series(False, index=ids, name="marketable")
    given = customers["consent_marketing"].fillna(False).astype(bool).to_numpy()
    return pd.Series(given, index=ids, name="marketable")


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
