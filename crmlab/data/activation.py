"""Activation lists: per-customer results leaving crmlab for a marketing tool.

One function does the whole step that notebooks used to spell out each time: keep only
customers who may be marketed to, replace the customer id by a keyed pseudonym, and put the
columns side by side. Writing the file is ``crmlab.data.write_table`` (inside a run's
output folder).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import ParameterError
from .privacy import pseudonymize


@dataclass(frozen=True)
class ActivationList:
    """table: customer_key (pseudonym) and the requested columns, marketable customers only.
    candidates: customers before the consent filter; left_out: those without consent."""

    table: pd.DataFrame
    candidates: int
    left_out: int


def activation_list(
    columns: dict[str, pd.Series] | pd.DataFrame, marketable: pd.Series, key: str
) -> ActivationList:
    """Join per-customer columns, keep marketable customers, pseudonymize the id.

    columns: name -> Series indexed by customer_id (or a DataFrame indexed by customer_id);
        the first one decides who the candidates are, the others are aligned to it.
    marketable: True/False per customer_id (``crmlab.data.privacy.marketable``); customers
        it does not mention are not marketable.
    key: the pseudonym secret (``crmlab.data.privacy.pseudonym_key``).
    """
    frame = columns.copy() if isinstance(columns, pd.DataFrame) else _joined(columns)
    if frame.index.has_duplicates:
        raise ParameterError("a customer appears twice in the activation columns.")
    allowed = marketable.reindex(frame.index, fill_value=False).astype(bool).to_numpy()
    chosen = frame[allowed]
    for column in chosen.columns:  # categories travel as plain text
        if isinstance(chosen[column].dtype, pd.CategoricalDtype):
            chosen[column] = chosen[column].astype(str)
    keys = pseudonymize(chosen.index, key).to_numpy()
    table = chosen.reset_index(drop=True)
    table.insert(0, "customer_key", keys)
    return ActivationList(table, len(frame), int((~allowed).sum()))


def _joined(columns: dict[str, pd.Series]) -> pd.DataFrame:
    if not columns:
        raise ParameterError("columns is empty: name at least one per-customer Series.")
    names = list(columns)
    first = columns[names[0]]
    return pd.DataFrame({name: columns[name].reindex(first.index) for name in names})
