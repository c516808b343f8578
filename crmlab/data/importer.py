"""Import a user's exports into a contract folder, declaratively, in SQL (DuckDB or Spark).

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

The SQL engine runs every step, so a 20-million-line export imports without pandas holding
it: the embedded DuckDB by default (spilling to disk beyond ``memory_limit``), or Spark
(``engine=``, ``crmlab.engines``), where a ``table:`` may name a catalogue table that never
leaves the cluster. The SQL is written once; both engines give the same report and rows.
``load`` accepts the folder; ``load(spec.yaml)`` imports (cached on the spec and its files)
and loads in one call.
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

from ..engines import DuckDBEngine, Engine, EngineLike, connect, is_embedded
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
ORPHAN_LINES = "lines of an order that is not in orders (or was set aside)"
_INFINITY = "CAST('Infinity' AS DOUBLE)"  # NaN is not below it either (sorts above all)
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


def _register_source(
    engine: Engine, spec: ImportSpec, rule: TableRule
) -> tuple[str, str, set | None]:
    """Register view src_<table> over the table's rows; return (view, description, the
    columns that hold numbers when the source is CSV text; None when not known)."""
    view = f"src_{rule.name}"
    url = rule.get("database") or (None if rule.get("file") or rule.get("table") else spec.database)
    where = spec.where(rule.name, "file" if rule.get("file") else "table")
    if url:
        what = rule.get("table") or rule.name
        query = rule.get("query") or f"SELECT * FROM {quote_name(what)}"
        where = spec.where(rule.name, "query" if rule.get("query") else None)
        engine.register(view, read_query(url, query, f"{where}: reading"))
        return view, f"{redact(url)} ({'query' if rule.get('query') else what})", None
    if rule.get("table"):  # a table of the engine's catalogue: read where it is
        name = str(rule.get("table"))
        try:
            engine.register(view, name)
        except ParameterError as exc:
            raise ParameterError(f"{where}: {exc}") from None
        except (*engine.errors, DataContractError) as exc:
            raise DataContractError(f"{where}: cannot read {name}: {first_line(exc)}") from None
        return view, f"table {name}", None
    files = _files(spec, rule)
    kind = _kind(files)
    numeric = None
    try:
        if kind == "parquet":
            engine.register(view, [str(f) for f in files])
        elif kind == "xlsx":
            frames = [pd.read_excel(f, dtype="str") for f in files]
            engine.register(view, pd.concat(frames, ignore_index=True))
        else:
            sep, encoding = rule.get("sep", ","), rule.get("encoding", "utf-8")
            engine.read_csv(view, files, sep, encoding)
            numeric = _sniffed_numbers(files, sep, encoding)
        engine.query(f"SELECT * FROM {view} LIMIT 1")
    except (*engine.errors, duckdb.Error, ValueError, OSError) as exc:
        raise DataContractError(
            f"{where}: cannot read {files[0].name}: {first_line(exc)}"
        ) from None
    shown = files[0].name if len(files) == 1 else f"{len(files)} files ({files[0].name}, ...)"
    return view, shown, numeric


def _sniffed_numbers(files: list[Path], sep: str, encoding: str) -> set[str]:
    """The CSV columns DuckDB's sniffer types as numbers, from a sample of the (local)
    files, on either engine: a column found numeric is typed for expressions, and a later
    non-number becomes NULL, so a set-aside row."""
    names = "[" + ", ".join(_lit(f) for f in files) + "]"
    options = (
        f"header = true, delim = {_lit(sep)}, encoding = {_lit(encoding)}, union_by_name = true"
    )
    con = duckdb.connect()
    try:
        sniffed = con.execute(f"DESCRIBE SELECT * FROM read_csv({names}, {options})").fetchall()
    finally:
        con.close()
    return {row[0] for row in sniffed if row[1] in _NUMERIC_TYPES}


def _columns(engine: Engine, relation: str) -> list[str]:
    """The column names of a registered name or a query."""
    return list(engine.columns(relation))


def _column_of(spec: ImportSpec, rule: TableRule, key: str, name: str, present: list[str]) -> str:
    if name in present:
        return name
    close = difflib.get_close_matches(name, present, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataContractError(
        f"{spec.where(rule.name, key)}: column {name!r} is not in the source{hint} "
        f"Its columns: {', '.join(present[:30])}"
    )


def _typed_view(engine: Engine, view: str, keep_text: set[str], present: list[str], numeric) -> str:
    """A view where text columns that hold numbers are DOUBLE, so that expressions such as
    ``Quantity * UnitPrice`` work on CSV text (IDs and dates stay text: leading zeros).

    numeric: the columns known to hold numbers (CSV: DuckDB's sniffer); None: check every
    text column over all rows (small sources: Excel, databases)."""
    kinds = engine.columns(view)
    candidates = [c for c in present if c not in keep_text and kinds.get(c) == "text"]
    if numeric is not None:
        cast = set(candidates) & numeric
    elif candidates:
        checks = ", ".join(
            f"count({text_value(_q(c))}) = count(try_cast({text_value(_q(c))} AS DOUBLE))"
            for c in candidates
        )
        found = engine.query(f"SELECT {checks} FROM {view}").to_pylist()[0].values()
        cast = {c for c, ok in zip(candidates, found, strict=True) if ok}
    else:
        cast = set()
    if not cast:
        return view
    select = ", ".join(
        f"try_cast({text_value(_q(c))} AS DOUBLE) AS {_q(c)}" if c in cast else _q(c)
        for c in present
    )
    engine.create_view(f"typed_{view}", f"SELECT {select} FROM {view}")
    return f"typed_{view}"


def _expression(engine, spec, rule, key: str, expression: str, view: str, as_type: str) -> str:
    """Check that an SQL expression over the source computes and has a fitting type; return
    it as as_type (DOUBLE: text that is not a number becomes NULL, so a counted set-aside
    row, never a failure mid-import; BOOLEAN: the expression must be a condition)."""
    try:
        (kind,) = engine.columns(f"SELECT ({expression}) AS value FROM {view}").values()
    except engine.errors as exc:
        raise DataContractError(
            f"{spec.where(rule.name, key)}: {expression!r} cannot be computed: {first_line(exc)}"
        ) from None
    if as_type == "BOOLEAN" and kind != "boolean":
        raise DataContractError(
            f"{spec.where(rule.name, key)}: {expression!r} gives {kind} values; `{key}` must be "
            "a condition, e.g. starts_with(InvoiceNo, 'C') or State = 'refunded'"
        )
    if as_type == "DOUBLE" and kind != "number":
        if kind != "text":
            raise DataContractError(
                f"{spec.where(rule.name, key)}: {expression!r} gives {kind} values, not numbers"
            )
        return f"try_cast(({expression}) AS DOUBLE)"
    return f"CAST(({expression}) AS {as_type})"


def _stage(
    engine: Engine, spec: ImportSpec, rule: TableRule, view: str, numeric
) -> tuple[list[str], str | None]:
    """Create view stage_<table> of the mapped rows (contract names, amount and refund flag
    computed); return the contract columns present and the name of the refund flag column
    (None without refund_when)."""
    present = _columns(engine, view)
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
    typed = _typed_view(engine, view, as_text | set(keep), present, numeric)
    recodes = rule.get("values") or {}
    select = []
    for ours, yours in mapping.items():
        kind = contract.column(ours).kind
        if ours == "amount" or kind in ("number", "integer"):
            select.append(f"try_cast({_q(yours)} AS DOUBLE) AS {_q(ours)}")
        else:
            select.append(f"{_recoded(text_value(_q(yours)), recodes.get(ours))} AS {_q(ours)}")
    if rule.get("amount"):
        amount = _expression(engine, spec, rule, "amount", str(rule.get("amount")), typed, "DOUBLE")
        select.append(f"{amount} AS amount")
    flag = None
    if rule.get("refund_when"):
        predicate = _expression(
            engine, spec, rule, "refund_when", str(rule.get("refund_when")), typed, "BOOLEAN"
        )
        select.append(f"coalesce({predicate}, false) AS _refund")
        flag = "_refund"
    select += [f"{_q(k)} AS {_q('keep:' + k)}" for k in keep]
    engine.create_view(f"stage_{rule.name}", f"SELECT {', '.join(select)} FROM {typed}")
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


def _recoded(value: str, mapping: dict | None) -> str:
    """SQL: a text value in the contract's words (``values:`` of the spec); values the
    mapping does not list stay as they are, for validation to judge."""
    if not mapping:
        return value
    cases = " ".join(f"WHEN {_lit(str(k))} THEN {_lit(str(v))}" for k, v in mapping.items())
    return f"(CASE {value} {cases} ELSE {value} END)"


def _date_rule(spec: ImportSpec, rule: TableRule) -> DateRule:
    return DateRule(
        date_format=rule.get("date_format"),
        dayfirst=rule.get("dayfirst"),
        timezone=str(rule.get("timezone") or spec.timezone),
    )


def _classify(engine: Engine, spec, rule, columns: list[str]) -> dict[str, str]:
    """Add parsed timestamps and a set-aside reason to the stage; return the date SQL."""
    table, stage = rule.name, f"stage_{rule.name}"
    dates = _date_rule(spec, rule)
    parsed = {}
    for c in columns:
        if TABLES[table].column(c).kind != "timestamp":
            continue
        try:
            parsed[c] = timestamp_sql(engine, stage, _q(c), dates)
        except DateColumnError as exc:
            key = "date_format" if rule.get("date_format") else "columns"
            raise DataContractError(
                f"{spec.where(table, key)}: {table}.{c}: {exc.problem} "
                f"(examples: {', '.join(map(repr, exc.examples))})"
            ) from None
    missing = [str(v) for v in rule.get("missing_customer") or []]
    key = TABLES[table].key[0]
    reasons = []
    if "customer_id" in columns:
        listed = ", ".join(_lit(v.strip()) for v in missing if v.strip())
        placeholder = f" OR customer_id IN ({listed})" if listed else ""
        reasons.append((f"customer_id IS NULL{placeholder}", NO_CUSTOMER))
    required_numbers = []
    for c in columns:  # the key, every other required reference, every required number
        column = TABLES[table].column(c)
        if column.kind == "id" and c != "customer_id" and (column.required or c == key):
            reasons.append((f"{_q(c)} IS NULL", f"rows without {c}"))
        if column.kind == "number" and column.required:
            required_numbers.append(c)
    for c, sql in parsed.items():
        if TABLES[table].column(c).required:
            reasons.append((f"{_q(c)} IS NOT NULL AND ({sql}) IS NULL", _unreadable(c)))
    for c in required_numbers:
        reasons.append((f"{_q(c)} IS NULL OR NOT abs({_q(c)}) < {_INFINITY}", _not_a_number(c)))
    case = " ".join(f"WHEN {cond} THEN {_lit(why)}" for cond, why in reasons)
    reason = f"CASE {case} END" if reasons else "CAST(NULL AS VARCHAR)"
    timestamps = "".join(f", {sql} AS {_q('ts:' + c)}" for c, sql in parsed.items())
    rows = f"SELECT *{timestamps}, {reason} AS _reason FROM {stage}"
    if parsed:  # raw date text is kept only where it explains a set-aside row (1.4 s of 20M)
        kept = [
            f"CASE WHEN _reason IS NOT NULL THEN {_q(c)} END AS {_q(c)}" if c in parsed else _q(c)
            for c in _columns(engine, rows)
        ]
        rows = f"SELECT {', '.join(kept)} FROM ({rows}) AS staged"
    try:
        engine.create_table(f"classified_{table}", rows)  # computed now, on both engines
    except engine.errors as exc:  # e.g. an expression that fails on some value
        raise DataContractError(
            f"{spec.where(table)}: the rows cannot be computed: {first_line(exc)} (check the "
            "`amount` and `refund_when` expressions against your values)"
        ) from None
    return parsed


def _final(columns: list[str], parsed: dict[str, str]) -> list[str]:
    """Select expressions of the contract columns (timestamps parsed)."""
    return [f"{_q('ts:' + c)} AS {_q(c)}" if c in parsed else _q(c) for c in columns]


def _first(engine: Engine, values: str) -> list:
    """The first MAX_EXAMPLES values (in their order) of a one-column query."""
    rows = engine.query(f"SELECT * FROM ({values}) AS v ORDER BY 1 LIMIT {MAX_EXAMPLES}")
    return rows.column(0).to_pylist()


def _set_aside_counts(engine: Engine, table: str, columns: list[str], parsed: dict) -> list[dict]:
    """Rows set aside per reason, with up to five distinct examples each (the value that
    failed: the placeholder customer, the unreadable date, else the row's key)."""
    key = TABLES[table].key[0]
    shown = [f"WHEN _reason = {_lit(_unreadable(c))} THEN {_q(c)}" for c in parsed]
    if "customer_id" in columns:
        shown.append(f"WHEN _reason = {_lit(NO_CUSTOMER)} THEN customer_id")
    fallback = _q(key) if key in columns else "NULL"
    value = f"CASE {' '.join(shown)} ELSE {fallback} END" if shown else fallback
    example = f"coalesce(CAST({value} AS VARCHAR), '(empty)')"
    aside = f"classified_{table} WHERE _reason IS NOT NULL"
    counts = engine.query(f"SELECT _reason, count(*) AS n FROM {aside} GROUP BY _reason")
    examples = engine.frame(
        f"""SELECT _reason, example FROM (
                SELECT _reason, example,
                       row_number() OVER (PARTITION BY _reason ORDER BY example) AS rank
                FROM (SELECT DISTINCT _reason, {example} AS example FROM {aside}) AS d) AS r
            WHERE rank <= {MAX_EXAMPLES} ORDER BY _reason, example"""
    )
    listed = examples.groupby("_reason")["example"].agg(list)
    return [
        {"reason": reason, "rows": int(n), "examples": [repr(e) for e in listed[reason]]}
        for reason, n in sorted(zip(*counts.to_pydict().values(), strict=True))
    ]


def _unreadable(column: str) -> str:
    return f"rows whose {column} is not a date"


def _not_a_number(column: str) -> str:
    return f"rows whose {column} is missing or not a number"


def _keep(engine: Engine, table: str) -> list[str]:
    """Select expressions of the user's extra (``keep``) columns, under their own names."""
    names = _columns(engine, f"classified_{table}")
    return [f"{_q(n)} AS {_q(n[5:])}" for n in names if n.startswith("keep:")]


def _count(engine: Engine, sql: str) -> tuple:
    return tuple(engine.query(sql).to_pylist()[0].values())


def _orders_sql(engine: Engine, rule, columns, parsed, flag, report: TableReport) -> str:
    """The final orders query: refunds marked, lines merged into orders."""
    good = "classified_orders WHERE _reason IS NULL"
    others = [c for c in columns if c not in ("order_id", "amount", "status")]
    if flag:
        (n,) = _count(engine, f"SELECT count(*) FROM {good} AND {flag}")
        report.notes.append(f"{n:,} row(s) match refund_when: refunds (status 'refunded')")
        amount = f"CASE WHEN {flag} THEN -abs(amount) ELSE amount END"
        otherwise = "status" if "status" in columns else "'completed'"
        status = f"CASE WHEN {flag} THEN 'refunded' ELSE {otherwise} END"
    elif "status" in columns:
        amount, status = "amount", "status"
    else:
        amount, status = "amount", "CASE WHEN amount < 0 THEN 'refunded' ELSE 'completed' END"
        (n,) = _count(engine, f"SELECT count(*) FROM {good} AND amount < 0")
        if n:
            report.notes.append(f"{n:,} row(s) with a negative amount and no status: refunds")
    select = ["order_id", f"{amount} AS amount", f"{status} AS status"]
    select += _final(others, parsed) + _keep(engine, "orders")
    rows = f"SELECT {', '.join(select)} FROM {good}"
    if not rule.get("lines"):
        repeated = f"SELECT order_id FROM {good} GROUP BY order_id HAVING count(*) > 1"
        (n,) = _count(engine, f"SELECT count(*) FROM ({repeated}) AS r")
        if n:
            examples = _first(engine, repeated)
            raise DataContractError(
                f"orders: {n:,} order_id value(s) repeat on several rows (e.g. "
                f"{', '.join(map(repr, examples))}); if rows are lines of one order set "
                "`lines: true`, otherwise make order_id unique"
            )
        return rows
    names = _columns(engine, rows)[3:]
    aggregate = [f"{'sum' if c in _SUMMED else 'min'}({_q(c)}) AS {_q(c)}" for c in names]
    # One GROUP BY: the orders, how many lines each had, and whether two customers share it.
    engine.create_table(
        "merged_orders",
        "SELECT order_id, sum(amount) AS amount, count(*) AS _lines, "
        "min(customer_id) <> max(customer_id) AS _several, "
        f"{', '.join(aggregate)} FROM ({rows}) AS line GROUP BY order_id",
    )
    n, lines, n_lines, n_orders = _count(
        engine,
        "SELECT count(*) FILTER (WHERE _several), sum(_lines) FILTER (WHERE _several), "
        "sum(_lines) FILTER (WHERE NOT _several), count(*) FILTER (WHERE NOT _several) "
        "FROM merged_orders",
    )
    if n:
        examples = _first(engine, "SELECT order_id FROM merged_orders WHERE _several")
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


def _lines_sql(engine: Engine, columns, parsed, flag, report: TableReport) -> str:
    """The final order_lines query: refund lines with negative quantities, lines numbered
    within their order when the export has no line numbers."""
    good = "classified_order_lines WHERE _reason IS NULL"
    select = _final([c for c in columns if c != "quantity"], parsed)
    quantity = "quantity"
    if flag:
        (n,) = _count(engine, f"SELECT count(*) FROM {good} AND {flag}")
        report.notes.append(f"{n:,} line(s) match refund_when: negative quantities")
        quantity = f"CASE WHEN {flag} THEN -abs(quantity) ELSE quantity END"
    select.append(f"{quantity} AS quantity")
    if "line_number" not in columns:
        # by content, not file position: neither engine promises to keep row order
        select.append(
            "row_number() OVER (PARTITION BY order_id ORDER BY product_id, quantity, "
            "unit_price) AS line_number"
        )
        report.notes.append("lines numbered 1, 2, ... within each order (no line_number)")
    return f"SELECT {', '.join(select + _keep(engine, 'order_lines'))} FROM {good}"


def _drop_orphan_lines(engine: Engine, finals: dict[str, str], report: TableReport) -> str:
    """Lines whose order is not among the imported orders (set aside there, or absent):
    counted with examples and left out, so the folder loads without a foreign-key error."""
    lines, orders = finals["order_lines"], finals["orders"]
    known = f"(SELECT order_id FROM ({orders}) AS o)"  # never NULL: such rows were set aside
    orphans = f"SELECT order_id FROM ({lines}) AS l WHERE order_id NOT IN {known}"
    (n,) = _count(engine, f"SELECT count(*) FROM ({orphans}) AS x")
    if not n:
        return lines
    examples = _first(engine, f"SELECT DISTINCT order_id FROM ({orphans}) AS x")
    report.set_aside.append(
        {"reason": ORPHAN_LINES, "rows": int(n), "examples": [repr(e) for e in examples]}
    )
    kept = f"SELECT * FROM ({lines}) AS l WHERE order_id IN {known}"
    (report.rows_written,) = _count(engine, f"SELECT count(*) FROM ({kept}) AS final")
    return kept


def _import_table(engine: Engine, spec: ImportSpec, rule: TableRule) -> tuple[str, TableReport]:
    """The final SQL of one table and its report (nothing written yet)."""
    view, source, numeric = _register_source(engine, spec, rule)
    report = TableReport(rule.name, source)
    columns, flag = _stage(engine, spec, rule, view, numeric)
    parsed = _classify(engine, spec, rule, columns)  # the one pass that materializes rows
    (report.rows_read,) = _count(engine, f"SELECT count(*) FROM classified_{rule.name}")
    report.set_aside = _set_aside_counts(engine, rule.name, columns, parsed)
    if rule.name == "orders":
        sql = _orders_sql(engine, rule, columns, parsed, flag, report)
    elif rule.name == "order_lines":
        sql = _lines_sql(engine, columns, parsed, flag, report)
    else:
        select = _final(columns, parsed) + _keep(engine, rule.name)
        sql = f"SELECT {', '.join(select)} FROM classified_{rule.name} WHERE _reason IS NULL"
    (report.rows_written,) = _count(engine, f"SELECT count(*) FROM ({sql}) AS final")
    return sql, report


def _as_of(engine: Engine, spec: ImportSpec, finals: dict[str, str]) -> str:
    if spec.as_of is None:
        raise ParameterError(
            f"{spec.path.name}: declare `as_of:` (the data set's 'now', e.g. \"2011-12-09\"), "
            "or `as_of: latest` for the latest event in the data"
        )
    if spec.as_of != "latest":
        return resolve_as_of(spec.as_of).isoformat()
    latest = []
    for table, sql in finals.items():
        present = _columns(engine, sql)
        for c in TABLES[table].columns:
            if c.event_time and c.name in present:
                latest.append(f"(SELECT max({_q(c.name)}) FROM ({sql}) AS final)")
    latest_sql = latest[0] if len(latest) == 1 else f"greatest({', '.join(latest)})"
    value = engine.query(f"SELECT {latest_sql} AS t").column(0)[0].as_py()
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def run_import(
    spec_path: str | Path,
    out: str | Path | None = None,
    dry_run: bool = False,
    memory_limit: str = "2GB",
    replace: bool = True,
    engine: EngineLike = None,
) -> ImportReport:
    """Import the tables of an import spec into the contract folder ``out``.

    dry_run: compute and return the report without writing anything.
    memory_limit: DuckDB's working memory; larger imports spill to a temporary folder.
    replace: False keeps an ``out`` that another process completed meanwhile (cache fills).
    engine: where the rules run (``crmlab.engines``): None, the embedded DuckDB; a
        SparkSession or Spark Connect address runs them on Spark, where a ``table:`` may
        name a table of the cluster's catalogue, and writes each table as a Parquet folder
        of part files (``load`` reads both). The result is the same on both engines.
    Raises ``ParameterError`` for a bad spec and ``DataContractError`` for data that cannot
    be imported (unreadable file, unknown column, ambiguous dates, repeated order_id), each
    naming the spec line. ``out`` is replaced only when it is empty or an earlier import.
    """
    spec = read_spec(spec_path)
    if out is None and not dry_run:
        raise ParameterError("give an output folder, or dry_run=True")
    if out is not None and "://" in str(out):
        raise ParameterError(
            f"out={str(out)!r}: give a folder path both this machine and the engine can "
            "write (a local folder, or a mount the cluster shares, e.g. /dbfs/...); the "
            "import writes its report next to the tables."
        )
    check_timezone(spec.timezone)
    with DuckDBEngine(memory_limit) if is_embedded(engine) else connect(engine) as sql_engine:
        finals, reports = {}, {}
        for table, rule in spec.tables.items():
            finals[table], reports[table] = _import_table(sql_engine, spec, rule)
        if {"orders", "order_lines"} <= set(finals):
            finals["order_lines"] = _drop_orphan_lines(sql_engine, finals, reports["order_lines"])
        as_of = _as_of(sql_engine, spec, finals)
        report = ImportReport(str(spec.path), None if dry_run else str(out), as_of, reports)
        if not dry_run:
            _write(sql_engine, spec, finals, report, Path(out), replace)
    return report


def _write(engine: Engine, spec: ImportSpec, finals, report, out: Path, replace: bool) -> None:
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
            present = _columns(engine, sql)
            key = ", ".join(_q(k) for k in TABLES[table].key if k in present)
            engine.write_parquet(f"{sql} ORDER BY {key}", staging / f"{table}.parquet")
            reasons = {r["reason"] for r in report.tables[table].set_aside}
            if reasons - {SHARED_ORDER, ORPHAN_LINES}:  # set aside before merging: classified_<t>
                (staging / SET_ASIDE_DIR).mkdir(exist_ok=True)
                stage = _columns(engine, f"stage_{table}")
                engine.write_parquet(
                    f"SELECT {', '.join(map(_q, stage))}, _reason AS reason "
                    f"FROM classified_{table} WHERE _reason IS NOT NULL",
                    staging / SET_ASIDE_DIR / f"{table}_set_aside.parquet",
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
