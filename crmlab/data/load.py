"""Reading and writing data sets: folders of CSV/Parquet files, DuckDB files, built-in data.

This module and its siblings in ``crmlab.data`` are the only code that touches data files.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import gzip
import json
from pathlib import Path

import pandas as pd

from ..errors import DataContractError, ParameterError
from ..sql import to_pandas
from .container import CRMData, Truth
from .contract import TABLE_NAMES, TABLES
from .database import contract_tables, is_database_url, redact
from .datasets import BUILTIN_DATASETS
from .dates import DateRule
from .load_cache import cached
from .paths import resolve_inside
from .privacy import for_analysis
from .spec import is_import_spec
from .validate import OnError, resolve_as_of, validate
from .violations import Violation, raise_if_any

META_FILE = "crmlab.json"  # optional: {"as_of": "...", "currency": "EUR"} next to the tables
TRUTH_DIR = "_truth"  # synthetic worlds: what was planted (read by `load`, never validated)


def load(
    path: str | Path,
    as_of=None,
    on_error: OnError = "raise",
    sep: str = ",",
    encoding: str = "utf-8",
    pii: bool = False,
    comments: bool = False,
    columns: dict | None = None,
    dayfirst: bool | None = None,
    timezone: str = "UTC",
) -> CRMData:
    """Load and validate a data set.

    path: a folder of ``<table>.csv`` / ``<table>.parquet`` files (table names as in the
        contract), an import spec (``.yaml``: imported once per version of the spec and its
        files, see ``crmlab.data.importer``), a ``.duckdb`` file or a PostgreSQL URL
        (``postgresql://user@host/db``) whose tables carry contract names (other tables are
        ignored), or a built-in data set name (``crmlab.data.datasets.BUILTIN_DATASETS``:
        "cdnow", "cdnow-sample", "telco").
    as_of: the data set's "now" (naive means UTC). Default: ``as_of`` in the folder's
        ``crmlab.json``, else the current time. No event may be later. The currency of
        amounts comes from ``crmlab.json`` too (``currency``, set by an import spec).
    on_error: "raise" or "quarantine" (see ``crmlab.data.validate``).
    sep, encoding: how CSV files are written.
    pii: keep personal-data columns (identity resolution only). By default they are dropped
        and customers who asked for erasure are removed with their rows; ``data.notes`` says
        what was removed (``crmlab.data.privacy.for_analysis``).
    comments: keep the free-text columns (survey comments, ticket texts), scrubbed of
        e-mails, phone numbers and the writer's name (``crmlab.data.scrub``). Off by
        default: free text is personal data until scrubbed.
    columns: your column names for contract columns, ``{contract_name: your_name}`` (applied
        to every table that has ``your_name``), or per table ``{"orders": {...}}``. For a
        repeatable import (amounts from quantity x price, order lines, cancellations,
        placeholder customers) write an import spec instead: ``crmlab.data.importer``.
    dayfirst, timezone: how text dates are read when the data does not say: the order of
        day and month in ``1/12/2010``-style dates, and the zone of naive times (IANA name).

    Timestamps become timezone-aware UTC (naive values are taken as UTC), IDs strings.
    Raises ``DataContractError`` listing every problem found, files and rows alike.
    Inside a report run, a data set is read once per run (``crmlab.data.load_cache``).
    """
    arguments = dict(locals())
    return cached(lambda: _load(**arguments), arguments)


def _load(
    path: str | Path,
    as_of,
    on_error: OnError,
    sep: str,
    encoding: str,
    pii: bool,
    comments: bool,
    columns: dict | None,
    dayfirst: bool | None,
    timezone: str,
) -> CRMData:
    text = str(path)
    if text in BUILTIN_DATASETS and not Path(text).exists():
        return for_analysis(BUILTIN_DATASETS[text].load(), pii=pii, comments=comments)
    if is_database_url(text):
        tables = contract_tables(text)
        raw, meta, truth, p = {t: _from_arrow(a) for t, a in tables.items()}, {}, None, redact(text)
    else:
        raw, meta, truth, p = _read_path(find_path(Path(path)), sep, encoding)
    raw = rename_columns(raw, columns)
    declared = as_of if as_of is not None else meta.get("as_of")
    currency = meta.get("currency")
    data = CRMData(**raw, as_of=declared, currency=currency, source=str(p), truth=truth)
    dates = DateRule(dayfirst=dayfirst, timezone=timezone)
    return for_analysis(validate(data, on_error=on_error, dates=dates), pii=pii, comments=comments)


def _from_arrow(table) -> pd.DataFrame:
    """An Arrow table from a database as pandas; exact decimals (NUMERIC) become floats."""
    import pyarrow as pa

    columns = [c.cast(pa.float64()) if pa.types.is_decimal(c.type) else c for c in table.columns]
    return pa.table(columns, names=table.column_names).to_pandas()


def _read_path(p: Path, sep: str, encoding: str):
    """(tables, meta, truth, path) of a folder, an import spec or a DuckDB file."""
    if not p.exists():
        raise DataContractError(
            f"no data at {p}: expected a folder of <table>.csv/.parquet files, a .duckdb "
            f"file, or one of {', '.join(BUILTIN_DATASETS)}. To create sample data: "
            "make sample-data"
        )
    if p.is_dir():
        return *_read_folder(p, sep, encoding), p
    if is_import_spec(p):
        from .importer import imported_folder

        return *_read_folder(imported_folder(p), sep, encoding), p
    if p.suffix in (".duckdb", ".db"):
        return _read_duckdb(p), {}, None, p
    raise DataContractError(
        f"{p} is a file; pass the folder that holds it (one file per table), an import spec "
        "(.yaml) or a .duckdb file"
    )


def rename_columns(raw: dict[str, pd.DataFrame], columns: dict | None) -> dict[str, pd.DataFrame]:
    """Rename users' columns to contract names: ``{contract: yours}`` for every table that
    has ``yours``, or ``{table: {contract: yours}}``. A name found nowhere is an error."""
    if not columns:
        return raw
    if not isinstance(columns, dict):
        raise ParameterError("columns must be a mapping {contract_name: your_column_name}.")
    per_table = {t: m for t, m in columns.items() if isinstance(m, dict)}
    shared = {c: m for c, m in columns.items() if not isinstance(m, dict)}
    unknown = sorted(set(per_table) - set(TABLE_NAMES))
    if unknown:
        raise ParameterError(f"columns names unknown table(s) {unknown}; tables: {TABLE_NAMES}.")
    out, renamed = {}, set()
    for table, frame in raw.items():
        contract = set(TABLES[table].column_names)
        rename = {}
        for key, mapping in ((None, shared), (table, per_table.get(table, {}))):
            for ours, yours in mapping.items():
                if ours in contract and yours in frame:
                    rename[yours] = ours
                    renamed.add((key, ours))
        out[table] = frame.rename(columns=rename)
    problems = [
        f"{'' if key is None else key + '.'}{ours}={yours!r}"
        for key, mapping in [(None, shared), *per_table.items()]
        for ours, yours in mapping.items()
        if (key, ours) not in renamed
    ]
    if problems:
        raise ParameterError(
            f"columns: {', '.join(problems)} matched no column of a table that has that "
            "contract column (check the spelling and the table's file)."
        )
    return out


def write_table(frame: pd.DataFrame, path: str | Path, within: str | Path | None = None) -> Path:
    """Write one table as .csv or .parquet (by suffix), creating the folder; index dropped.

    within: the run's output folder. When given, ``path`` must be relative to it and stay
    inside it (no absolute paths, no ``..``, no links out); report notebooks always pass it.
    """
    if within is not None:
        path = resolve_inside(within, path, "export path")
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise ParameterError(f"{path}: export to a .csv or .parquet file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read back a table written by ``write_table`` (.csv as text columns, or .parquet)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def find_path(path: Path) -> Path:
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
    meta = {
        "as_of": None if data.as_of is None else data.as_of.isoformat(),
        "currency": data.currency,
        "source": data.source,
    }
    (p / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    if isinstance(data.truth, Truth):
        folder = p / TRUTH_DIR
        folder.mkdir(exist_ok=True)
        (folder / "params.json").write_text(json.dumps(data.truth.params, indent=2, default=str))
        for name, frame in data.truth.tables.items():
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return p


# Table files: <table>.<format>, the suffix in any case (ORDERS.CSV, orders.Parquet).
FORMATS = (".csv", ".csv.gz", ".parquet", ".xlsx")


def _table_file(f: Path) -> tuple[str, str | None]:
    """(table name, format) of a file in a data folder; format None when unsupported."""
    name = f.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name.split(".", 1)[0], None


def _is_table_file(f: Path) -> bool:
    """A file, or a folder of Parquet part files named like one (``orders.parquet/``, as
    Spark writes a table)."""
    return f.is_file() or (f.is_dir() and f.name.lower().endswith(".parquet"))


def _data_files(folder: Path) -> tuple[list[tuple[str, str, Path]], list[Violation]]:
    """The table files of a folder, and the files that name a table in an unsupported format
    (never silently ignored: a skipped customers file would lose erasure requests)."""
    files, problems = [], []
    for f in sorted(folder.iterdir()):
        if f.name.startswith((".", "_")) or f.name == META_FILE or not _is_table_file(f):
            continue
        table, kind = _table_file(f)
        if kind is not None:
            files.append((table, kind, f))
        elif table in TABLE_NAMES:
            problems.append(
                Violation(
                    table,
                    "*",
                    f"file {f.name} has an unsupported format; save it as "
                    f"{' or '.join(table + s for s in FORMATS)}",
                    0,
                )
            )
    return files, problems


def _read_folder(folder: Path, sep: str, encoding: str):
    files, problems = _data_files(folder)
    raw: dict[str, pd.DataFrame] = {}
    for table, _, f in files:
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
            problems.append(Violation(table, "*", "two files for one table", 0))
            continue
        frame, problem = _read_file(f, sep, encoding)
        if problem:
            problems.append(Violation(table, "*", problem, 0))
        else:
            raw[table] = frame
    if not files and not problems:
        problems.append(
            Violation("*", "*", f"no table files ({', '.join(FORMATS)}) in {folder}", 0)
        )
    raise_if_any(problems, str(folder))
    meta = {}
    if (folder / META_FILE).exists():
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("as_of"):
            meta["as_of"] = resolve_as_of(meta["as_of"])
    return raw, meta, _read_truth(folder / TRUTH_DIR)


def _read_file(
    f: Path, sep: str = ",", encoding: str = "utf-8", usecols=None
) -> tuple[pd.DataFrame | None, str | None]:
    """Read one table file; on failure return a sentence saying what is wrong and what to do.

    usecols: a predicate on column names (read only those columns).
    """
    if f.is_file() and f.stat().st_size == 0:
        return None, f"file {f.name} is empty (0 bytes)"
    kind = _table_file(f)[1]
    try:
        if kind == ".parquet":
            header = _parquet_header(f)
        elif kind == ".xlsx":
            header = _excel_frame(f, nrows=0).columns.tolist()
        else:
            header = _csv_header(f, sep, encoding)
    except _FileProblem as exc:
        return None, str(exc)
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        return None, (
            f"{f.name} has duplicated column header(s) {', '.join(map(repr, duplicated))}; "
            "rename or remove the extra column"
        )
    columns = [c for c in header if usecols(c)] if usecols else None
    try:
        if kind == ".parquet":
            frame = pd.read_parquet(f, columns=columns)
        elif kind == ".xlsx":
            frame = _excel_frame(f, usecols=columns)
        else:
            frame = _csv_frame(f, sep, encoding, usecols=columns)
    except _FileProblem as exc:
        return None, str(exc)
    if frame.shape[1] == 1 and kind in (".csv", ".csv.gz"):
        header = str(frame.columns[0])
        for other in (";", "\t", "|", ","):
            if other != sep and other in header:
                return None, (
                    f"{f.name} has a single column {header[:60]!r}: it looks "
                    f"{other!r}-separated; pass sep={other!r} to load()"
                )
    return frame, None


class _FileProblem(Exception):
    """A file cannot be read; the message says why and what to do."""


def _parquet_header(f: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        if f.is_dir():  # Spark's part files: the dataset's schema
            return list(pq.ParquetDataset(f).schema.names)
        return list(pq.read_schema(f).names)
    except Exception as exc:  # pyarrow raises many types; all mean "not a readable file"
        raise _FileProblem(
            f"{f.name} is not a readable Parquet file ({type(exc).__name__}: {exc})"
        ) from None


@contextlib.contextmanager
def _csv_errors(f: Path, sep: str, encoding: str):
    """Translate the CSV reader's exceptions into sentences that say what to do."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise _FileProblem(
            f"{f.name} is not {encoding} text ({exc.reason} at byte {exc.start}); "
            "pass encoding='latin-1' (or the file's real encoding) to load()"
        ) from None
    except (pd.errors.EmptyDataError, StopIteration):
        raise _FileProblem(f"file {f.name} has no header and no rows") from None
    except (pd.errors.ParserError, csv.Error, OSError, EOFError) as exc:
        raise _FileProblem(f"{f.name} could not be parsed as CSV with sep={sep!r}: {exc}") from None


def _csv_header(f: Path, sep: str, encoding: str) -> list[str]:
    """The header row as written (pandas would rename a repeated name to ``name.1``)."""
    opener = gzip.open if f.name.lower().endswith(".gz") else open
    with _csv_errors(f, sep, encoding), opener(f, "rt", encoding=encoding, newline="") as handle:
        return next(csv.reader(handle, delimiter=sep))


def _csv_frame(f: Path, sep: str, encoding: str, usecols=None) -> pd.DataFrame:
    """Everything as text: coercion (with clear errors) happens in crmlab.data.normalize."""
    with _csv_errors(f, sep, encoding):
        return pd.read_csv(f, sep=sep, encoding=encoding, dtype="str", usecols=usecols)


def _excel_frame(f: Path, nrows: int | None = None, usecols=None) -> pd.DataFrame:
    """The first sheet of an .xlsx workbook, as text."""
    try:
        if nrows == 0:  # the header row as written (pandas would rename repeated names)
            row = pd.read_excel(f, header=None, nrows=1, dtype="str")
            return pd.DataFrame(columns=[str(c) for c in row.iloc[0].tolist()] if len(row) else [])
        return pd.read_excel(f, dtype="str", usecols=usecols)
    except ImportError:
        raise _FileProblem(
            f"{f.name}: reading .xlsx needs the package openpyxl (pip install openpyxl)"
        ) from None
    except Exception as exc:  # openpyxl/zipfile raise many types; all mean "unreadable"
        raise _FileProblem(
            f"{f.name} is not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None


def personal_columns(root: str | Path, source: str) -> dict[str, pd.DataFrame]:
    """The personal-looking columns (``data.personal``) of every table of a data source, as
    text and unvalidated: what the reports' PII gate must never see published.

    source: a folder, a .duckdb file or a single table file, relative to root; built-in
    public data sets and missing paths give an empty mapping.
    """
    from .personal import personal_column_kind

    path = Path(root) / source
    if is_import_spec(path):
        from .importer import imported_folder

        path = imported_folder(path)
    wanted = lambda column: personal_column_kind(str(column)) is not None  # noqa: E731
    if path.is_dir():
        files, _ = _data_files(path)
    elif path.is_file() and _table_file(path)[1]:
        files = [(_table_file(path)[0], "", path)]
    elif path.suffix in (".duckdb", ".db") and path.is_file():
        tables = _read_duckdb(path)
        return {t: frame[[c for c in frame.columns if wanted(c)]] for t, frame in tables.items()}
    else:
        return {}
    out = {}
    for table, _, f in files:
        frame, _problem = _read_file(f, usecols=wanted)
        if frame is not None and frame.shape[1]:
            out[table] = frame
    return out


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
