"""The PII gate: a rendered report that shows personal data is not published.

After rendering, the report's visible text (tags, scripts, styles and embedded images
removed) is scanned for
- anything shaped like an e-mail address, or an international phone number (``+44 ...``);
- the phone numbers (any formatting) and full names of the customers in the report's input
  data (parameters ``source`` / ``*_source`` that name a CRM data set, read with PII).
Masked values (``j***@example.com``, ``+44*******456``, initials) pass. A hit raises
``ReportError`` naming what was found, masked, so the log itself leaks nothing.
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..data.identity.keys import normalize_name, normalize_phone
from ..data.privacy import mask_email, mask_name, mask_phone
from ..errors import ReportError
from .fingerprint import is_data_parameter

_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_INTERNATIONAL = re.compile(r"\+\d[\d ()./-]{7,18}\d")
_NUMBERISH = re.compile(r"(?<![\d.,])\(?\+?\d[\d ()/-]{7,18}\d(?![\d.,%])")
_WORD = re.compile(r"\w+(?:['-]\w+)*")


def visible_text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attributes (so no embedded images)."""
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page)))


def _fold(word: str) -> str:
    return normalize_name(word) or ""


@dataclass
class PIIGate:
    """Known personal data of one data set (normalized), plus the generic patterns."""

    phones: set[str] = field(default_factory=set)  # E.164
    names: set[str] = field(default_factory=set)  # normalized full names (2+ words)
    region: str = "GB"

    @classmethod
    def from_customers(cls, customers, region: str = "GB") -> PIIGate:
        phones = set()
        if "phone" in customers:
            phones = {
                p for v in customers["phone"].dropna() if (p := normalize_phone(v, region, False))
            }
        names = set()
        if "name" in customers:
            names = {n for v in customers["name"].dropna() if (n := normalize_name(v)) and " " in n}
        return cls(phones=phones, names=names, region=region)

    def findings(self, page: str) -> list[str]:
        """Masked descriptions of the personal data on the page (empty when clean)."""
        text = visible_text(page)
        found = []
        emails = sorted(set(_EMAIL.findall(text)))
        if emails:
            found.append(f"{len(emails)} e-mail address(es), e.g. {mask_email(emails[0])}")

        def e164(text: str) -> str | None:
            return normalize_phone(text, self.region, strict=False)

        international = {e164(m) or m for m in _INTERNATIONAL.findall(text)}
        known = {p for m in _NUMBERISH.findall(text) if (p := e164(m))} & self.phones
        hits = sorted(international | known)
        if hits:
            found.append(f"{len(hits)} phone number(s), e.g. {mask_phone(hits[0])}")
        if self.names:
            words = [_fold(w) for w in _WORD.findall(unicodedata.normalize("NFKC", text))]
            grams = {" ".join(words[i : i + k]) for k in (2, 3) for i in range(len(words) - k + 1)}
            names = sorted(grams & self.names)
            if names:
                found.append(f"{len(names)} customer name(s), e.g. {mask_name(names[0])}")
        return found

    def check(self, page: str, report_name: str) -> None:
        """Raise ReportError if the page shows personal data."""
        found = self.findings(page)
        if found:
            raise ReportError(
                f"PII gate: report {report_name!r} shows personal data ({'; '.join(found)}); "
                "it was not published. Aggregate, mask or pseudonymize it in the notebook."
            )


class GateCache:
    """One gate per data source per run (loading a data set with PII takes a moment)."""

    def __init__(self, root: Path):
        self.root = root
        self._gates: dict[str, PIIGate] = {}
        self._lock = threading.Lock()

    def for_parameters(self, parameters: dict) -> PIIGate:
        phones, names = set(), set()
        for name, value in parameters.items():
            if is_data_parameter(name) and isinstance(value, str):
                gate = self._gate(value)
                phones |= gate.phones
                names |= gate.names
        return PIIGate(phones=phones, names=names)

    def _gate(self, source: str) -> PIIGate:
        with self._lock:
            if source not in self._gates:
                self._gates[source] = _load_gate(self.root, source)
            return self._gates[source]


def _load_gate(root: Path, source: str) -> PIIGate:
    from ..data import load

    path = root / source  # an absolute source stays absolute
    if not (path.is_dir() or path.suffix in (".duckdb", ".db")):
        return PIIGate()  # a flat file or a built-in public data set: generic patterns only
    try:
        data = load(path, pii=True)
    except Exception:  # the report itself will fail on bad data, with a better message
        return PIIGate()
    return PIIGate.from_customers(data.customers)
