"""Report names, catalogue types, and the output folder: nothing is written outside it."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
import yaml

from crmlab.data import write_table
from crmlab.errors import ParameterError, ReportError
from crmlab.reports import load_catalogue
from crmlab.reports.catalogue import Report
from crmlab.reports.lock import RunLock
from crmlab.reports.paths import OutputFolder, name_problem
from crmlab.reports.status import STATUS_FILE, read_status, why_due

from .conftest import ROOT

NOTEBOOK = str(ROOT / "notebooks" / "segmentation.ipynb")


def _catalogue(tmp_path, entries, raw: bytes | None = None):
    path = tmp_path / "reports.yaml"
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(yaml.safe_dump({"reports": entries}))
    return path


@pytest.mark.parametrize(
    "name",
    ["", None, 3, "/../../x", "../x", "a/b", "javascript:alert(8);x", ".hidden", "_status",
     "a b", "<b>x</b>", "index", "naïve"],
)  # fmt: skip
def test_unsafe_report_names_are_refused(tmp_path, name):
    assert name_problem(name) is not None
    with pytest.raises(ReportError, match="name"):
        load_catalogue(_catalogue(tmp_path, [{"name": name, "notebook": NOTEBOOK}]))


def test_good_names_pass():
    assert all(name_problem(n) is None for n in ["a", "churn_2024.q1", "A-1", "9lives"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"tags": "data"}, "tags must be a list"),
        ({"tags": ["ok", "<b>"]}, "tag '<b>'"),
        ({"parameters": ["source", "x"]}, "parameters must be a mapping"),
        ({"notebook": str(ROOT / "notebooks")}, "is not a file"),
        ({"notebook": ["a.ipynb"]}, "is not a file"),
        ({"title": ["x"]}, "title must be text"),
        ({"parameters": {"export_path": "/etc/x.csv"}}, "is absolute"),
        ({"parameters": {"export_path": "../x.csv"}}, "'..' component"),
        ({"parameters": {"export_path": "exports/../../x.csv"}}, "'..' component"),
        ({"parameters": {"export_path": ".x.csv"}}, "hidden"),
        ({"parameters": {"output_dir": "elsewhere"}}, "set by the report runner"),
        ({"parameters": {"demo_mode": False}}, "set by the report runner"),
    ],
)
def test_catalogue_type_and_path_problems_are_report_errors(tmp_path, entry, message):
    path = _catalogue(tmp_path, [{"name": "r", "notebook": NOTEBOOK, **entry}])
    with pytest.raises(ReportError, match=message):
        load_catalogue(path)


def test_a_catalogue_that_is_not_utf8_is_a_report_error(tmp_path):
    path = _catalogue(tmp_path, None, raw="reports:\n  - name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ReportError, match="not UTF-8"):
        load_catalogue(path)


def test_the_output_folder_keeps_every_write_inside(tmp_path):
    out = OutputFolder(tmp_path / "out")
    outside = tmp_path / "outside"
    outside.mkdir()
    for bad in ["/tmp/x", "../x", "a/../../x", "", ".lock", "a\\..\\x"]:
        with pytest.raises(ReportError):
            out.path(bad)
    (out.root / "linked").symlink_to(outside)  # a link someone left behind
    with pytest.raises(ReportError, match="outside"):
        out.write_text("linked/x.html", "no")
    (out.root / "index.html").symlink_to(outside / "target.html")
    out.write_text("index.html", "page")  # replaces the link, never writes through it
    assert not (outside / "target.html").exists()
    assert (out.root / "index.html").read_text() == "page"
    assert oct((out.root / "index.html").stat().st_mode & 0o777) == "0o644"
    (out.root / "gone.html").symlink_to(outside / "keep.html")
    (outside / "keep.html").write_text("keep")
    out.remove("gone.html")
    assert (outside / "keep.html").read_text() == "keep"
    assert list(outside.iterdir()) == [outside / "keep.html"]


def test_write_table_within_a_folder_refuses_to_leave_it(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    assert write_table(frame, "exports/a.csv", within=tmp_path).exists()
    for bad in ["/tmp/a.csv", "../a.csv", "exports/../../a.csv"]:
        with pytest.raises(ParameterError, match="export path"):
            write_table(frame, bad, within=tmp_path)
    with pytest.raises(ParameterError, match=r"\.csv or \.parquet"):
        write_table(frame, "exports/a.html", within=tmp_path)


def test_a_damaged_status_file_is_reported_and_repaired(tmp_path):
    (tmp_path / STATUS_FILE).write_bytes(b"\xff{not json")
    said: list[str] = []
    assert read_status(tmp_path, echo=said.append) == {}
    assert "damaged" in said[0]
    (tmp_path / STATUS_FILE).write_text('["a list"]')
    assert read_status(tmp_path) == {}


def test_a_damaged_lock_is_repaired(tmp_path):
    said: list[str] = []
    (tmp_path / ".lock").mkdir()  # a folder where the lock file belongs
    with RunLock(tmp_path, echo=said.append):
        pass
    assert (tmp_path / ".lock").is_file() and "not a plain file" in said[0]
    (tmp_path / ".lock").write_bytes(b"\xff\xfe garbage")
    with RunLock(tmp_path, echo=said.append):
        pass
    target = tmp_path / "elsewhere.txt"
    target.write_text("precious")
    (tmp_path / ".lock").unlink()
    (tmp_path / ".lock").symlink_to(target)  # never written through
    with RunLock(tmp_path, echo=said.append):
        pass
    assert target.read_text() == "precious"


def test_a_cached_report_with_damaged_files_is_due(tmp_path):
    from crmlab.reports.fingerprint import cache_parts, key_of

    report = Report(name="r", notebook=ROOT / "notebooks" / "data_overview.ipynb")
    parts = cache_parts(report, tmp_path, "crmlab")
    status = {"r": {"status": "ok", "cache_key": key_of(parts), "cache_parts": parts}}
    page = '<html><body>x<footer class="crmlab-footer">f</footer></body></html>\n'
    assert why_due(report, tmp_path, tmp_path, "crmlab", status) == "HTML missing"
    (tmp_path / "r.html").write_text(page[:30])  # truncated
    assert why_due(report, tmp_path, tmp_path, "crmlab", status) == "HTML incomplete"
    (tmp_path / "r.html").write_text(page)
    assert why_due(report, tmp_path, tmp_path, "crmlab", status) == "provenance missing or damaged"
    (tmp_path / "r.provenance.json").write_text('{"report": "r"')
    assert why_due(report, tmp_path, tmp_path, "crmlab", status) == "provenance missing or damaged"
    (tmp_path / "r.provenance.json").write_text(json.dumps({"report": "r"}))
    assert why_due(report, tmp_path, tmp_path, "crmlab", status) is None
    changed = Report(name="r", notebook=report.notebook, parameters={"source": "cdnow"})
    assert why_due(changed, tmp_path, tmp_path, "crmlab", status) == "parameters, data changed"
    assert why_due(report, tmp_path, tmp_path, "other", status) == "kernel changed"
    assert os.path.exists(tmp_path / "r.html")


def test_parallel_kernels_share_the_cores_unless_the_user_chose(monkeypatch):
    from crmlab.reports import kernels

    for variable in kernels.THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the user's choice stays
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    kernels.share_cores(jobs=2)
    assert os.environ["OMP_NUM_THREADS"] == "4" and os.environ["MKL_NUM_THREADS"] == "3"
