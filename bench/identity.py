"""Benchmark: identity resolution of 1,000,000 source records.

    python bench/identity.py [--records 1_000_000]

Builds source records the way channels deliver them (not timed): people with an e-mail,
a UK mobile number, a name and a birth date; 10% of them appear a second time in another
channel with different spellings (upper case, "Last, First", national phone format, Gmail
dots and +tags), 0.2% carry a shared placeholder e-mail. Times ``identity.resolve``
(normalization, linking, clustering, ids, report) and scores the links against the truth.
Peer: the same e-mail + phone linking written directly in pandas (lowercase/strip only,
no E.164, no guards), measured side by side. Target (issue 8): under 2 minutes.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from crmlab.data.identity import resolve

FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "José", "Łukasz", "Mia", "Noah", "Zoë"]
LAST = ["Smith", "Jones", "Müller", "García", "Brown", "Nowak", "Rossi", "Dubois", "Lee"]
DOMAINS = ["gmail.com", "outlook.com", "example.org", "shop.co.uk"]


def make_records(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    people = int(n / 1.1)
    k = n - people
    idx = np.arange(people)
    first = rng.choice(FIRST, people)
    last = rng.choice(LAST, people)
    email = pd.Series(
        [f"user.{i}@{d}" for i, d in zip(idx, rng.choice(DOMAINS, people), strict=True)]
    )
    email[rng.random(people) < 0.002] = "noreply@example.com"
    mobile = (idx * 7919 + 1_234_567) % 100_000_000
    phone = pd.Series([f"+44 74{m // 1_000_000:02d} {m % 1_000_000:06d}" for m in mobile])
    birth = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20_000, people), unit="D")
    base = pd.DataFrame(
        {
            "source": rng.choice(["web", "app"], people),
            "source_key": [f"K{i}" for i in idx],
            "name": pd.Series(first) + " " + pd.Series(last),
            "email": email,
            "phone": phone,
            "birth_date": birth,
        }
    )
    who = rng.choice(people, k, replace=False)
    dup = base.iloc[who].copy()
    dup["source"] = rng.choice(["store", "phone"], k)
    dup["source_key"] = [f"D{i}" for i in range(k)]
    dup["name"] = [f"{b.split(' ')[1]}, {b.split(' ')[0]}".upper() for b in dup["name"]]
    dup["email"] = dup["email"].str.upper().str.replace("@GMAIL.COM", "+STORE@GMAIL.COM")
    dup["phone"] = "0" + dup["phone"].str.replace(" ", "").str[3:]
    person = np.r_[idx, who]
    return pd.concat([base, dup], ignore_index=True), person


def pandas_peer(records: pd.DataFrame) -> np.ndarray:
    """E-mail and phone linking as one might write it directly: no rules, no guards."""
    n = len(records)
    rows, cols = [], []
    for column in ("email", "phone"):
        key = records[column].str.strip().str.lower().str.replace(r"[^0-9a-z@.+]", "", regex=True)
        first = pd.Series(np.arange(n)).groupby(key.to_numpy()).transform("min")
        rows.append(np.arange(n))
        cols.append(first.to_numpy())
    graph = coo_matrix((np.ones(2 * n), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def pair_scores(labels: np.ndarray, person: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall (pairs counted per cluster, no enumeration)."""
    frame = pd.DataFrame({"c": labels, "p": person})

    def pairs(counts: pd.Series) -> float:
        return float((counts * (counts - 1) / 2).sum())

    both = pairs(frame.groupby(["c", "p"]).size())
    return both / pairs(frame.groupby("c").size()), both / pairs(frame.groupby("p").size())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    records, person = make_records(args.records)
    print(f"built {len(records):,} source records in {time.perf_counter() - t0:.1f} s (not timed)")
    t0 = time.perf_counter()
    result = resolve(records)
    t_crmlab = time.perf_counter() - t0
    labels = pd.factorize(result.crosswalk["customer_id"])[0]
    precision, recall = pair_scores(labels, person)
    print(
        f"crmlab resolve: {t_crmlab:.1f} s -> {result.crosswalk['customer_id'].nunique():,} "
        f"customers; precision {precision:.4f}, recall {recall:.4f}; "
        f"{len(result.flagged_keys)} flagged key(s) (target < 120 s)"
    )
    t0 = time.perf_counter()
    peer = pandas_peer(records)
    t_peer = time.perf_counter() - t0
    p_precision, p_recall = pair_scores(peer, person)
    print(
        f"pandas peer (e-mail + phone, no normalization rules, no guards): {t_peer:.1f} s; "
        f"precision {p_precision:.4f}, recall {p_recall:.4f}"
    )
    print(f"crmlab / peer time: {t_crmlab / t_peer:.1f}x (the price of E.164, rules and guards)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory: {peak:.1f} GB")


if __name__ == "__main__":
    main()
