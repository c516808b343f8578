"""The checks before publishing: active content in pages, and personal data anywhere."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from crmlab.data.identity import resolve
from crmlab.data.personal import find_emails, looks_like_contact, personal_column_kind
from crmlab.reports.html_scan import CSP_META, scan_page
from crmlab.reports.pii_gate import PIIGate, page_text

PAGE = "<html><head>{csp}</head><body>{body}</body></html>"


def _page(body: str) -> str:
    return PAGE.format(csp=CSP_META, body=body)


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(3)>",
        "<svg onload=alert(10)>",
        '<a href="javascript:alert(8)">x</a>',
        '<a href="  JaVa&#x09;Script:alert(8)">x</a>',  # what browsers still run
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<meta http-equiv="refresh" content="0;url=https://example.org">',
        '<iframe src="https://example.org"></iframe>',
        '<object data="x.swf"></object>',
        '<form action="https://example.org"><button>go</button></form>',
        '<base href="https://example.org/">',
        '<div style="x" onmouseover="alert(1)">hover</div>',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    ],
)
def test_active_content_is_found(body):
    assert scan_page(_page(body)).active


def test_inert_pages_pass_and_their_text_includes_attributes():
    body = (
        '<p title="ann@example.org">Hello &lt;script&gt;</p><a href="#top">top</a>'
        '<a href="https://example.org/docs">docs</a><img src="data:image/png;base64,AAAA">'
        '<link rel="icon" href="data:,"><style>.x { color: red }</style>'
    )
    scan = scan_page(_page(body))
    assert scan.active == []
    assert "<script>" in scan.text and "ann@example.org" in scan.text
    assert "color: red" not in scan.text and "AAAA" not in scan.text


def test_column_names_that_hold_personal_data():
    kinds = {
        c: personal_column_kind(c)
        for c in [
            "email", "E-Mail", "mail_address", "phone", "mobile", "MobileNumber", "tel",
            "first_name", "FirstName", "given_name", "last_name", "Surname", "name",
            "full_name", "customer_name", "birth_date", "home_address", "channel", "segment",
            "city", "campaign_id", "amount",
        ]
    }  # fmt: skip
    assert kinds["E-Mail"] == kinds["mail_address"] == "email"
    assert kinds["mobile"] == kinds["MobileNumber"] == kinds["tel"] == "phone"
    assert kinds["FirstName"] == kinds["given_name"] == "first_name"
    assert kinds["Surname"] == kinds["last_name"] == "last_name"
    assert kinds["name"] == kinds["customer_name"] == "full_name"
    assert kinds["birth_date"] == kinds["home_address"] == "personal"
    assert all(kinds[c] is None for c in ["channel", "segment", "city", "campaign_id", "amount"])


def _gate() -> PIIGate:
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "mobile": ["07401 242486", "+44 7700 900123", None],
            "first_name": ["Paul", "Ann", "Li"],
            "last_name": ["Müller", "Smith", None],
        }
    )
    campaigns = pd.DataFrame({"campaign_id": ["x"], "name": ["Spring Sale"]})
    products = pd.DataFrame({"product_id": ["P1"], "name": ["Gift box"]})
    return PIIGate.from_tables(
        {"customers": customers, "campaigns": campaigns, "products": products}
    )


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("call 07401.242.486 now", "phone"),
        ("call 07401 242 486", "phone"),
        ("call (07401) 242-486", "phone"),
        ("call +44 (0)7401 242486", "phone"),
        ("call 0044 7700 900123", "phone"),
        ("call +49 30 901820", "phone"),  # any valid international number
        ("MÜLLER, Paul", "name"),
        ("Dear Paul Müller", "name"),
        ("smith ann", "name"),
        ('<span title="ann.smith@example.org">x</span>', "e-mail"),
        ("ann.smith@example.org", "e-mail"),
    ],
)
def test_the_gate_finds_personal_data_in_any_form(text, kind):
    found = _gate().findings(page_text(_page(text)))
    assert found and kind in found[0], found


@pytest.mark.parametrize(
    "text",
    [
        "a***@example.org, +44*******486, P. M.",  # masked
        "revenue 1,234,567.89; +4.5% lift; 0.000123; 2024-05-05 10:00; 20,600 customers",
        "Spring Sale campaign",  # a campaign name is not a customer's name
        "Gift box, then Greeting card",  # nor is a product's
        "Paul bought; Müller is a surname",  # one word of a name is not a name
        "ann(at)example.org, user@localhost",
    ],
)
def test_the_gate_lets_masked_and_aggregated_text_pass(text):
    assert _gate().findings(text) == []


def test_redaction_masks_what_the_gate_would_find():
    gate = _gate()
    message = "KeyError: 'ann.smith@example.org' for Paul Müller at 07401 242486"
    redacted = gate.redact(message)
    assert gate.findings(redacted) == []
    assert "KeyError" in redacted and "a***@example.org" in redacted


def _seconds(function, text: str) -> float:
    started = time.perf_counter()
    function(text)
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.parametrize(
    "unit",
    ["a" * 50 + "@", "1 2 3 4 5 6 7 8 9 ", "x.y-z_" * 10, "Paul Smith ", "<b title='@'>"],
)
def test_scans_grow_linearly_with_the_input(unit):
    """Adversarial inputs that made the old regexes quadratic: eight times the text costs
    about eight times the time (a ratio, not a clock limit; quadratic would be 64)."""
    gate = _gate()

    def scan(text):
        gate.findings(page_text(text))

    small = unit * (125_000 // len(unit))
    big = small * 8
    scan(small)  # warm up
    ratio = min(_seconds(scan, big) for _ in range(2)) / min(
        _seconds(scan, small) for _ in range(3)
    )
    assert ratio < 20, ratio


def test_find_emails_matches_the_usual_shapes_only():
    text = "mail a.b+tag@sub.example.co.uk, <x@y.org>; not: @twitter, a@b, j***@example.org"
    assert find_emails(text) == ["a.b+tag@sub.example.co.uk", "x@y.org"]


def test_identity_exports_pseudonymize_keys_that_are_contact_details():
    records = pd.DataFrame(
        {
            "source": ["web", "shop", "app"],
            "source_key": ["ann@example.org", "ann@example.org ", "07401 242486"],
            "email": ["ann@example.org", "ann@example.org", None],
            "phone": [None, None, "07401 242486"],
            "name": ["Ann Smith", "Ann Smith", "Bo Li"],
        }
    )
    result = resolve(records)
    shared = result.shareable_crosswalk(key="secret")
    assert len(shared) == 3 and "source_key" not in shared
    assert shared["source_key_pseudonym"].str.len().eq(20).all()
    assert not any(find_emails(shared.to_csv()))
    plain = resolve(records.assign(source_key=["w1", "s1", "a1"])).shareable_crosswalk("secret")
    assert plain["source_key"].tolist() == ["w1", "s1", "a1"]
    assert looks_like_contact("+44 7401 242486") and not looks_like_contact("C0012345")


def test_a_placeholder_phone_does_not_make_small_numbers_personal():
    # "+44 0" normalises to national number 0: its forms "0", "440", "4400" are not phones
    gate = PIIGate.from_tables({"customers": pd.DataFrame({"phone": ["+44 0", "07401 242486"]})})
    assert gate.findings("revenue 4400, growth 440.0%, row 0") == []
    assert gate.findings("ring 07401 242486") == ["1 phone number(s), e.g. +44*******486"]


def test_a_report_on_one_source_never_waits_for_another_sources_gate(monkeypatch, tmp_path):
    """The runner's threads build each data source's gate once; a slow build for one
    source does not hold up a report on another (the sample's takes 1.5 s)."""
    import importlib
    import threading

    from crmlab.reports.pii_gate import GateCache

    loading = importlib.import_module("crmlab.data.load")
    other_done, builds = threading.Event(), []

    def personal_columns(root, source):
        builds.append(source)
        if source == "slow":  # finishes only once the other source's gate is built
            # the timeout is no speed limit: it keeps a broken lock from hanging the suite
            assert other_done.wait(timeout=10), "the other source waited for this one"
        return {"customers": pd.DataFrame({"phone": ["+44 7700 900123"]})}

    monkeypatch.setattr(loading, "personal_columns", personal_columns)
    gates = GateCache(tmp_path)
    slow = threading.Thread(target=gates.for_parameters, args=({"source": "slow"},))
    slow.start()
    while "slow" not in builds:
        time.sleep(0.01)
    gate = gates.for_parameters({"source": "other"})
    other_done.set()
    slow.join()
    assert gate.phones and gates.for_parameters({"source": "slow"}).phones
    assert sorted(builds) == ["other", "slow"]  # each built once
