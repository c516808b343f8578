"""Benchmark: report kernels started fresh (papermill's usual start) vs forked from a warm
process (``crmlab.reports.warm_kernels``), side by side in one run.

    python bench/kernels.py [--kernels 6]

Each kernel runs a one-cell notebook with a churn report's imports (crmlab, pandas,
matplotlib, scikit-learn), one at a time. Printed: wall time per kernel (median) and the CPU
of all kernels together; the warm side's CPU includes starting the warm process, so it is
what a run of that many reports pays.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from peak import children_cpu  # bench/peak.py

IMPORTS = (
    "import matplotlib.pyplot as plt\n"
    "import pandas as pd\n"
    "from crmlab import churn, features, plots, segment\n"
    "from crmlab.data import load\n"
    "plots.use_house_style()"
)


def run(notebook: Path, n: int, warm: bool) -> tuple[float, float]:
    """(median wall seconds per kernel, CPU seconds of all kernels and the warm process)."""
    import papermill as pm

    from crmlab.reports.kernels import KERNEL_NAME
    from crmlab.reports.warm_kernels import warm_kernels

    walls, cpu = [], children_cpu()
    with warm_kernels(KERNEL_NAME, n if warm else 0) as kernels:
        for _ in range(n):
            start = time.perf_counter()
            pm.execute_notebook(
                str(notebook),
                str(notebook.with_name("out.ipynb")),
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                **kernels,
            )
            walls.append(time.perf_counter() - start)
    return statistics.median(walls), children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=6)
    args = parser.parse_args()
    import nbformat

    with tempfile.TemporaryDirectory() as folder:
        notebook = Path(folder) / "imports.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(IMPORTS)]
        nb.metadata["kernelspec"] = {
            "name": "crmlab",
            "display_name": "crmlab",
            "language": "python",
        }
        nbformat.write(nb, notebook)
        fresh = run(notebook, args.kernels, warm=False)
        forked = run(notebook, args.kernels, warm=True)
    print(f"{args.kernels} kernels, each to the end of a churn report's imports:")
    print(f"  fresh:  {fresh[0]:.2f} s per kernel (median), {fresh[1]:.1f} s of CPU in all")
    print(
        f"  forked: {forked[0]:.2f} s per kernel (median), {forked[1]:.1f} s of CPU in all, "
        "the warm process included"
    )
    print(f"  fresh / forked: wall {fresh[0] / forked[0]:.1f}x, CPU {fresh[1] / forked[1]:.1f}x")


if __name__ == "__main__":
    main()
