"""A hostile twin of a synthetic world, for testing that reports are safe to share.

Every label a report may show (channels, cities, campaign names and objectives, variants,
ticket categories, survey comments, product names and categories) carries markup, script,
``javascript:`` links, Markdown and a redirect; some names, e-mails and phones are
look-alikes or wrapped in markup. Labels are renamed one to one and the same everywhere (a
channel keeps its name across customers, orders, touchpoints and campaigns), so every
planted effect is still there to be found. Values stay free of anything the PII gate would
rightly stop (no e-mail addresses or phone numbers in the labels): a report on this world
must publish, run no script and pass.
"""

from __future__ import annotations

import pandas as pd

from .container import CRMData

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "[click](javascript:alert(4))",
    '<a href="javascript:alert(5)">link</a>',
    '<meta http-equiv="refresh" content="0;url=https://example.org/">',
    '"><script>alert(6)</script>',
    '<iframe src="javascript:alert(7)"></iframe>',
    "**bold** $x^2$ {braces} 100% \\ `tick`",
    "' onmouseover='alert(8)",
    "<style>body{display:none}</style>",
    "javascript:alert(9)",
)

# (table, column): labels renamed one to one. Channels share one vocabulary.
_LABELS = {
    ("customers", "signup_channel"): "channel",
    ("customers", "city"): "city",
    ("orders", "channel"): "channel",
    ("touchpoints", "channel"): "channel",
    ("campaigns", "channel"): "channel",
    ("campaigns", "name"): "campaign",
    ("campaigns", "objective"): "objective",
    ("tickets", "category"): "category",
    ("products", "name"): "product",
    ("products", "category"): "product_category",
}


def _renamed(values: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    def rename(value):
        if pd.isna(value):
            return value
        if value not in vocabulary:
            payload = PAYLOADS[len(vocabulary) % len(PAYLOADS)]
            vocabulary[value] = f"{value} {payload}"
        return vocabulary[value]

    return values.map(rename)


def make_hostile(data: CRMData) -> CRMData:
    """The same world with hostile labels, names, contacts and comments (deterministic)."""
    vocabularies: dict[str, dict[str, str]] = {}
    changes = {}
    for (table, column), vocabulary in _LABELS.items():
        frame = changes.get(table, getattr(data, table))
        if frame is None or column not in frame:
            continue
        words = vocabularies.setdefault(vocabulary, {})
        changes[table] = frame.assign(**{column: _renamed(frame[column], words)})
    if data.assignments is not None:  # the control arm keeps its name (the notebook's default)
        arms = data.assignments["variant"]
        treated = arms.where(arms == "control", arms + " " + PAYLOADS[2] + " " + PAYLOADS[3])
        changes["assignments"] = data.assignments.assign(variant=treated)
    if data.surveys is not None and len(data.surveys):
        n = len(data.surveys)
        comments = [f"comment {PAYLOADS[i % len(PAYLOADS)]}" for i in range(n)]
        changes["surveys"] = data.surveys.assign(comment=comments)
    if data.customers is not None:
        changes["customers"] = _hostile_people(changes.get("customers", data.customers))
    return data.replace(**changes, source=f"{data.source} (hostile labels)")


def _hostile_people(customers: pd.DataFrame) -> pd.DataFrame:
    """Every 25th person gets a name in markup, a look-alike e-mail (Cyrillic letter, markup)
    and a phone written with dots: personal data that must never reach a report."""
    out = customers.copy()
    pick = out.index[::25]
    if "name" in out:
        out.loc[pick, "name"] = "<b>" + out.loc[pick, "name"].astype(str) + "</b>"
    if "email" in out:
        local = out.loc[pick, "email"].astype(str).str.split("@").str[0]
        out.loc[pick, "email"] = local + "@ex\u0430mple.com"  # Cyrillic 'a'
        out.loc[pick[::2], "email"] = '"><script>alert(10)</script>@example.com'
    if "phone" in out:
        digits = out.loc[pick, "phone"].astype(str).str.replace(r"\D", "", regex=True)
        out.loc[pick, "phone"] = (
            "0" + digits.str[2:6] + "." + digits.str[6:9] + "." + digits.str[9:]
        )
    return out
