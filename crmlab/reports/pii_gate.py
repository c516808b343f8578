"""The PII gate: nothing a run publishes may show personal data.

Everything a report run would publish — the HTML page (its text *and* attribute values),
the executed notebook's outputs and every exported file — is scanned before anything is
moved into place, for
- anything shaped like an e-mail address, and valid international phone numbers (``+44 ...``);
- the phone numbers of the people in the report's input data, in any separator style
  (``07401 242486``, ``07401.242.486``, ``+44 (0)7401-242486``), from any phone-like column
  (``phone``, ``mobile``, ``tel``, ...);
- their full names in any word order (``Paul Müller``, ``MÜLLER, Paul``), from a ``name``
  column or from split ``first_name`` / ``last_name`` columns.
Masked values (``j***@example.com``, ``+44*******456``, initials) pass. A hit raises
``ReportError`` naming what was found, masked, so the log itself leaks nothing. All scans
run in linear time.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers

from ..data.identity.keys import normalize_name, normalize_phone
from ..data.personal import PHONE_SHAPED, find_emails, personal_column_kind, phone_candidates
from ..data.privacy import mask_email, mask_name, mask_phone
from ..errors import ReportError
from .catalogue import is_data_parameter
from .html_scan import scan_page

_WORD = re.compile(r"\w+(?:['-]\w+)*")
_MAX_NAME_WORDS = 3


NAMES_OF_THINGS = ("campaigns", "products")


def _name_key(words) -> tuple[str, ...]:
    """Order-free key of a name: its normalized words, sorted."""
    return tuple(sorted(words))


def _fold_words(text: str) -> list[str]:
    return [
        w
        for raw in _WORD.findall(unicodedata.normalize("NFKC", text))
        if (w := normalize_name(raw))
    ]


MIN_PHONE_DIGITS = 7  # shorter digit strings are never taken for a phone number


def _phone_forms(e164: str) -> set[str]:
    """The digit strings a phone may be written as: 447401242486, 07401242486, 7401242486,
    4407401242486 (the ``+44 (0)7401`` style), 00447401242486 (international prefix)."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return set()
    national, country = str(number.national_number), str(number.country_code)
    international = country + national
    forms = {
        international,
        "00" + international,
        "0" + national,
        national,
        country + "0" + national,
    }
    # a placeholder such as +44 0 has forms like "0" and "4400": too short to identify
    # anyone, and they would match any small number on a page
    return {form for form in forms if len(form) >= MIN_PHONE_DIGITS}


@dataclass(frozen=True)
class PIIGate:
    """Known personal data of the input data sets (normalized), plus the generic patterns."""

    phones: dict[str, str] = field(default_factory=dict)  # digit string -> E.164, see _phone_forms
    names: frozenset[tuple[str, ...]] = frozenset()  # sorted normalized words, 2-3 each
    region: str = "GB"

    @property
    def known_phones(self) -> int:
        """Distinct phone numbers of the input data."""
        return len(set(self.phones.values()))

    @property
    def known_names(self) -> int:
        """Distinct full names of the input data."""
        return len(self.names)

    @classmethod
    def from_tables(cls, tables: dict, region: str = "GB") -> PIIGate:
        """Collect phones and full names from the personal-looking columns of each table
        (table name -> DataFrame, as read by ``crmlab.data.load.personal_columns``)."""
        phones: dict[str, str] = {}
        names: set[tuple[str, ...]] = set()
        for table, frame in tables.items():
            kinds = {c: personal_column_kind(c) for c in frame.columns}
            if table in NAMES_OF_THINGS:  # a campaign's or a product's name is not a person's
                kinds = {c: k for c, k in kinds.items() if k != "full_name"}
            for column in [c for c, kind in kinds.items() if kind == "phone"]:
                numbers = {normalize_phone(v, region, False) for v in frame[column].dropna()}
                numbers.discard(None)
                for number in numbers:
                    phones.update(dict.fromkeys(_phone_forms(number), number))
            full = [frame[c] for c, kind in kinds.items() if kind == "full_name"]
            firsts = [c for c, kind in kinds.items() if kind == "first_name"]
            lasts = [c for c, kind in kinds.items() if kind == "last_name"]
            if firsts and lasts:
                combined = frame[firsts[0]].astype("str") + " " + frame[lasts[0]].astype("str")
                full.append(combined.where(frame[firsts[0]].notna() & frame[lasts[0]].notna()))
            for series in full:
                for value in series.dropna().unique():
                    words = _fold_words(str(value))
                    if 2 <= len(words) <= _MAX_NAME_WORDS:
                        names.add(_name_key(words))
        return cls(phones, frozenset(names), region)

    def describe(self) -> str:
        """What the gate checks, for the report footer."""
        return (
            "e-mail addresses, international phone numbers, "
            f"{self.known_phones:,} phone numbers and {self.known_names:,} full names "
            "of the input data"
        )

    def findings(self, text: str) -> list[str]:
        """Masked descriptions of the personal data in ``text`` (empty when clean)."""
        found = []
        emails = sorted(set(find_emails(text)))
        if emails:
            found.append(f"{len(emails)} e-mail address(es), e.g. {mask_email(emails[0])}")
        hits = set()
        for digits, international in phone_candidates(text):
            if digits in self.phones:
                hits.add(self.phones[digits])
            elif international and _valid_phone("+" + digits):
                hits.add("+" + digits)
        if hits:
            found.append(f"{len(hits)} phone number(s), e.g. {mask_phone(min(hits))}")
        if self.names:
            words = _fold_words(text)
            grams = {
                _name_key(words[i : i + k])
                for k in range(2, _MAX_NAME_WORDS + 1)
                for i in range(len(words) - k + 1)
            }
            names = sorted(grams & self.names)
            if names:
                found.append(f"{len(names)} customer name(s), e.g. {mask_name(' '.join(names[0]))}")
        return found

    def check(self, documents: dict[str, str], report_name: str) -> None:
        """Raise ReportError if any document (label -> text) shows personal data."""
        problems = [
            f"{label}: {'; '.join(found)}"
            for label, text in documents.items()
            if (found := self.findings(text))
        ]
        if problems:
            raise ReportError(
                f"PII gate: report {report_name!r} shows personal data ({' | '.join(problems)}); "
                "it was not published. Aggregate, mask or pseudonymize it in the notebook."
            )

    def redact(self, text: str) -> str:
        """``text`` with e-mails, phones and known names masked (for error messages we keep)."""
        for email in set(find_emails(text)):
            text = text.replace(email, mask_email(email) or "***")
        text = PHONE_SHAPED.sub(lambda m: _mask_digits(m.group()), text)
        if self.names:
            for word in {w for key in self.names for w in key}:
                text = re.sub(rf"\b{re.escape(word)}\b", word[:1] + "***", text, flags=re.I)
        return text


def _mask_digits(run: str) -> str:
    digits = sum(ch.isdigit() for ch in run)
    return run if digits < 7 else run[:3] + "***" + run[-2:]


def _valid_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text))
    except phonenumbers.NumberParseException:
        return False


def page_text(page: str) -> str:
    """The text of a page a reader or scraper can get: visible text and attribute values."""
    return scan_page(page).text


def notebook_text(notebook: str | Path) -> str:
    """Every output of an executed notebook as text (HTML outputs reduced to their text)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append(_joined(output.get("text", "")))
            parts.append(_joined(output.get("evalue", "")))
            parts += [_joined(line) for line in output.get("traceback", [])]
            for mime, value in (output.get("data") or {}).items():
                if mime == "text/html":
                    parts.append(page_text(_joined(value)))
                elif mime.startswith("text/") or mime.endswith("json"):
                    parts.append(
                        _joined(value) if isinstance(value, (str, list)) else json.dumps(value)
                    )
    return "\n".join(parts)


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class GateCache:
    """One gate per data source per run (reading a data set takes a moment: the sample's
    40,000 phone forms 1.5 s). Each source has its own lock, so a report on one source
    never waits for the gate of another."""

    def __init__(self, root: Path):
        self.root = root
        self._gates: dict[str, PIIGate] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()  # guards _locks

    def for_parameters(self, parameters: dict) -> PIIGate:
        gates = [
            self._gate(value)
            for name, value in parameters.items()
            if is_data_parameter(name) and isinstance(value, str)
        ]
        return PIIGate(
            phones={k: v for g in gates for k, v in g.phones.items()},
            names=frozenset().union(*(g.names for g in gates)),
        )

    def _gate(self, source: str) -> PIIGate:
        with self._lock:
            lock = self._locks.setdefault(source, threading.Lock())
        with lock:
            if source not in self._gates:
                from ..data.load import personal_columns

                self._gates[source] = PIIGate.from_tables(personal_columns(self.root, source))
            return self._gates[source]
