"""What looks like personal data: column names, and e-mails and phone numbers in free text.

Used by ``load`` (extra personal columns such as ``mobile`` or ``first_name`` are dropped like
the contract's own), by identity exports (keys that are e-mails or phones get pseudonyms)
and by the reports' PII gate. The text scanners run in linear time on any input: they look
around each ``@`` or digit run within fixed bounds instead of backtracking over the text.
"""

from __future__ import annotations

import re

# Column-name words, after splitting camelCase, spaces, dots and dashes into '_' tokens.
_EMAIL_WORDS = {"email", "mail", "emailaddress"}
_PHONE_WORDS = {"phone", "mobile", "cellphone", "cell", "telephone", "tel", "fax", "msisdn"}
_PHONE_WORDS |= {"whatsapp", "phonenumber", "mobilenumber"}
_FIRST_WORDS = {"first", "given", "fore", "christian"}
_LAST_WORDS = {"last", "sur", "family", "maiden"}
_NAME_OWNERS = {"full", "customer", "contact", "client", "person", "user", "account", "middle"}
_OTHER_WORDS = {"surname", "forename", "firstname", "lastname", "fullname", "givenname"}
_OTHER_WORDS |= {"address", "street", "birthdate", "dob", "birthday", "ssn", "passport"}
_OTHER_WORDS |= {"iban", "nationalid", "taxid", "username", "login"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def _tokens(column: str) -> list[str]:
    return [t for t in _SEPARATORS.split(_CAMEL.sub("_", str(column)).lower()) if t]


def personal_column_kind(column: str) -> str | None:
    """What a column name says it holds: "email", "phone", "full_name", "first_name",
    "last_name", "personal" (address, birth date, login, ...) or None.

    ``name`` alone counts as a full name: use it only on tables about people (customers).
    """
    tokens = _tokens(column)
    joined = "".join(tokens)
    words = set(tokens) | {joined}
    if words & _EMAIL_WORDS or (("e" in tokens) and "mail" in tokens):
        return "email"
    if words & _PHONE_WORDS:
        return "phone"
    if joined in ("firstname", "givenname", "forename") or (
        "name" in tokens and words & _FIRST_WORDS
    ):
        return "first_name"
    if joined in ("lastname", "surname", "familyname") or (
        "name" in tokens and words & _LAST_WORDS
    ):
        return "last_name"
    if tokens == ["name"] or joined == "fullname" or ("name" in tokens and words & _NAME_OWNERS):
        return "full_name"
    if words & _OTHER_WORDS or "birth" in tokens:
        return "personal"
    return None


# RFC 5321 limits: a local part of at most 64 characters, a domain of at most 255.
_LOCAL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN_START = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def find_emails(text: str) -> list[str]:
    """Every e-mail-shaped substring (``local@domain.tld``), in order. Linear time."""
    found = []
    position = text.find("@")
    while position != -1:
        start = position
        while start > 0 and position - start < 64 and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        domain = _DOMAIN_START.match(text, position + 1, min(len(text), position + 256))
        if start < position and domain:
            found.append(text[start : domain.end()])
        position = text.find("@", position + 1)
    return found


# A digit, then digits and the separators people write in phone numbers, then a digit;
# bounded, so each match costs at most a few dozen characters.
PHONE_SHAPED = re.compile(r"\+?\(?\d[\d ()./\-\u00a0]{5,22}\d")
_NON_DIGITS = re.compile(r"\D+")


def phone_candidates(text: str) -> list[tuple[str, bool]]:
    """Phone-shaped runs in text as (digits only, written with a leading '+'). Linear time."""
    return [
        (_NON_DIGITS.sub("", m.group()), m.group().startswith("+"))
        for m in PHONE_SHAPED.finditer(text)
    ]


def looks_like_contact(value, region: str = "GB") -> bool:
    """True when a whole value is an e-mail address or a phone number (e.g. a customer key
    that is someone's e-mail): such values are personal data wherever they appear."""
    from .identity.keys import normalize_phone

    text = str(value).strip()
    if "@" in text and find_emails(text):
        return True
    digits = sum(ch.isdigit() for ch in text)
    return (
        7 <= digits <= 15
        and PHONE_SHAPED.fullmatch(text) is not None
        and normalize_phone(text, region, strict=True) is not None
    )
