"""End to end: papermill runs publish atomically, cache, run in parallel, fail safely."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
import yaml

from crmlab.cli import main as cli
from crmlab.data import generate, save
from crmlab.errors import ReportError
from crmlab.reports import load_catalogue, run_catalogue
from crmlab.reports.lock import RunLock

from .conftest import ROOT
from .report_tables import page_text, report_tables, table_with

pytestmark = pytest.mark.notebook
QUIET = {"echo": lambda *_: None}


@pytest.fixture(scope="module")
def small_world():
    """A 300-customer world, made once for the module (read-only)."""
    return generate(300, random_state=2)


@pytest.fixture
def project(tmp_path, monkeypatch, small_world):
    """A tiny project: the real notebook, a 300-customer world, and a catalogue writer."""
    monkeypatch.setenv("CRMLAB_PSEUDONYM_KEY", "test-secret")  # also seen by subprocesses
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    save(small_world, tmp_path / "data" / "small")

    def catalogue(*entries):
        path = tmp_path / "reports.yaml"
        path.write_text(yaml.safe_dump({"reports": list(entries)}))
        return load_catalogue(path)

    return tmp_path, catalogue


def _entry(name, source="data/small", **extra):
    return {
        "name": name,
        "notebook": "notebooks/data_overview.ipynb",
        "parameters": {"source": source},
        **extra,
    }


def test_publish_then_failure_keeps_the_last_good_report(project):
    root, catalogue = project
    out = root / "reports"
    reports = catalogue(
        _entry(
            "overview",
            title="Overview <script>alert(1)</script>",
            description="Campaign <b>X</b> & co",
            tags=["data"],
        )
    )
    [ok] = run_catalogue(reports, out, **QUIET)
    assert ok.status == "ok", ok.error
    html = (out / "overview.html").read_text()
    assert html.count("data:image/png;base64") >= 3  # three monthly charts, embedded
    assert "load(source" not in html and "Traceback" not in html  # code hidden, no errors
    assert "<script>alert(1)</script>" not in html  # user strings are escaped
    assert "Overview &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Provenance" in html and 'href="index.html"' in html
    record = json.loads((out / "overview.provenance.json").read_text())
    assert record["parameters"] == {"source": "data/small"}
    assert set(record["data_fingerprint"]) == {"source"}
    index = (out / "index.html").read_text()
    assert 'href="overview.html"' in index and "<script>alert" not in index
    assert "Campaign &lt;b&gt;X&lt;/b&gt; &amp; co" in index

    # The same report now fails: the last good HTML stays, the failed notebook is kept.
    broken = catalogue(_entry("overview", source="data/nowhere", tags=["data"]))
    code = cli(["reports", "run", "--catalogue", str(root / "reports.yaml"), "--out", str(out)])
    assert code == 1
    assert (out / "overview.html").read_text() == html
    failed_nb = out / "_private" / "overview.ipynb"  # kept for its author, outputs removed
    assert failed_nb.exists() and "DataContractError" in failed_nb.read_text()
    kept = json.loads(failed_nb.read_text())["cells"]
    outputs = [o for c in kept if c["cell_type"] == "code" for o in c["outputs"]]
    assert outputs and all(o["output_type"] == "error" for o in outputs)
    index = (out / "index.html").read_text()
    assert "badge failed" in index and 'href="_private' not in index
    status = json.loads((out / "_status.json").read_text())["overview"]
    assert status["status"] == "failed" and status["error"].startswith("cell ")
    # the catalogue itself was valid: the failure is the data, reported per report
    assert broken.names == ("overview",) and "no data at data/nowhere" in status["error"]


def test_cache_hits_and_misses(project):
    root, catalogue = project
    out = root / "reports"
    # the cache does not depend on what the notebook does: a two-cell notebook is enough
    _small_notebook(root, 'print("counted", source)')
    reports = catalogue(
        {"name": "a", "notebook": "notebooks/leaky.ipynb", "parameters": {"source": "data/small"}}
    )
    lines: list[str] = []
    assert [r.status for r in run_catalogue(reports, out, echo=lines.append)] == ["ok"]
    cells = [line for line in lines if "running cell" in line]
    n = int(cells[-1].split()[-1])
    assert cells == [f"a: running cell {k} of {n}" for k in range(1, n + 1)]  # progress
    assert lines[0] == "a: queued (never run)" and lines[-1].startswith("a: done in ")
    assert [r.status for r in run_catalogue(reports, out, **QUIET)] == ["cached"]
    # a run with nothing to do loads neither notebook executor nor renderer (0.7 s and more)
    warm = (
        "import sys; from crmlab.reports import load_catalogue, run_catalogue; "
        f"r = run_catalogue(load_catalogue({str(root / 'reports.yaml')!r}), {str(out)!r}, "
        "echo=print); assert r[0].status == 'cached', r; "
        "loaded = [m for m in ('nbformat', 'nbconvert', 'papermill') if m in sys.modules]; "
        "assert loaded == [], loaded"
    )
    subprocess.run([sys.executable, "-c", warm], check=True, cwd=ROOT)  # this crmlab
    assert [r.status for r in run_catalogue(reports, out, force=True, **QUIET)] == ["ok"]
    # changed data -> re-run
    (root / "data" / "small" / "orders.parquet").write_bytes(
        (root / "data" / "small" / "orders.parquet").read_bytes()
    )  # same bytes: still cached
    assert [r.status for r in run_catalogue(reports, out, **QUIET)] == ["cached"]
    save(generate(300, random_state=3), root / "data" / "small")
    assert [r.status for r in run_catalogue(reports, out, **QUIET)] == ["ok"]
    # changed notebook -> re-run
    nb = root / "notebooks" / "leaky.ipynb"
    content = json.loads(nb.read_text())
    content["cells"][1]["source"] = 'print("edited", source)\n'
    nb.write_text(json.dumps(content))
    assert [r.status for r in run_catalogue(reports, out, **QUIET)] == ["ok"]
    # a deleted HTML is not a cache hit
    (out / "a.html").unlink()
    assert [r.status for r in run_catalogue(reports, out, **QUIET)] == ["ok"]


def test_reports_start_longest_first_by_their_last_run(project):
    root, catalogue = project
    out = root / "reports"
    out.mkdir()
    _small_notebook(root, "print(source)")
    entries = [
        {"name": n, "notebook": "notebooks/leaky.ipynb", "parameters": {"source": "data/small"}}
        for n in ("a", "b", "c")
    ]
    # as a last run left it; c is new to the catalogue (never run: its length is unknown)
    (out / "_status.json").write_text(json.dumps({"a": {"seconds": 1.5}, "b": {"seconds": 40}}))
    lines: list[str] = []
    run_catalogue(catalogue(*entries), out, jobs=1, force=True, echo=lines.append)
    assert [line.split(":")[0] for line in lines if "running leaky" in line] == ["c", "b", "a"]
    assert json.loads((out / "_status.json").read_text())["b"]["status"] == "ok"


def test_only_data_parameters_are_fingerprinted(project):
    from crmlab.reports.fingerprint import data_fingerprint

    root, _ = project
    (root / "out.csv").write_text("an export written by the report itself")
    params = {"source": "data/small", "export_path": "out.csv", "other_source": "cdnow"}
    prints = data_fingerprint(params, root)
    assert set(prints) == {"source", "other_source"}
    assert prints["other_source"].startswith("cdnow@lifetimes==")


def test_reports_run_in_parallel(project):
    root, catalogue = project
    reports = catalogue(_entry("one"), _entry("two", source="cdnow-sample"))
    results = run_catalogue(reports, root / "reports", jobs=2, **QUIET)
    assert [r.status for r in results] == ["ok", "ok"]
    # Ran side by side: each run started before the other one finished (their recorded
    # intervals overlap), a fact about the schedule, not a clock limit.
    finished = [datetime.fromisoformat(r.finished) for r in results]
    started = [f - timedelta(seconds=r.seconds) for f, r in zip(finished, results, strict=True)]
    assert max(started) < min(finished)


def test_a_second_run_waits_or_stops_with_a_message(project):
    root, catalogue = project
    reports = catalogue(_entry("a"))
    with RunLock(root / "reports"), pytest.raises(ReportError, match="another report run"):
        run_catalogue(reports, root / "reports", wait=False, **QUIET)


def test_killed_run_leaves_reports_consistent(project):
    root, catalogue = project
    out = root / "reports"
    # only the run that is killed waits (long enough to be killed mid-run)
    _small_notebook(root, "import os, time\ntime.sleep(float(os.environ.get('DELAY', 0)))\nsource")
    catalogue(
        {"name": "a", "notebook": "notebooks/leaky.ipynb", "parameters": {"source": "data/small"}}
    )
    cmd = [
        sys.executable,
        "-m",
        "crmlab.cli",
        "reports",
        "run",
        "--catalogue",
        str(root / "reports.yaml"),
        "--out",
        str(out),
    ]
    first = subprocess.run(cmd, capture_output=True, check=False)
    assert first.returncode == 0
    assert b"without encryption" not in first.stdout + first.stderr  # no kernel log noise
    good = (out / "a.html").read_text()
    proc = subprocess.Popen(
        [*cmd, "--force"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "DELAY": "3"},
    )
    for line in proc.stdout:  # kill it in the middle of executing the notebook
        if b"running" in line:
            time.sleep(1.5)
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert (out / "a.html").read_text() == good  # never half-written, never lost
    json.loads((out / "_status.json").read_text())  # still valid JSON
    # The next run cleans up the killed run's temporary folder and works normally.
    assert subprocess.run(cmd, capture_output=True, check=False).returncode == 0
    assert not list(out.glob(".tmp-*"))


def test_cli_list_shows_what_is_due(project, capsys):
    root, catalogue = project
    catalogue(_entry("a"), _entry("b", source="cdnow-sample"))
    args = ["--catalogue", str(root / "reports.yaml"), "--out", str(root / "reports")]
    assert cli(["reports", "run", "a", *args]) == 0
    capsys.readouterr()
    assert cli(["reports", "list", *args]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert lines["a"].rstrip().endswith("no") and lines["b"].rstrip().endswith("yes: never run")
    index = (root / "reports" / "index.html").read_text()
    assert "not run yet" in index
    assert "never succeeded" in index and "never UTC" not in index


def test_campaign_report_reads_a_flat_export(project):
    """The campaign notebook analyses a per-unit CSV from another tool via a column map."""
    import numpy as np
    import pandas as pd

    root, catalogue = project
    rng = np.random.default_rng(0)
    n = 3000
    group = rng.choice(["A", "B"], n)
    bought = rng.random(n) < np.where(group == "B", 0.3, 0.2)
    pd.DataFrame(
        {
            "user": np.arange(n),
            "group": group,
            "bought": bought,
            "spend": np.where(bought, rng.gamma(2.0, 30.0, n), 0.0),
            "device": rng.choice(["ios", "web"], n),
        }
    ).to_csv(root / "export.csv", index=False)
    params = {
        "units_source": "export.csv",
        "column_map": {"user": "customer_id", "group": "variant", "bought": "converted"},
        "control": "A",
        "metrics": ["converted", "mean(spend)"],
        "segment_by": "device",
        "cost_per_contact": 0.5,
        "fixed_cost": 100.0,
        "n_boot": 200,
    }
    reports = catalogue(
        {"name": "flat", "notebook": "notebooks/campaign_ab.ipynb", "parameters": params}
    )
    [result] = run_catalogue(reports, root / "reports", **QUIET)
    assert result.status == "ok", result
    html = (root / "reports" / "flat.html").read_text()
    # the page shows what the library computes from the same export
    from crmlab import experiment as ex

    units = ex.read_units(root / "export.csv", columns=params["column_map"])
    metrics = ex.standard_metrics(params["metrics"])
    readout = ex.analyze(units, metrics, control="A")
    assert ex.verdict(readout, metrics[0], units) in page_text(html)
    shown = table_with(html, "metric", "arm", "control", "difference", "p_adjusted")
    expected = readout.table
    assert shown["metric"].tolist() == expected["metric"].tolist() == ["converted", "spend"]
    share, spend = expected.iloc[0], expected.iloc[1]  # a share in % and pt, a mean as is
    assert shown["control"].tolist() == [
        f"{share['control_value']:.2%}",
        f"{spend['control_value']:,.2f}",
    ]
    assert shown["difference"].tolist() == [
        f"{100 * share['difference']:+.2f} pt",
        f"{spend['difference']:+,.2f}",
    ]
    assert shown["p_adjusted"].tolist() == [f"{p:.3g}" for p in expected["p_adjusted"]]
    tails = table_with(html, "prob_superiority")  # money metric: the heavy-tail check
    assert tails["metric"].tolist() == ["spend"]
    check = ex.nonparametric(units, "spend", control="A", n_boot=params["n_boot"])
    assert tails["prob_superiority"].tolist() == [f"{check['prob_superiority'].iloc[0]:.1%}"]
    assert tails["mw_p_value"].tolist() == [f"{check['mw_p_value'].iloc[0]:.3g}"]
    readouts = [t for t in report_tables(html) if "relative_lift" in t]  # overall, by device
    assert readouts[1]["metric"].tolist() == ["ios: converted", "web: converted"]
    roi = ex.roi(units, 0.5, 100.0, value="spend", control="A", treatment="B")
    shown_roi = table_with(html, *roi.columns)
    assert shown_roi.iloc[0].tolist() == [
        f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
        for v in roi.iloc[0].tolist()
    ]
    # without pre-period or timing columns the report says what it cannot show
    assert "no pre-period columns" in page_text(html)


def _small_notebook(root, code):
    """notebooks/leaky.ipynb: a parameters cell (``source``) and one cell of ``code``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('source = "data/small"  # data set')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "crmlab", "display_name": "crmlab", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "leaky.ipynb")


@pytest.mark.parametrize(
    ("code", "finding"),
    [
        (
            "from crmlab.data import load\nload(source, pii=True).customers[['name']].head(3)",
            "customer name(s), e.g. ",
        ),
        (
            "from crmlab.data import load\n"
            "c = load(source, pii=True).customers\n"
            "print('call', '0' + c['phone'].iloc[0].replace(' ', '')[3:])",  # national format
            "phone number(s), e.g. +44*",
        ),
        ("print('write to someone@example.org')", "1 e-mail address(es), e.g. s***@example.org"),
    ],
)
def test_pii_gate_stops_a_leaking_report(project, code, finding):
    root, catalogue = project
    out = root / "reports"
    _small_notebook(root, code)
    reports = catalogue({"name": "leaky", "notebook": "notebooks/leaky.ipynb"})
    [result] = run_catalogue(reports, out, **QUIET)
    assert result.status == "failed" and "PII gate" in result.error and finding in result.error
    assert not (out / "leaky.html").exists()  # not published
    assert (out / "_private" / "leaky.ipynb").exists() and not (out / "_failed").exists()
    kept = json.loads((out / "_private" / "leaky.ipynb").read_text())["cells"]
    assert not [o for c in kept for o in c.get("outputs", []) if o["output_type"] != "error"]


def test_masked_and_aggregated_values_pass_the_gate(project):
    root, catalogue = project
    _small_notebook(
        root,
        "from crmlab.data import load, privacy\n"
        "c = load(source, pii=True).customers\n"
        "print(privacy.mask_email(c['email'].iloc[0]), privacy.mask_name(c['name'].iloc[0]))\n"
        "print(len(c), 'customers; revenue 1,234,567.89; +4.5% lift; 2024-05-05')",
    )
    reports = catalogue({"name": "masked", "notebook": "notebooks/leaky.ipynb"})
    [result] = run_catalogue(reports, root / "reports", **QUIET)
    assert result.status == "ok", result.error


def test_publishing_needs_a_key_or_explicit_demo_mode(project, monkeypatch):
    root, catalogue = project
    monkeypatch.delenv("CRMLAB_PSEUDONYM_KEY")
    reports = catalogue(
        {
            "name": "seg",
            "notebook": "notebooks/segmentation.ipynb",
            "parameters": {"source": "data/small", "as_of": "2024-12-31", "compare_to": None},
        }
    )
    with pytest.raises(ReportError, match="CRMLAB_PSEUDONYM_KEY"):
        run_catalogue(reports, root / "reports", **QUIET)
    [result] = run_catalogue(reports, root / "reports", demo=True, **QUIET)
    assert result.status == "ok", result.error
    html = (root / "reports" / "seg.html").read_text()
    assert "Demo mode: customer keys use the public demo key" in html
    record = json.loads((root / "reports" / "seg.provenance.json").read_text())
    assert record["parameters"]["demo_mode"] is True
    # the catalogue can choose demo mode explicitly; anything but true/false is an error
    entry = {"name": "seg", "notebook": "notebooks/segmentation.ipynb"}
    (root / "demo.yaml").write_text(yaml.safe_dump({"demo": True, "reports": [entry]}))
    assert load_catalogue(root / "demo.yaml").demo is True
    (root / "demo.yaml").write_text(yaml.safe_dump({"demo": "yes please", "reports": [entry]}))
    with pytest.raises(ReportError, match="true or false"):
        load_catalogue(root / "demo.yaml")


def test_churn_report_with_explicit_cutoffs(project):
    """The churn notebook on a shop with chosen cutoffs (subscriber tables: Telco in the
    hostile run, the example export in test_example_reports)."""
    root, catalogue = project
    save(generate(1500, random_state=5), root / "data" / "shop")
    reports = catalogue(
        {
            "name": "churn_shop",
            "notebook": "notebooks/churn.ipynb",
            "parameters": {
                "source": "data/shop",
                "cutoffs": ["2024-05-01", "2024-07-01", "2024-09-01"],
                "model": "logistic",
            },
        },
    )
    results = run_catalogue(reports, root / "reports", **QUIET)
    assert [r.status for r in results] == ["ok"], [r.error for r in results]
    shop = (root / "reports" / "churn_shop.html").read_text()
    assert "3 cutoffs (2024-05-01 to 2024-09-01)" in shop
    assert "baseline: recency only" in shop and "customers</strong> to contact" in shop


def test_parallel_reports_never_change_the_process_directory(project, monkeypatch):
    """Kernels get their working directory per kernel; papermill's cwd= would chdir the whole
    process under the runner's threads."""
    import papermill.execute

    root, catalogue = project
    here, changes = os.getcwd(), []
    real_chdir = os.chdir

    def chdir(path):
        if os.path.realpath(path) != os.path.realpath(here):
            changes.append(str(path))
        real_chdir(path)

    monkeypatch.setattr(os, "chdir", chdir)
    assert papermill.execute.chdir  # papermill's helper calls os.chdir, recorded above
    reports = catalogue(_entry("one"), _entry("two"))
    results = run_catalogue(reports, root / "reports", jobs=2, **QUIET)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    assert changes == []


def test_a_kernel_that_never_started_is_started_once_more():
    from crmlab.reports.publish import KERNEL_NEVER_STARTED
    from crmlab.reports.publish import _execute_once_more_if_the_kernel_never_started as run

    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError(KERNEL_NEVER_STARTED)
        return "executed"

    assert run(flaky, "nb.ipynb") == "executed" and len(calls) == 2

    def dead(*args, **kwargs):
        calls.append(args)
        raise RuntimeError(KERNEL_NEVER_STARTED)

    calls.clear()
    with pytest.raises(RuntimeError, match="kernel_info"):
        run(dead, "nb.ipynb")
    assert len(calls) == 2  # once more, not forever

    def failing_cell(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("a cell raised")

    calls.clear()
    with pytest.raises(RuntimeError, match="a cell raised"):
        run(failing_cell, "nb.ipynb")
    assert len(calls) == 1  # the notebook's own failure is never run again
