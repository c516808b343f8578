"""Free text with the personal data taken out, so comments can be read for what they say.

Survey comments and ticket texts are personal data as written: people sign with their name,
leave a number to call back, paste an e-mail address. ``scrub_text`` replaces

- every e-mail-shaped string with ``[email]``;
- every phone-shaped run of 7 or more digits (any separators, with or without ``+``) with
  ``[phone]`` (order numbers and dates written as long digit runs go too: better too much);
- the words of the writer's own name (from the customers table) with ``[name]``, in any case.

Other people's full names are left to the report's PII gate, which refuses to publish any
full name of the input data. Scrubbing happens in ``load(..., comments=True)`` while the
names are still at hand; analyses only ever see scrubbed text.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from .personal import PHONE_SHAPED, find_emails

EMAIL_TOKEN, PHONE_TOKEN, NAME_TOKEN = "[email]", "[phone]", "[name]"
MIN_PHONE_DIGITS = 7
MIN_NAME_LENGTH = 2  # single letters (initials) are left: they identify nobody
TEXT_COLUMNS = {"surveys": "comment", "tickets": "text"}  # the contract's free-text columns


def scrub_text(texts: pd.Series, names: pd.Series | None = None) -> pd.Series:
    """``texts`` with e-mails, phone numbers and each row's ``names`` (the writer's name,
    aligned with texts) replaced by placeholders; missing texts stay missing."""
    writers = names.reindex(texts.index) if names is not None else pd.Series(None, texts.index)
    out = [
        _scrubbed(text, name if isinstance(name, str) else None) if isinstance(text, str) else text
        for text, name in zip(texts.to_numpy(), writers.to_numpy(), strict=True)
    ]
    return pd.Series(out, index=texts.index, name=texts.name, dtype=texts.dtype)


def _scrubbed(text: str, name: str | None) -> str:
    for email in set(find_emails(text)):
        text = text.replace(email, EMAIL_TOKEN)
    text = PHONE_SHAPED.sub(_phone_or_number, text)
    if name:
        for word in _name_words(name):
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", NAME_TOKEN, text, flags=re.IGNORECASE)
    return text


def _phone_or_number(match: re.Match) -> str:
    run = match.group()
    return PHONE_TOKEN if sum(ch.isdigit() for ch in run) >= MIN_PHONE_DIGITS else run


def _name_words(name: str) -> list[str]:
    """The words of a name, longest first (so "Anna-Lena" goes before "Anna")."""
    words = re.findall(r"\w+(?:['-]\w+)*", unicodedata.normalize("NFKC", name))
    parts = {w for word in words for w in (word, *re.split(r"['-]", word))}
    return sorted((w for w in parts if len(w) >= MIN_NAME_LENGTH), key=len, reverse=True)


def writer_names(customers: pd.DataFrame | None, customer_id: pd.Series) -> pd.Series | None:
    """The name of each row's customer (from ``name``, or ``first_name`` + ``last_name``)."""
    if customers is None or "customer_id" not in customers:
        return None
    if "name" in customers:
        full = customers["name"]
    elif {"first_name", "last_name"} <= set(customers.columns):
        full = customers["first_name"].fillna("") + " " + customers["last_name"].fillna("")
    else:
        return None
    lookup = pd.Series(full.to_numpy(), index=customers["customer_id"].to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    return pd.Series(lookup.reindex(customer_id.to_numpy()).to_numpy(), index=customer_id.index)
