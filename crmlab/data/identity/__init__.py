"""Identity resolution: one customer across channels (``resolve``; docs/identity_privacy.md).

``keys`` normalizes e-mails, phones (E.164), names and card numbers; ``resolve`` links
records with a Fellegi-Sunter model trained by Splink (``probabilistic``; or by the
deterministic rules, ``method="rules"``) and assigns stable master ids; ``evaluate`` and
``threshold_tradeoff`` score the links on a synthetic world's planted duplicates.
"""

from .evaluate import Evaluation, customer_records, evaluate, threshold_tradeoff
from .keys import normalize_card, normalize_date, normalize_email, normalize_name, normalize_phone
from .resolve import METHODS, RULES, Resolution, resolve

__all__ = [
    "METHODS",
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
    "threshold_tradeoff",
]
