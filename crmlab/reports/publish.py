"""One report: execute its notebook, render the page, check everything, publish atomically.

- Everything is made in a hidden staging folder inside the output folder: the executed
  notebook, the page, the provenance and the notebook's exports (the notebook gets the
  staging folder as its ``output_dir``). Nothing is moved into place until every file has
  passed both gates: no active content in the page, no personal data in any file.
- A failed report keeps its last good files. Its executed notebook is kept, with every
  output removed but the error (redacted), in ``_private/`` — never linked from the index.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..data import read_table
from ..errors import ReportError
from .catalogue import Report
from .html_scan import scan_page
from .kernels import KERNEL_NAME
from .paths import PRIVATE_DIR, OutputFolder
from .pii_gate import GateCache, PIIGate, notebook_text, page_text
from .provenance import provenance
from .render import to_html

EXPORT_SUFFIXES = (".csv", ".parquet")


@dataclass
class RunResult:
    """What happened to one report in one run."""

    name: str
    status: str  # "ok", "cached" or "failed"
    seconds: float
    finished: str  # UTC, "YYYY-MM-DD HH:MM:SS"
    error: str = ""  # for failures: the failing cell and the exception (personal data masked)


def run_report(
    report: Report,
    out_dir: str | Path = "reports",
    root: str | Path = ".",
    kernel: str = KERNEL_NAME,
    cell_timeout: int = 1800,
    on_cell=None,
    gates: GateCache | None = None,
    kernels: dict | None = None,
) -> RunResult:
    """Execute one report and publish <name>.ipynb, <name>.html, <name>.provenance.json and
    the notebook's exports into out_dir.

    on_cell: optional callback(k, n) called as code cell k of n starts (1-based; n counts
    the parameters cell papermill injects).
    gates: the PII gates of this run (one per data source).
    kernels: how papermill starts the kernel (``warm_kernels``); None: the usual way.
    """
    import papermill as pm

    output, root = OutputFolder(out_dir), Path(root).resolve()
    gates = gates or GateCache(root)
    started_clock, started = time.perf_counter(), _now()
    staging = output.staging(report.name)
    files, executed = staging / "files", staging / f"{report.name}.ipynb"
    files.mkdir()
    gate = PIIGate()
    try:
        try:
            declared = report.declared
            gate = gates.for_parameters({**declared, **report.parameters})
            _execute_once_more_if_the_kernel_never_started(
                pm.execute_notebook,
                str(report.notebook),
                str(executed),
                parameters=_run_parameters(report, declared, files),
                kernel_name=kernel,
                # the kernel's working directory, per kernel: papermill's cwd= would chdir the
                # whole process, and reports run in threads (one thread's chdir back raced
                # another's kernel start, which then could not find its data)
                resources={"metadata": {"path": str(root)}},
                progress_bar=False,
                # the kernel's own log stays out of the run log: ipykernel warns about
                # unencrypted loopback TCP on every start, and logs "KeyboardInterrupt caught
                # in kernel" at ERROR when jupyter_client interrupts it before shutting it
                # down, as it always does. The notebook's warnings and errors are in its
                # outputs, and a failed cell fails the report.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                execution_timeout=cell_timeout,
                log_output=False,
                **_cell_hook(report, on_cell),
                **(kernels or {}),
            )
            _name_output_folder(executed, files, Path(out_dir))
            exports = _exports(files)
            record = provenance(report, root, kernel, started, _now())
            record["checks"] = _checks_statement(gate, len(exports))
            page = to_html(executed, staging / f"{report.name}.html", report, record)
            _check_everything(page, executed, exports, gate, report.name)
            (staging / f"{report.name}.provenance.json").write_text(
                json.dumps(record, indent=2, default=str)
            )
        except Exception as exc:  # papermill/nbconvert raise many kinds; all mean "failed"
            _keep_private(output, executed, report.name, gate)
            return RunResult(
                report.name,
                "failed",
                time.perf_counter() - started_clock,
                _now(),
                error=gate.redact(_describe(exc)),
            )
        for export in exports:
            output.move_in(export, export.relative_to(files))
        # The HTML goes last: whoever sees it can rely on the notebook and provenance beside it.
        for suffix in (".ipynb", ".provenance.json", ".html"):
            output.move_in(staging / f"{report.name}{suffix}", f"{report.name}{suffix}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    output.remove(f"{PRIVATE_DIR}/{report.name}.ipynb")
    return RunResult(report.name, "ok", time.perf_counter() - started_clock, _now())


KERNEL_NEVER_STARTED = "Kernel died before replying to kernel_info"


def _execute_once_more_if_the_kernel_never_started(execute, *args, **kwargs):
    """papermill's execute_notebook, started again once when the kernel died before it ran
    anything. Kernels started side by side on a busy machine occasionally lose a port race
    (each is handed free ports that it binds only later): seen once in a full test run with
    two workers, each running two reports, on 2 cores. Nothing had run, so running again
    changes no result; any other failure is the notebook's and is reported as it is."""
    try:
        return execute(*args, **kwargs)
    except RuntimeError as exc:
        if KERNEL_NEVER_STARTED not in str(exc):
            raise
        return execute(*args, **kwargs)


def _run_parameters(report: Report, declared: dict, files: Path) -> dict:
    """The catalogue's parameters plus the staging folder as ``output_dir`` (if declared)."""
    if "output_dir" not in declared:
        return dict(report.parameters)
    return {**report.parameters, "output_dir": str(files)}


def _name_output_folder(executed: Path, files: Path, out_dir: Path) -> None:
    """The published notebook names the output folder, not this run's staging folder."""
    staged, final = json.dumps(str(files))[1:-1], json.dumps(str(out_dir))[1:-1]
    executed.write_text(executed.read_text(encoding="utf-8").replace(staged, final))


def _exports(files: Path) -> list[Path]:
    """The files the notebook wrote into its output folder: tables only."""
    found = sorted(p for p in files.rglob("*") if p.is_file() or p.is_symlink())
    other = [
        p.relative_to(files) for p in found if p.is_symlink() or p.suffix not in EXPORT_SUFFIXES
    ]
    if other:
        raise ReportError(
            f"the notebook wrote {', '.join(map(str, other))} into the output folder; only "
            f"exported tables ({', '.join(EXPORT_SUFFIXES)}) are published"
        )
    return found


def _checks_statement(gate: PIIGate, n_exports: int) -> str:
    """What was checked before publishing (the footer says so)."""
    exports = f" and {n_exports} exported file(s)" if n_exports else ""
    return (
        f"This page, its notebook{exports} passed the publishing checks: no active content "
        "(script, event handlers, script links, redirects; the page also forbids script "
        f"with a Content-Security-Policy) and no personal data ({gate.describe()})."
    )


def _check_everything(
    page: Path, executed: Path, exports: list[Path], gate: PIIGate, name: str
) -> None:
    """Raise ReportError unless the page is inert and no file shows personal data."""
    html = page.read_text(encoding="utf-8")
    active = scan_page(html).active
    if active:
        shown = ", ".join(sorted(set(active))[:5])
        raise ReportError(
            f"active content in report {name!r} ({len(active)} piece(s): {shown}): a value from "
            "the data reached the page unescaped; it was not published. Show tables with "
            "plots.styled and narrative with plots.md."
        )
    documents = {"page": page_text(html), "notebook": notebook_text(executed)}
    for export in exports:
        documents[f"export {export.name}"] = read_table(export).to_csv(index=False)
    gate.check(documents, name)


def _keep_private(output: OutputFolder, executed: Path, name: str, gate: PIIGate) -> None:
    """Keep the failed notebook for its author: code and the (redacted) error, no outputs."""
    if not executed.exists():
        return
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [
            {
                "output_type": "error",
                "ename": o.get("ename", ""),
                "evalue": gate.redact(str(o.get("evalue", ""))),
                "traceback": [gate.redact(str(line)) for line in o.get("traceback", [])],
            }
            for o in cell.get("outputs", [])
            if o.get("output_type") == "error"
        ]
    output.write_text(f"{PRIVATE_DIR}/{name}.ipynb", json.dumps(notebook, indent=1))


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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _describe(exc: Exception) -> str:
    """'cell 7: KeyError: 'x'' for papermill failures, else the exception's last line."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename is not None:
        cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", "?")
        return f"cell {cell}: {ename}: {evalue}"[:400]
    text = str(exc).strip().splitlines()
    if isinstance(exc, TimeoutError) and text:  # nbclient's says what timed out first, then
        return f"{type(exc).__name__}: {text[0]}"[:400]  # the cell's source between rulers
    return f"{type(exc).__name__}: {text[-1] if text else ''}"[:400]
