"""Execute catalogue entries with papermill and publish them atomically into ``reports/``.

- A report is rendered in a temporary folder and moved into place only when everything
  succeeded, so a failed or killed run never overwrites the last good HTML. The failed
  notebook (with papermill's error cell) is kept in ``reports/_failed/<name>.ipynb``.
- A report whose inputs did not change since its last success is skipped (cached).
- Reports run in parallel threads (each papermill run drives its own kernel process).
- A lock keeps two runs from publishing into the same folder at once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from ..data.privacy import KEY_VARIABLE
from ..errors import ReportError
from .catalogue import Report, notebook_parameters
from .fingerprint import cache_key
from .index import write_index
from .lock import RunLock
from .pii_gate import GateCache
from .provenance import provenance
from .render import to_html

KERNEL_NAME = "crmlab"  # registered in the project's venv by `make` (ipykernel --sys-prefix)
STATUS_FILE = "_status.json"
FAILED_DIR = "_failed"


@dataclass
class RunResult:
    """What happened to one report in one run."""

    name: str
    status: str  # "ok", "cached" or "failed"
    seconds: float
    finished: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    error: str = ""  # for failures: the failing cell and the exception


def run_report(
    report: Report,
    out_dir: str | Path = "reports",
    root: str | Path = ".",
    kernel: str = KERNEL_NAME,
    cell_timeout: int = 1800,
    on_cell=None,
    gates: GateCache | None = None,
) -> RunResult:
    """Execute one report and publish <name>.ipynb, <name>.html and <name>.provenance.json.

    on_cell: optional callback(k, n) called as code cell k of n starts (1-based; n counts
    the parameters cell papermill injects).
    gates: the PII gates of this run (one per data source); the rendered HTML must pass
    its gate or the report fails and is not published.
    """
    import papermill as pm

    out_dir, root = Path(out_dir), Path(root).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    gates = gates or GateCache(root)
    started_clock, started = time.perf_counter(), _now()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".tmp-{report.name}-") as tmp:
        executed = Path(tmp) / f"{report.name}.ipynb"
        try:
            pm.execute_notebook(
                str(report.notebook),
                str(executed),
                parameters=report.parameters,
                kernel_name=kernel,
                cwd=str(root),
                progress_bar=False,
                execution_timeout=cell_timeout,
                log_output=False,
                **_cell_hook(report, on_cell),
            )
            record = provenance(report, root, kernel, started, _now())
            page = to_html(executed, Path(tmp) / f"{report.name}.html", report, record)
            inputs = {**notebook_parameters(report.notebook), **report.parameters}
            gates.for_parameters(inputs).check(page.read_text(), report.name)
            (Path(tmp) / f"{report.name}.provenance.json").write_text(
                json.dumps(record, indent=2, default=str)
            )
        except Exception as exc:  # papermill/nbconvert raise many kinds; all mean "failed"
            failed = out_dir / FAILED_DIR
            failed.mkdir(exist_ok=True)
            if executed.exists():
                shutil.copy(executed, failed / executed.name)
            return RunResult(
                report.name,
                "failed",
                time.perf_counter() - started_clock,
                _now(),
                error=_describe(exc),
            )
        # The HTML goes last: whoever sees it can rely on the notebook and provenance beside it.
        for suffix in (".ipynb", ".provenance.json", ".html"):
            os.replace(Path(tmp) / f"{report.name}{suffix}", out_dir / f"{report.name}{suffix}")
    (out_dir / FAILED_DIR / f"{report.name}.ipynb").unlink(missing_ok=True)
    return RunResult(report.name, "ok", time.perf_counter() - started_clock, _now())


def _cell_hook(report: Report, on_cell) -> dict:
    """nbclient's on_cell_start hook, translated into on_cell(k, n) for code cells."""
    if on_cell is None:
        return {}
    import nbformat

    cells = nbformat.read(str(report.notebook), as_version=4).cells
    total = sum(c.cell_type == "code" for c in cells) + 1  # + papermill's injected cell
    seen = {"k": 0}

    def hook(cell, cell_index):
        if cell.cell_type == "code":
            seen["k"] += 1
            on_cell(seen["k"], total)

    return {"on_cell_start": hook}


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
    out_dir, root = Path(out_dir), Path(root).resolve()
    require_pseudonym_key(demo)
    reports = [with_demo_mode(r, demo) for r in reports]
    catalogue = None if catalogue is None else [with_demo_mode(r, demo) for r in catalogue]
    gates = GateCache(root)
    jobs = jobs or os.cpu_count() or 1
    with RunLock(out_dir, wait=wait, echo=echo):
        _remove_leftovers(out_dir)
        status = read_status(out_dir)
        keys = {r.name: cache_key(r, root, kernel) for r in reports}
        todo, results = [], {}
        for report in reports:
            if not force and _is_cached(
                status.get(report.name), keys[report.name], out_dir, report.name
            ):
                results[report.name] = RunResult(report.name, "cached", 0.0, _now())
                echo(f"{report.name}: cached (nothing it depends on changed)")
            else:
                todo.append(report)
                echo(f"{report.name}: queued")

        def run_one(report: Report) -> RunResult:
            echo(f"{report.name}: running {report.notebook.name}")
            result = run_report(
                report,
                out_dir,
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
                status.get(report.name, {}), results[report.name], keys[report.name], report
            )
        _write_status(out_dir, status)
        write_index(
            catalogue or reports,
            status,
            out_dir,
            stale={
                r.name
                for r in (catalogue or reports)
                if r.name not in results and due(r, out_dir, root, kernel)
            },
        )
    return [results[r.name] for r in reports]


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


def read_status(out_dir: str | Path) -> dict[str, dict]:
    """The status of every report ever run into out_dir (empty when none)."""
    path = Path(out_dir) / STATUS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def due(report: Report, out_dir: Path, root: Path, kernel: str = KERNEL_NAME) -> bool:
    """True when the report has never succeeded or something it depends on changed."""
    entry = read_status(out_dir).get(report.name)
    return not _is_cached(entry, cache_key(report, root, kernel), out_dir, report.name)


def _is_cached(entry: dict | None, key: str, out_dir: Path, name: str) -> bool:
    return bool(
        entry
        and entry.get("status") in ("ok", "cached")
        and entry.get("cache_key") == key
        and (out_dir / f"{name}.html").exists()
    )


def _merge(entry: dict, result: RunResult, key: str, report: Report) -> dict:
    entry = dict(entry)
    state = "ok" if result.status == "cached" else result.status
    entry.update(
        status=state, last_run=result.finished, error=result.error, parameters=report.parameters
    )
    if result.status == "ok":
        entry.update(last_success=result.finished, seconds=round(result.seconds, 1), cache_key=key)
    return entry


def _write_status(out_dir: Path, status: dict) -> None:
    tmp = out_dir / f".{STATUS_FILE}.tmp"
    tmp.write_text(json.dumps(status, indent=2, default=str))
    os.replace(tmp, out_dir / STATUS_FILE)  # atomic: never a half-written status file


def _remove_leftovers(out_dir: Path) -> None:
    """Temporary folders of a run that was killed (we hold the lock, so none is in use)."""
    for leftover in out_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _describe(exc: Exception) -> str:
    """'cell 7: KeyError: 'x'' for papermill failures, else the exception's last line."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is not None:
        cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", "?")
        return f"cell {cell}: {ename}: {evalue}"[:400]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"[:400]
