"""The rules' phone shortcut: numbers no other record could share are not parsed, and the
links found are the same as with every number parsed."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from crmlab.data import generate
from crmlab.data.identity import customer_records, normalize_phone, resolve
from crmlab.data.identity.phone_shortcut import linkable_phones, phone_keys

resolve_module = importlib.import_module("crmlab.data.identity.resolve")


def _example_numbers() -> list[tuple[str, str]]:
    """Every region's example fixed-line and mobile numbers as people type them, each read
    in its own region and in Great Britain: (text, default region)."""
    cases = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
            spellings = [
                national,
                national.replace(" ", ""),
                phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
                phonenumbers.format_out_of_country_calling_number(number, "US"),
            ]
            cases += [(text, where) for text in spellings for where in {region, "GB"}]
    return cases


def test_the_key_read_from_the_text_is_the_key_of_the_parsed_number():
    """The invariant the shortcut rests on, over every country's numbers: where the text
    alone gives a key, the E.164 form libphonenumber makes of it has the same key."""
    cases = pd.DataFrame(_example_numbers(), columns=["text", "region"])
    compared = 0
    for region, group in cases.groupby("region"):
        from_text = phone_keys(group["text"], region)
        parsed = pd.Series([normalize_phone(t, region) for t in group["text"]], index=group.index)
        both = from_text.notna() & parsed.notna()
        assert (from_text[both] == phone_keys(parsed, region)[both]).all(), region
        compared += int(both.sum())
    assert compared > 1000  # most countries' numbers are plainly typed and get a key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("+44 7400 123456", "44:0123456"),
        ("07400-123456", "44:0123456"),
        ("(0)7400.123456", "44:0123456"),
        ("+49 30 1234", "49:1234"),  # German numbers can have 4 digits after the area code
        ("+1 650 253 0000", "1:2530000"),
        ("0044 7400 123456", None),  # an international prefix: always parsed
        ("07400 123456 ext 12", None),  # an extension
        ("0800 FLOWERS", None),  # letters
        ("０７４００ １２３４５６", None),  # full-width digits
        ("+0 123", None),  # no calling code starts with 0
        (None, None),
    ],
)
def test_phone_keys(text, key):
    assert phone_keys([text], "GB").tolist() == [key]


def test_only_numbers_another_record_could_share_are_parsed():
    values = pd.Series(
        [
            "+44 7400 123456",  # 0: the same number as 1, typed differently
            "07400 123456",
            "+44 7400 999888",  # 2: no other record has it
            "07400 999 777",  # 3: alone too, but its record shares an e-mail
            "07400 555444 ext. 9",  # 4: not plainly typed: parsed, and it is 5's number
            "+44 7400 555444",
        ]
    )
    needed = np.array([False, False, False, True, False, False])
    phones = linkable_phones(values, "GB", needed)
    assert phones.tolist() == [
        "+447400123456",
        "+447400123456",
        None,
        "+447400999777",
        "+447400555444",
        "+447400555444",
    ]


def test_the_rules_find_the_same_customers_as_with_every_number_parsed(monkeypatch):
    world = generate(3000, random_state=5)
    records = customer_records(world)
    shortcut = resolve(records, method="rules")
    normalized = resolve_module._normalized
    monkeypatch.setattr(
        resolve_module,
        "_normalized",
        lambda records, region, every_phone=True: normalized(records, region, True),
    )
    full = resolve(records, method="rules")
    assert shortcut.crosswalk.equals(full.crosswalk)
    for table in ("flagged_keys", "conflicts", "ambiguous", "contested_keys"):
        assert getattr(shortcut, table).equals(getattr(full, table)), table
