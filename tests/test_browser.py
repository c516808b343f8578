"""A real browser opens the published pages: they load, links resolve, charts render.

Uses Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run) driven by Playwright; no
browser is downloaded. Screenshots are kept in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from crmlab.data import generate, save
from crmlab.reports import load_catalogue, run_catalogue

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CRMLAB_REQUIRE_BROWSER"),
        reason="Chromium is not installed (CI installs it and sets CRMLAB_REQUIRE_BROWSER=1)",
    ),
]


@pytest.fixture
def published(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    save(generate(300, random_state=4), tmp_path / "data" / "small")
    (tmp_path / "reports.yaml").write_text(
        yaml.safe_dump(
            {
                "reports": [
                    {
                        "name": "overview",
                        "notebook": "notebooks/data_overview.ipynb",
                        "tags": ["data"],
                        "title": "Overview",
                        "parameters": {"source": "data/small"},
                    },
                ]
            }
        )
    )
    reports = load_catalogue(tmp_path / "reports.yaml")
    [result] = run_catalogue(reports, tmp_path / "reports", echo=lambda *_: None, demo=True)
    assert result.status == "ok", result.error
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "reports"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_index_and_report_render_in_chromium(published):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        assert page.goto(f"{published}/index.html").ok
        assert page.title() == "crmlab reports"
        page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)
        hrefs = page.eval_on_selector_all("a", "els => els.map(e => e.href)")
        assert hrefs
        for href in set(hrefs):
            assert page.request.get(href).ok, f"broken link {href}"

        assert page.goto(f"{published}/overview.html").ok
        page.wait_for_load_state("load")
        sizes = page.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.naturalWidth, i.getBoundingClientRect().height])"
        )
        assert len(sizes) >= 3 and all(w > 0 and h > 0 for w, h in sizes), sizes
        assert page.locator("text=Provenance").count() == 1
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        browser.close()
    assert errors == []
