"""End to end: the catalogue's example entries (tag ``examples``) on the export-shaped files
under examples/, each compared with the library's numbers on the same file."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from crmlab import churn, clv, features
from crmlab.data import load, read_flat
from crmlab.data.privacy import DEMO_KEY, marketable
from crmlab.reports import load_catalogue, run_catalogue
from crmlab.units import format_quantity

from .conftest import ROOT
from .report_tables import page_text, report_tables, table_with

pytestmark = [pytest.mark.notebook, pytest.mark.slow]

# Added to the copy of the catalogue: the wholesaler's export with a calibration period of
# two days, too few customers for the holdout fit (the report must still publish).
SHORT_CALIBRATION = {
    "name": "customer_value_short_calibration",
    "notebook": "notebooks/customer_value.ipynb",
    "tags": ["examples"],
    "parameters": {
        "source": "examples/wholesale/wholesale.yaml",
        "calibration_end": "2023-01-02",
        "observation_end": "2023-12-31",
    },
}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The real catalogue's example entries, run in a copy of the project."""
    root = tmp_path_factory.mktemp("examples")
    for folder in ("notebooks", "examples"):
        shutil.copytree(ROOT / folder, root / folder)
    entries = yaml.safe_load((ROOT / "reports.yaml").read_text())
    entries["reports"].append(SHORT_CALIBRATION)
    (root / "reports.yaml").write_text(yaml.safe_dump(entries, sort_keys=False))
    catalogue = load_catalogue(root / "reports.yaml")
    results = run_catalogue(
        catalogue, root / "reports", tags=["examples"], demo=True, jobs=2, echo=lambda *_: None
    )
    chosen = {r.name: r for r in catalogue if "examples" in r.tags}
    return root, chosen, {r.name: r for r in results}


def _page(published, name: str) -> str:
    root, _, results = published
    assert results[name].status == "ok", results[name].error
    return (root / "reports" / f"{name}.html").read_text()


def test_churn_report_on_a_subscriber_export(published):
    """examples/subscribers: T/F label, blank labels, an account number, a phone column, a
    signup date and a leak column; the report names what it left out and why."""
    root, chosen, _ = published
    html = _page(published, "churn_subscribers_example")
    params = chosen["churn_subscribers_example"].parameters
    raw = read_flat(root / params["table_source"])
    snaps = features.subscriber_snapshots(raw, params["label"], params["churned_values"])
    shown = table_with(html, "column", "reason")
    assert shown.to_dict("list") == snaps.excluded_table.to_dict("list")
    text = page_text(html)
    rate = snaps.table["churned"].mean()
    assert f"({len(snaps):,} subscribers in {params['table_source']}, {rate:.1%} churned)" in text
    assert f"{snaps.unlabelled:,} rows with a blank Churn were left out" in text
    tenure = params["tenure_column"]
    assert f"Subscriber table: time is the {tenure} column, in months" in text
    assert "quarter of their first order" not in text  # no order-cohort text on a flat table
    # the model's test metrics are the library's on the same file, seed and split
    train, test = churn.split(snaps, random_state=0)
    model = churn.fit(train, params["model"], random_state=0)
    metrics = churn.evaluate(model, test, random_state=0).metrics.set_index("scorer")
    auc = table_with(html, "scorer", "auc").set_index("scorer").loc["model", "auc"]
    assert auc == f"{metrics.loc['model', 'auc']:,.2f}" and metrics.loc["model", "auc"] > 0.7
    # contacts: subscribers still with us, valued at 12 monthly charges
    now = churn.still_subscribed(snaps)
    value = churn.subscriber_value(now, params["value_column"], params["value_multiplier"])
    scores = churn.scores_frame(model, now)
    contact = churn.targets(
        scores, value, 5000.0, 2.0, 0.1, DEMO_KEY, marketable(now.table, "assumed")
    )
    assert f"{contact.contacted:,} subscribers to contact for {contact.cost:,.0f} EUR" in text
    assert f"Scored {len(now):,} subscribers who have not churned" in text
    # the phone numbers never reach the page; groups are the contract types
    assert not any(phone in html for phone in raw["Phone"].head(50))
    groups = table_with(html, "group", "observed_churn")["group"].tolist()
    assert groups == sorted(raw["Contract"].unique())


def test_customer_value_report_on_a_wholesalers_export(published):
    """examples/wholesale: dropout and spend spread cannot be estimated; the report still
    publishes, with the library's numbers and its notes on what the data could not show."""
    from crmlab.features import customer_summary

    root, chosen, _ = published
    html = _page(published, "customer_value_wholesale_example")
    data = load(root / chosen["customer_value_wholesale_example"].parameters["source"])
    model = clv.fit(customer_summary(data, "2023-12-31", time_unit="W"))
    text = page_text(html)
    notes = clv.fit_notes(model)
    assert data.currency == "GBP" and "amounts in GBP" in text  # from the import spec
    assert {"clv_total (GBP)", "clv_mean (GBP)"} <= set(table_with(html, "segment").columns)
    assert len(notes) == 3 and all(note in text for note in notes)
    shown = table_with(html, "parameter", "estimate", "ci_low")
    expected = clv.parameter_table(model)
    assert shown["parameter"].tolist() == expected["parameter"].tolist()
    assert shown["estimate"].tolist() == [f"{v:,.2f}" for v in expected["estimate"]]
    ranked = table_with(html, "fitted_as", "aic")
    assert len(ranked) == 3 and ranked["fitted_as"].str.endswith("limit (NBD)").all()
    # the holdout table prints each value in its unit: counts whole, the error in %
    params = chosen["customer_value_wholesale_example"].parameters
    check = clv.evaluate(data, params["calibration_end"], params["observation_end"])
    holdout = table_with(html, "metric", "value", "unit")
    assert holdout["value"].tolist() == [
        format_quantity(row.value, row.unit) for row in check.metrics.itertuples()
    ]
    assert holdout["value"].iloc[0] == f"{len(check.per_customer):,}"  # customers: no .00
    assert holdout["value"].iloc[-1].endswith("%")


def test_customer_value_report_goes_on_when_the_holdout_check_cannot_run(published):
    """Two days of calibration: the holdout fit fails; the page says why (the library's own
    error), draws no holdout charts, notes each model's failure in the comparison, and
    still shows the fit on all data."""
    from crmlab.errors import CRMLabError
    from crmlab.features import customer_summary

    root, chosen, _ = published
    html = _page(published, "customer_value_short_calibration")
    params = chosen["customer_value_short_calibration"].parameters
    data = load(root / params["source"])
    with pytest.raises(CRMLabError) as failure:
        clv.evaluate(data, params["calibration_end"], params["observation_end"])
    text = page_text(html)
    assert f"The holdout check could not be run: {failure.value}" in text
    assert "No holdout charts: the check above could not be run." in text
    assert not any({"metric", "value", "unit"} <= set(t.columns) for t in report_tables(html))
    ranked = table_with(html, "model", "note")
    assert (ranked["note"] == str(failure.value)).sum() >= 1
    model = clv.fit(customer_summary(data, params["observation_end"], time_unit="W"))
    shown = table_with(html, "parameter", "estimate")
    assert shown["estimate"].tolist() == [
        f"{v:,.2f}" for v in clv.parameter_table(model)["estimate"]
    ]


def test_campaign_report_on_a_three_arm_export(published):
    """examples/ab_test: an e-mail tool's per-user export, two subject lines against control,
    no customer ids; metrics default to the outcome columns, segments come from the export."""
    from crmlab import experiment as ex

    root, chosen, _ = published
    html = _page(published, "campaign_email_example")
    params = chosen["campaign_email_example"].parameters
    units = ex.read_units(root / params["units_source"], columns=params["column_map"])
    metrics = ex.default_metrics(units)
    assert [m.name for m in metrics] == ["converted", "Opened", "Order Value"]
    readout = ex.analyze(units, metrics, control="control")
    text = page_text(html)
    said = ex.verdict(readout, metrics[0], units)
    assert said in text and said.count("Ship ") == 1 and "Head to head" in said
    assert (
        f"Data: {params['units_source']} (an exported per-unit table), "
        f"{len(units):,} units in 3 arms" in text
    )
    assert "outcomes over" not in text  # the export defines no outcome window
    shown = table_with(html, "metric", "arm", "treatment", "difference")
    first = readout.table.iloc[0]
    assert shown["treatment"].iloc[0] == f"{first['treatment_value']:.2%}"
    assert shown["difference"].iloc[0] == f"{100 * first['difference']:+.2f} pt"
    by_type = ex.by_segment(units, params["segment_by"], metrics[:1], control="control")
    labels = (by_type["segment"] + ": " + by_type["metric"]).tolist()
    readouts = [t for t in report_tables(html) if "relative_lift" in t]
    assert len(readouts) == 2 and readouts[1]["metric"].tolist() == labels


def test_loyalty_report_on_a_retailers_exports(published):
    """examples/loyalty: the platform's words recoded, redemptions given as positive numbers
    turned round (the page says so), and the page's numbers are the library's on the same
    files: breakage, the member effect, the next-best check."""
    from crmlab import basket, loyalty

    root, chosen, _ = published
    html = _page(published, "loyalty_retailer_example")
    text = page_text(html)
    data = load(root / chosen["loyalty_retailer_example"].parameters["source"])
    assert "1,832 redeem/expire row(s) gave points as positive sizes" in text
    found = loyalty.breakage(data.loyalty_events, data.as_of, random_state=0)
    assert (
        f"Breakage {found.breakage:.1%} (95% interval {found.ci_low:.1%} to {found.ci_high:.1%})"
        in text
    )
    effect = loyalty.member_effect(data.orders, data.memberships, data.as_of, random_state=0)
    assert f"Member effect on order value {effect.effect:+.1%}" in text
    lines = features.purchase_lines(data)
    bought = lines[lines["quantity"] > 0]
    split = data.as_of - pd.Timedelta(days=120)
    check = basket.evaluate_next_best(bought, split, k=5, min_support=0.001).set_index("method")
    assert f"{check.loc['rules', 'hit_rate']:.1%} hit at 5" in text
    assert not any(
        name in html
        for name in read_flat(root / "examples/loyalty/members.csv")["Full Name"].head(50)
    )


def test_journeys_report_on_a_web_shops_exports(published):
    """examples/web_journeys: channels recoded from the tool's words, second hits inside a
    visit, refunds in full: the page's journeys and Markov credit are the library's on the
    same files, and the credit holds the planted chain's truth."""
    from crmlab.journeys import PlantedJourneys, markov_attribution

    root, chosen, _ = published
    html = _page(published, "journeys_web_example")
    text = page_text(html)
    data = load(root / chosen["journeys_web_example"].parameters["source"])
    found = features.journeys(data, lookback_days=60)
    converting = int(found.table["converted"].sum())
    assert f"journeys: {len(found.table):,} · converting: {converting:,}" in text
    sales = data.orders[data.orders["status"] != "refunded"]
    assert converting == len(sales) - data.orders["refund_of"].notna().sum()  # refunds in full
    credit = table_with(html, "channel", "removal_effect", "credit").set_index("channel")["credit"]
    expected = markov_attribution(found.paths()).set_index("channel")["credit"]
    assert credit.to_dict() == {c: f"{v:.1%}" for c, v in expected.items()}
    assert set(credit.index) == {"social", "search", "email", "app", "store"}  # recoded
    truth = PlantedJourneys().truth().set_index("channel")["markov_credit"]
    assert (expected - truth).abs().max() < 0.02
