"""pandera without pyspark: ``from .pandera_quiet import pa`` is ``import pandera.pandas as pa``.

When pyspark is installed (the ``spark`` extra), importing pandera also imports
``pyspark.pandas``: a second or so, a warning about pandas 3, and a patch of pandas' own
classes, none of which crmlab's pandas validation needs. While pandera loads, pyspark is
hidden from it; a session the user already has is untouched, and pyspark imports normally
afterwards.
"""

from __future__ import annotations

import sys


def _import_pandera():
    hidden = [name for name in ("pyspark", "pyspark.pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail
    try:
        # pandera registers its checks at the first validation and looks for pyspark.pandas
        # again then: load them now, while pyspark is hidden
        import pandera.backends.pandas.builtin_checks  # noqa: F401
        import pandera.pandas as pandera_pandas
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return pandera_pandas


pa = _import_pandera()
