"""Import a user's exports into a contract folder, declaratively, with DuckDB.

An import spec (YAML, parsed by ``crmlab.data.spec``) says per contract table where the rows
are (``file:`` csv, csv.gz, parquet or xlsx, a glob for many; or ``database:`` with a
``table:`` or ``query:``) and how they map (``columns``, ``amount`` expression, ``lines``,
``refund_when``, ``missing_customer``, date rules). ``run_import`` applies the rules in
this order, counting what each does:

1. rows are read as text (numbers typed only where an expression needs them);
2. rows without a usable customer (empty, or one of ``missing_customer``), without an
   order_id, with an unreadable date or a missing amount are set aside, counted per reason
   with examples, and written to ``_import/<table>_set_aside.parquet``;
3. orders: rows matching ``refund_when`` are refunds (status 'refunded', amount negative);
   without it and without a status column a negative amount is a refund;
4. orders with ``lines: true``: rows sharing an order_id are summed into one order (earliest
   time; an order_id used by several customers is set aside); without it a repeated
   order_id is an error;
5. each table is written as Parquet, with ``crmlab.json`` (as_of) and ``import_report.json``.

DuckDB runs every step (spilling to disk beyond ``memory_limit``), so a 20-million-line
export imports without pandas holding it. ``load`` accepts the folder; ``load(spec.yaml)``
imports (cached on the spec and its files) and loads in one call.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import DataContractError, ParameterError
from ..sql import first_line
from ..sql import sql_identifier as _q
from ..sql import sql_literal as _lit
from .contract import TABLES
from .database import quote_name, read_query, redact
from .dates import DateColumnError, DateRule, check_timezone, text_value, timestamp_sql
from .load import META_FILE
from .spec import ImportSpec, TableRule, read_spec
from .validate import resolve_as_of

REPORT_FILE = "import_report.json"
SET_ASIDE_DIR = "_import"
CACHE_DIR = ".crmlab-import"
MAX_EXAMPLES = 5
NO_CUSTOMER = "rows without a customer (customer_id empty or a missing_customer value)"
SHARED_ORDER = "lines of an order_id used by several customers"  # set aside after merging
_SUMMED = ("amount", "n_items", "margin")
_NUMERIC_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT"}


@dataclass
class TableReport:
    """What the import did to one table: rows in, rows out, rows set aside and why."""

    table: str
    source: str
    rows_read: int = 0
    rows_written: int = 0
    set_aside: list[dict] = field(default_factory=list)  # reason, rows, examples
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of ``run_import``: one ``TableReport`` per table."""

    spec: str
    out: str | None
    as_of: str
    tables: dict[str, TableReport] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "spec": self.spec,
            "out": self.out,
            "as_of": self.as_of,
            "tables": {t: asdict(r) for t, r in self.tables.items()},
        }

    def __str__(self) -> str:
        lines = [
            f"import {self.spec} (as_of {self.as_of})"
            + (f" -> {self.out}" if self.out else " (dry run)")
        ]
        for r in self.tables.values():
            aside = sum(a["rows"] for a in r.set_aside)
            lines.append(
                f"  {r.table}: {r.rows_read:,} rows read from {r.source}, {r.rows_written:,} "
                f"written, {aside:,} set aside"
            )
            for a in r.set_aside:
                lines.append(f"    - {a['rows']:,} {a['reason']} (e.g. {', '.join(a['examples'])})")
            lines += [f"    * {note}" for note in r.notes]
        return "\n".join(lines)


def _files(spec: ImportSpec, rule: TableRule) -> list[Path]:
    pattern = str(spec.folder / rule.get("file"))
    found = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
    if not found:
        raise DataContractError(
            f"{spec.where(rule.name, 'file')}: no file matches {rule.get('file')!r} "
            f"(paths are relative to {spec.folder})"
        )
    return found


def spec_inputs(path: str | Path) -> list[Path] | None:
    """The files an import spec reads (None when a table comes from a database, which has no
    file to fingerprint)."""
    spec = read_spec(path)
    out = [spec.path]
    for rule in spec.tables.values():
        if not rule.get("file"):
            return None
        out += _files(spec, rule)
    return out


def _kind(files: list[Path]) -> str:
    kinds = set()
    for f in files:
        name = f.name.lower()
        kinds.add(
            "parquet"
            if name.endswith(".parquet")
            else "xlsx"
            if name.endswith(".xlsx")
            else "csv"
            if name.endswith((".csv", ".csv.gz", ".txt", ".tsv"))
            else name
        )
    if len(kinds) != 1 or not kinds <= {"csv", "parquet", "xlsx"}:
        raise ParameterError(
            f"files {[f.name for f in files][:5]}: one table's files must all be .csv (.csv.gz), "
            ".parquet or .xlsx"
        )
    return kinds.pop()


def _register_source(con, spec: ImportSpec, rule: TableRule) -> tuple[str, str, set | None]:
    """Create view src_<table> over the table's rows; return (view, description, the
    columns that hold numbers when the source is CSV text; None when not known)."""
    view = f"src_{rule.name}"
    url = rule.get("database") or (None if rule.get("file") else spec.database)
    if url:
        what = rule.get("table") or rule.name
        query = rule.get("query") or f"SELECT * FROM {quote_name(what)}"
        where = spec.where(rule.name, "query" if rule.get("query") else None)
        con.register(view, read_query(url, query, f"{where}: reading"))
        return view, f"{redact(url)} ({'query' if rule.get('query') else what})", None
    files = _files(spec, rule)
    names = "[" + ", ".join(_lit(f) for f in files) + "]"
    kind = _kind(files)
    numeric = None
    try:
        if kind == "parquet":
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_parquet({names}, union_by_name = true)"
            )
        elif kind == "xlsx":
            frames = [pd.read_excel(f, dtype="str") for f in files]
            con.register(view, pd.concat(frames, ignore_index=True))
        else:
            options = (
                f"header = true, delim = {_lit(rule.get('sep', ','))}, "
                f"encoding = {_lit(rule.get('encoding', 'utf-8'))}, union_by_name = true"
            )
            con.execute(
                f"CREATE VIEW {view} AS SELECT * FROM read_csv({names}, all_varchar = true, "
                f"{options})"
            )
            # DuckDB's sniffer types columns from a sample: a column it finds numeric is
            # typed for expressions; a later non-number becomes NULL, so a set-aside row.
            sniffed = con.execute(f"DESCRIBE SELECT * FROM read_csv({names}, {options})")
            numeric = {r[0] for r in sniffed.fetchall() if r[1] in _NUMERIC_TYPES}
        con.sql(f"SELECT * FROM {view} LIMIT 1").fetchall()
    except (duckdb.Error, ValueError, OSError) as exc:
        raise DataContractError(
            f"{spec.where(rule.name, 'file')}: cannot read {files[0].name}: {first_line(exc)}"
        ) from None
    shown = files[0].name if len(files) == 1 else f"{len(files)} files ({files[0].name}, ...)"
    return view, shown, numeric


def _columns(con, relation: str) -> list[str]:
    """The column names of a view, table or parenthesized query."""
    return [r[0] for r in con.execute(f"DESCRIBE {relation}").fetchall()]


def _column_of(spec: ImportSpec, rule: TableRule, key: str, name: str, present: list[str]) -> str:
    if name in present:
        return name
    close = difflib.get_close_matches(name, present, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataContractError(
        f"{spec.where(rule.name, key)}: column {name!r} is not in the source{hint} "
        f"Its columns: {', '.join(present[:30])}"
    )


def _typed_view(con, view: str, keep_text: set[str], present: list[str], numeric) -> str:
    """A view where text columns that hold numbers are DOUBLE, so that expressions such as
    ``Quantity * UnitPrice`` work on CSV text (IDs and dates stay text: leading zeros).

    numeric: the columns known to hold numbers (CSV: DuckDB's sniffer); None: check every
    text column over all rows (small sources: Excel, databases)."""
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {view}").fetchall()}
    candidates = [c for c in present if c not in keep_text and types.get(c) == "VARCHAR"]
    if numeric is not None:
        cast = set(candidates) & numeric
    elif candidates:
        checks = ", ".join(
            f"count({text_value(_q(c))}) = count(try_cast({text_value(_q(c))} AS DOUBLE))"
            for c in candidates
        )
        found = con.execute(f"SELECT {checks} FROM {view}").fetchall()[0]
        cast = {c for c, ok in zip(candidates, found, strict=True) if ok}
    else:
        cast = set()
    if not cast:
        return view
    select = ", ".join(
        f"try_cast({text_value(_q(c))} AS DOUBLE) AS {_q(c)}" if c in cast else _q(c)
        for c in present
    )
    con.execute(f"CREATE VIEW typed_{view} AS SELECT {select} FROM {view}")
    return f"typed_{view}"


def _expression(con, spec, rule, key: str, expression: str, view: str, as_type: str) -> str:
    """Check that an SQL expression over the source computes and has a fitting type; return
    it as as_type (DOUBLE: text that is not a number becomes NULL, so a counted set-aside
    row, never a failure mid-import; BOOLEAN: the expression must be a condition)."""
    try:
        (kind,) = [
            r[1] for r in con.execute(f"DESCRIBE SELECT ({expression}) FROM {view}").fetchall()
        ]
    except duckdb.Error as exc:
        raise DataContractError(
            f"{spec.where(rule.name, key)}: {expression!r} cannot be computed: {first_line(exc)}"
        ) from None
    if as_type == "BOOLEAN" and kind != "BOOLEAN":
        raise DataContractError(
            f"{spec.where(rule.name, key)}: {expression!r} gives {kind} values; `{key}` must be "
            "a condition, e.g. starts_with(InvoiceNo, 'C') or State = 'refunded'"
        )
    if as_type == "DOUBLE" and kind not in _NUMERIC_TYPES and not kind.startswith("DECIMAL"):
        if kind != "VARCHAR":
            raise DataContractError(
                f"{spec.where(rule.name, key)}: {expression!r} gives {kind} values, not numbers"
            )
        return f"try_cast(({expression}) AS DOUBLE)"
    return f"CAST(({expression}) AS {as_type})"


def _stage(
    con, spec: ImportSpec, rule: TableRule, view: str, numeric
) -> tuple[list[str], str | None]:
    """Create view stage_<table> of the mapped rows (contract names, amount and refund flag
    computed); return the contract columns present and the name of the refund flag column
    (None without refund_when)."""
    present = _columns(con, view)
    contract = TABLES[rule.name]
    mapping = dict(rule.get("columns") or {})
    for column in contract.column_names:  # a source column that already has a contract name
        if (
            column not in mapping
            and column in present
            and not (column == "amount" and rule.get("amount"))
        ):
            mapping[column] = column
    for yours in mapping.values():
        _column_of(spec, rule, "columns", yours, present)
    keep = [_column_of(spec, rule, "keep", k, present) for k in rule.get("keep") or []]
    as_text = set(mapping.values()) - ({mapping["amount"]} if "amount" in mapping else set())
    typed = _typed_view(con, view, as_text | set(keep), present, numeric)
    select = []
    for ours, yours in mapping.items():
        kind = contract.column(ours).kind
        if ours == "amount" or kind in ("number", "integer"):
            select.append(f"try_cast({_q(yours)} AS DOUBLE) AS {_q(ours)}")
        else:
            select.append(f"{text_value(_q(yours))} AS {_q(ours)}")
    if rule.get("amount"):
        amount = _expression(con, spec, rule, "amount", str(rule.get("amount")), typed, "DOUBLE")
        select.append(f"{amount} AS amount")
    flag = None
    if rule.get("refund_when"):
        predicate = _expression(
            con, spec, rule, "refund_when", str(rule.get("refund_when")), typed, "BOOLEAN"
        )
        select.append(f"coalesce({predicate}, false) AS _refund")
        flag = "_refund"
    select += [f"{_q(k)} AS {_q('keep:' + k)}" for k in keep]
    con.execute(f"CREATE VIEW stage_{rule.name} AS SELECT {', '.join(select)} FROM {typed}")
    columns = [
        c for c in contract.column_names if c in mapping or (c == "amount" and rule.get("amount"))
    ]
    missing = [c for c in contract.required_columns if c not in columns]
    if missing and not (rule.name == "customers" and missing == ["first_seen_at"]):
        raise DataContractError(
            f"{spec.where(rule.name, 'columns')}: no column for required {', '.join(missing)}; "
            f"map it, e.g. columns: {{{missing[0]}: YourColumn}} (source columns: "
            f"{', '.join(present[:20])})"
        )
    return columns, flag


def _date_rule(spec: ImportSpec, rule: TableRule) -> DateRule:
    return DateRule(
        date_format=rule.get("date_format"),
        dayfirst=rule.get("dayfirst"),
        timezone=str(rule.get("timezone") or spec.timezone),
    )


def _classify(con, spec, rule, columns: list[str]) -> dict[str, str]:
    """Add parsed timestamps and a set-aside reason to the stage; return the date SQL."""
    table, stage = rule.name, f"stage_{rule.name}"
    dates = _date_rule(spec, rule)
    parsed = {}
    for c in columns:
        if TABLES[table].column(c).kind != "timestamp":
            continue
        try:
            parsed[c] = timestamp_sql(con, stage, _q(c), dates)
        except DateColumnError as exc:
            key = "date_format" if rule.get("date_format") else "columns"
            raise DataContractError(
                f"{spec.where(table, key)}: {table}.{c}: {exc.problem} "
                f"(examples: {', '.join(map(repr, exc.examples))})"
            ) from None
    missing = [str(v) for v in rule.get("missing_customer") or []]
    reasons = []
    if "customer_id" in columns:
        listed = ", ".join(_lit(v.strip()) for v in missing if v.strip())
        placeholder = f" OR customer_id IN ({listed})" if listed else ""
        reasons.append((f"customer_id IS NULL{placeholder}", NO_CUSTOMER))
    key = TABLES[table].key[0]
    if key in columns and key != "customer_id":
        reasons.append((f"{_q(key)} IS NULL", f"rows without {key}"))
    for c, sql in parsed.items():
        if TABLES[table].column(c).required:
            reasons.append((f"{_q(c)} IS NOT NULL AND ({sql}) IS NULL", _unreadable(c)))
    if "amount" in columns:
        reasons.append(
            (
                "amount IS NULL OR NOT isfinite(amount)",
                "rows whose amount is missing or not a number",
            )
        )
    case = " ".join(f"WHEN {cond} THEN {_lit(why)}" for cond, why in reasons)
    reason = f"CASE {case} END" if reasons else "NULL"
    timestamps = "".join(f", {sql} AS {_q('ts:' + c)}" for c, sql in parsed.items())
    rows = f"SELECT *{timestamps}, {reason} AS _reason FROM {stage}"
    if parsed:  # raw date text is kept only where it explains a set-aside row (1.4 s of 20M)
        raw = ", ".join(
            f"CASE WHEN _reason IS NOT NULL THEN {_q(c)} END AS {_q(c)}" for c in parsed
        )
        rows = f"SELECT * REPLACE ({raw}) FROM ({rows})"
    try:
        con.execute(f"CREATE TEMP TABLE classified_{table} AS {rows}")
    except duckdb.Error as exc:  # e.g. an expression that fails on some value
        raise DataContractError(
            f"{spec.where(table)}: the rows cannot be computed: {first_line(exc)} (check the "
            "`amount` and `refund_when` expressions against your values)"
        ) from None
    return parsed


def _final(columns: list[str], parsed: dict[str, str]) -> list[str]:
    """Select expressions of the contract columns (timestamps parsed)."""
    return [f"{_q('ts:' + c)} AS {_q(c)}" if c in parsed else _q(c) for c in columns]


def _set_aside_counts(con, table: str, columns: list[str], parsed: dict) -> list[dict]:
    """Rows set aside per reason, with up to five distinct examples each (the value that
    failed: the placeholder customer, the unreadable date, else the row's key)."""
    key = TABLES[table].key[0]
    shown = [f"WHEN _reason = {_lit(_unreadable(c))} THEN {_q(c)}" for c in parsed]
    if "customer_id" in columns:
        shown.append(f"WHEN _reason = {_lit(NO_CUSTOMER)} THEN customer_id")
    fallback = _q(key) if key in columns else "NULL"
    value = f"CASE {' '.join(shown)} ELSE {fallback} END" if shown else fallback
    example = f"coalesce(CAST({value} AS VARCHAR), '(empty)')"
    rows = con.execute(
        f"SELECT _reason, count(*), list(DISTINCT {example} ORDER BY {example})[1:{MAX_EXAMPLES}] "
        f"FROM classified_{table} WHERE _reason IS NOT NULL GROUP BY _reason ORDER BY _reason"
    ).fetchall()
    return [
        {"reason": reason, "rows": int(n), "examples": [repr(e) for e in examples]}
        for reason, n, examples in rows
    ]


def _unreadable(column: str) -> str:
    return f"rows whose {column} is not a date"


def _keep(con, table: str) -> list[str]:
    """Select expressions of the user's extra (``keep``) columns, under their own names."""
    names = _columns(con, f"classified_{table}")
    return [f"{_q(n)} AS {_q(n[5:])}" for n in names if n.startswith("keep:")]


def _count(con, sql: str):
    return con.execute(sql).fetchall()[0]


def _orders_sql(con, rule, columns, parsed, flag, report: TableReport) -> str:
    """The final orders query: refunds marked, lines merged into orders."""
    good = "classified_orders WHERE _reason IS NULL"
    others = [c for c in columns if c not in ("order_id", "amount", "status")]
    if flag:
        (n,) = _count(con, f"SELECT count(*) FROM {good} AND {flag}")
        report.notes.append(f"{n:,} row(s) match refund_when: refunds (status 'refunded')")
        amount = f"CASE WHEN {flag} THEN -abs(amount) ELSE amount END"
        otherwise = "status" if "status" in columns else "'completed'"
        status = f"CASE WHEN {flag} THEN 'refunded' ELSE {otherwise} END"
    elif "status" in columns:
        amount, status = "amount", "status"
    else:
        amount, status = "amount", "CASE WHEN amount < 0 THEN 'refunded' ELSE 'completed' END"
        (n,) = _count(con, f"SELECT count(*) FROM {good} AND amount < 0")
        if n:
            report.notes.append(f"{n:,} row(s) with a negative amount and no status: refunds")
    select = ["order_id", f"{amount} AS amount", f"{status} AS status"]
    select += _final(others, parsed) + _keep(con, "orders")
    rows = f"SELECT {', '.join(select)} FROM {good}"
    if not rule.get("lines"):
        n, examples = _count(
            con,
            f"SELECT count(*), list(order_id ORDER BY order_id)[1:{MAX_EXAMPLES}] FROM "
            f"(SELECT order_id FROM {good} GROUP BY order_id HAVING count(*) > 1)",
        )
        if n:
            raise DataContractError(
                f"orders: {n:,} order_id value(s) repeat on several rows (e.g. "
                f"{', '.join(map(repr, examples))}); if rows are lines of one order set "
                "`lines: true`, otherwise make order_id unique"
            )
        return rows
    names = _columns(con, f"({rows})")[3:]
    aggregate = [f"{'sum' if c in _SUMMED else 'min'}({_q(c)}) AS {_q(c)}" for c in names]
    # One GROUP BY: the orders, how many lines each had, and whether two customers share it.
    con.execute(
        "CREATE TEMP TABLE merged_orders AS SELECT order_id, sum(amount) AS amount, "
        "count(*) AS _lines, min(customer_id) <> max(customer_id) AS _several, "
        f"{', '.join(aggregate)} FROM ({rows}) GROUP BY order_id"
    )
    n, lines, examples, n_lines, n_orders = _count(
        con,
        f"SELECT count(*) FILTER (WHERE _several), sum(_lines) FILTER (WHERE _several), "
        f"list(order_id ORDER BY order_id) FILTER (WHERE _several)[1:{MAX_EXAMPLES}], "
        "sum(_lines) FILTER (WHERE NOT _several), count(*) FILTER (WHERE NOT _several) "
        "FROM merged_orders",
    )
    if n:
        report.set_aside.append(
            {
                "reason": SHARED_ORDER,
                "rows": int(lines),
                "examples": [repr(e) for e in examples],
            }
        )
    merged = f"{int(n_lines or 0):,} line(s) merged into {n_orders:,} order(s) (lines: true)"
    report.notes.append(merged)
    return (
        "SELECT order_id, amount, CASE WHEN amount < 0 THEN 'refunded' ELSE 'completed' END "
        f"AS status, {', '.join(map(_q, names))} FROM merged_orders WHERE NOT _several"
    )


def _import_table(con, spec: ImportSpec, rule: TableRule) -> tuple[str, TableReport]:
    """The final SQL of one table and its report (nothing written yet)."""
    view, source, numeric = _register_source(con, spec, rule)
    report = TableReport(rule.name, source)
    columns, flag = _stage(con, spec, rule, view, numeric)
    parsed = _classify(con, spec, rule, columns)  # the one pass that materializes the rows
    (report.rows_read,) = _count(con, f"SELECT count(*) FROM classified_{rule.name}")
    report.set_aside = _set_aside_counts(con, rule.name, columns, parsed)
    if rule.name == "orders":
        sql = _orders_sql(con, rule, columns, parsed, flag, report)
    else:
        select = _final(columns, parsed) + _keep(con, rule.name)
        sql = f"SELECT {', '.join(select)} FROM classified_{rule.name} WHERE _reason IS NULL"
    (report.rows_written,) = _count(con, f"SELECT count(*) FROM ({sql})")
    return sql, report


def _as_of(con, spec: ImportSpec, finals: dict[str, str]) -> str:
    if spec.as_of is None:
        raise ParameterError(
            f"{spec.path.name}: declare `as_of:` (the data set's 'now', e.g. \"2011-12-09\"), "
            "or `as_of: latest` for the latest event in the data"
        )
    if spec.as_of != "latest":
        return resolve_as_of(spec.as_of).isoformat()
    latest = []
    for table, sql in finals.items():
        present = _columns(con, f"({sql})")
        for c in TABLES[table].columns:
            if c.event_time and c.name in present:
                latest.append(f"(SELECT max({_q(c.name)}) FROM ({sql}))")
    value = (
        con.sql(f"SELECT greatest({', '.join(latest)}) AS t").to_arrow_table().column(0)[0].as_py()
    )
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def run_import(
    spec_path: str | Path,
    out: str | Path | None = None,
    dry_run: bool = False,
    memory_limit: str = "2GB",
    replace: bool = True,
) -> ImportReport:
    """Import the tables of an import spec into the contract folder ``out``.

    dry_run: compute and return the report without writing anything.
    memory_limit: DuckDB's working memory; larger imports spill to a temporary folder.
    replace: False keeps an ``out`` that another process completed meanwhile (cache fills).
    Raises ``ParameterError`` for a bad spec and ``DataContractError`` for data that cannot
    be imported (unreadable file, unknown column, ambiguous dates, repeated order_id), each
    naming the spec line. ``out`` is replaced only when it is empty or an earlier import.
    """
    spec = read_spec(spec_path)
    if out is None and not dry_run:
        raise ParameterError("give an output folder, or dry_run=True")
    with tempfile.TemporaryDirectory(prefix="crmlab-import-") as scratch:
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET memory_limit = {_lit(memory_limit)}")
            con.execute(f"SET temp_directory = {_lit(scratch)}")
            check_timezone(con, spec.timezone)
            finals, reports = {}, {}
            for table, rule in spec.tables.items():
                finals[table], reports[table] = _import_table(con, spec, rule)
            report = ImportReport(
                str(spec.path), None if dry_run else str(out), _as_of(con, spec, finals), reports
            )
            if not dry_run:
                _write(con, spec, finals, report, Path(out), replace)
        finally:
            con.close()
    return report


def _write(con, spec: ImportSpec, finals, report: ImportReport, out: Path, replace: bool) -> None:
    """Write every table into a staging folder next to ``out``, then swap it in."""
    out = out.resolve()
    if out.exists() and any(out.iterdir()) and not (out / REPORT_FILE).exists():
        raise ParameterError(
            f"{out} exists and is not an earlier import (no {REPORT_FILE}); choose an empty or "
            "new folder (the import replaces its output folder)."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for table, sql in finals.items():
            present = _columns(con, f"({sql})")
            key = ", ".join(_q(k) for k in TABLES[table].key if k in present)
            target = _lit(staging / f"{table}.parquet")
            con.execute(f"COPY ({sql} ORDER BY {key}) TO {target} (FORMAT parquet)")
            reasons = {r["reason"] for r in report.tables[table].set_aside}
            if reasons - {SHARED_ORDER}:  # rows set aside before merging, in classified_<t>
                (staging / SET_ASIDE_DIR).mkdir(exist_ok=True)
                target = staging / SET_ASIDE_DIR / f"{table}_set_aside.parquet"
                stage = _columns(con, f"stage_{table}")
                con.execute(
                    f"COPY (SELECT {', '.join(map(_q, stage))}, _reason AS reason "
                    f"FROM classified_{table} WHERE _reason IS NOT NULL) "
                    f"TO {_lit(target)} (FORMAT parquet)"
                )
        meta = {
            "as_of": report.as_of,
            "currency": spec.currency,
            "source": f"import spec {spec.path.name}",
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        (staging / REPORT_FILE).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
        if out.exists():
            if not replace:
                return  # a concurrent import of the same version finished first
            shutil.rmtree(out)
        try:
            os.replace(staging, out)
        except OSError:
            if replace or not (out / REPORT_FILE).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def imported_folder(spec_path: str | Path) -> Path:
    """The contract folder an import spec produces, imported once per version of the spec
    and its files (kept in ``.crmlab-import/`` next to the spec; database sources are
    re-read every time)."""
    spec_path = Path(spec_path)
    inputs = spec_inputs(spec_path)
    digest = hashlib.sha256()
    for f in inputs or [spec_path]:
        info = f.stat()
        digest.update(f"{f.resolve()}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    if inputs is None:
        digest.update(str(pd.Timestamp.now(tz="UTC").value).encode())
    folder = spec_path.parent / CACHE_DIR / f"{spec_path.stem}-{digest.hexdigest()[:16]}"
    if not (folder / REPORT_FILE).exists():
        run_import(spec_path, folder, replace=False)
    return folder
