"""The mistakes real customer records carry, planted in the synthetic world's duplicates.

Duplicate records (a person's second record from the store or the phone channel) first get
formatting variants (``synth._variant_*``); this module then gives a share of them the
errors that defeat exact keys, each recorded in ``truth.tables["identity_errors"]``:

* ``name_typo`` / ``email_typo`` / ``phone_typo``: one keystroke wrong — a neighbouring key
  on a QWERTY keyboard (or a neighbouring digit), a dropped or a doubled letter, or two
  letters swapped;
* ``name_swapped``: first and last name in the wrong order, without a comma;
* ``email_missing`` / ``phone_missing``: the field left empty;
* ``email_placeholder``: a placeholder address typed instead (``noreply@example.com``);
* ``birth_day_off``: the birth date one day off; ``birth_day_month_swapped``: day and month
  swapped (only where both are 12 or less, as a clerk would mistype them).

And among different people (not duplicates): ``family_phone``: some customers give the
phone number of another customer with the same surname (a household's landline), so a
shared phone alone must not merge two people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
ERRORS = (
    "name_typo",
    "name_swapped",
    "email_typo",
    "email_missing",
    "email_placeholder",
    "phone_typo",
    "phone_missing",
    "birth_day_off",
    "birth_day_month_swapped",
)
# Relative frequency of each error among duplicates with errors (typos dominate).
ERROR_WEIGHTS = (0.24, 0.06, 0.16, 0.08, 0.03, 0.14, 0.08, 0.14, 0.07)


def _neighbours() -> dict[str, str]:
    """Keys next to each letter on a QWERTY keyboard (same row, and the rows above/below)."""
    near: dict[str, str] = {}
    for r, row in enumerate(KEYBOARD_ROWS):
        for c, key in enumerate(row):
            around = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            for other in (r - 1, r + 1):
                if 0 <= other < len(KEYBOARD_ROWS):
                    line = KEYBOARD_ROWS[other]
                    around += [line[i] for i in (c - 1, c, c + 1) if 0 <= i < len(line)]
            near[key] = "".join(k for k in around if k != key)
    for d in "0123456789":
        near[d] = "".join(str((int(d) + s) % 10) for s in (-1, 1))
    return near


NEIGHBOURS = _neighbours()


def typo(rng: np.random.Generator, text: str, positions: range | None = None) -> str:
    """``text`` with one keystroke wrong at a letter or digit: a neighbouring key, a dropped
    or doubled character, or two adjacent characters swapped (the four commonest slips)."""
    spots = [i for i in positions or range(len(text)) if text[i].lower() in NEIGHBOURS]
    if not spots:
        return text
    i = int(rng.choice(spots))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        near = NEIGHBOURS[text[i].lower()]
        wrong = near[int(rng.integers(0, len(near)))]
        return text[:i] + (wrong.upper() if text[i].isupper() else wrong) + text[i + 1 :]
    if kind == 1 and len(spots) > 3:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + text[i] + text[i:]
    j = i + 1 if i + 1 < len(text) else i - 1
    a, b = sorted((i, j))
    return text[:a] + text[b] + text[a] + text[b + 1 :]


def plant_errors(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    duplicates: pd.DataFrame,
    error_share: float,
    family_phone_share: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers with errors planted (see the module docstring) and the truth table:
    customer_id, error (one row per planted error)."""
    customers = customers.copy()
    row_of = pd.Series(np.arange(len(customers)), index=customers["customer_id"])
    planted = []
    dup_rows = row_of.reindex(duplicates["customer_id"]).to_numpy()
    with_errors = dup_rows[rng.random(len(dup_rows)) < error_share]
    for row in with_errors:
        n_errors = 1 + int(rng.random() < 0.3)  # some records carry two mistakes
        for error in rng.choice(ERRORS, size=n_errors, replace=False, p=ERROR_WEIGHTS):
            if _apply(rng, customers, int(row), str(error)):
                planted.append((customers.at[row, "customer_id"], str(error)))
    originals = np.setdiff1d(np.arange(len(customers)), dup_rows)
    planted += _family_phones(rng, customers, originals, family_phone_share)
    return customers, pd.DataFrame(planted, columns=["customer_id", "error"])


def _apply(rng, customers: pd.DataFrame, row: int, error: str) -> bool:
    """Plant one error in one record; False when it does not apply (nothing to change)."""
    name, email, phone = (customers.at[row, c] for c in ("name", "email", "phone"))
    birth = customers.at[row, "birth_date"]
    if error == "name_typo":
        customers.at[row, "name"] = typo(rng, name)
    elif error == "name_swapped":
        parts = name.split()
        if "," in name or len(parts) < 2:  # "Last, First" is already turned around
            return False
        customers.at[row, "name"] = " ".join(parts[::-1])
    elif error.startswith("email_"):
        if not isinstance(email, str) or email.strip().lower().startswith("noreply@"):
            return False
        if error == "email_typo":
            local_end = email.index("@") if "@" in email else len(email)
            customers.at[row, "email"] = typo(rng, email, range(local_end))
        else:
            customers.at[row, "email"] = None if error == "email_missing" else "noreply@example.com"
    elif error.startswith("phone_"):
        if not isinstance(phone, str) or set(phone) <= set("0 "):
            return False
        customers.at[row, "phone"] = typo(rng, phone) if error == "phone_typo" else None
    elif error == "birth_day_off":
        customers.at[row, "birth_date"] = birth + pd.Timedelta(days=int(rng.choice([-1, 1])))
    else:  # birth_day_month_swapped
        if birth.day > 12 or birth.day == birth.month:
            return False
        customers.at[row, "birth_date"] = birth.replace(month=birth.day, day=birth.month)
    return True


def _family_phones(rng, customers: pd.DataFrame, rows: np.ndarray, share: float) -> list:
    """Households: people paired at random within a surname; in a ``share`` of the pairs
    the second gives the first one's phone number (two people, one landline)."""
    surname = customers["name"].iloc[rows].str.split().str[-1].to_numpy()
    phone = customers.columns.get_loc("phone")
    planted = []
    for members in pd.Series(rows).groupby(surname).groups.values():
        members = rng.permutation(rows[np.asarray(members)])
        for giver, taker in zip(members[0::2], members[1::2], strict=False):
            if rng.random() < share:
                customers.iat[taker, phone] = customers.iat[giver, phone]
                planted.append((customers["customer_id"].iat[taker], "family_phone"))
    return planted
