"""Import specs: a small YAML file saying how a user's exports map onto the data contract.

Parsing and checking only (what each key means is documented in ``crmlab.data.importer``);
every problem is one ``ParameterError`` naming the spec file and line.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ParameterError
from .contract import TABLE_NAMES, TABLES

TOP_KEYS = ("as_of", "timezone", "currency", "database", "tables")
TABLE_KEYS = {
    "file": "a file, or a glob for many files (relative to the spec's folder)",
    "database": "a database URL (postgresql://user@host/db) instead of a file",
    "table": "with database: the table to read (default: the contract table's name); "
    "alone: a table of the Spark catalogue (run_import(..., engine=spark))",
    "query": "with database: an SQL query to read instead of a table",
    "sep": "CSV field separator (default ',')",
    "encoding": "CSV encoding: utf-8 (default) or latin-1",
    "columns": "{contract column: your column}",
    "keep": "extra columns of yours to carry along unchanged",
    "date_format": "one strptime format for every date column of the table",
    "dayfirst": "true/false: day/month order of dates like 1/12/2010",
    "timezone": "the zone of naive times (IANA name; default UTC)",
    "amount": "a column, or an SQL expression over your columns (orders)",
    "lines": "true: rows sharing an order_id are lines of one order (orders)",
    "refund_when": "SQL predicate: such rows are refunds (orders; order_lines: negative quantity)",
    "missing_customer": "values meaning 'no customer': such rows are set aside, counted",
    "values": "{contract column: {your value: contract value}}: your codes in the contract's "
    "words, e.g. {kind: {Accrual: earn}} (values not listed are kept as they are)",
}
ONLY_FOR = {"amount": ("orders",), "lines": ("orders",), "refund_when": ("orders", "order_lines")}


@dataclass
class TableRule:
    """One table's import rule, as written in the spec (see ``TABLE_KEYS``)."""

    name: str
    options: dict
    lines: dict[str, int]  # key -> line number in the spec file

    def line(self, key: str | None = None) -> int:
        return self.lines.get(key, self.lines["_table"])

    def get(self, key: str, default=None):
        return self.options.get(key, default)


@dataclass
class ImportSpec:
    """A parsed, checked import spec."""

    path: Path
    as_of: str | None
    timezone: str
    database: str | None
    currency: str | None = None
    tables: dict[str, TableRule] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def where(self, table: str, key: str | None = None) -> str:
        """'spec.yaml line 7 (tables.orders.amount)' for error messages."""
        rule = self.tables[table]
        dotted = f"tables.{table}" + (f".{key}" if key else "")
        return f"{self.path.name} line {rule.line(key)} ({dotted})"


def is_import_spec(path: Path) -> bool:
    """A file that names an import spec (``.yaml`` / ``.yml``, any case)."""
    return path.is_file() and path.suffix.lower() in (".yaml", ".yml")


def _lines(node, prefix=()) -> dict[tuple, int]:
    """Line number (1-based) of every mapping key, by its path of keys."""
    out = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            out[path] = key.start_mark.line + 1
            out.update(_lines(value, path))
    return out


def _unknown(key: str, known, where: str) -> ParameterError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ParameterError(f"{where}: unknown key '{key}'{hint} Known keys: {', '.join(known)}.")


def _expand(url, where: str) -> str | None:
    """A database URL with ``$VAR`` / ``${VAR}`` taken from the environment (so that
    passwords stay out of spec files)."""
    if url is None:
        return None
    expanded = os.path.expandvars(str(url))
    if "$" in expanded:
        raise ParameterError(
            f"{where}: database {url!r} uses an environment variable that is not set "
            "(export it before importing)."
        )
    return expanded


def read_spec(path: str | Path) -> ImportSpec:
    """Parse and check an import spec; every problem names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw, lines = yaml.safe_load(text), _lines(yaml.compose(text))
    except FileNotFoundError:
        raise ParameterError(f"no import spec at {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tables"), dict) or not raw["tables"]:
        raise ParameterError(
            f"{path.name}: an import spec needs `tables:` mapping contract tables (orders, "
            "customers, ...) to your files; see docs/guide/your_data.md."
        )
    for key in raw:
        if key not in TOP_KEYS:
            raise _unknown(str(key), TOP_KEYS, f"{path.name} line {lines[(key,)]}")
    spec = ImportSpec(
        path=path,
        as_of=None if raw.get("as_of") is None else str(raw["as_of"]),
        timezone=str(raw.get("timezone") or "UTC"),
        database=_expand(raw.get("database"), f"{path.name} line {lines.get(('database',))}"),
        currency=_currency(raw.get("currency"), f"{path.name} line {lines.get(('currency',))}"),
    )
    for table, options in raw["tables"].items():
        where = f"{path.name} line {lines[('tables', table)]}"
        if table not in TABLE_NAMES:
            raise _unknown(str(table), TABLE_NAMES, where)
        if not isinstance(options, dict):
            raise ParameterError(f"{where}: tables.{table} must be a mapping of keys.")
        rule_lines = {
            k[2]: n for k, n in lines.items() if k[:2] == ("tables", table) and len(k) == 3
        }
        rule_lines["_table"] = lines[("tables", table)]
        if options.get("database"):
            where_db = f"{path.name} line {rule_lines.get('database')}"
            options = {**options, "database": _expand(options["database"], where_db)}
        rule = TableRule(table, options, rule_lines)
        _check_table(spec, rule)
        spec.tables[table] = rule
    return spec


def _currency(value, where: str) -> str | None:
    """The currency of amounts: an ISO 4217 code (three letters, e.g. EUR), upper-cased."""
    if value is None:
        return None
    code = str(value).strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ParameterError(
            f"{where}: currency: {value!r} is not a currency code; use the three-letter "
            "ISO 4217 code of your amounts, e.g. EUR, GBP or USD."
        )
    return code


def _check_table(spec: ImportSpec, rule: TableRule) -> None:
    table, options, at = rule.name, rule.options, f"{spec.path.name} line"
    for key in options:
        if key not in TABLE_KEYS:
            raise _unknown(str(key), TABLE_KEYS, f"{at} {rule.line(key)}")
        if table not in ONLY_FOR.get(key, (table,)):
            applies = " and ".join(ONLY_FOR[key])
            raise ParameterError(f"{at} {rule.line(key)}: `{key}` applies to {applies} only.")
    sources = [k for k in ("file", "database") if options.get(k)]
    from_database = spec.database and not options.get("file")
    from_catalogue = options.get("table") and not sources and not spec.database
    if len(sources) != 1 and not from_database and not from_catalogue:
        raise ParameterError(
            f"{at} {rule.line()}: tables.{table} needs exactly one of `file:`, `database:` "
            "or (on Spark) a catalogue `table:`."
        )
    columns = options.get("columns", {})
    if not isinstance(columns, dict):
        raise ParameterError(
            f"{at} {rule.line('columns')}: `columns` maps contract names to your column "
            "names, e.g. {order_id: InvoiceNo}."
        )
    for ours, yours in columns.items():
        if not isinstance(yours, str):  # YAML reads No, Yes, On, Off, 1 as booleans/numbers
            raise ParameterError(
                f"{at} {rule.line('columns')}: columns.{ours} is {yours!r}, not a column name; "
                f'quote it, e.g. {ours}: "No" (YAML reads No, Yes, On, Off and numbers as '
                "values)."
            )
    contract = TABLES[table].column_names
    for ours in columns:
        if ours not in contract:
            raise _unknown(str(ours), contract, f"{at} {rule.line('columns')} (columns of {table})")
    if "amount" in columns and "amount" in options:
        raise ParameterError(
            f"{at} {rule.line('amount')}: amount is given twice (in columns and as `amount:`)."
        )
    for key, kind in (("lines", bool), ("dayfirst", bool), ("keep", list)):
        if key in options and not isinstance(options[key], kind):
            wanted = "true or false" if kind is bool else "a list"
            raise ParameterError(f"{at} {rule.line(key)}: `{key}` must be {wanted}.")
    _check_values(at, rule, contract)
    missing = options.get("missing_customer")
    if missing is not None and not isinstance(missing, list):
        raise ParameterError(
            f"{at} {rule.line('missing_customer')}: `missing_customer` is a list of values, "
            'e.g. ["", "(blank)", "0"].'
        )


def _check_values(at: str, rule: TableRule, contract: list[str]) -> None:
    """``values`` maps contract columns of the table to {source value: contract value}."""
    recodes = rule.options.get("values")
    if recodes is None:
        return
    example = "e.g. values: {kind: {Accrual: earn, Redemption: redeem}}"
    if not isinstance(recodes, dict) or not all(isinstance(m, dict) for m in recodes.values()):
        raise ParameterError(
            f"{at} {rule.line('values')}: `values` maps a contract column to "
            f"{{your value: contract value}}, {example}."
        )
    for column, mapping in recodes.items():
        if column not in contract:
            raise _unknown(str(column), contract, f"{at} {rule.line('values')} (values)")
        if TABLES[rule.name].column(column).kind in ("number", "integer", "timestamp"):
            raise ParameterError(
                f"{at} {rule.line('values')}: values.{column}: only text, id and yes/no "
                "columns are recoded (numbers and dates are read, not renamed)."
            )
        if not all(isinstance(v, str | int | float) for v in [*mapping, *mapping.values()]):
            raise ParameterError(
                f"{at} {rule.line('values')}: values.{column} must map plain values, {example}."
            )
