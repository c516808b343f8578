"""The report factory: a catalogue of parameterized notebooks, executed and published as HTML.

Only this package touches papermill and nbconvert.
"""

from .catalogue import Catalogue, Report, load_catalogue, notebook_parameters
from .kernels import KERNEL_NAME
from .publish import RunResult, run_report
from .runner import run_catalogue
from .status import due, read_status

__all__ = [
    "KERNEL_NAME",
    "Catalogue",
    "Report",
    "RunResult",
    "due",
    "load_catalogue",
    "notebook_parameters",
    "read_status",
    "run_catalogue",
    "run_report",
]
