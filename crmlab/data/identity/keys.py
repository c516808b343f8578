"""Normalizers: one spelling per e-mail, phone, name and card number, or None if unusable.

Every function takes any value (None, NaN, numbers, hostile strings) and returns a str or
None; nothing raises. Unicode is first folded with NFKC, so full-width letters and digits,
ligatures and other compatibility look-alikes become their plain forms; values longer than
``MAX_LENGTH`` are rejected rather than parsed.

E-mail rules: trim, lowercase, take the address out of ``Name <address>``; then, only where
the provider documents that it ignores them: Gmail (gmail.com, googlemail.com -> gmail.com)
drops dots and a +tag in the local part; Outlook/Hotmail/Live, iCloud, Fastmail, Proton
drop a +tag. Internationalized domains become punycode. The local part must be ASCII, so a
look-alike letter from another script (Cyrillic "а" for Latin "a") makes the address
unusable for linking rather than silently equal to another one. Other domains keep the
local part as typed (for them ``a.b`` and ``ab`` may be different people). Quoted local
parts (``"john doe"@x.com``) are kept verbatim, lowercased.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

MAX_LENGTH = 254  # the longest valid e-mail address; longer values are junk or attacks

_GMAIL = {"gmail.com", "googlemail.com"}
_PLUS_TAGS = {
    "outlook.com",
    "hotmail.com",
    "hotmail.co.uk",
    "live.com",
    "live.co.uk",
    "msn.com",
    "icloud.com",
    "me.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
}
# Latin letters that Unicode does not decompose into a base letter plus an accent
_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i"}
)
_ANGLE = re.compile(r"<([^<>]*)>")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_QUOTED = re.compile(r'^"[^"\\]{1,62}"$')


def _text(value) -> str | None:
    """NFKC-folded, stripped text, or None for missing / empty / too long."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text or len(text) > MAX_LENGTH:
        return None
    return text


def normalize_email(value) -> str | None:
    """Canonical e-mail address (see the module docstring), or None if it is not one."""
    text = _text(value)
    if text is None:
        return None
    inside = _ANGLE.search(text)
    text = (inside.group(1) if inside else text).strip().lower()
    local, at, domain = text.rpartition("@")
    if domain and not domain.isascii():  # internationalized domain -> its punycode (IDNA)
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if not at or not _DOMAIN.match(domain):
        return None
    if not (_QUOTED.match(local) or (_LOCAL.match(local) and ".." not in local)):
        return None
    if local.startswith(".") or local.endswith("."):
        return None
    if domain in _GMAIL:
        domain = "gmail.com"
        local = local.split("+", 1)[0].replace(".", "")
    elif domain in _PLUS_TAGS:
        local = local.split("+", 1)[0]
    return f"{local}@{domain}" if local else None


def normalize_phone(value, region: str = "GB", strict: bool = True) -> str | None:
    """E.164 (``+447400123456``) via Google's libphonenumber, or None.

    region: where numbers without a country code were dialled (ISO 3166 code).
    strict: require a number valid for its country (placeholders like ``0000 000000`` fail);
    False accepts any number of a possible length.
    """
    text = _text(value)
    if text is None or not any(ch.isdigit() for ch in text):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if strict else phonenumbers.is_possible_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None


def normalize_name(value) -> str | None:
    """Lowercase ASCII-folded name, "Last, First" turned around, one space between words.

    Accents are removed (``José`` -> ``jose``, ``Łukasz`` -> ``lukasz``); letters outside
    Latin script are kept as they are; punctuation other than hyphens and apostrophes
    becomes a space.
    """
    text = _text(value)
    if text is None:
        return None
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() or ch in "-'" else " " for ch in letters)
    words = cleaned.replace("'", "").split()
    return " ".join(words) or None


def normalize_card(value, min_digits: int = 6) -> str | None:
    """Digits of a loyalty card number (any width of digit, separators dropped), or None
    when fewer than ``min_digits`` remain or only one digit repeats (``000000``)."""
    text = _text(value)
    if text is None:
        return None
    digits = "".join(str(unicodedata.digit(ch)) for ch in text if ch.isdigit())
    if len(digits) < min_digits or len(set(digits)) == 1:
        return None
    return digits


def normalize_date(value) -> str | None:
    """ISO date (YYYY-MM-DD) of a date-like value, or None."""
    import pandas as pd

    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(stamp) else f"{stamp:%Y-%m-%d}"


def normalize_each(values, fn):
    """``fn`` applied to a Series' values, once per distinct spelling (real exports repeat
    the same e-mail or phone on many rows); missing values are passed as None. Returns an
    object Series on the same index."""
    import pandas as pd

    raw = values.astype("object")
    raw = raw.where(raw.notna(), None).tolist()
    once = {v: fn(v) for v in dict.fromkeys(raw)}
    return pd.Series([once[v] for v in raw], index=values.index, dtype="object")
