"""A contract violation, and the one error that reports all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..errors import DataContractError

MAX_EXAMPLES = 5


@dataclass
class Violation:
    """Rows of one table that break one rule of one column.

    ``rows`` are the DataFrame index labels of the bad rows (empty for table-level problems
    such as a missing column); ``examples`` are up to five of their keys, as text.
    """

    table: str
    column: str
    rule: str
    n_rows: int
    examples: list[str] = field(default_factory=list)
    rows: pd.Index = field(default_factory=lambda: pd.Index([]), repr=False)

    @property
    def row_level(self) -> bool:
        """True when the problem sits in particular rows (so those rows can be set aside)."""
        return len(self.rows) > 0

    def as_row(self) -> dict:
        return {
            "table": self.table,
            "column": self.column,
            "rule": self.rule,
            "n_rows": self.n_rows,
            "examples": ", ".join(self.examples),
        }


def example_keys(
    frame: pd.DataFrame, rows: pd.Index, key: tuple[str, ...], column: str | None = None
) -> list[str]:
    """Up to five readable keys of the given rows (the row position when the key is missing);
    with ``column`` (one that is not part of the key), each key is followed by the row's
    value there, so ``3 ('Goodwill')`` says which value broke the rule."""
    out = []
    for label in list(rows[:MAX_EXAMPLES]):
        values = [frame.at[label, k] if k in frame.columns else None for k in key]
        if any(v is None or (not isinstance(v, str) and pd.isna(v)) for v in values):
            shown = f"(row {frame.index.get_loc(label)})"
        else:
            shown = "/".join(str(v) for v in values)
        if column is not None and column in frame.columns and column not in key:
            shown += f" ({frame.at[label, column]!r})"
        out.append(shown)
    return out


def format_violations(violations: list[Violation], source: str) -> str:
    """One readable message listing every violation."""
    tables = sorted({v.table for v in violations})
    report = pd.DataFrame([v.as_row() for v in violations])
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        body = report.to_string(index=False)
    hints = []
    if any(v.rule == "required column is missing" for v in violations):
        hints.append(
            "A required column is missing: if your file names it differently, map it with "
            "load(columns={'order_id': 'YourName', ...}) or an import spec "
            "(docs/guide/your_data.md)."
        )
    if any(v.row_level for v in violations):
        hints.append(
            "Fix the source data (see docs/data_contract.md), or load with "
            'on_error="quarantine" to set the bad rows aside and keep the rest.'
        )
    hint = "\n".join(hints or ["Fix the source data (see docs/data_contract.md)."])
    return (
        f"{len(violations)} data contract violation(s) in {source} "
        f"({len(tables)} table(s): {', '.join(tables)}):\n{body}\n{hint}"
    )


def raise_if_any(violations: list[Violation], source: str) -> None:
    if violations:
        raise DataContractError(format_violations(violations, source), violations)
