"""Run the catalogue: which reports are due, run them in parallel, then status and index.

- A report whose inputs did not change since its last success is skipped (cached); one
  whose published files are missing or damaged is due again.
- Reports run in parallel threads (each papermill run drives its own kernel process); each
  is published atomically by ``crmlab.reports.publish.run_report``.
- A lock keeps two runs from publishing into the same folder at once.
- Every file a run writes stays inside the output folder (``crmlab.reports.paths``).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..data.privacy import KEY_VARIABLE
from ..errors import ReportError
from .catalogue import Report, is_data_parameter, notebook_parameters
from .fingerprint import cache_parts, key_of
from .index import write_index
from .lock import RunLock
from .paths import OutputFolder
from .pii_gate import GateCache
from .publish import KERNEL_NAME, RunResult, run_report
from .status import read_status, why_due, write_status

__all__ = ["KERNEL_NAME", "RunResult", "due", "read_status", "run_catalogue", "run_report"]


def run_catalogue(
    reports: list[Report],
    out_dir: str | Path = "reports",
    root: str | Path = ".",
    kernel: str = KERNEL_NAME,
    jobs: int | None = None,
    force: bool = False,
    cell_timeout: int = 1800,
    wait: bool = True,
    echo=print,
    catalogue: list[Report] | None = None,
    demo: bool = False,
) -> list[RunResult]:
    """Run (or skip, when cached) every report, then rewrite the status file and index page.

    jobs: reports run at once (default: number of CPU cores). force: ignore the cache.
    cell_timeout: seconds one notebook cell may take. wait: when another run holds the lock,
    wait for it (True) or raise ReportError (False). catalogue: every report, for the index
    page, when only some are run.
    demo: allow the public demo pseudonym key (synthetic or public data only). Without it
    the run refuses to start unless CRMLAB_PSEUDONYM_KEY is set. Notebooks that declare a
    ``demo_mode`` parameter get it set accordingly, and their reports say so.
    """
    output, root = OutputFolder(out_dir), Path(root).resolve()
    require_pseudonym_key(demo)
    reports = [with_demo_mode(r, demo) for r in reports]
    catalogue = None if catalogue is None else [with_demo_mode(r, demo) for r in catalogue]
    _refuse_inputs_inside(reports, output, root)
    gates = GateCache(root)
    jobs = jobs or os.cpu_count() or 1
    share_cores(jobs)
    with RunLock(output.root, wait=wait, echo=echo):
        output.remove_leftovers()
        status = read_status(output.root, echo=echo)
        parts = {r.name: cache_parts(r, root, kernel) for r in reports}
        todo, results = [], {}
        for report in reports:
            reason = (
                "forced"
                if force
                else why_due(report, output.root, root, kernel, status, parts[report.name])
            )
            if reason is None:
                results[report.name] = RunResult(report.name, "cached", 0.0, _now())
                echo(f"{report.name}: cached (nothing it depends on changed)")
            else:
                todo.append(report)
                echo(f"{report.name}: queued ({reason})")

        def run_one(report: Report) -> RunResult:
            echo(f"{report.name}: running {report.notebook.name}")
            result = run_report(
                report,
                output.root,
                root,
                kernel,
                cell_timeout,
                on_cell=lambda k, n: echo(f"{report.name}: running cell {k} of {n}"),
                gates=gates,
            )
            note = f" - {result.error}" if result.error else ""
            echo(
                f"{report.name}: {'done' if result.status == 'ok' else 'FAILED'} "
                f"in {result.seconds:.1f}s{note}"
            )
            return result

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(run_one, todo):
                results[result.name] = result
        for report in reports:
            status[report.name] = _merge(
                status.get(report.name, {}), results[report.name], parts[report.name], report
            )
        write_status(output, status)
        write_index(
            catalogue or reports,
            status,
            output,
            stale={
                r.name
                for r in (catalogue or reports)
                if r.name not in results and why_due(r, output.root, root, kernel, status)
            },
        )
    return [results[r.name] for r in reports]


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


def _refuse_inputs_inside(reports: list[Report], output: OutputFolder, root: Path) -> None:
    """A data source inside the output folder could be overwritten by an export."""
    for report in reports:
        for name, value in report.parameters.items():
            if is_data_parameter(name) and isinstance(value, str):
                path = (root / value).resolve()
                if path.is_relative_to(output.root) or output.root.is_relative_to(path):
                    raise ReportError(
                        f"report {report.name!r}: {name}={value!r} overlaps the output folder "
                        f"{output.root}; keep data and published reports in separate folders"
                    )


def require_pseudonym_key(demo: bool) -> None:
    """Refuse to publish without a pseudonym key, unless demo mode was chosen explicitly."""
    if demo or os.environ.get(KEY_VARIABLE):
        return
    raise ReportError(
        f"no pseudonym key: set the environment variable {KEY_VARIABLE} to a secret, or choose "
        "demo mode (`demo: true` in reports.yaml or `crmlab reports run --demo`) for synthetic "
        "or public data only."
    )


def with_demo_mode(report: Report, demo: bool) -> Report:
    """The report with ``demo_mode`` set, if its notebook declares that parameter."""
    if "demo_mode" not in notebook_parameters(report.notebook):
        return report
    return replace(report, parameters={**report.parameters, "demo_mode": bool(demo)})


def due(report: Report, out_dir: Path, root: Path, kernel: str = KERNEL_NAME) -> bool:
    """True when the report has never succeeded, something it depends on changed, or its
    published files are missing or damaged (``status.why_due`` says which)."""
    return why_due(report, Path(out_dir), Path(root), kernel) is not None


def _merge(entry: dict, result: RunResult, parts: dict, report: Report) -> dict:
    entry = dict(entry)
    state = "ok" if result.status == "cached" else result.status
    entry.update(
        status=state, last_run=result.finished, error=result.error, parameters=report.parameters
    )
    if result.status == "ok":
        entry.update(
            last_success=result.finished,
            seconds=round(result.seconds, 1),
            cache_key=key_of(parts),
            cache_parts=parts,
        )
    return entry


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
