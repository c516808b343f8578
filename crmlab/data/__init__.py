"""Data in: the canonical CRM tables, their validation, loading, synthetic and public data."""

from __future__ import annotations

from .activation import ActivationList, activation_list
from .container import CRMData, Truth
from .contract import PII_COLUMNS, TABLE_NAMES, TABLES
from .flat_files import read_flat
from .load import load, read_table, save, write_table
from .validate import customers_from_orders, validate

__all__ = [
    "PII_COLUMNS",
    "TABLES",
    "TABLE_NAMES",
    "ActivationList",
    "CRMData",
    "Truth",
    "activation_list",
    "customers_from_orders",
    "generate",
    "load",
    "read_flat",
    "read_table",
    "save",
    "validate",
    "write_table",
]


def generate(*args, **kwargs) -> CRMData:
    """Generate a synthetic CRM world; see ``crmlab.data.synth.generate``."""
    from .synth import generate as _generate

    return _generate(*args, **kwargs)
