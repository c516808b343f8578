"""Which phone numbers need parsing when phones are only compared for equality.

``normalize_phone`` (libphonenumber) costs about 50 µs a number, three quarters of the
deterministic resolver's time at a million records. A number that no other record could
share cannot link anything, so its parse can be skipped. This module decides that from the
text alone, exactly:

A *plainly typed* number (ASCII digits with only spaces, hyphens, dots and brackets between
them, at most a leading "+") is read by libphonenumber as typed: its national significant
number (NSN) is the end of its digits, after any country code and national prefix. So the
last L digits of the text are the last L digits of the E.164 form, when L is no longer than
the shortest NSN the country allows. The *key* of a number is its calling code and those L
digits (L = 7, fewer for countries with shorter numbers); two numbers with the same E.164
form have the same key. The calling code is the default region's for national numbers and
the leading digits after "+" otherwise; numbers dialled with an international prefix
("00 44 ...") and anything not plainly typed get no key and are always parsed.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import phonenumbers

from .keys import normalize_each, normalize_phone

TAIL_DIGITS = 7
_PLAIN = r"\s*\+?[0-9 ().-]*"


def _metadata(region: str, code: int):
    if region == "001":  # non-geographic numbers (+800, +882, ...)
        return phonenumbers.PhoneMetadata.metadata_for_nongeo_region(code)
    return phonenumbers.PhoneMetadata.metadata_for_region(region)


@cache
def tail_lengths() -> dict[str, int]:
    """Calling code -> how many final digits of a number belong to its NSN for sure."""
    out = {}
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        lengths = [
            length
            for region in regions
            if (meta := _metadata(region, code)) is not None
            for length in meta.general_desc.possible_length
            if length > 0
        ]
        if lengths:
            out[str(code)] = min(TAIL_DIGITS, min(lengths))
    return out


def phone_keys(values, region: str) -> pd.Series:
    """Calling code + final NSN digits of each plainly typed number (see the module
    docstring), or None where the text alone cannot tell."""
    text = pd.Series(values, dtype="str")
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = tail_lengths()
    if meta is None or str(meta.country_code) not in lengths or not len(text):
        return pd.Series(None, index=text.index, dtype="object")
    plain = text.str.fullmatch(_PLAIN).fillna(False).to_numpy(dtype=bool)
    plus = text.str.lstrip().str.startswith("+").fillna(False).to_numpy(dtype=bool)
    digits = text.str.replace(r"[^0-9]", "", regex=True).fillna("")
    abroad = digits.str.match(f"(?:{meta.international_prefix})").to_numpy(dtype=bool)
    # after "+" the calling code; codes are prefix-free, so at most one width is a code
    heads = [digits.str[:width].to_numpy(dtype=object) for width in (1, 2, 3)]
    known = [np.array([h in lengths for h in head], dtype=bool) for head in heads]
    code = np.select(known, heads, default=None)
    code = np.where(plus, code, str(meta.country_code))
    usable = plain & (code != None) & (plus | ~abroad)  # noqa: E711 (elementwise)
    tail = np.array([lengths.get(c, 0) for c in code])
    keys = np.full(len(text), None, dtype=object)
    digit_list = digits.to_numpy(dtype=object)
    for i in np.flatnonzero(usable):
        keys[i] = f"{code[i]}:{digit_list[i][-tail[i] :]}"
    return pd.Series(keys, index=text.index, dtype="object")


def linkable_phones(values: pd.Series, region: str, needed: np.ndarray) -> pd.Series:
    """``normalize_phone`` of every number that another record could share, and of the
    records flagged ``needed`` (compared field by field elsewhere); None for the rest, whose
    numbers cannot equal any other record's."""
    keys = phone_keys(values, region)
    parse = needed | keys.isna().to_numpy() | keys.duplicated(keep=False).to_numpy()
    phones = pd.Series(None, index=values.index, dtype="object")
    phones[parse] = normalize_each(values[parse], lambda v: normalize_phone(v, region))
    # a skipped number whose key a parsed one turned out to have (one typed with letters or
    # an extension, say) may share its E.164 form: parse those too. An E.164 form is plainly
    # typed, so phone_keys gives its key.
    parsed_keys = set(phone_keys(phones[parse].dropna(), region).dropna())
    late = ~parse & keys.isin(parsed_keys).to_numpy()
    phones[late] = normalize_each(values[late], lambda v: normalize_phone(v, region))
    return phones.where(phones.notna(), None)
