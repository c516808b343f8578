"""crmlab: a research workbench for customer-relationship analytics.

Import the modules you need (``crmlab.data``, ``crmlab.features``, ...); nothing heavy
is imported by ``import crmlab`` itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "basket",
    "churn",
    "clv",
    "data",
    "datasets",
    "errors",
    "experiment",
    "features",
    "flows",
    "journeys",
    "loyalty",
    "overview",
    "plots",
    "reports",
    "segment",
    "voice",
)

if TYPE_CHECKING:  # pragma: no cover
    from . import (  # noqa: F401
        basket,
        churn,
        clv,
        data,
        datasets,
        errors,
        experiment,
        features,
        flows,
        journeys,
        loyalty,
        overview,
        plots,
        reports,
        segment,
        voice,
    )


def __getattr__(name: str):
    # Lazy submodules keep `import crmlab` fast (no pandas/duckdb until needed).
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")


__all__ = ["__version__", *_SUBMODULES]
