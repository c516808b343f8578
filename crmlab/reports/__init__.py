"""The report factory: a catalogue of parameterized notebooks, executed and published as HTML.

Only this package touches papermill and nbconvert.
"""

from .catalogue import Report, load_catalogue, notebook_parameters
from .runner import KERNEL_NAME, RunResult, run_catalogue, run_report

__all__ = [
    "KERNEL_NAME",
    "Report",
    "RunResult",
    "load_catalogue",
    "notebook_parameters",
    "run_catalogue",
    "run_report",
]
