"""The report factory: a catalogue of parameterized notebooks, executed and published as HTML.

Only this package touches papermill and nbconvert.
"""

from .catalogue import Report, load_catalogue, notebook_parameters
from .runner import KERNEL_NAME, RunResult, due, read_status, run_catalogue, run_report

__all__ = [
    "KERNEL_NAME",
    "Report",
    "RunResult",
    "due",
    "load_catalogue",
    "notebook_parameters",
    "read_status",
    "run_catalogue",
    "run_report",
]
