"""The exceptions crmlab raises.

Every error a user can provoke with bad data or bad parameters is a ``CRMLabError``
subclass whose message says what was wrong and how to fix it. Catch ``CRMLabError``
to handle all of them.
"""

from __future__ import annotations


class CRMLabError(Exception):
    """Base class of every error crmlab raises on purpose."""


class DataContractError(CRMLabError, ValueError):
    """Input data breaks the data contract (see docs/data_contract.md).

    ``violations`` holds every problem found (one validation pass reports all of them);
    ``report()`` returns them as a DataFrame.
    """

    def __init__(self, message: str, violations: list | None = None):
        super().__init__(message)
        self.violations = list(violations or [])

    def report(self):
        """Violations as a tidy DataFrame: table, column, rule, n_rows, examples."""
        import pandas as pd

        return pd.DataFrame(
            [v.as_row() for v in self.violations],
            columns=["table", "column", "rule", "n_rows", "examples"],
        )


class ParameterError(CRMLabError, ValueError):
    """A function or notebook parameter has an invalid value."""


class MissingDependencyError(CRMLabError, ImportError):
    """An optional package is needed; the message says which extra to install."""


class ModelFitError(CRMLabError, RuntimeError):
    """A statistical model failed to fit or produced a degenerate fit."""


class ReportError(CRMLabError, RuntimeError):
    """A report could not be configured, executed or published."""


class EngineLimitError(CRMLabError, RuntimeError):
    """A result is larger than the SQL engine lets crmlab collect (e.g. Spark's
    ``spark.driver.maxResultSize``); the message says which setting and what to ask for."""


def whole_number(name: str, value, low: int = 1, of: str = "") -> int:
    """``value`` when it is a whole number (a Python int, not a bool) of at least ``low``;
    otherwise a ParameterError naming the parameter: "k=0: a whole number of products >= 1."
    of: what is counted (products, days, ...), for the message."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        counted = f" of {of}" if of else ""
        raise ParameterError(f"{name}={value!r}: a whole number{counted} >= {low}.")
    return value
