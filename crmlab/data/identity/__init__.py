"""Identity resolution: one customer across channels (``resolve``; docs/identity_privacy.md).

``keys`` normalizes e-mails, phones (E.164), names and card numbers; ``resolve`` links
records deterministically and assigns stable master ids; ``evaluate`` scores the links on
a synthetic world's planted duplicates.
"""

from .evaluate import Evaluation, customer_records, evaluate
from .keys import normalize_card, normalize_date, normalize_email, normalize_name, normalize_phone
from .resolve import RULES, Resolution, resolve

__all__ = [
    "RULES",
    "Evaluation",
    "Resolution",
    "customer_records",
    "evaluate",
    "normalize_card",
    "normalize_date",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "resolve",
]
