"""Every catalogue report, run twice on a hostile world: it publishes, passes the gates,
runs no script in a real browser, and gives the same numbers both times (the second time in
kernels started from scratch, the first in kernels forked from a warm process).

The hostile world (``crmlab data generate --hostile``) fills channels, cities, campaign
names and objectives, variants, ticket categories, comments and names with markup,
script, ``javascript:`` links, Markdown and redirects, and lives in a folder whose name is
markup too. Entries of the catalogue that read the synthetic sample read this world instead;
CDNOW entries read its 2,357-customer sample (the same code paths, a tenth of the time), and
the customer-value report samples 300 Bayesian draws per chain, not 1,000.
Entries tagged ``examples`` read the files under examples/ and run in test_example_reports.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import yaml

from crmlab.data import generate, load, read_table, save
from crmlab.data.datasets import telco_table
from crmlab.data.hostile import PAYLOADS, make_hostile
from crmlab.reports import load_catalogue, run_catalogue
from crmlab.reports.html_scan import scan_page

from .conftest import ROOT
from .report_tables import page_text, table_with
from .test_browser import ARTIFACTS, CHROMIUM, FLAGS, beyond_page

pytestmark = [pytest.mark.notebook, pytest.mark.slow]
FOLDER = "data/shop <img src=x onerror=alert(99)>"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    save(make_hostile(generate(1200, random_state=3)), root / FOLDER)
    catalogue = yaml.safe_load((ROOT / "reports.yaml").read_text())
    for entry in catalogue["reports"]:
        params = entry.get("parameters", {})
        if params.get("source") == "data/sample":
            params["source"] = FOLDER
        elif params.get("source") == "cdnow":
            params["source"] = "cdnow-sample"
        if entry["notebook"].endswith("customer_value.ipynb"):
            params["bayes_draws"] = 300  # escaping does not need converged chains: 1/3 the time
    (root / "reports.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    catalogue = load_catalogue(root / "reports.yaml")
    reports = [r for r in catalogue if "examples" not in r.tags]
    quiet = {"echo": lambda *_: None, "demo": True, "jobs": 2}
    first = run_catalogue(catalogue, root / "first", names=[r.name for r in reports], **quiet)
    # Determinism is a property of a notebook: run each once more, on the hostile data, with
    # kernels started from scratch: the first run's were forked from a warm process
    # (reports.warm_kernels), so equal outputs also say a forked kernel is a fresh one.
    again = {}
    for report in reports:
        if report.parameters.get("source") == FOLDER:
            again.setdefault(report.notebook.name, report.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRMLAB_WARM_KERNELS", "0")
        second = run_catalogue(
            catalogue, root / "second", names=again.values(), force=True, **quiet
        )
    return root, reports, first, second


def test_every_report_publishes_on_hostile_data(runs):
    root, reports, first, second = runs
    for result in [*first, *second]:
        assert result.status == "ok", (result.name, result.error)
    assert {r.name for r in first} == {r.name for r in reports}
    for report in reports:
        page = (root / "first" / f"{report.name}.html").read_text()
        assert scan_page(page).active == []  # no tag or attribute from the data is live
        assert "passed the publishing checks" in page  # the footer says what was checked
    telco, table = (root / "first" / "churn_telco.html").read_text(), telco_table()
    rate = (table["churn"] == "Yes").mean()
    assert f"{len(table):,} subscribers in telco, {rate:.1%} churned" in page_text(telco)
    assert table_with(telco, "column", "reason")["column"].tolist() == ["customer_id"]
    page = (root / "first" / "campaign_ab_cmp01.html").read_text()
    assert "alert(" in page  # the payloads are there, as text
    assert "shop &lt;img src=x onerror=alert(99)&gt;" in page  # the folder name, escaped
    identity = page_text((root / "first" / "identity_sample.html").read_text())
    loaded = load(root / FOLDER)  # as the report reads it: loading sets a few customers aside
    duplicates, kept = loaded.truth.tables["duplicates"], loaded.customers["customer_id"]
    both = duplicates["customer_id"].isin(kept) & duplicates["original_customer_id"].isin(kept)
    planted = int(both.sum())
    assert f"planted {planted:,} duplicate pairs. Found " in identity  # counts, not 600.0


def test_exports_land_in_the_output_folder_without_personal_data(runs):
    root, *_ = runs
    for run in ("first", "second"):
        export = root / run / "exports" / "segments_sample.csv"
        table = read_table(export)
        assert table.columns[0] == "customer_key" and len(table) > 100
        assert not (root / "exports").exists() and not (root / "reports").exists()


def _outputs(notebook) -> list:
    """Every output of every code cell, without execution metadata, wall-clock times or
    memory addresses (``<Styler at 0x7f...>``)."""
    cells = json.loads(notebook.read_text())["cells"]
    kept = [
        {k: v for k, v in o.items() if k in ("output_type", "name", "text", "data")}
        for c in cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    ]
    text = json.dumps(kept, sort_keys=True)
    text = re.sub(r"\d{2}:\d{2}:\d{2}(\.\d+)?", "<time>", text)
    return json.loads(re.sub(r" at 0x[0-9a-f]+", " at <address>", text))


def test_same_data_and_parameters_give_identical_outputs(runs):
    root, reports, _, second_run = runs
    assert {r.notebook.name for r in reports} == {
        r.notebook.name for r in reports if r.name in {s.name for s in second_run}
    }  # every notebook ran twice
    for result in second_run:
        first = _outputs(root / "first" / f"{result.name}.ipynb")
        second = _outputs(root / "second" / f"{result.name}.ipynb")
        differing = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b]
        assert differing == [], f"{result.name}: outputs {differing} differ between runs"


@pytest.mark.browser
@pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CRMLAB_REQUIRE_BROWSER"),
    reason="Chromium is not installed (CI installs it and sets CRMLAB_REQUIRE_BROWSER=1)",
)
def test_no_script_runs_no_page_navigates_and_every_table_fits_in_chromium(runs):
    """Every published page in a real browser: no dialog, no navigation, payloads shown as
    text, and every table inside the page at 1280 px and on a printed A4 page (long
    payloads included); the campaign page is printed to PDF for a human to look at."""
    from playwright.sync_api import sync_playwright

    root, reports, *_ = runs
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root / "first"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    dialogs: list[str] = []
    too_wide: dict[str, dict] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
            for name in ["index", *(r.name for r in reports)]:
                url = f"{base}/{quote(name)}.html"
                assert page.goto(url).ok
                page.wait_for_timeout(300)  # a refresh or a late handler would act by now
                assert page.url == url, f"{name} navigated to {page.url}"
                too_wide[name] = beyond_page(page)
                if name == "campaign_ab_cmp01":
                    text = page.inner_text("body")
                    assert any(payload in text for payload in PAYLOADS)  # shown as text
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "hostile_campaign.png"), full_page=True)
                    page.pdf(path=str(ARTIFACTS / "hostile_campaign.pdf"), format="A4")
            links = page.goto(f"{base}/index.html") and page.eval_on_selector_all(
                "a", "els => els.map(e => e.getAttribute('href'))"
            )
            assert links and not [h for h in links if h.lower().startswith("javascript")]
            browser.close()
    finally:
        server.shutdown()
    assert dialogs == []
    assert {name: found for name, found in too_wide.items() if found} == {}
    assert (ARTIFACTS / "hostile_campaign.pdf").stat().st_size > 10_000
