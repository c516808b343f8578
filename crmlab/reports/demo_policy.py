"""When a run may use the public demo pseudonym key, and how a report learns that it does.

Customer keys in published exports are pseudonyms made with a secret key
(``CRMLAB_PSEUDONYM_KEY``). Without one, a run publishes only in demo mode, chosen
explicitly (``demo: true`` in the catalogue or ``--demo``): for synthetic or public data,
whose reports then say so.
"""

from __future__ import annotations

import os
from dataclasses import replace

from ..data.privacy import KEY_VARIABLE
from ..errors import ReportError
from .catalogue import Report


def require_pseudonym_key(demo: bool) -> None:
    """Refuse to publish without a pseudonym key, unless demo mode was chosen explicitly."""
    if demo or os.environ.get(KEY_VARIABLE):
        return
    raise ReportError(
        f"no pseudonym key: set the environment variable {KEY_VARIABLE} to a secret, or choose "
        "demo mode (`demo: true` in reports.yaml or `crmlab reports run --demo`) for synthetic "
        "or public data only."
    )


def with_demo_mode(report: Report, demo: bool) -> Report:
    """The report with ``demo_mode`` set, if its notebook declares that parameter."""
    if "demo_mode" not in report.declared:
        return report
    return replace(report, parameters={**report.parameters, "demo_mode": bool(demo)})
