"""The Jupyter kernels that execute reports: which one, and how many cores each may use."""

from __future__ import annotations

import os

KERNEL_NAME = "crmlab"  # registered in the project's venv by `make` (ipykernel --sys-prefix)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def share_cores(jobs: int) -> None:
    """Give each of ``jobs`` parallel kernels its share of the cores (unless the user set it).

    scikit-learn's OpenMP threads busy-wait: two kernels that each start one thread per core
    slow each other down many times over (a 6 s permutation importance took 107 s). Kernels
    inherit this process's environment.
    """
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, threads)
