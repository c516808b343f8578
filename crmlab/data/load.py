"""Reading and writing data sets: folders of CSV/Parquet files, DuckDB files, built-in data.

This module and its siblings in ``crmlab.data`` are the only code that touches data files.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pandas as pd

from ..errors import DataContractError, ParameterError
from ._duckdb import to_pandas
from .container import CRMData, Truth
from .contract import TABLE_NAMES
from .privacy import for_analysis
from .validate import OnError, resolve_as_of, validate
from .violations import Violation, raise_if_any

META_FILE = "crmlab.json"  # optional: {"as_of": "...", "name": "..."} next to the tables
TRUTH_DIR = "_truth"  # synthetic worlds: what was planted (read by `load`, never validated)
BUILTIN = ("cdnow", "cdnow-sample")


def load(
    path: str | Path,
    as_of=None,
    on_error: OnError = "raise",
    sep: str = ",",
    encoding: str = "utf-8",
    pii: bool = False,
) -> CRMData:
    """Load and validate a data set.

    path: a folder of ``<table>.csv`` / ``<table>.parquet`` files (table names as in the
        contract), a ``.duckdb`` file whose tables carry contract names (other tables are
        ignored), or a built-in data set name: "cdnow" or "cdnow-sample".
    as_of: the data set's "now" (naive means UTC). Default: ``as_of`` in the folder's
        ``crmlab.json``, else the current time. No event may be later.
    on_error: "raise" or "quarantine" (see ``crmlab.data.validate``).
    sep, encoding: how CSV files are written.
    pii: keep personal-data columns (identity resolution only). By default they are dropped
        and customers who asked for erasure are removed with their rows; ``data.notes`` says
        what was removed (``crmlab.data.privacy.for_analysis``).

    Timestamps become timezone-aware UTC (naive values are taken as UTC), IDs strings.
    Raises ``DataContractError`` listing every problem found, files and rows alike.
    """
    text = str(path)
    if text in BUILTIN and not Path(text).exists():
        from .datasets import cdnow

        return for_analysis(cdnow(sample=text == "cdnow-sample"), pii=pii)
    p = _find(Path(path))
    if not p.exists():
        raise DataContractError(
            f"no data at {p}: expected a folder of <table>.csv/.parquet files, a .duckdb "
            f"file, or one of {', '.join(BUILTIN)}. To create sample data: make sample-data"
        )
    if p.is_dir():
        raw, meta, truth = _read_folder(p, sep, encoding)
    elif p.suffix in (".duckdb", ".db"):
        raw, meta, truth = _read_duckdb(p), {}, None
    else:
        raise DataContractError(
            f"{p} is a file; pass the folder that holds it (one file per table) or a .duckdb file"
        )
    declared = as_of if as_of is not None else meta.get("as_of")
    data = CRMData(**raw, as_of=declared, source=str(p), truth=truth)
    return for_analysis(validate(data, on_error=on_error), pii=pii)


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write one table as .csv or .parquet (by suffix), creating the folder; index dropped."""
    path = Path(path)
    if path.suffix not in (".csv", ".parquet"):
        raise ParameterError(f"{path}: export to a .csv or .parquet file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def _find(path: Path) -> Path:
    """A relative path as given, else relative to the nearest parent folder that has it.

    Notebooks run with their own folder as working directory (JupyterLab, nbval), so
    "data/sample" must also be found from "notebooks/".
    """
    if path.exists() or path.is_absolute():
        return path
    for parent in Path.cwd().resolve().parents:
        if (parent / path).exists():
            return parent / path
    return path


def save(data: CRMData, path: str | Path) -> Path:
    """Write a data set as ``<table>.parquet`` files plus ``crmlab.json`` (or one .duckdb file).

    Synthetic truth, when present, is written to ``_truth/`` so ``load`` brings it back.
    """
    p = Path(path)
    if p.suffix in (".duckdb", ".db"):
        return _write_duckdb(data, p)
    p.mkdir(parents=True, exist_ok=True)
    for name, frame in data.tables().items():
        frame.to_parquet(p / f"{name}.parquet", index=False)
    meta = {"as_of": None if data.as_of is None else data.as_of.isoformat(), "source": data.source}
    (p / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    if isinstance(data.truth, Truth):
        folder = p / TRUTH_DIR
        folder.mkdir(exist_ok=True)
        (folder / "params.json").write_text(json.dumps(data.truth.params, indent=2, default=str))
        for name, frame in data.truth.tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return p


def _read_folder(folder: Path, sep: str, encoding: str):
    files = sorted(f for f in folder.iterdir() if f.suffix in (".csv", ".parquet"))
    problems: list[Violation] = []
    raw: dict[str, pd.DataFrame] = {}
    for f in files:
        table = f.stem
        if table not in TABLE_NAMES:
            close = difflib.get_close_matches(table, TABLE_NAMES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(
                Violation(
                    table,
                    "*",
                    f"unknown table (file {f.name}); contract tables are "
                    f"{', '.join(TABLE_NAMES)}{hint}",
                    0,
                )
            )
            continue
        if table in raw:
            problems.append(Violation(table, "*", "two files for one table (csv and parquet)", 0))
            continue
        frame, problem = _read_file(f, sep, encoding)
        if problem:
            problems.append(Violation(table, "*", problem, 0))
        else:
            raw[table] = frame
    if not files:
        problems.append(
            Violation("*", "*", f"no <table>.csv or <table>.parquet files in {folder}", 0)
        )
    raise_if_any(problems, str(folder))
    meta = {}
    if (folder / META_FILE).exists():
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("as_of"):
            meta["as_of"] = resolve_as_of(meta["as_of"])
    return raw, meta, _read_truth(folder / TRUTH_DIR)


def _read_file(f: Path, sep: str, encoding: str) -> tuple[pd.DataFrame | None, str | None]:
    """Read one table file; on failure return a sentence saying what is wrong and what to do."""
    if f.stat().st_size == 0:
        return None, f"file {f.name} is empty (0 bytes)"
    if f.suffix == ".parquet":
        try:
            return pd.read_parquet(f), None
        except Exception as exc:  # pyarrow raises many types; all mean "not a readable file"
            return None, f"{f.name} is not a readable Parquet file ({type(exc).__name__}: {exc})"
    try:
        # Everything as text: coercion (with clear errors) happens in crmlab.data.normalize.
        frame = pd.read_csv(f, sep=sep, encoding=encoding, dtype="str")
    except UnicodeDecodeError as exc:
        return None, (
            f"{f.name} is not {encoding} text ({exc.reason} at byte {exc.start}); "
            "pass encoding='latin-1' (or the file's real encoding) to load()"
        )
    except pd.errors.EmptyDataError:
        return None, f"file {f.name} has no header and no rows"
    except pd.errors.ParserError as exc:
        return None, f"{f.name} could not be parsed as CSV with sep={sep!r}: {exc}"
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        for other in (";", "\t", "|", ","):
            if other != sep and other in header:
                return None, (
                    f"{f.name} has a single column {header[:60]!r}: it looks "
                    f"{other!r}-separated; pass sep={other!r} to load()"
                )
    return frame, None


def _read_truth(folder: Path) -> Truth | None:
    if not folder.is_dir():
        return None
    params = json.loads((folder / "params.json").read_text())
    tables = {f.stem: pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))}
    return Truth(params=params, tables=tables)


def _read_duckdb(path: Path) -> dict[str, pd.DataFrame]:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DataContractError(f"{path} is not a readable DuckDB file: {exc}") from exc
    try:
        present = {
            r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()
        }
        return {t: to_pandas(con.table(t)) for t in TABLE_NAMES if t in present}
    finally:
        con.close()


def _write_duckdb(data: CRMData, path: Path) -> Path:
    import duckdb

    if path.exists():
        raise ParameterError(f"{path} exists; remove it first (save never overwrites a database)")
    con = duckdb.connect(str(path))
    try:
        for name, frame in data.tables().items():
            con.register("frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")
    finally:
        con.close()
    return path
