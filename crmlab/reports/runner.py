"""Run a catalogue: which reports are due, run them in parallel, then status and index.

The runner only orchestrates; each step lives in its own module:

1. policy — ``demo_policy``: a pseudonym key or explicit demo mode, told to the notebooks;
2. plan — ``status.why_due``: a report whose inputs (``fingerprint``) did not change since
   its last success is skipped (cached); one whose published files are damaged is due;
3. execute — ``publish.run_report`` per report, in parallel threads (each papermill run
   drives its own kernel, ``kernels.share_cores``), the longest (by the last run) first;
   it runs the PII gate (``pii_gate``) and the active-content scan, writes provenance
   (``provenance``) and publishes atomically.
   The kernels read each data set once per run (``data.load_cache``) and are forked from
   one process that has imported the scientific stack (``warm_kernels``);
4. record — ``status.write_status`` and ``index.write_index``.

A lock keeps two runs from publishing into the same folder at once, and every file a run
writes stays inside the output folder (``paths.OutputFolder``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from ..data.load_cache import for_run
from ..errors import ReportError
from .catalogue import Catalogue, Report, is_data_parameter
from .demo_policy import require_pseudonym_key, with_demo_mode
from .fingerprint import cache_parts, key_of
from .index import write_index
from .kernels import KERNEL_NAME, share_cores
from .lock import RunLock
from .paths import OutputFolder
from .pii_gate import GateCache
from .publish import RunResult, run_report
from .status import read_status, why_due, write_status
from .warm_kernels import warm_kernels

__all__ = ["RunResult", "run_catalogue"]


def run_catalogue(
    catalogue: Catalogue,
    out_dir: str | Path = "reports",
    names: Iterable[str] = (),
    tags: Iterable[str] = (),
    kernel: str = KERNEL_NAME,
    jobs: int | None = None,
    force: bool = False,
    cell_timeout: int = 1800,
    wait: bool = True,
    echo: Callable[[str], object] = print,
    demo: bool = False,
) -> list[RunResult]:
    """Run (or skip, when cached) the chosen reports, then rewrite the status file and the
    index page (which lists the whole catalogue).

    names, tags: run only these reports (``Catalogue.select``; default all). jobs: reports
    run at once (default: number of CPU cores). force: ignore the cache. cell_timeout:
    seconds one notebook cell may take. wait: when another run holds the lock, wait for it
    (True) or raise ReportError (False).
    demo: allow the public demo pseudonym key (synthetic or public data only), as does
    ``demo: true`` in the catalogue. Without either the run refuses to start unless
    CRMLAB_PSEUDONYM_KEY is set. Notebooks that declare ``demo_mode`` are told, and their
    reports say so.
    """
    demo = demo or catalogue.demo
    require_pseudonym_key(demo)
    everything = [with_demo_mode(r, demo) for r in catalogue]
    wanted = {r.name for r in catalogue.select(names, tags)}
    chosen = [r for r in everything if r.name in wanted]
    output, root = OutputFolder(out_dir), catalogue.root
    _refuse_inputs_inside(chosen, output, root)
    jobs = jobs or os.cpu_count() or 1
    share_cores(jobs)
    with RunLock(output.root, wait=wait, echo=echo):
        output.remove_leftovers()
        status = read_status(output.root, echo=echo)
        parts = {r.name: cache_parts(r, root, kernel) for r in chosen}
        todo, results = _plan(chosen, output, root, kernel, status, parts, force, echo)
        todo = longest_first(todo, status)
        gates = GateCache(root)

        stop = threading.Event()  # set by Ctrl-C: no further report starts

        def run_one(report: Report) -> RunResult | None:
            if stop.is_set():
                return None
            echo(f"{report.name}: running {report.notebook.name}")
            result = run_report(
                report,
                output.root,
                root,
                kernel,
                cell_timeout,
                on_cell=lambda k, n: echo(f"{report.name}: running cell {k} of {n}"),
                gates=gates,
                kernels=kernels,
            )
            note = f" - {result.error}" if result.error else ""
            state = "done" if result.status == "ok" else "FAILED"
            echo(f"{report.name}: {state} in {result.seconds:.1f}s{note}")
            return result

        # each data set is read and validated once per run, not once per report, and each
        # kernel is forked with the scientific stack imported (started inside for_run: the
        # warm process has the kernels' environment)
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            with (
                for_run(output.staging("load-cache")),
                warm_kernels(kernel, len(todo)) as kernels,
            ):
                try:
                    for future in [pool.submit(run_one, report) for report in todo]:
                        result = future.result()
                        results[result.name] = result
                except KeyboardInterrupt:
                    # Ctrl-C: no queued report starts, and leaving this block ends the warm
                    # process, whose kernels end with it: the running reports fail and
                    # publish nothing (fresh kernels, where forking is off, run to the end)
                    stop.set()
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        except KeyboardInterrupt:
            echo("interrupted: what finished is recorded; the next run does the rest")
            _record(chosen, everything, results, parts, status, output, root, kernel)
            raise
        finally:
            pool.shutdown(wait=not stop.is_set())
        _record(chosen, everything, results, parts, status, output, root, kernel)
    return [results[r.name] for r in chosen]


def _record(chosen, everything, results: dict, parts: dict, status: dict, output, root, kernel):
    """The status of the chosen reports that finished (all of them, unless the run was
    interrupted), and the index page, with reports that did not run this time marked
    stale if due."""
    for report in chosen:
        if report.name in results:
            status[report.name] = _merge(
                status.get(report.name, {}), results[report.name], parts[report.name], report
            )
    write_status(output, status)
    stale = {
        r.name
        for r in everything
        if r.name not in results and why_due(r, output.root, root, kernel, status)
    }
    write_index(everything, status, output, stale=stale)


def _plan(
    reports: list[Report],
    output: OutputFolder,
    root: Path,
    kernel: str,
    status: dict,
    parts: dict,
    force: bool,
    echo,
) -> tuple[list[Report], dict[str, RunResult]]:
    """The reports to run, and a 'cached' result for each of the others (with the reason)."""
    todo, cached = [], {}
    for report in reports:
        reason = (
            "forced"
            if force
            else why_due(report, output.root, root, kernel, status, parts[report.name])
        )
        if reason is None:
            cached[report.name] = RunResult(report.name, "cached", 0.0, _now())
            echo(f"{report.name}: cached (nothing it depends on changed)")
        else:
            todo.append(report)
            echo(f"{report.name}: queued ({reason})")
    return todo, cached


def longest_first(reports: list[Report], status: dict) -> list[Report]:
    """The reports in the order to start them: those never run first (their length is not
    known), in catalogue order, then the others by their last successful run's duration,
    longest first. Threads otherwise idle at the end of a run while one long report that
    started last finishes alone (longest processing time first)."""

    def last_seconds(report: Report) -> float:
        return status.get(report.name, {}).get("seconds", float("inf"))

    return sorted(reports, key=last_seconds, reverse=True)  # stable: ties keep their order


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


def _merge(entry: dict, result: RunResult, parts: dict, report: Report) -> dict:
    """A report's status entry after this run (the last success is kept after a failure)."""
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
