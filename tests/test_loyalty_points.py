"""Points as lots (FIFO), breakage from cohort curves, and the chain ladder under it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.errors import ParameterError
from crmlab.loyalty import balances, breakage, chain_ladder, point_lots

# Mack (1993), "Distribution-free calculation of the standard error of chain ladder reserve
# estimates": the GenIns triangle (Taylor & Ashe 1983), incremental payments.
GENINS = """357848 766940 610542 482940 527326 574398 146342 139950 227229 67948
352118 884021 933894 1183289 445745 320996 527804 266172 425046
290507 1001799 926219 1016654 750816 146923 495992 280405
310608 1108250 776189 1562400 272482 352053 206286
443160 693190 991983 769488 504851 470639
396132 937085 847498 805037 705960
440832 847631 1131398 1063269
359480 1061648 1443370
376686 986608
344014"""


def _ledger(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "occurred_at", "kind", "points"])
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame.insert(0, "event_id", [f"e{i}" for i in range(len(frame))])
    return frame


def test_chain_ladder_reproduces_mack_genins():
    triangle = np.full((10, 10), np.nan)
    for i, line in enumerate(GENINS.splitlines()):
        values = np.cumsum([float(v) for v in line.split()])
        triangle[i, : len(values)] = values
    latest, ultimate, factors = chain_ladder(triangle)
    published = [3.491, 1.747, 1.457, 1.174, 1.104, 1.086, 1.054, 1.077, 1.018]
    assert np.round(factors, 3).tolist() == published
    assert round((ultimate - latest).sum()) == 18_680_856
    assert latest[0] == ultimate[0] == 3_901_463


def test_points_leave_oldest_first():
    book = _ledger(
        [
            ("a", "2024-01-01", "earn", 100),
            ("a", "2024-02-01", "earn", 50),
            ("a", "2024-03-01", "redeem", -120),
            ("b", "2024-01-01", "earn", 30),
            ("b", "2024-01-01", "adjust", 20),
            ("b", "2025-01-01", "expire", -40),
            ("b", "2025-01-02", "adjust", -5),
        ]
    )
    lots = point_lots(book)
    got = lots.groupby(["lot_event_id", "fate"])["points"].sum().to_dict()
    assert got == {
        ("e0", "redeemed"): 100,
        ("e1", "redeemed"): 20,
        ("e1", "outstanding"): 30,
        ("e3", "expired"): 30,
        ("e4", "expired"): 10,
        ("e4", "taken_back"): 5,
        ("e4", "outstanding"): 5,
    }
    redeemed = lots[lots["fate"] == "redeemed"]
    assert (redeemed["left_at"] == pd.Timestamp("2024-03-01", tz="UTC")).all()
    assert lots.loc[lots["fate"] == "outstanding", "left_at"].isna().all()
    assert lots.attrs["unmatched_points"] == 0
    assert balances(book, pd.Timestamp("2024-12-31", tz="UTC")).to_dict() == {"a": 30, "b": 50}


def test_points_leaving_an_empty_balance_are_counted_not_given_to_a_lot():
    book = _ledger([("a", "2024-01-01", "redeem", -70), ("a", "2024-02-01", "earn", 50)])
    lots = point_lots(book)
    assert lots.attrs["unmatched_points"] == 70  # from before the ledger starts
    assert lots[["lot_event_id", "points", "fate"]].values.tolist() == [["e1", 50, "outstanding"]]


def _fifo_by_loop(book: pd.DataFrame) -> dict:
    """The plain loop the vectorised allocation must agree with."""
    fate = {}
    for _, events in book.groupby("customer_id", sort=False):
        lots = []
        for row in events.itertuples():
            if row.points > 0:
                lots.append([row.event_id, row.points])
                continue
            need = -row.points
            kind = {"redeem": "redeemed", "expire": "expired", "adjust": "taken_back"}[row.kind]
            for lot in lots:
                used = min(lot[1], need)
                if used > 0:
                    fate[lot[0], kind] = fate.get((lot[0], kind), 0) + used
                lot[1] -= used
                need -= used
        for event_id, left in lots:
            if left > 0:
                fate[event_id, "outstanding"] = fate.get((event_id, "outstanding"), 0) + left
    return fate


def test_vectorised_fifo_agrees_with_a_loop_on_random_ledgers():
    rng = np.random.default_rng(3)
    rows = []
    for customer in range(40):
        balance = 0
        for day in range(int(rng.integers(1, 15))):
            if balance > 0 and rng.random() < 0.4:
                take = int(rng.integers(1, balance + 1))
                kind = rng.choice(["redeem", "expire", "adjust"])
                rows.append((f"c{customer}", f"2024-01-{day + 1:02d}", kind, -take))
                balance -= take
            else:
                give = int(rng.integers(1, 300))
                rows.append((f"c{customer}", f"2024-01-{day + 1:02d}", "earn", give))
                balance += give
    book = _ledger(rows)
    lots = point_lots(book)
    got = lots.groupby(["lot_event_id", "fate"])["points"].sum()
    expected = pd.Series(_fifo_by_loop(book)).sort_index()
    pd.testing.assert_series_equal(got.sort_index(), expected, check_names=False, check_dtype=False)


def test_a_ledger_without_the_needed_columns_says_which():
    with pytest.raises(ParameterError, match="lacks kind"):
        point_lots(
            pd.DataFrame({"event_id": [], "customer_id": [], "occurred_at": [], "points": []})
        )


def test_breakage_recovers_the_planted_share_within_its_interval(program_world):
    truth = program_world.truth.params["loyalty"]["breakage"]
    found = breakage(program_world.loyalty_events, program_world.as_of, random_state=1)
    assert found.ci_low <= truth <= found.ci_high
    assert found.ci_high - found.ci_low < 0.08
    # every cohort's projection is at least what it has redeemed already
    cohorts = found.cohorts
    assert (cohorts["projected_share"] >= cohorts["redeemed_share"] - 1e-12).all()
    # cohorts older than the expiry (12 months) are final: nothing is projected for them
    old = cohorts[cohorts["age_months"] >= 13]
    assert np.allclose(old["projected_share"], old["redeemed_share"])
    assert found.curves.shape == (24, 24) and np.isnan(found.curves.iloc[-1, 1])


def test_breakage_is_reproducible_and_checks_its_parameters(program_world):
    events, as_of = program_world.loyalty_events, program_world.as_of
    a = breakage(events, as_of, n_boot=20, random_state=4)
    b = breakage(events, as_of, n_boot=20, random_state=4)
    assert (a.breakage, a.ci_low, a.ci_high) == (b.breakage, b.ci_low, b.ci_high)
    with pytest.raises(ParameterError, match="tail"):
        breakage(events, as_of, tail=0.5)
    longer = breakage(events, as_of, tail=1.1, n_boot=0)
    assert longer.breakage < a.breakage and "tail factor of 1.1" in longer.notes[-1]
