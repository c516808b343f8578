"""Benchmark: how long imports take, each in a fresh Python process (median of 5).

    python bench/startup.py

``import crmlab`` must stay cheap (target: at most 0.5 s): the package loads its modules
when they are first used. Every report kernel pays its notebook's imports, so those are
measured too, next to the peers a notebook would import anyway (pandas, matplotlib) and
lifetimes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

STATEMENTS = {
    "import crmlab": "import crmlab",
    "crmlab.data (load, validation)": "from crmlab.data import load",
    "a report's imports (churn)": (
        "from crmlab import churn, features, plots, segment; from crmlab.data import load"
    ),
    "a report's imports (campaign)": (
        "from crmlab import experiment, features, plots, uplift; from crmlab.data import load"
    ),
    "peer: import pandas": "import pandas",
    "peer: pandas + matplotlib.pyplot": "import pandas, matplotlib.pyplot",
    "peer: import lifetimes": "import lifetimes",
}


def seconds(statement: str, repeats: int = 5) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    command = [sys.executable, "-c", code]
    runs = [
        float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for _ in range(repeats)
    ]
    return statistics.median(runs)


def main() -> None:
    for label, statement in STATEMENTS.items():
        print(f"{label:<34} {seconds(statement):6.3f} s", flush=True)


if __name__ == "__main__":
    main()
