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

# What a reader of a page cannot see: the page scrolls sideways, or a table reaches beyond
# the page's width or hides part of itself in a scroll box.
BEYOND_PAGE_JS = """() => {
  const limit = document.documentElement.clientWidth;
  const found = [];
  const width = document.documentElement.scrollWidth;
  if (width > limit + 1) found.push(`page scrolls sideways: ${width} > ${limit}`);
  for (const table of document.querySelectorAll('table')) {
    let box = table.parentElement, scrolls = false;
    for (; box; box = box.parentElement) {
      const clips = getComputedStyle(box).overflowX !== 'visible';
      if (clips && box.scrollWidth > box.clientWidth + 1) scrolls = true;
    }
    const right = Math.round(table.getBoundingClientRect().right);
    if (right > limit + 1 || scrolls) {
      found.push(`${table.innerText.slice(0, 40)}: right edge ${right} > ${limit}` +
                 (scrolls ? ' (in a scroll box)' : ''));
    }
  }
  return found;
}"""
PRINT_WIDTH = 718  # A4 (794 px at 96 dpi) less 1 cm margins: the width of a printed page


def beyond_page(page) -> dict[str, list[str]]:
    """Tables a reader cannot see whole, on screen at 1280 px and when printed on A4."""
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    found = {"screen": page.evaluate(BEYOND_PAGE_JS)}
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINT_WIDTH, "height": 1000})
    found["print"] = page.evaluate(BEYOND_PAGE_JS)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})
    return {how: problems for how, problems in found.items() if problems}


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
