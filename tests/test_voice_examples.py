"""The voice analyses on an export-shaped help desk (examples/service_desk): day-first local
times, "n/a" for not yet, a score typed "10 ", comments with contact details."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crmlab import voice
from crmlab.data import load
from crmlab.data.importer import run_import
from crmlab.reports.pii_gate import PIIGate

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "service_desk"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    folder = Path(shutil.copytree(EXAMPLE, tmp_path_factory.mktemp("x") / "service_desk"))
    out = folder.parent / "out"
    run_import(folder / "service_desk.yaml", out)
    return folder, out


def test_the_export_imports_whole(desk):
    folder, out = desk
    data = load(out)
    raw = pd.read_csv(folder / "tickets.csv", keep_default_na=False)  # "n/a" as written
    assert len(data.tickets) == len(raw) and len(data.surveys) == 300
    # "n/a" in Solved means not solved yet: open, not an unreadable date
    assert data.tickets["resolved_at"].isna().sum() == (raw["Solved"] == "n/a").sum()
    # 15/04/2024 14:41 in London (summer time) is 13:41 UTC
    first = data.tickets.set_index("ticket_id").loc["HD-0000", "opened_at"]
    assert first == pd.Timestamp("2024-04-15 13:41", tz="UTC")
    assert "comment" not in data.surveys.columns
    assert any("comments=True" in note for note in data.notes)


def test_scores_service_and_monitoring_run_on_it(desk):
    _, out = desk
    data = load(out, comments=True)
    score = voice.nps(data.surveys).iloc[0]
    assert score["n"] == 300 and score["unanswered"] == 0  # "10 " is a 10
    kpis = voice.ticket_kpis(data.tickets, data.as_of, by="category")
    assert set(kpis["category"]) == {"Delivery", "Billing", "Product", "Account"}
    assert kpis["open"].sum() == data.tickets["resolved_at"].isna().sum()
    counts = voice.daily_counts(data.tickets, "opened_at", data.as_of, by="category")
    alerts = voice.surge_alerts(counts, "tickets", by="category").alerts
    assert pd.api.types.is_datetime64_any_dtype(alerts["day"])
    context = voice.survey_context(data.surveys, data.orders, data.tickets)
    result = voice.drivers(context, "nps", ["ticket_category", "ticket_days", "order_channel"])
    assert result.table["importance"].sum() == pytest.approx(result.r_squared)


def test_comments_come_scrubbed(desk):
    _, out = desk
    comments = load(out, comments=True).surveys["comment"].dropna()
    gate = PIIGate.from_tables({"customers": load(out, pii=True).customers})
    assert [text for text in comments if gate.findings(text)] == []
    assert comments.str.contains(r"\[phone\]").any() and comments.str.contains(r"\[email\]").any()
    assert comments.str.contains(r"\[name\]").any()
    tone = voice.sentiment(comments)
    assert set(tone["language"].dropna()) == {"en", "zh"}
