"""The ``crmlab`` command line: data generate / validate, reports run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import CRMLabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crmlab", description=__doc__)
    sub = parser.add_subparsers(dest="area", required=True)

    data = sub.add_parser("data", help="generate or validate data sets")
    data_sub = data.add_subparsers(dest="command", required=True)
    gen = data_sub.add_parser("generate", help="write a synthetic CRM world as Parquet")
    gen.add_argument("path", help="output folder (e.g. data/sample)")
    gen.add_argument("--customers", type=int, default=20_000)
    gen.add_argument("--start", default="2023-01-01")
    gen.add_argument("--end", default="2024-12-31")
    gen.add_argument("--random-state", type=int, default=0)
    gen.add_argument(
        "--hostile",
        action="store_true",
        help="labels, names and comments full of markup and script (to test safe reports)",
    )
    val = data_sub.add_parser("validate", help="check a data set against the contract")
    val.add_argument(
        "path",
        help="folder of <table>.csv/.parquet files, .duckdb file, import spec, or a "
        "built-in name (cdnow, cdnow-sample, telco)",
    )
    val.add_argument("--as-of", default=None, help="the data set's 'now' (default: its own)")
    val.add_argument("--sep", default=",", help="CSV delimiter")
    val.add_argument("--encoding", default="utf-8", help="CSV text encoding")

    imp = data_sub.add_parser(
        "import", help="import your exports into a contract folder, as an import spec says"
    )
    imp.add_argument("spec", help="import spec (YAML; see docs/guide/your_data.md)")
    imp.add_argument("out", nargs="?", help="output folder (replaced when an earlier import)")
    imp.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    imp.add_argument(
        "--no-check", action="store_true", help="do not validate the written folder with load()"
    )
    imp.add_argument(
        "--engine",
        metavar="sc://HOST:PORT",
        help="run the import on a Spark Connect server (default: the embedded DuckDB); "
        "${NAME} in the address is read from the environment",
    )

    rep = sub.add_parser("reports", help="run the report catalogue")
    rep_sub = rep.add_subparsers(dest="command", required=True)
    run = rep_sub.add_parser("run", help="execute reports and publish HTML")
    run.add_argument("names", nargs="*", help="reports to run (default: all)")
    run.add_argument("--tag", action="append", default=[], help="only reports with this tag")
    run.add_argument("--jobs", type=int, default=None, help="reports at once (default: cores)")
    run.add_argument("--force", action="store_true", help="re-run even when nothing changed")
    run.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    run.add_argument(
        "--no-wait",
        action="store_true",
        help="exit instead of waiting when another run is publishing",
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="allow the public demo pseudonym key (synthetic or public data only)",
    )
    lst = rep_sub.add_parser("list", help="show the catalogue, last status and what is due")
    for sub_parser in (run, lst):
        sub_parser.add_argument("--catalogue", default="reports.yaml")
        sub_parser.add_argument("--out", default="reports")
        sub_parser.add_argument("--kernel", default=None, help="Jupyter kernel (default: crmlab)")

    args = parser.parse_args(argv)
    try:
        if args.area == "data":
            commands = {"generate": _generate, "validate": _validate, "import": _import}
            return commands[args.command](args)
        return _run_reports(args) if args.command == "run" else _list_reports(args)
    except CRMLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _generate(args) -> int:
    from .data import generate, save

    data = generate(args.customers, start=args.start, end=args.end, random_state=args.random_state)
    if args.hostile:
        from .data.hostile import make_hostile

        data = make_hostile(data)
    save(data, args.path)
    print(f"wrote {data} to {args.path}")
    return 0


def _validate(args) -> int:
    from .data import load

    data = load(args.path, as_of=args.as_of, sep=args.sep, encoding=args.encoding)
    print(f"{args.path}: valid. {data}")
    for note in data.notes:
        print(f"note: {note}")
    return 0


def _import(args) -> int:
    from .data import load
    from .data.importer import run_import

    if args.out is None and not args.dry_run:
        print("error: give an output folder (or --dry-run)", file=sys.stderr)
        return 2
    report = run_import(args.spec, args.out, dry_run=args.dry_run, engine=args.engine)
    print(report)
    if not args.dry_run and not args.no_check:
        data = load(args.out)
        print(f"{args.out}: valid. {data}")
        for note in data.notes:
            print(f"note: {note}")
    return 0


def _run_reports(args) -> int:
    from .reports import KERNEL_NAME, load_catalogue, run_catalogue
    from .reports.paths import PRIVATE_DIR

    try:
        results = run_catalogue(
            load_catalogue(args.catalogue),
            args.out,
            names=args.names,
            tags=args.tag or (),
            kernel=args.kernel or KERNEL_NAME,
            jobs=args.jobs,
            force=args.force,
            cell_timeout=args.timeout,
            wait=not args.no_wait,
            demo=args.demo,
        )
    except KeyboardInterrupt:
        print(f"interrupted; index: {args.out}/index.html", file=sys.stderr)
        return 130  # what a shell reports for a command ended by Ctrl-C
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        print(
            f"FAILED {r.name}: {r.error} (notebook, outputs removed: "
            f"{args.out}/{PRIVATE_DIR}/{r.name}.ipynb)",
            file=sys.stderr,
        )
    cached = sum(r.status == "cached" for r in results)
    print(
        f"{len(results) - len(failed)} of {len(results)} reports ok ({cached} cached); "
        f"index: {args.out}/index.html"
    )
    return 1 if failed else 0


def _list_reports(args) -> int:
    from .reports import KERNEL_NAME, load_catalogue, read_status
    from .reports.demo_policy import with_demo_mode
    from .reports.status import why_due

    loaded = load_catalogue(args.catalogue)
    catalogue = [with_demo_mode(r, loaded.demo) for r in loaded]  # as `reports run` sets it
    status = read_status(args.out, echo=lambda message: print(f"note: {message}"))
    root = loaded.root
    print(f"{'report':<28} {'tags':<14} {'last status':<12} {'last run (UTC)':<20} due")
    for r in catalogue:
        entry = status.get(r.name, {})
        reason = why_due(r, Path(args.out), root, args.kernel or KERNEL_NAME, status)
        print(
            f"{r.name:<28} {','.join(r.tags):<14} {entry.get('status', 'never'):<12} "
            f"{entry.get('last_run', '-'):<20} {f'yes: {reason}' if reason else 'no'}"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
